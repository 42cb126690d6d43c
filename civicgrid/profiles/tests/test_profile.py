"""The street profile: resolution (street → district → city), what follows it (deadlines, the
12345 import, the public form, Open311, duplicate suggestions), the page's permission matrix,
its errors, the audit trail and the cache."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from civicgrid.cases import bulk
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import Channel, RequestType
from civicgrid.cases.models import Case, Category
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core import profile
from civicgrid.core.choices import Role
from civicgrid.core.models import AuditLog
from civicgrid.core.profile import Int, Limits
from civicgrid.profiles import actions
from civicgrid.profiles.models import AreaProfile
from civicgrid.testing.factories import UserFactory
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
LIMITS = "cases.handling_working_days"


def end_of(y, m, d):
    return dt.datetime(y, m, d, 23, 59, 59, tzinfo=SH)


@pytest.fixture
def root(db):
    return UserFactory(username="root", role=Role.ADMIN, is_superuser=True, is_staff=True)


def admin(world, street="east"):
    return world.user(street, Role.ADMIN)


def url(area):
    return f"/profiles/{area.code}/"


# --- the kernel ------------------------------------------------------------------------


def test_street_overrides_district_overrides_city(world, root):
    east, west = world.east.street.pk, world.west.street.pk
    assert profile.value("cases.callback_working_days", east) == 3
    assert profile.for_area(east).source("cases.callback_working_days") == profile.CITY

    actions.save_profile(world.district, root, {"cases.callback_working_days": 5, LIMITS: {"help": 7}})
    actions.save_profile(
        world.east.street, admin(world), {"cases.callback_working_days": 2, LIMITS: {"help": 9}}
    )
    east_p, west_p = profile.for_area(east), profile.for_area(west)
    assert (
        east_p["cases.callback_working_days"] == 2
        and east_p.source("cases.callback_working_days") == "street"
    )
    assert (
        west_p["cases.callback_working_days"] == 5
        and west_p.source("cases.callback_working_days") == "district"
    )
    # Limits override part by part: east's help, the district's nothing else, the city's rest.
    assert east_p[LIMITS] == {"inquiry": 1, "suggestion": 1, "help": 9, "complaint": 5, "report": 5}
    assert west_p[LIMITS]["help"] == 7 and west_p[LIMITS]["complaint"] == 5
    assert east_p.parent["cases.callback_working_days"] == 5  # what "use the default" gives
    assert profile.value("cases.callback_working_days", None) == 3  # no street: the city default

    actions.reset_setting(world.east.street, admin(world), "cases.callback_working_days")
    assert profile.value("cases.callback_working_days", east) == 5
    assert profile.value(LIMITS, east)["help"] == 9  # the other override stays


def test_city_defaults_still_come_from_the_environment(world, settings):
    settings.CIVICGRID_DUPLICATE_RADIUS_M = 80.0
    assert profile.value("cases.duplicate_radius_m", world.east.street.pk) == 80.0


def test_declarations_validate():
    with pytest.raises(ValidationError):
        Int(1, 30).clean("0")
    with pytest.raises(ValidationError):
        Int(1, 30).clean("x")
    with pytest.raises(ValidationError):
        Limits((("a", "A"),), 1, 5).clean({"b": 1})
    assert Limits((("a", "A"), ("b", "B")), 1, 5).clean({"a": "2"}) == {"a": 2}
    with pytest.raises(ValueError):
        profile.define("nodot", Int(), 1, "x")
    with pytest.raises(profile.UnknownSetting):
        profile.get("cases.nothing")


def test_profiles_are_cached_and_dropped_on_change(
    world, root, django_assert_num_queries, django_capture_on_commit_callbacks
):
    east = world.east.street.pk
    with django_assert_num_queries(1):
        profile.for_area(east)
        profile.for_area(east)["cases.duplicate_days"]
    with django_assert_num_queries(0):
        assert profile.value("cases.duplicate_days", east) == 7
    with django_capture_on_commit_callbacks(execute=True):
        actions.save_profile(world.east.street, admin(world), {"cases.duplicate_days": 3})
        # Until the commit this thread reads its own write straight from the database.
        assert profile.value("cases.duplicate_days", east) == 3
    with django_assert_num_queries(1):
        assert profile.value("cases.duplicate_days", east) == 3
        assert profile.value("cases.duplicate_days", east) == 3


def test_a_rolled_back_change_leaves_nothing_cached(world):
    from django.db import transaction

    east = world.east.street.pk
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.save_profile(world.east.street, admin(world), {"cases.duplicate_days": 3})
        assert profile.value("cases.duplicate_days", east) == 3
        raise RuntimeError
    assert profile.value("cases.duplicate_days", east) == 7


# --- what follows the profile ----------------------------------------------------------


def test_a_street_time_limit_changes_new_cases_of_that_street_only(world):
    duty(world, "west")
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)  # Monday
    before = make_case(world, received_at=received)
    actions.save_profile(world.east.street, admin(world), {LIMITS: {"complaint": 2}})
    assert make_case(world, received_at=received).handling_due_at == end_of(2026, 11, 4)
    assert make_case(world, "west", received_at=received).handling_due_at == end_of(2026, 11, 9)
    before.refresh_from_db()
    assert before.handling_due_at == end_of(2026, 11, 9)


def test_callback_and_extension_limits_follow_the_street(world):
    from civicgrid.cases import deadlines

    actions.save_profile(
        world.east.street,
        admin(world),
        {"cases.callback_working_days": 1, "cases.max_extension_working_days": 4},
    )
    closed = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
    assert deadlines.callback_due(closed, world.east.street.pk) == end_of(2026, 11, 3)
    assert deadlines.callback_due(closed, world.west.street.pk) == end_of(2026, 11, 5)
    assert deadlines.max_extension_days(world.east.street.pk) == 4
    assert deadlines.max_extension_days(world.west.street.pk) == 15


def test_an_extension_beyond_the_street_limit_is_refused(world):
    from civicgrid.cases import actions as case_actions
    from civicgrid.cases.choices import CaseStatus
    from civicgrid.cases.errors import InvalidInput
    from civicgrid.cases.tests.factories import advance

    duty(world)
    actions.save_profile(world.east.street, admin(world), {"cases.max_extension_working_days": 4})
    case = advance(world, make_case(world), CaseStatus.IN_PROGRESS)
    handler = world.user("east", Role.HANDLER)
    with pytest.raises(InvalidInput) as err:
        case_actions.run_action(
            case.pk, "request_extension", handler, {"working_days": 5, "reason": "需协调"}
        )
    assert "working_days" in err.value.fields
    case_actions.run_action(case.pk, "request_extension", handler, {"working_days": 4, "reason": "需协调"})


def test_the_12345_import_uses_each_street_profile(world, django_assert_max_num_queries):
    duty(world, "east")
    duty(world, "west")
    actions.save_profile(world.east.street, admin(world), {LIMITS: {"complaint": 2}})
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
    category = Category.objects.get(code="E2105")
    items = []
    for i in range(20):
        sw = world.east if i % 2 == 0 else world.west
        b = sw.buildings[i % len(sw.buildings)]
        data = CaseInput(
            request_type=RequestType.COMPLAINT,
            category=category,
            description="楼上噪声扰民",
            channel=Channel.HOTLINE,
            lon=b.lon,
            lat=b.lat,
            source="12345",
            external_id=f"P-{i:03d}",
            received_at=received,
            reporter_phone="13800000000",
        )
        items.append((data, f"fp{i}"))
    # Inside this test's transaction the profile is read from the database, not the cache:
    # still once per street and run, not once per case.
    with django_assert_max_num_queries(24):
        outcomes = bulk.create_cases_bulk(items)
    cases = list(Case.objects.filter(pk__in=[o.pk for o in outcomes if isinstance(o, bulk.Created)]))
    assert len(cases) == 20
    for case in cases:
        want = end_of(2026, 11, 4) if case.street_id == world.east.street.pk else end_of(2026, 11, 9)
        assert case.handling_due_at == want, case.street_id


def test_public_form_offers_the_street_categories(client, world):
    actions.save_profile(world.east.street, admin(world), {"cases.public_categories": "E0102"})
    east = client.get(f"/report/?street={world.east.street.code}").context["form"]
    west = client.get(f"/report/?street={world.west.street.code}").context["form"]
    unknown = client.get("/report/?street=nowhere")
    assert unknown.status_code == 200

    def codes(form):
        return {str(value) for group in form.fields["category"].choices for value, _l in _flat(group)}

    assert "E0102" in codes(east) and "E0104" not in codes(east)
    assert {"E0102", "E0104"} <= codes(west)
    assert "E2105" in codes(east)  # community matters (E21) are always offered


def _flat(choice):
    value, label = choice
    return label if isinstance(label, (list, tuple)) else [(value, label)]


def test_open311_services_follow_the_street_private_categories(client, world):
    actions.save_profile(world.east.street, admin(world), {"open311.private_categories": "E0102, E2101"})

    def services(street):
        response = client.get(f"/open311/v2/services.json?jurisdiction_id={street.code}")
        assert response.status_code == 200
        return {s["service_code"] for s in json.loads(response.content)}

    east, west = services(world.east.street), services(world.west.street)
    assert "E0102" not in east and "E0102" in west
    assert "E2110" in east and "E2110" not in west  # east replaced the default list
    response = client.get(f"/open311/v2/services/E0102.json?jurisdiction_id={world.east.street.code}")
    assert response.status_code == 404
    # Without a street: the services no street keeps private, and each street's cases under its own list.
    shared = {s["service_code"] for s in json.loads(client.get("/open311/v2/services.json").content)}
    assert "E0102" not in shared and "E2110" not in shared and "C0110" in shared
    hidden, shown = make_case(world, category="E0102"), make_case(world, "west", category="E0102")
    listed = {r["service_request_id"] for r in json.loads(client.get("/open311/v2/requests.json").content)}
    assert shown.number in listed and hidden.number not in listed


def test_duplicate_radius_per_street(world):
    from civicgrid.cases import duplicates

    duty(world, "west")
    received = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SH)
    pairs = {}
    for key in ("east", "west"):
        base = getattr(world, key).grids[0].shape.centroid
        first = make_case(world, key, received_at=received, lon=base.x)
        second = make_case(world, key, received_at=received, lon=base.x + 0.002)  # ~190 m away
        pairs[key] = (first, second)
    assert not duplicates.candidates(pairs["east"][1])
    actions.save_profile(world.east.street, admin(world), {"cases.duplicate_radius_m": 300})
    assert [c.case for c in duplicates.candidates(pairs["east"][1])] == [pairs["east"][0]]
    assert not duplicates.candidates(pairs["west"][1])


# --- the page --------------------------------------------------------------------------


def _everyone(world, root, street="east"):
    return {**getattr(world, street).users, "superuser": root}


def test_page_permission_matrix(client, world, root):
    nobody = dict.fromkeys(
        [Role.DISPATCHER, Role.LEADER, Role.HANDLER, Role.GRID_WORKER, Role.CADRE, Role.RESIDENT], 404
    )
    everyone = _everyone(world, root)
    assert_matrix(client, url(world.east.street), {Role.ADMIN: 200, "superuser": 200, **nobody}, everyone)
    assert_matrix(client, url(world.district), {Role.ADMIN: 404, "superuser": 200, **nobody}, everyone)
    west_admin = {Role.ADMIN: admin(world, "west")}
    assert_matrix(client, url(world.east.street), {Role.ADMIN: 404}, west_admin)
    data = {"cases.duplicate_days": "3"}
    assert_matrix(client, url(world.east.street), {Role.ADMIN: 404}, west_admin, method="post", data=data)
    assert_matrix(client, url(world.district), {Role.ADMIN: 404}, {Role.ADMIN: admin(world)}, "post", data)
    grid = world.east.grids[0]
    assert_matrix(client, url(grid), {"superuser": 404}, everyone)  # only streets and districts
    assert not AreaProfile.objects.exists()
    client.logout()
    assert client.get(url(world.east.street)).status_code == 302  # to the login page


def test_navigation_leads_the_street_admin_to_their_profile(client, world, root):
    nav = 'href="/profiles/"'
    for role, user in _everyone(world, root).items():
        client.force_login(user)
        assert (nav in client.get("/").content.decode()) is (role in (Role.ADMIN, "superuser")), role
    nobody = dict.fromkeys(
        [Role.DISPATCHER, Role.LEADER, Role.HANDLER, Role.GRID_WORKER, Role.CADRE, Role.RESIDENT], 404
    )
    assert_matrix(client, "/profiles/", {Role.ADMIN: 302, "superuser": 200, **nobody}, _everyone(world, root))
    client.force_login(admin(world))
    assert client.get("/profiles/")["Location"] == url(world.east.street)  # their one street
    client.force_login(root)  # every district and street, each linked
    page = client.get("/profiles/").content.decode()
    for area in (world.district, world.east.street, world.west.street):
        assert f'href="{url(area)}"' in page


def test_page_shows_inherited_values_and_saves_through_the_action(client, world, root):
    actions.save_profile(world.district, root, {"cases.duplicate_days": 10})
    client.force_login(admin(world))
    page = client.get(url(world.east.street))
    text = page.content.decode()
    assert page.status_code == 200 and "10" in text and "cases.duplicate_days" in text
    row = next(r for r in page.context["form"].rows if r.setting.key == "cases.duplicate_days")
    assert not row.overridden and row.inherited == "10" and str(row.inherited_from) == "区"

    response = client.post(
        url(world.east.street),
        {"cases.duplicate_days": "4", f"{LIMITS}.complaint": "3", "cases.public_categories": "e0102，C0110"},
    )
    assert response.status_code == 302
    saved = AreaProfile.objects.get(area=world.east.street).values
    assert saved == {
        "cases.duplicate_days": 4,
        LIMITS: {"complaint": 3},
        "cases.public_categories": ["E0102", "C0110"],
    }
    row = next(r for r in client.get(url(world.east.street)).context["form"].rows if r.setting.key == LIMITS)
    assert row.overridden and [f.value() for f in row.fields if f.name == f"{LIMITS}.complaint"] == [3]

    response = client.post(
        url(world.east.street), {"reset": "cases.duplicate_days", "cases.duplicate_days": "9"}
    )
    assert response.status_code == 302
    assert AreaProfile.objects.get(area=world.east.street).values == {
        LIMITS: {"complaint": 3},
        "cases.public_categories": ["E0102", "C0110"],
    }
    # Saving with every field empty inherits everything again.
    client.post(url(world.east.street), {})
    assert AreaProfile.objects.get(area=world.east.street).values == {}


def test_every_change_is_audited(client, world, root):
    client.force_login(admin(world))
    client.post(url(world.east.street), {"cases.duplicate_days": "4"})
    client.post(url(world.east.street), {"cases.duplicate_days": "5"})
    client.post(url(world.east.street), {"cases.duplicate_days": "5"})  # no change, no row
    rows = list(AuditLog.for_object(AreaProfile.objects.get(area=world.east.street)).order_by("id"))
    assert [r.event for r in rows] == ["create", "update"]
    assert rows[1].changes["values"] == [{"cases.duplicate_days": 4}, {"cases.duplicate_days": 5}]
    assert rows[1].actor == admin(world) and rows[1].street_id == world.east.street.pk
    actions.save_profile(world.district, root, {"cases.duplicate_days": 6})
    district_row = AuditLog.for_object(AreaProfile.objects.get(area=world.district)).get()
    assert district_row.actor == root and district_row.street_id is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cases.duplicate_days", "abc", "整数"),
        ("cases.duplicate_days", "0", "1"),
        ("cases.duplicate_radius_m", "x", "数字"),
        (f"{LIMITS}.complaint", "-1", "1"),
        ("cases.public_categories", "E0102, ZZ99", "ZZ99"),
        ("open311.private_categories", "NOPE", "NOPE"),
    ],
)
def test_bad_input_is_a_form_error_on_its_field(client, world, field, value, message):
    client.force_login(admin(world))
    response = client.post(url(world.east.street), {field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert not AreaProfile.objects.exists()


def test_action_refuses_unknown_settings_and_foreign_areas(world, root):
    with pytest.raises(ValidationError) as exc:
        actions.save_profile(
            world.east.street, admin(world), {"cases.nothing": 1, "cases.duplicate_days": "x"}
        )
    assert set(exc.value.message_dict) == {"cases.nothing", "cases.duplicate_days"}
    with pytest.raises(type(world.east.street).DoesNotExist):
        actions.save_profile(world.east.street, admin(world, "west"), {"cases.duplicate_days": 3})
    with pytest.raises(type(world.east.street).DoesNotExist):
        actions.save_profile(world.district, admin(world), {"cases.duplicate_days": 3})


def test_page_queries_do_not_grow_with_the_settings(client, world, django_assert_max_num_queries):
    client.force_login(admin(world))
    client.get(url(world.east.street))
    with django_assert_max_num_queries(12):
        assert client.get(url(world.east.street)).status_code == 200


def test_area_page_links_the_profile(client, world, root):
    link = url(world.east.street)
    client.force_login(admin(world))
    assert link in client.get(world.east.street.get_absolute_url()).content.decode()
    client.force_login(world.user("east", Role.DISPATCHER))
    assert link not in client.get(world.east.street.get_absolute_url()).content.decode()
    client.force_login(root)
    assert url(world.district) in client.get(world.district.get_absolute_url()).content.decode()


def test_page_in_english(client, world):
    client.force_login(admin(world))
    client.cookies["django_language"] = "en"
    text = client.get(url(world.east.street), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Street profile" in text and "Use the default" not in text  # nothing overridden yet
