"""The demo data set: shape of the geography, seed addresses, units, accounts, idempotency
and determinism. The command runs once for the class (setUpTestData); each test runs in a
transaction rolled back afterwards, so the tests that reload or delete do not leak."""

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from io import StringIO

from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.http import HttpRequest
from django.test import TestCase, override_settings
from shapely import STRtree
from shapely.ops import unary_union

from civicgrid.accounts.models import Membership, User
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.models import AuditLog
from civicgrid.demo import data
from civicgrid.demo.builder import (
    DemoError,
    DemoPlan,
    build_plan,
    export_demo,
    validate_plan,
)
from civicgrid.geo.choices import AreaKind, GridLayerKind
from civicgrid.geo.geometry import overlaps, parse_polygon
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.geo.services import find_building, locate
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit

STREETS = {
    "pingliang": "平凉路街道",
    "wujiaochang": "五角场街道",
    "tianping": "天平路街道",
    "lujiazui": "陆家嘴街道",
}
ROLES = ["admin", "dispatcher", "gridworker", "cadre", "handler", "leader", "resident"]


def plan_digest() -> str:
    plan = build_plan()
    text = json.dumps(dataclasses.asdict(plan), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def row_counts() -> dict[str, int]:
    return {
        "areas": Area.objects.count(),
        "buildings": Building.objects.count(),
        "layers": GridLayer.objects.count(),
        "units": Unit.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def delete_demo() -> None:
    Membership.objects.all().delete()
    User.objects.all().delete()
    Unit.objects.all().delete()
    Building.objects.all().delete()
    GridLayer.objects.all().delete()
    for kind in (AreaKind.GRID, AreaKind.RESIDENTIAL, AreaKind.STREET, AreaKind.DISTRICT):
        # A street is its own scope key (street=self, PROTECT): unhook it first.
        Area.objects.filter(kind=kind).update(street=None)
        Area.objects.filter(kind=kind).delete()


# Same fast hasher as conftest's autouse fixture, but already active in setUpTestData,
# which runs before function fixtures: accounts created there must check in the tests.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LoadDemoTests(TestCase):
    plan: DemoPlan
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        out = StringIO()
        call_command("load_demo", "--no-cases", stdout=out)
        cls.output = out.getvalue()
        cls.plan = build_plan()

    def street(self, key: str) -> Area:
        return Area.objects.get(kind=AreaKind.STREET, name=STREETS[key])

    # --- geography ---------------------------------------------------------------------

    def test_four_streets_in_their_districts_with_official_looking_codes(self):
        streets = Area.objects.filter(kind=AreaKind.STREET).select_related("parent")
        assert {s.name for s in streets} == set(STREETS.values())
        districts = {s.name: (s.parent.code, s.parent.name) for s in streets}
        assert districts["平凉路街道"] == ("310110", "杨浦区")
        assert districts["五角场街道"] == ("310110", "杨浦区")
        assert districts["天平路街道"] == ("310104", "徐汇区")
        assert districts["陆家嘴街道"] == ("310115", "浦东新区")
        for area in Area.objects.exclude(kind=AreaKind.DISTRICT).select_related("parent"):
            expected = {AreaKind.STREET: 9, AreaKind.RESIDENTIAL: 12, AreaKind.GRID: 14}[AreaKind(area.kind)]
            assert len(area.code) == expected and area.code.isdigit(), area.code
            assert area.code.startswith(area.parent.code)

    def test_streets_lie_around_their_real_locations(self):
        real = {
            "pingliang": (121.535, 31.262),
            "wujiaochang": (121.512, 31.300),
            "tianping": (121.445, 31.205),
            "lujiazui": (121.522, 31.232),
        }
        for key, (lon, lat) in real.items():
            where = locate(lon, lat)
            assert where.street is not None and where.street.name == STREETS[key]

    def test_each_street_has_6_to_10_residential_areas_of_3_to_6_grids(self):
        named = {
            "pingliang": {"明园村", "隆仁", "嘉禄", "八埭头", "平凉"},
            "wujiaochang": {"国定支路", "三门路", "大学路"},
            "tianping": {"陕西", "康平", "桃源村", "永嘉新村"},
            "lujiazui": {"崂山", "福山", "松山", "东一", "市新"},
        }
        for key, names in named.items():
            residential = Area.objects.filter(parent=self.street(key), kind=AreaKind.RESIDENTIAL)
            assert 6 <= residential.count() <= 10
            assert {f"{n}居民区" for n in names} <= set(residential.values_list("name", flat=True))
            for ra in residential.annotate(n=Count("children")):
                assert 3 <= ra.n <= 6, ra.name
                assert set(ra.children.values_list("kind", flat=True)) == {AreaKind.GRID}

    def test_grids_never_overlap_and_tile_their_residential_area(self):
        grids = list(Area.objects.filter(kind=AreaKind.GRID).order_by("code"))
        shapes = [parse_polygon(g.geometry) for g in grids]
        tree = STRtree(shapes)
        left, right = tree.query(shapes, predicate="intersects")
        pairs = [(i, j) for i, j in zip(left.tolist(), right.tolist(), strict=True) if i < j]
        assert pairs, "neighbouring grids share edges, so the tree finds candidate pairs"
        clashes = [(grids[i].code, grids[j].code) for i, j in pairs if overlaps(shapes[i], shapes[j])]
        assert clashes == []
        for parent in Area.objects.filter(kind__in=[AreaKind.RESIDENTIAL, AreaKind.STREET]):
            parent_shape = parse_polygon(parent.geometry)
            union = unary_union([parse_polygon(c.geometry) for c in parent.children.all()])
            assert union.symmetric_difference(parent_shape).area < 1e-12, parent.name

    def test_every_grid_locates_to_itself_its_residential_area_and_street(self):
        for grid in Area.objects.filter(kind=AreaKind.GRID).select_related("parent"):
            point = parse_polygon(grid.geometry).representative_point()
            where = locate(point.x, point.y)
            assert where.grid is not None and where.grid.id == grid.pk, grid.code
            assert where.residential_area is not None and where.residential_area.id == grid.parent_id
            assert where.street is not None and where.street.id == grid.street_id
        # Between the four streets there is no demo grid.
        assert not locate(121.48, 31.25)

    def test_layer_grids_of_every_system_map_onto_grids_of_their_street(self):
        for key in STREETS:
            street = self.street(key)
            layer_grids = GridLayer.objects.filter(street=street)
            assert set(layer_grids.values_list("layer", flat=True)) == {
                GridLayerKind.POLICE,
                GridLayerKind.URBAN,
                GridLayerKind.PARTY,
            }
            for layer_grid in layer_grids:
                mapped = list(layer_grid.comprehensive_grids.all())
                assert mapped, layer_grid.name
                assert {g.street_id for g in mapped} == {street.pk}
        police = GridLayer.objects.filter(street=self.street("lujiazui"), layer=GridLayerKind.POLICE)
        assert all(g.name.startswith("梅园派出所") for g in police)

    # --- buildings ---------------------------------------------------------------------

    def test_several_hundred_buildings_each_strictly_inside_its_grid(self):
        buildings = list(Building.objects.select_related("grid"))
        assert len(buildings) >= 300
        for building in buildings:
            assert building.grid is not None, building.address
            assert parse_polygon(building.grid.geometry).contains(building.point), building.address
            where = locate(building.lon, building.lat)
            assert where.grid is not None and where.grid.id == building.grid_id
            assert building.residential_area_id == building.grid.parent_id
        # Realistic addresses: road + 弄 + 号, or estate/road + 号, or a lane entry.
        assert all(b.normalized_address.endswith(("号", "弄")) for b in buildings)
        assert (
            sum("弄" in b.normalized_address and b.normalized_address.endswith("号") for b in buildings) > 150
        )

    def test_seed_addresses_are_found_however_they_are_typed(self):
        for address, key, residential in data.SEED_ADDRESSES:
            number_spaced = address.replace("号", " 号").replace("弄", " 弄 ")
            for typed in (address, number_spaced, fullwidth(address), f"上海市浦东新区{address}"):
                building = find_building(typed)
                assert building is not None, typed
                assert building.normalized_address == address
                assert building.street_id == self.street(key).pk
                assert building.residential_area.name == f"{residential}居民区"
        assert find_building("乌鲁木齐南路66号").name == "66梧桐院·邻里汇"
        assert find_building("崂山二村 11 号").floors == 5
        # An unknown house in a known lane falls back to the lane entry.
        assert find_building("永嘉路492弄99号").normalized_address == "永嘉路492弄"

    # --- units ---------------------------------------------------------------------------

    def test_real_units_from_the_newsletters_and_typical_units_per_street(self):
        real = {
            "陆家嘴城管中队": ("lujiazui", UnitKind.URBAN_MANAGEMENT),
            "梅园派出所": ("lujiazui", UnitKind.POLICE),
            "平凉路派出所": ("pingliang", UnitKind.POLICE),
            "天平路派出所": ("tianping", UnitKind.POLICE),
            "平凉社区卫生服务中心": ("pingliang", UnitKind.HEALTH),
            "天平社区卫生服务中心": ("tianping", UnitKind.HEALTH),
            "崂山居委会": ("lujiazui", UnitKind.RESIDENTS_COMMITTEE),
        }
        for name, (key, kind) in real.items():
            unit = Unit.objects.get(name=name)
            assert (unit.street_id, unit.kind) == (self.street(key).pk, kind)
        for key in STREETS:
            street = self.street(key)
            units = Unit.objects.filter(street=street)
            kinds = list(units.values_list("kind", flat=True))
            for kind in (UnitKind.URBAN_MANAGEMENT, UnitKind.POLICE, UnitKind.HOUSING, UnitKind.MARKET):
                assert kinds.count(kind) == 1, (key, kind)
            assert kinds.count(UnitKind.PROPERTY) >= 2
            assert kinds.count(UnitKind.OWNERS_COMMITTEE) >= 1
            assert kinds.count(UnitKind.HEALTH) == 1
            # Every residential area has its residents' committee, with that area as jurisdiction.
            for ra in Area.objects.filter(parent=street, kind=AreaKind.RESIDENTIAL):
                committee = units.get(kind=UnitKind.RESIDENTS_COMMITTEE, jurisdiction=ra)
                assert committee.name == ra.name.replace("居民区", "居委会")
            for unit in units:
                assert unit.contact_person and personal.unmasked(unit.phone).startswith("021-5"), unit.name
                assert unit.jurisdiction.exists()
                assert {a.street_id for a in unit.jurisdiction.all()} == {street.pk}

    def test_district_utilities_serve_the_demo_streets_of_their_district(self):
        utilities = Unit.objects.filter(street__isnull=True)
        assert set(utilities.values_list("kind", flat=True)) == {UnitKind.WATER, UnitKind.GAS, UnitKind.POWER}
        assert utilities.count() == 9
        yangpu_gas = utilities.get(kind=UnitKind.GAS, district__code="310110")
        assert set(yangpu_gas.jurisdiction.values_list("name", flat=True)) == {"平凉路街道", "五角场街道"}
        pudong_gas = utilities.get(kind=UnitKind.GAS, district__code="310115")
        assert list(pudong_gas.jurisdiction.values_list("name", flat=True)) == ["陆家嘴街道"]

    # --- accounts ------------------------------------------------------------------------

    def test_one_account_per_role_per_street_bound_like_the_brief_says(self):
        users = {u.username: u for u in User.objects.all()}
        assert set(users) == {f"{s}-{r}" for s in STREETS for r in ROLES}
        assert not any(u.is_superuser for u in users.values())
        for key in STREETS:
            street = self.street(key)
            for role in ROLES:
                user = users[f"{key}-{role}"]
                assert user.role == Role(role)
                assert user.full_name and all(unicodedata.name(c).startswith("CJK") for c in user.full_name)
                assert user.scope.street_ids == frozenset({street.pk})
                memberships = list(user.memberships.select_related("area", "unit"))
                kinds = sorted(m.area.kind if m.area else m.unit.kind for m in memberships)
                if role in ("admin", "dispatcher", "leader"):
                    assert [m.area for m in memberships] == [street]
                elif role in ("cadre", "resident"):
                    assert kinds == [AreaKind.RESIDENTIAL]
                elif role == "gridworker":
                    assert kinds in ([AreaKind.GRID], [AreaKind.GRID, AreaKind.GRID])
                else:
                    assert [m.unit.name for m in memberships] == [
                        Unit.objects.get(street=street, kind=UnitKind.URBAN_MANAGEMENT).name
                    ]
        assert users["lujiazui-handler"].memberships.get().unit.name == "陆家嘴城管中队"

    def test_lujiazui_dispatcher_logs_in_and_sees_only_lujiazui(self):
        assert self.client.login(
            request=HttpRequest(), username="lujiazui-dispatcher", password=data.DEMO_PASSWORD
        )
        assert not self.client.login(
            request=HttpRequest(), username="lujiazui-dispatcher", password="wrong-pass"
        )
        user = User.objects.get(username="lujiazui-dispatcher")
        visible = Area.objects.restrict(user, "view").filter(kind=AreaKind.GRID)
        lujiazui, pingliang = self.street("lujiazui"), self.street("pingliang")
        assert (
            visible.filter(street=lujiazui).count()
            == Area.objects.filter(street=lujiazui, kind="grid").count()
        )
        assert not visible.filter(street=pingliang).exists()
        assert not Building.objects.restrict(user, "view").filter(street=pingliang).exists()
        # A cadre sees only the grids of their own residential area.
        cadre = User.objects.get(username="lujiazui-cadre")
        ra = cadre.memberships.get().area
        assert set(Area.objects.restrict(cadre, "view").filter(kind="grid")) == set(ra.children.all())

    def test_lujiazui_dispatcher_gets_404_for_pingliang_grid_in_ui_and_admin(self):
        """The issue's acceptance check, on the real demo data, through real pages."""
        from django.urls import reverse

        assert self.client.login(
            request=HttpRequest(), username="lujiazui-dispatcher", password=data.DEMO_PASSWORD
        )
        own = Area.objects.filter(street=self.street("lujiazui"), kind=AreaKind.GRID).first()
        other = Area.objects.filter(street=self.street("pingliang"), kind=AreaKind.GRID).first()
        page = self.client.get(own.get_absolute_url())
        assert page.status_code == 200 and own.name in page.content.decode()
        assert self.client.get(other.get_absolute_url()).status_code == 404
        street_page = self.client.get(self.street("lujiazui").get_absolute_url()).content.decode()
        assert "陆家嘴" in street_page and "平凉" not in street_page
        admin_list = self.client.get(reverse("admin:geo_area_changelist") + "?kind=grid&all=")
        assert admin_list.status_code == 200
        assert own.code in admin_list.content.decode() and other.code not in admin_list.content.decode()
        assert self.client.get(reverse("admin:geo_area_change", args=[own.pk])).status_code == 200
        assert self.client.get(reverse("admin:geo_area_change", args=[other.pk])).status_code == 404

    # --- output, idempotency, determinism --------------------------------------------------

    def test_output_lists_the_accounts_and_counts(self):
        assert "lujiazui-dispatcher" in self.output and "城运中心调度员" in self.output
        assert "demo-civicgrid" in self.output
        assert "楼栋" in self.output
        quiet = StringIO()
        call_command("load_demo", "--quiet", "--no-cases", stdout=quiet)
        assert quiet.getvalue() == ""

    def test_a_negative_volume_is_refused_before_anything_is_written(self):
        before = row_counts()
        with self.assertRaisesMessage(CommandError, "--cases-per-street"):
            call_command("load_demo", "--quiet", "--cases-per-street", "-1")
        assert row_counts() == before

    def test_second_run_changes_nothing_and_writes_no_audit(self):
        before = row_counts()
        exported = export_demo(self.plan)
        out = StringIO()
        call_command("load_demo", "--no-cases", stdout=out)
        assert row_counts() == before
        assert export_demo(self.plan) == exported
        assert "未做修改" in out.getvalue()

    def test_rerun_repairs_what_was_changed_and_logs_only_that(self):
        unit = Unit.objects.get(name="梅园派出所")
        unit.phone = "110"
        unit.save()
        user = User.objects.get(username="tianping-cadre")
        user.set_password("something-else-entirely")
        user.save()
        Building.objects.get(normalized_address="崂山二村11号").delete()
        before = AuditLog.objects.count()
        call_command("load_demo", "--quiet", "--no-cases")
        assert Unit.objects.get(pk=unit.pk).phone != "110"
        assert User.objects.get(pk=user.pk).check_password(data.DEMO_PASSWORD)
        assert find_building("崂山二村11号") is not None
        new = list(
            AuditLog.objects.order_by("id")[before:].values_list("content_type__model", "event", "via")
        )
        assert sorted(new) == [("building", "create", "command"), ("unit", "update", "command")]

    def test_refuses_to_load_over_foreign_grids_and_writes_nothing(self):
        lujiazui = self.street("lujiazui")
        target = Area.objects.filter(street=lujiazui, kind=AreaKind.GRID).order_by("code").first()
        district = Area.objects.create(kind=AreaKind.DISTRICT, code="990001", name="外来区")
        street = Area.objects.create(kind=AreaKind.STREET, code="990001001", name="外来街道", parent=district)
        ra = Area.objects.create(
            kind=AreaKind.RESIDENTIAL, code="990001001001", name="外来居民区", parent=street
        )
        Area.objects.create(
            kind=AreaKind.GRID, code="99000100100101", name="外来网格", parent=ra, geometry=target.geometry
        )
        Unit.objects.filter(name="梅园派出所").update(phone="110")
        before = row_counts()
        with self.assertRaisesMessage(CommandError, "99000100100101"):
            call_command("load_demo", "--quiet", "--no-cases")
        assert row_counts() == before
        assert Unit.objects.get(name="梅园派出所").phone == "110"

    def test_two_runs_on_empty_databases_produce_the_same_data(self):
        first = export_demo(self.plan)
        delete_demo()
        assert not Area.objects.exists()
        call_command("load_demo", "--quiet", "--no-cases")
        assert export_demo(self.plan) == first


def test_plan_does_not_depend_on_hash_seed_or_process():
    """The plan computed in fresh interpreters with different hash seeds is identical."""
    here = plan_digest()
    code = (
        "import django; django.setup();"
        "from civicgrid.demo.tests.test_load_demo import plan_digest; print(plan_digest())"
    )
    for seed in ("1", "4242"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
            "CIVICGRID_DATABASE_URL": "sqlite:///:memory:",
            "CIVICGRID_DEBUG": "1",
        }
        result = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=True,
        )
        assert result.stdout.strip() == here


def test_plan_validation_names_overlapping_grids():
    plan = build_plan()
    grids = [a for a in plan.areas if a.kind == AreaKind.GRID]
    moved = dataclasses.replace(grids[1], geometry=grids[0].geometry)
    broken = dataclasses.replace(plan, areas=tuple(moved if a is grids[1] else a for a in plan.areas))
    try:
        validate_plan(broken)
    except DemoError as exc:
        assert grids[0].code in str(exc) and grids[1].code in str(exc)
    else:
        raise AssertionError("overlapping grids were accepted")


# --- demo cases (issue 3, point 11; issue 12, point 13) -------------------------------------
