"""/api/v1/residents/: flats, households, persons, care tags and reveals — scope per role
(404 outside), masking in the JSON, the reveal log, sensitive tags per capability (each one
returned logged as a look), the filter parameters against residents.filters.persons(), the
`residents` token scope, conditional writes (409 / 412) and query counts."""

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.accounts import tokens
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.errors import InvalidInput
from civicgrid.core.models import PersonalDataAccess
from civicgrid.residents import care, filters
from civicgrid.residents.choices import CareKind, Relation
from civicgrid.residents.models import CareTag, Flat, Household, Person, Residence
from civicgrid.testing.api import BASE, ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

R = "/residents"
TODAY = datetime(2026, 12, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
EVERY_ROLE = list(Role.values)
KEEPERS_AND_GRID = {Role.ADMIN, Role.CADRE, Role.GRID_WORKER}


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content.decode()
    return response.json()


def error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content.decode()
    body = response.json()["error"]
    assert body["code"] and body["message"], body
    if field is not None:
        assert field in body["fields"], body
    return body


class WriteTokenLogin(TokenLogin):
    """TokenLogin with a write token and JSON bodies, so assert_matrix can drive writes."""

    def force_login(self, user: Any) -> None:
        self.key = tokens.issue(user, scopes=["residents:write"]).key

    def send(self, method: str, url: str, data: Any) -> Any:
        return self.client.generic(
            method,
            url,
            json.dumps(data),
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.key}"},
        )

    def post(self, url: str, data: Any = None) -> Any:
        return self.send("POST", url, data or {})

    def patch(self, url: str, data: Any = None) -> Any:
        return self.send("PATCH", url, data or {})


class Api(ApiClient):
    def patch(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        return self.client.generic(
            "PATCH",
            BASE + path,
            json.dumps(body),
            content_type="application/json",
            headers=self.headers(headers),
        )


@time_machine.travel(TODAY, tick=False)
class ResidentsApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.reg = build_registry(cls.w.east)
        cls.p = cls.reg.persons

    def api(self, role: str = Role.CADRE, street: str = "east") -> Api:
        return Api(self.client, self.w.user(street, role))

    def users(self, street: str = "east") -> dict[str, Any]:
        return self.w.east.users if street == "east" else self.w.west.users

    def looks(self) -> int:
        return PersonalDataAccess.objects.filter(field=care.LOOK_KEY).count()

    # ------------------------------------------------------------------------ scope per role

    def test_reads_per_role(self) -> None:
        alone = self.p["alone"]
        expected = {role: 200 if role in KEEPERS_AND_GRID else 404 for role in EVERY_ROLE}
        for path in (
            f"{R}/persons/{alone.pk}",
            f"{R}/households/{alone.household_id}",
            f"{R}/flats/{alone.household.flat_id}",  # type: ignore[union-attr]
            f"{R}/persons/{alone.pk}/care-tags",
        ):
            assert_matrix(TokenLogin(self.client), BASE + path, expected, self.users())
            assert_matrix(
                TokenLogin(self.client), BASE + path, dict.fromkeys(EVERY_ROLE, 404), self.users("west")
            )
        # Another area of the same street: the street's admin sees it, the cadre and grid worker not.
        other = self.p["other"]
        expected = {Role.ADMIN: 200, Role.CADRE: 404, Role.GRID_WORKER: 404, Role.DISPATCHER: 404}
        assert_matrix(TokenLogin(self.client), f"{BASE}{R}/persons/{other.pk}", expected, self.users())

    def test_lists_hold_only_the_callers_area(self) -> None:
        names = {r["name"] for r in ok(self.api().get(f"{R}/persons"))["results"]}
        self.assertEqual(names, {"王秀英", "李建国", "张丽", "赵强"})
        names = {r["name"] for r in ok(self.api(Role.ADMIN).get(f"{R}/persons"))["results"]}
        self.assertEqual(names, {"王秀英", "李建国", "张丽", "赵强", "孙伟"})
        for role in (Role.DISPATCHER, Role.LEADER, Role.RESIDENT):
            self.assertEqual(ok(self.api(role).get(f"{R}/persons"))["count"], 0)
            self.assertEqual(ok(self.api(role).get(f"{R}/flats"))["count"], 0)
            self.assertEqual(ok(self.api(role).get(f"{R}/households"))["count"], 0)
        self.assertEqual(ok(self.api(Role.ADMIN, "west").get(f"{R}/flats"))["count"], 0)
        self.assertEqual(ok(self.api().get(f"{R}/flats"))["count"], 3)
        self.assertEqual(ok(self.api(Role.ADMIN).get(f"{R}/households"))["count"], 4)

    def test_writes_per_role(self) -> None:
        flat = self.reg.flats[0]
        expected = {role: 200 if role in (Role.ADMIN, Role.CADRE) else 404 for role in EVERY_ROLE}
        assert_matrix(
            WriteTokenLogin(self.client),
            f"{BASE}{R}/flats/{flat.pk}",
            expected,
            self.users(),
            method="patch",
            data={"note": "楼道堆物已清"},
        )
        assert_matrix(
            WriteTokenLogin(self.client),
            f"{BASE}{R}/flats/{flat.pk}",
            dict.fromkeys(EVERY_ROLE, 404),
            self.users("west"),
            method="patch",
            data={"note": "x"},
        )
        flat.refresh_from_db()
        self.assertEqual((flat.note, flat.version), ("楼道堆物已清", 3))

    def test_token_scope(self) -> None:
        cadre = self.w.user("east", Role.CADRE)
        cases_only = Api(self.client, key=tokens.issue(cadre, scopes=["cases:write"]).key)
        body = error(cases_only.get(f"{R}/persons"), 403)
        self.assertEqual(body["fields"], {"scope": "residents:read"})
        read_only = Api(self.client, key=tokens.issue(cadre, scopes=["residents:read"]).key)
        ok(read_only.get(f"{R}/persons"))
        flat = self.reg.flats[0]
        self.assertEqual(
            error(read_only.patch(f"{R}/flats/{flat.pk}", {"note": "x"}), 403)["fields"],
            {"scope": "residents:write"},
        )

    # ------------------------------------------------------------------------ masking, reveals

    def test_json_holds_no_full_personal_value(self) -> None:
        alone = self.p["alone"]
        number, phone = personal.unmasked(alone.id_number), personal.unmasked(alone.phone)
        api = self.api()
        for path in (f"{R}/persons", f"{R}/persons/{alone.pk}", f"{R}/households/{alone.household_id}"):
            text = api.get(path).content.decode()
            self.assertNotIn(number, text)
            self.assertNotIn(phone, text)
            self.assertNotIn("子女在外地", text)
        detail = ok(api.get(f"{R}/persons/{alone.pk}"))
        self.assertEqual(detail["id_number"], f"310***********{number[-4:]}")
        self.assertEqual(detail["phone"], f"{phone[:3]}****{phone[-4:]}")
        self.assertNotEqual(detail["notes"], "")

    def test_reveal_is_logged_with_its_reason(self) -> None:
        alone = self.p["alone"]
        path = f"{R}/persons/{alone.pk}/reveal"
        response = self.api(Role.ADMIN).post(path, {"field": "id_number", "reason": "核实身份"})
        self.assertEqual(ok(response), {"value": personal.unmasked(alone.id_number)})
        self.assertEqual(response["Cache-Control"], "private, no-store")
        row = PersonalDataAccess.objects.get()
        self.assertEqual(
            (row.field, row.via, row.reason, row.object_id, row.user_id),
            (
                "residents.person.id_number",
                "api",
                "核实身份",
                str(alone.pk),
                self.w.user("east", Role.ADMIN).pk,
            ),
        )
        # No reason: 400 naming it; a role without the field's capability: 403; nothing logged.
        error(self.api(Role.ADMIN).post(path, {"field": "phone", "reason": " "}), 400, "reason")
        error(self.api(Role.GRID_WORKER).post(path, {"field": "id_number", "reason": "核实"}), 403)
        error(self.api(Role.ADMIN).post(path, {"field": "notes", "reason": "核实"}), 403)
        error(self.api(Role.ADMIN).post(path, {"field": "name", "reason": "核实"}), 400, "field")
        error(self.api(Role.DISPATCHER).post(path, {"field": "phone", "reason": "核实"}), 404)
        error(self.api(Role.ADMIN, "west").post(path, {"field": "phone", "reason": "核实"}), 404)
        self.assertEqual(PersonalDataAccess.objects.count(), 1)
        # The grid worker may have the phone; the cadre the sensitive notes.
        self.assertEqual(
            ok(self.api(Role.GRID_WORKER).post(path, {"field": "phone", "reason": "走访联系"}))["value"],
            personal.unmasked(alone.phone),
        )
        self.assertEqual(
            ok(self.api().post(path, {"field": "notes", "reason": "走访"}))["value"], "子女在外地"
        )
        self.assertEqual(PersonalDataAccess.objects.filter(via="api").count(), 3)

    # ------------------------------------------------------------------------ sensitive tags

    def kinds_by_name(self, role: str) -> dict[str, tuple[set[str], bool]]:
        rows = ok(self.api(role).get(f"{R}/persons"))["results"]
        return {r["name"]: ({t["kind"] for t in r["care_tags"]}, r["has_care_needs"]) for r in rows}

    def test_sensitive_tags_only_for_their_capability_and_logged(self) -> None:
        self.assertEqual(
            self.kinds_by_name(Role.CADRE),
            {
                "王秀英": ({"alone"}, True),
                "李建国": ({"minimum_income"}, True),
                "张丽": ({"illness"}, True),
                "赵强": ({"correction"}, True),
            },
        )
        self.assertEqual(self.looks(), 2)  # the list returned two sensitive tags
        looks = PersonalDataAccess.objects.filter(field=care.LOOK_KEY)
        self.assertEqual(
            {(r.via, r.object_id, r.user_id) for r in looks},
            {
                ("api", str(self.reg.tags[k].pk), self.w.user("east", Role.CADRE).pk)
                for k in ("illness", "correction")
            },
        )
        for role in (Role.ADMIN, Role.GRID_WORKER):
            seen = self.kinds_by_name(role)
            # The sensitive kinds are absent; that the person has care needs is all that shows.
            self.assertEqual(seen["张丽"], (set(), True))
            self.assertEqual(seen["赵强"], (set(), True))
            self.assertEqual(seen["王秀英"], ({"alone"}, True))
        self.assertEqual(self.looks(), 2)
        spouse = self.p["spouse2"]
        text = self.api(Role.GRID_WORKER).get(f"{R}/persons/{spouse.pk}/care-tags").content.decode()
        self.assertNotIn("illness", text)
        self.assertNotIn(str(CareKind.ILLNESS.label), text)
        tags = ok(self.api().get(f"{R}/persons/{spouse.pk}/care-tags"))["results"]
        self.assertEqual([(t["kind"], t["sensitive"]) for t in tags], [("illness", True)])
        self.assertEqual(self.looks(), 3)
        household = ok(self.api(Role.GRID_WORKER).get(f"{R}/households/{spouse.household_id}"))
        self.assertTrue(household["has_care_needs"])
        self.assertNotIn("illness", json.dumps(household))

    def test_a_person_read_with_a_sensitive_tag_is_never_a_304(self) -> None:
        spouse, alone = self.p["spouse2"], self.p["alone"]
        first = self.api().get(f"{R}/persons/{spouse.pk}")
        again = self.api().get(f"{R}/persons/{spouse.pk}", headers={"If-None-Match": first["ETag"]})
        self.assertEqual(again.status_code, 200)
        self.assertEqual(self.looks(), 2)
        first = self.api().get(f"{R}/persons/{alone.pk}")
        again = self.api().get(f"{R}/persons/{alone.pk}", headers={"If-None-Match": first["ETag"]})
        self.assertEqual(again.status_code, 304)

    def test_care_tags_add_and_end(self) -> None:
        other = self.p["head2"]
        # The admin may not see 大病 tags: adding one is refused as if the person did not exist.
        body = {"person": other.pk, "kind": "illness", "starts_on": "2026-11-01"}
        error(self.api(Role.ADMIN).post(f"{R}/care-tags", body), 404)
        self.assertEqual(self.looks(), 0)
        created = ok(self.api().post(f"{R}/care-tags", body), 201)
        self.assertEqual((created["kind"], created["sensitive"], created["active"]), ("illness", True, True))
        self.assertEqual(self.looks(), 1)
        body = {"person": other.pk, "kind": "disability", "starts_on": "2026-11-01", "disability_grade": 2}
        tag = ok(self.api(Role.ADMIN).post(f"{R}/care-tags", body), 201)
        self.assertEqual(tag["label"], "残疾（2）")
        error(self.api().post(f"{R}/care-tags", {**body, "kind": "alone"}), 400, "disability_grade")
        error(self.api().post(f"{R}/care-tags", {**body, "kind": "local"}), 400, "local_kind")
        error(
            self.api().post(f"{R}/care-tags", {**body, "local_kind": "nope", "kind": "local"}),
            400,
            "local_kind",
        )
        error(self.api().post(f"{R}/care-tags", {**body, "person": self.p["other"].pk}), 400, "person")
        end = f"{R}/care-tags/{tag['id']}/end"
        error(self.api().post(end, {"ends_on": "2026-10-01"}), 400, "ends_on")
        error(self.api().post(end, {"ends_on": "2026-12-01", "version": 7}), 409)
        ended = ok(self.api().post(end, {"ends_on": "2026-12-01", "version": tag["version"]}))
        self.assertEqual((ended["ends_on"], ended["active"]), ("2026-12-01", False))
        active = ok(self.api().get(f"{R}/persons/{other.pk}/care-tags", active="true"))["results"]
        self.assertEqual({t["kind"] for t in active}, {"minimum_income", "illness"})
        ended_only = ok(self.api().get(f"{R}/persons/{other.pk}/care-tags", active="false"))["results"]
        self.assertEqual([t["kind"] for t in ended_only], ["disability"])
        # The grid worker sees the tag (not sensitive) but may not end it.
        error(self.api(Role.GRID_WORKER).post(end, {"ends_on": "2026-12-02"}), 404)

    # ------------------------------------------------------------------------ the filter

    def test_filters_give_the_same_persons_as_the_registry_filter(self) -> None:
        alone = self.p["alone"]
        cases: list[dict[str, Any]] = [
            {},
            {"care": "alone"},
            {"care": "any"},
            {"care": "illness"},
            {"care": "correction"},
            {"age": "80"},
            {"q": "李建国"},
            {"q": personal.unmasked(alone.id_number)},
            {"q": personal.unmasked(self.p["spouse2"].phone)},
            {"building": self.w.east.buildings[0].pk},
            {"area": self.w.east.residential[0].code},
            {"area": self.w.east.residential[1].code},
            {"current": "true"},
            {"sex": "F"},
            {"residence": "registered", "employment": "retired"},
        ]
        for role in (Role.CADRE, Role.GRID_WORKER, Role.ADMIN):
            user = self.w.user("east", role)
            for params in cases:
                response = self.api(role).get(f"{R}/persons", **params)
                try:
                    want = set(filters.persons(user, params).values_list("pk", flat=True))
                except InvalidInput as exc:
                    # An area outside the reader's: refused alike, naming the same parameter.
                    self.assertEqual(error(response, 400)["fields"], exc.fields, (role, params))
                    continue
                got = {r["id"] for r in ok(response)["results"]}
                self.assertEqual(got, want, (role, params))
        self.assertEqual(
            {r["name"] for r in ok(self.api().get(f"{R}/persons", care="illness"))["results"]}, {"张丽"}
        )
        self.assertEqual(ok(self.api(Role.GRID_WORKER).get(f"{R}/persons", care="illness"))["count"], 0)

    def test_bad_filters_name_the_parameter(self) -> None:
        error(self.api().get(f"{R}/persons", care="nobody"), 400, "care")
        error(self.api().get(f"{R}/persons", area="no-such-area"), 400, "area")
        # Another street's area is answered like an unknown one.
        error(self.api().get(f"{R}/persons", area=self.w.west.street.code), 400, "area")
        error(self.api().get(f"{R}/persons", age="70"), 400, "age")
        error(self.api().get(f"{R}/persons", building=0), 400, "building")
        error(self.api().get(f"{R}/persons", page=0), 400, "page")

    def test_list_query_counts_do_not_grow(self) -> None:
        api = self.api(Role.ADMIN)
        few, _ = api.count_queries(f"{R}/persons")
        household = self.reg.households[1]
        for i in range(6):
            person = Person.objects.create(street_id=household.street_id, household=household, name=f"新{i}")
            CareTag.objects.create(
                person=person, street_id=person.street_id, kind="alone", starts_on=date(2025, 1, 1)
            )
        many, response = api.count_queries(f"{R}/persons")
        self.assertEqual(response.json()["count"], 11)
        self.assertEqual(few, many)
        for path in (f"{R}/flats", f"{R}/households"):
            with self.assertNumQueries(api.count_queries(path)[0]):
                ok(api.get(path))
        self.assertLessEqual(few, 8)

    # ------------------------------------------------------------------------ flats

    def test_flats_create_change_and_conditional_writes(self) -> None:
        api = self.api()
        building = self.w.east.buildings[0]
        body = {
            "building": building.pk,
            "room": "301",
            "floor": 3,
            "use": "rented",
            "owner_phone": "13912345678",
        }
        flat = ok(api.post(f"{R}/flats", body), 201)
        self.assertEqual((flat["room"], flat["use"], flat["owner_phone"]), ("301", "rented", "139****5678"))
        error(api.post(f"{R}/flats", body), 409)
        error(api.post(f"{R}/flats", {**body, "room": "302", "colour": "red"}), 400, "colour")
        error(api.post(f"{R}/flats", {**body, "room": " "}), 400, "room")
        # A building outside the caller's area: named, like an unknown one.
        error(api.post(f"{R}/flats", {**body, "building": self.w.west.buildings[0].pk}), 400, "building")
        path = f"{R}/flats/{flat['id']}"
        error(api.patch(path, {"room": "101"}), 409)
        error(api.patch(path, {"room": None}), 400, "room")
        read = api.get(path)
        self.assertEqual(api.get(path, headers={"If-None-Match": read["ETag"]}).status_code, 304)
        changed = ok(
            api.patch(path, {"use": "vacant", "owner_phone": "139****5678"}, {"If-Match": read["ETag"]})
        )
        self.assertEqual(
            (changed["use"], changed["version"], changed["owner_phone"]), ("vacant", 2, "139****5678")
        )
        # The masked phone sent back kept the value.
        self.assertEqual(personal.unmasked(Flat.objects.get(pk=flat["id"]).owner_phone), "13912345678")
        error(api.patch(path, {"use": "owner"}, {"If-Match": read["ETag"]}), 412)
        error(api.patch(path, {"use": "owner", "version": 1}), 409)
        self.assertEqual(Flat.objects.get(pk=flat["id"]).use, "vacant")
        ids = {r["id"] for r in ok(api.get(f"{R}/flats", building=building.pk))["results"]}
        self.assertEqual(ids, {*(f.pk for f in self.reg.flats), flat["id"]})
        self.assertEqual(ok(api.get(f"{R}/flats", building=self.w.west.buildings[0].pk))["count"], 0)
        error(api.get(f"{R}/flats/{2**63}"), 404)

    # ------------------------------------------------------------------------ households, persons

    def test_households_persons_and_moves(self) -> None:
        api = self.api()
        flat = self.reg.flats[2]
        household = ok(
            api.post(f"{R}/households", {"flat": flat.pk, "tenure": "tenant", "moved_in": "2026-11-01"}), 201
        )
        self.assertEqual((household["members"], household["head"], household["current"]), ([], None, True))
        error(api.post(f"{R}/households", {"flat": 2**40}), 400, "flat")
        born = date(1985, 4, 5)
        from civicgrid.residents import idcard

        number = idcard.make("310000", born, 955)
        body = {"household": household["id"], "name": "周敏", "id_number": number, "phone": "13700001111"}
        error(api.post(f"{R}/persons", {**body, "id_number": number[:-1] + "0"}), 400, "id_number")
        person = ok(api.post(f"{R}/persons", body), 201)
        # The birth date and sex come from the number; the number itself is masked.
        self.assertEqual((person["birth_date"], person["sex"]), ("1985-04-05", idcard.sex(number)))
        self.assertEqual(person["id_number"], f"310***********{number[-4:]}")
        self.assertNotIn(number, json.dumps(person))
        error(api.post(f"{R}/persons", {**body, "name": "周敏二"}), 409)
        error(api.post(f"{R}/persons", {**body, "household": self.reg.other_household.pk}), 400, "household")  # type: ignore[union-attr]
        detail = ok(api.get(f"{R}/households/{household['id']}"))
        self.assertEqual(detail["head"], {"id": person["id"], "name": "周敏"})
        self.assertEqual([m["name"] for m in detail["members"]], ["周敏"])

        # Change: the masked number sent back keeps the number; a stale version is a 409.
        path = f"{R}/persons/{person['id']}"
        changed = ok(
            api.patch(path, {"id_number": person["id_number"], "employment": "employed", "version": 1})
        )
        self.assertEqual((changed["employment"], changed["version"]), ("employed", 2))
        self.assertEqual(personal.unmasked(Person.objects.get(pk=person["id"]).id_number), number)
        error(api.patch(path, {"employer": "x", "version": 1}), 409)
        error(api.patch(path, {"name": None}), 400, "name")
        error(api.patch(path, {"household": 1}), 400, "household")
        self.assertEqual(ok(api.patch(path, {"employment": None}))["employment"], None)

        # 李建国 moves in with 周敏, then out (his household keeps 张丽).
        head2 = self.p["head2"]
        moved = ok(
            api.post(
                f"{R}/persons/{head2.pk}/move-in",
                {"household": household["id"], "relation": "spouse", "on": "2026-12-01", "reason": "结婚"},
            )
        )
        self.assertEqual((moved["household"]["id"], moved["relation"]), (household["id"], Relation.SPOUSE))
        error(
            api.post(
                f"{R}/persons/{head2.pk}/move-in",
                {"household": household["id"], "relation": "spouse", "on": "2026-12-01"},
            ),
            409,
        )
        old = ok(api.get(f"{R}/households/{self.reg.households[1].pk}"))
        self.assertEqual(old["head"], None)
        self.assertEqual([m["name"] for m in old["members"]], ["张丽"])
        self.assertEqual(
            [(h["person"]["name"], h["moved_out"]) for h in old["history"]],
            [("李建国", "2026-12-01"), ("张丽", None)],
        )
        # Moving out of every household takes the person out of the cadre's area: 204.
        out = api.post(f"{R}/persons/{head2.pk}/move-out", {"on": "2026-12-02", "reason": "迁往外区"})
        self.assertEqual(out.status_code, 204)
        self.assertEqual(Residence.objects.filter(person=head2, moved_out__isnull=True).count(), 0)
        error(api.post(f"{R}/persons/{head2.pk}/move-out", {"on": "2026-12-02"}), 404)
        self.assertIsNone(Household.objects.get(pk=household["id"]).moved_out)  # 周敏 stays

    def test_bad_bodies_are_400_naming_the_field(self) -> None:
        api = self.api()
        alone = self.p["alone"]
        error(api.post(f"{R}/persons/{alone.pk}/move-out", {"on": "someday"}), 400, "on")
        error(
            api.post(f"{R}/persons/{alone.pk}/move-in", {"household": 1, "on": "2026-12-01"}), 400, "relation"
        )
        error(
            api.post(f"{R}/care-tags", {"person": alone.pk, "kind": "vip", "starts_on": "2026-01-01"}),
            400,
            "kind",
        )
        error(api.patch(f"{R}/persons/{alone.pk}", {"sex": "X"}), 400, "sex")
        error(api.post(f"{R}/persons/{2**63}/reveal", {"field": "phone", "reason": "x"}), 404)
