"""/api/v1/units: filters, scope (404 / absent outside), the `orgs` token scope, pagination,
ETag / 304, query counts."""

import json
from typing import Any

from django.test import TestCase

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.orgs.choices import UnitKind
from civicgrid.orgs.models import Unit
from civicgrid.testing.api import BASE, ApiClient, TokenLogin
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix


def unit_codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


class UnitApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        east = cls.w.east
        # A police station serving one residential area, and a retired property company.
        cls.police = Unit.objects.create(
            kind=UnitKind.POLICE,
            code="900001001-PS",
            name="东派出所",
            district=cls.w.district,
            street=east.street,
            phone="021-65550110",
        )
        cls.police.jurisdiction.add(east.residential[1])
        cls.retired = Unit.objects.create(
            kind=UnitKind.PROPERTY,
            code="900001001-WY",
            name="东物业公司",
            district=cls.w.district,
            street=east.street,
            is_active=False,
        )
        # The shared water company serves both streets.
        cls.w.shared_unit.jurisdiction.add(east.street, cls.w.west.street)

    def api(self, street: str = "east", role: str = Role.DISPATCHER) -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role), scopes=("read",))

    def test_list_scope_and_order(self) -> None:
        east = ["900001-WATER", "900001001-CG", "900001001-PS", "900001001-WY"]
        self.assertEqual(unit_codes(self.api().get("/units")), east)  # by code
        self.assertEqual(unit_codes(self.api("west").get("/units")), ["900001-WATER", "900001002-CG"])
        # A handler sees its own unit (and the district-level ones above its street).
        self.assertIn("900001001-CG", unit_codes(self.api(role=Role.HANDLER).get("/units")))
        self.assertEqual(self.api(role=Role.RESIDENT).get("/units").json()["count"], 0)

    def test_filters(self) -> None:
        api = self.api()
        self.assertEqual(unit_codes(api.get("/units", kind="police")), ["900001001-PS"])
        self.assertEqual(
            unit_codes(api.get("/units", street=self.w.east.street.code, active="false")), ["900001001-WY"]
        )
        self.assertEqual(unit_codes(api.get("/units", q="派出所")), ["900001001-PS"])
        self.assertEqual(unit_codes(api.get("/units", q="water")), ["900001-WATER"])
        # Units serving an area: its own jurisdiction and the units of the areas above it.
        serving = unit_codes(api.get("/units", area=self.w.east.grids[2].code))
        self.assertEqual(serving, ["900001-WATER", "900001001-CG", "900001001-PS"])
        self.assertEqual(
            unit_codes(api.get("/units", area=self.w.east.residential[0].code)),
            ["900001-WATER", "900001001-CG"],
        )
        self.assertEqual(unit_codes(api.get("/units", area=self.w.west.street.code)), [])  # not visible
        response = api.get("/units", kind="bakery")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["error"]["fields"], {"kind": "invalid_choice"})

    def test_detail_with_visible_jurisdiction_only(self) -> None:
        data = self.api().get(f"/units/{self.w.shared_unit.pk}").json()
        self.assertEqual((data["kind"], data["kind_label"], data["street"]), ("water", "供水公司", None))
        self.assertEqual(data["district"], {"code": self.w.district.code, "name": "测试区"})
        # The water company also serves the west street, which an east dispatcher may not see.
        self.assertEqual([a["code"] for a in data["jurisdiction"]], [self.w.east.street.code])
        police = self.api().get(f"/units/{self.police.pk}").json()
        # The contact phone is personal data: masked, as on the unit page.
        self.assertEqual(
            (police["phone"], police["street"]["code"]), ("021****0110", self.w.east.street.code)
        )
        self.assertNotIn("65550110", json.dumps(self.api().get("/units").json()))

    def test_detail_scope_matrix_and_token_scope(self) -> None:
        url = f"{BASE}/units/{self.w.east.unit.pk}"
        assert_matrix(
            TokenLogin(self.client),
            url,
            {Role.ADMIN: 200, Role.HANDLER: 200, Role.CADRE: 200, Role.RESIDENT: 404},
            self.w.east.users,
        )
        assert_matrix(
            TokenLogin(self.client),
            url,
            {Role.ADMIN: 404, Role.DISPATCHER: 404, Role.HANDLER: 404},
            self.w.west.users,
        )
        self.assertEqual(self.api().get("/units/0").status_code, 404)
        geo_only = tokens.issue(self.w.user("east", Role.ADMIN), scopes=["geo:read"]).key
        refused = ApiClient(self.client, key=geo_only).get("/units")
        self.assertEqual((refused.status_code, refused.json()["error"]["code"]), (403, "insufficient_scope"))

    def test_etag_follows_the_unit_and_its_jurisdiction(self) -> None:
        api = self.api()
        path = f"/units/{self.police.pk}"
        tag = api.get(path)["ETag"]
        self.assertEqual(api.get(path, headers={"If-None-Match": tag}).status_code, 304)
        self.police.jurisdiction.add(self.w.east.residential[0])  # no save(): only the mapping changed
        changed = api.get(path, headers={"If-None-Match": tag})
        self.assertEqual(changed.status_code, 200)
        self.assertEqual(len(changed.json()["jurisdiction"]), 2)
        tag = changed["ETag"]
        Unit.objects.get(pk=self.police.pk).save()
        self.assertEqual(api.get(path, headers={"If-None-Match": tag}).status_code, 200)

    def test_pagination_and_query_count(self) -> None:
        api = self.api()
        page = api.get("/units", page_size=3, page=2).json()
        self.assertEqual(
            (page["count"], page["page"], [r["code"] for r in page["results"]]), (4, 2, ["900001001-WY"])
        )
        self.assertEqual(api.get("/units", page=99).json()["results"], [])
        one, _ = api.count_queries("/units", page_size=1)
        for n in range(4):
            unit = Unit.objects.create(
                kind=UnitKind.HOUSING,
                code=f"900001001-FG{n}",
                name=f"房管办{n}",
                district=self.w.district,
                street=self.w.east.street,
            )
            unit.jurisdiction.add(*self.w.east.residential)
        many, response = api.count_queries("/units")
        self.assertEqual(len(response.json()["results"]), 8)
        self.assertEqual(many, one)
