"""/api/v1/ areas, buildings and layer grids: filters, scope (404 / absent outside), the
`geo` token scope, pagination, ETag / 304, query counts."""

from typing import Any

from django.test import TestCase

from civicgrid.accounts import tokens
from civicgrid.core.choices import Role
from civicgrid.geo.choices import GridLayerKind
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.testing.api import BASE, ApiClient, TokenLogin
from civicgrid.testing.factories import box, build_world
from civicgrid.testing.permissions import assert_matrix


def codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["code"] for row in response.json()["results"]}


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code and error["message"], error
    if field is not None:
        assert field in error["fields"], error
    return error


class GeoApiTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        east = cls.w.east
        # Three layer grids in the east street (each over two comprehensive grids), one in the west.
        cls.layers = [
            GridLayer.objects.create(
                layer=GridLayerKind.POLICE if i < 2 else GridLayerKind.URBAN,
                code=f"L-E{i}",
                name=f"东警务网格{i}",
                street=east.street,
                geometry=box(121.05, 31.20, 121.06, 31.22),
            )
            for i in range(3)
        ]
        for layer in cls.layers:
            layer.comprehensive_grids.set(east.grids[:2])
        cls.west_layer = GridLayer.objects.create(
            layer=GridLayerKind.POLICE,
            code="L-W0",
            name="西警务网格",
            street=cls.w.west.street,
            geometry=box(121.01, 31.20, 121.02, 31.22),
        )
        cls.west_layer.comprehensive_grids.set(cls.w.west.grids[:1])

    def api(self, street: str = "east", role: str = Role.DISPATCHER) -> ApiClient:
        return ApiClient(self.client, self.w.user(street, role), scopes=("read",))

    # ------------------------------------------------------------------------ areas

    def test_area_list_is_the_callers_scope(self) -> None:
        east, west = self.w.east, self.w.west
        east_codes = {a.code for a in [east.street, *east.residential, *east.grids]}
        # The district above stays readable for navigation; nothing of the west street shows.
        self.assertEqual(codes(self.api().get("/areas")), east_codes | {self.w.district.code})
        cadre = codes(self.api(role=Role.CADRE).get("/areas"))
        self.assertIn(east.residential[0].code, cadre)
        self.assertNotIn(east.residential[1].code, cadre)
        self.assertEqual(cadre & {g.code for g in east.grids}, {g.code for g in east.grids[:2]})
        self.assertFalse(cadre & {a.code for a in [*west.residential, *west.grids, west.street]})
        assert_error(self.api(role=Role.RESIDENT).get("/areas/" + east.grids[0].code), 404, "not_found")
        self.assertEqual(self.api(role=Role.RESIDENT).get("/areas").json()["count"], 0)

    def test_area_filters(self) -> None:
        east = self.w.east
        api = self.api()
        self.assertEqual(codes(api.get("/areas", kind="grid")), {g.code for g in east.grids})
        self.assertEqual(
            codes(api.get("/areas", parent=east.residential[0].code)), {g.code for g in east.grids[:2]}
        )
        self.assertEqual(codes(api.get("/areas", street=self.w.west.street.code)), set())
        self.assertEqual(
            codes(api.get("/areas", street=east.street.code, kind="residential")),
            {r.code for r in east.residential},
        )
        self.assertEqual(codes(api.get("/areas", q="东2居民区2号")), {east.grids[3].code})
        self.assertEqual(codes(api.get("/areas", q=east.grids[1].code)), {east.grids[1].code})
        assert_error(api.get("/areas", kind="county"), 400, "invalid", "kind")

    def test_area_detail_with_optional_geometry(self) -> None:
        grid = self.w.east.grids[1]
        api = self.api()
        data = api.get(f"/areas/{grid.code}").json()
        self.assertEqual(
            {k: data[k] for k in ("code", "name", "kind", "kind_label", "geometry")},
            {"code": grid.code, "name": grid.name, "kind": "grid", "kind_label": "网格", "geometry": None},
        )
        self.assertEqual(data["parent"], {"code": self.w.east.residential[0].code, "name": "东1居民区"})
        self.assertEqual(data["street"], {"code": self.w.east.street.code, "name": "东"})
        self.assertEqual(
            data["path"], [self.w.district.code, self.w.east.street.code, grid.parent.code, grid.code]
        )
        self.assertTrue(data["updated_at"].endswith("+08:00"))
        with_shape = api.get(f"/areas/{grid.code}", geometry="true").json()
        self.assertEqual(with_shape["geometry"], grid.geometry)
        listed = api.get("/areas", kind="grid", geometry="true").json()["results"]
        self.assertTrue(all(row["geometry"]["type"] == "Polygon" for row in listed))

    def test_area_detail_scope_matrix(self) -> None:
        url = f"{BASE}/areas/{self.w.east.residential[1].code}"
        readers = dict.fromkeys([Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.HANDLER], 200)
        narrow = {Role.CADRE: 404, Role.GRID_WORKER: 404, Role.RESIDENT: 404}
        assert_matrix(TokenLogin(self.client), url, readers | narrow, self.w.east.users)
        assert_matrix(TokenLogin(self.client), url, dict.fromkeys(Role.values, 404), self.w.west.users)
        assert_error(self.api().get("/areas/NOPE"), 404, "not_found")

    def test_a_token_without_the_geo_scope_is_refused(self) -> None:
        key = tokens.issue(self.w.user("east", Role.DISPATCHER), scopes=["cases:read"]).key
        only_cases = ApiClient(self.client, key=key)
        assert_error(only_cases.get("/areas"), 403, "insufficient_scope")
        geo = ApiClient(
            self.client, key=tokens.issue(self.w.user("east", Role.DISPATCHER), scopes=["geo:read"]).key
        )
        self.assertEqual(geo.get("/buildings").status_code, 200)
        assert_error(geo.get("/units"), 403, "insufficient_scope")

    # ------------------------------------------------------------------------ ETag

    def test_area_etag_and_if_none_match(self) -> None:
        area = self.w.east.residential[0]
        api = self.api()
        first = api.get(f"/areas/{area.code}")
        tag = first["ETag"]
        self.assertTrue(tag.startswith('"') and tag.endswith('"'))
        self.assertIn("no-cache", first["Cache-Control"])
        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = api.get(f"/areas/{area.code}", headers={"If-None-Match": header})
            self.assertEqual(again.status_code, 304, header)
            self.assertEqual(again.content, b"")
            self.assertEqual(again["ETag"], tag)
        self.assertEqual(
            api.get(f"/areas/{area.code}", headers={"If-None-Match": '"stale"'}).status_code, 200
        )
        # Another body, another tag: with geometry, or after the area (or its parent) changed.
        self.assertNotEqual(api.get(f"/areas/{area.code}", geometry="true")["ETag"], tag)
        Area.objects.get(pk=area.street_id).save()
        changed = api.get(f"/areas/{area.code}", headers={"If-None-Match": tag})
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed["ETag"], tag)

    def test_building_and_layer_etags(self) -> None:
        api = self.api()
        building = self.w.east.buildings[0]
        tag = api.get(f"/buildings/{building.pk}")["ETag"]
        self.assertEqual(
            api.get(f"/buildings/{building.pk}", headers={"If-None-Match": tag}).status_code, 304
        )
        building.households = 120
        building.save()
        self.assertEqual(
            api.get(f"/buildings/{building.pk}", headers={"If-None-Match": tag}).status_code, 200
        )
        layer = self.layers[0]
        tag = api.get(f"/layers/{layer.pk}")["ETag"]
        self.assertEqual(api.get(f"/layers/{layer.pk}", headers={"If-None-Match": tag}).status_code, 304)
        layer.comprehensive_grids.remove(self.w.east.grids[1])  # the mapping is part of the body
        self.assertEqual(api.get(f"/layers/{layer.pk}", headers={"If-None-Match": tag}).status_code, 200)

    # ------------------------------------------------------------------------ buildings

    def test_building_filters_and_address_search(self) -> None:
        east = self.w.east
        api = self.api()

        def addresses(**params: Any) -> set[str]:
            response = api.get("/buildings", **params)
            assert response.status_code == 200, response.content
            return {row["normalized_address"] for row in response.json()["results"]}

        everything = {b.normalized_address for b in east.buildings}
        self.assertEqual(addresses(), everything)
        self.assertEqual(addresses(area=self.w.district.code), everything)
        self.assertEqual(addresses(area=east.street.code), everything)
        self.assertEqual(addresses(area=east.residential[1].code), {"东路21号", "东路22号"})
        self.assertEqual(addresses(area=east.grids[0].code), {"东路11号"})
        self.assertEqual(addresses(area=self.w.west.street.code), set())  # not the caller's
        self.assertEqual(addresses(area="NOPE"), set())
        # The search of the buildings page: spaces and full-width digits do not matter.
        self.assertEqual(addresses(q="东路 1 2 号"), {"东路12号"})
        self.assertEqual(addresses(q="东路２１"), {"东路21号"})

    def test_building_detail_and_scope(self) -> None:
        building = self.w.east.buildings[3]
        data = self.api().get(f"/buildings/{building.pk}").json()
        self.assertEqual(data["address"], "东路22号")
        self.assertEqual(data["grid"], {"code": self.w.east.grids[3].code, "name": self.w.east.grids[3].name})
        self.assertEqual(data["street"]["code"], self.w.east.street.code)
        self.assertEqual((data["lon"], data["lat"]), (building.lon, building.lat))
        url = f"{BASE}/buildings/{building.pk}"
        assert_matrix(
            TokenLogin(self.client), url, {Role.GRID_WORKER: 404, Role.DISPATCHER: 200}, self.w.east.users
        )
        assert_matrix(
            TokenLogin(self.client), url, {Role.DISPATCHER: 404, Role.ADMIN: 404}, self.w.west.users
        )
        assert_error(self.api().get("/buildings/99999999"), 404, "not_found")
        assert_error(self.api().get("/buildings/" + "9" * 25), 404, "not_found")  # beyond any id
        assert_error(self.api().get("/buildings/abc"), 400, "invalid", "building_id")

    # ------------------------------------------------------------------------ layer grids

    def test_layer_list_filters_and_detail(self) -> None:
        east = self.w.east
        api = self.api()
        self.assertEqual(codes(api.get("/layers")), {"L-E0", "L-E1", "L-E2"})
        self.assertEqual(codes(api.get("/layers", layer="urban")), {"L-E2"})
        self.assertEqual(codes(api.get("/layers", grid=east.grids[1].code)), {"L-E0", "L-E1", "L-E2"})
        self.assertEqual(codes(api.get("/layers", grid=east.grids[2].code)), set())
        self.assertEqual(codes(api.get("/layers", q="E1")), {"L-E1"})
        data = api.get(f"/layers/{self.layers[2].pk}").json()
        self.assertEqual((data["layer"], data["layer_label"]), ("urban", "城管网格"))
        self.assertEqual([g["code"] for g in data["comprehensive_grids"]], [g.code for g in east.grids[:2]])
        self.assertIsNone(data["geometry"])
        self.assertEqual(
            api.get(f"/layers/{self.layers[2].pk}", geometry="true").json()["geometry"],
            self.layers[2].geometry,
        )
        assert_error(api.get(f"/layers/{self.west_layer.pk}"), 404, "not_found")
        self.assertEqual(codes(self.api("west").get("/layers")), {"L-W0"})

    # ------------------------------------------------------------------------ pagination and queries

    def test_pagination_edges(self) -> None:
        api = self.api()
        first = api.get("/areas", page_size=3).json()
        self.assertEqual(
            (first["count"], first["page"], first["page_size"], len(first["results"])), (8, 1, 3, 3)
        )
        last = api.get("/areas", page_size=3, page=3).json()
        self.assertEqual(len(last["results"]), 2)
        everything = [
            r["code"] for p in (1, 2, 3) for r in api.get("/areas", page_size=3, page=p).json()["results"]
        ]
        self.assertEqual(everything, sorted(everything))  # by code, each once
        self.assertEqual(len(set(everything)), 8)
        beyond = api.get("/areas", page_size=3, page=40).json()
        self.assertEqual((beyond["count"], beyond["results"]), (8, []))
        error = assert_error(api.get("/buildings", page=10**30), 400, "invalid", "page")
        self.assertEqual(error["fields"]["page"], "too_large")
        self.assertIn("10000", error["message"])
        self.assertEqual(
            assert_error(api.get("/layers", page_size=201), 400, "invalid", "page_size")["fields"][
                "page_size"
            ],
            "too_large",
        )
        assert_error(api.get("/areas", page=0), 400, "invalid", "page")
        assert_error(api.get("/areas", page_size="many"), 400, "invalid", "page_size")

    def test_list_query_counts_do_not_grow_with_rows(self) -> None:
        api = self.api()
        for path, params in [
            ("/areas", {}),
            ("/areas", {"geometry": "true"}),
            ("/buildings", {}),
            ("/layers", {}),
        ]:
            one, small = api.count_queries(path, page_size=1, **params)
            many, full = api.count_queries(path, **params)
            self.assertEqual(len(small.json()["results"]), 1)
            self.assertGreater(len(full.json()["results"]), 2, path)
            self.assertEqual(many, one, path)
        # More buildings, same count.
        before, _ = api.count_queries("/buildings")
        for n in range(5):
            Building.objects.create(address=f"东路新{n}号", lon=121.055, lat=31.205 + n * 0.001)
        after, response = api.count_queries("/buildings")
        self.assertEqual(response.json()["count"], 9)
        self.assertEqual(after, before)
