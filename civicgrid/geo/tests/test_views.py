"""Area, building, layer-grid and search pages: scope (404 outside), content, maps, query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.geo.choices import GridLayerKind
from civicgrid.geo.models import Building, GridLayer
from civicgrid.testing.factories import box
from civicgrid.testing.permissions import assert_matrix

pytestmark = pytest.mark.django_db

STAFF = [Role.ADMIN, Role.DISPATCHER, Role.LEADER, Role.HANDLER]


def area_url(area):
    return reverse("geo:area", args=[area.code])


def test_area_url_is_the_models_absolute_url(world):
    assert world.east.grids[0].get_absolute_url() == area_url(world.east.grids[0])


def test_east_staff_see_east_grid_and_resident_gets_404(client, world):
    grid = world.east.grids[0]  # under the cadre's residential area and the grid worker's own grid
    expected = dict.fromkeys([*STAFF, Role.CADRE, Role.GRID_WORKER], 200) | {Role.RESIDENT: 404}

    def shows_grid(response, role):
        if response.status_code == 200:
            assert grid.name in response.content.decode(), role

    assert_matrix(client, area_url(grid), expected, world.east.users, check=shows_grid)


def test_east_users_get_404_for_every_west_area(client, world):
    for area in [world.west.street, world.west.residential[0], world.west.grids[0]]:
        assert_matrix(client, area_url(area), dict.fromkeys(Role.values, 404), world.east.users)


def test_cadre_sees_own_residential_area_only(client, world):
    users = world.east.users
    assert_matrix(client, area_url(world.east.residential[0]), {Role.CADRE: 200}, users)
    assert_matrix(client, area_url(world.east.residential[1]), {Role.CADRE: 404}, users)
    assert_matrix(client, area_url(world.east.grids[2]), {Role.CADRE: 404, Role.GRID_WORKER: 404}, users)


def test_anonymous_is_sent_to_login(client, world):
    for url in [
        area_url(world.east.street),
        reverse("geo:area_list"),
        reverse("geo:building_search"),
        reverse("geo:area_geojson", args=[world.east.street.code]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_area_page_shows_tree_units_history_and_map(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(area_url(world.east.street))
    html = response.content.decode()
    assert response.status_code == 200
    assert world.district.name in html  # breadcrumb: the district is readable for navigation
    for ra in world.east.residential:
        assert ra.get_absolute_url() in html
    assert world.west.street.name not in html
    assert world.east.unit.name in html  # jurisdiction over the street
    assert reverse("core:object_history", args=["geo", "area", world.east.street.pk]) in html
    assert f'data-geojson-url="{reverse("geo:area_geojson", args=[world.east.street.code])}"' in html
    assert "data-tile-url" not in html  # offline by default


def test_cadre_breadcrumbs_and_children_stay_inside_scope(client, world):
    client.force_login(world.user("east", Role.CADRE))
    html = client.get(area_url(world.east.street)).content.decode()
    assert world.east.residential[0].get_absolute_url() in html
    assert world.east.residential[1].get_absolute_url() not in html


def test_grid_page_lists_buildings_and_mapped_layers(client, world):
    grid = world.east.grids[0]
    layer = GridLayer.objects.create(
        layer=GridLayerKind.POLICE,
        code="P-E1",
        name="东警务网格",
        street=world.east.street,
        geometry=grid.geometry,
    )
    layer.comprehensive_grids.add(grid)
    client.force_login(world.user("east", Role.GRID_WORKER))
    html = client.get(area_url(grid)).content.decode()
    assert world.east.buildings[0].normalized_address in html
    assert world.east.buildings[1].normalized_address not in html  # another grid
    assert layer.get_absolute_url() in html


@override_settings(CIVICGRID_MAP_TILE_URL="/tiles/{z}/{x}/{y}.png", CIVICGRID_MAP_TILE_ATTRIBUTION="测试底图")
def test_tile_layer_only_when_configured(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(area_url(world.east.street)).content.decode()
    assert 'data-tile-url="/tiles/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="测试底图"' in html


def test_pages_load_no_third_party_assets(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(area_url(world.east.grids[0])).content.decode()
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert (
        'src="http' not in html
        and 'href="http' not in html
        and "//" not in html.split("<body")[0].replace("<!DOCTYPE html>", "").replace("http-equiv", "")
    )


def test_geojson_has_only_in_scope_features(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("geo:area_geojson", args=[world.district.code]))
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    codes = {f["properties"]["code"]: f["properties"]["role"] for f in data["features"]}
    assert codes == {world.district.code: "self", world.east.street.code: "child"}
    assert all(f["geometry"]["type"] == "Polygon" for f in data["features"])

    data = client.get(reverse("geo:area_geojson", args=[world.east.street.code])).json()
    assert {f["properties"]["code"] for f in data["features"]} == {
        world.east.street.code,
        *(ra.code for ra in world.east.residential),
    }
    assert client.get(reverse("geo:area_geojson", args=[world.west.street.code])).status_code == 404


def test_geojson_of_street_for_cadre_has_only_own_residential_area(client, world):
    client.force_login(world.user("east", Role.CADRE))
    data = client.get(reverse("geo:area_geojson", args=[world.east.street.code])).json()
    children = {f["properties"]["code"] for f in data["features"] if f["properties"]["role"] == "child"}
    assert children == {world.east.residential[0].code}


def test_grid_geojson_includes_its_buildings_as_points(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    data = client.get(reverse("geo:area_geojson", args=[world.east.grids[0].code])).json()
    points = [f for f in data["features"] if f["geometry"]["type"] == "Point"]
    assert [p["properties"]["name"] for p in points] == [str(world.east.buildings[0])]


def test_area_list_shows_the_users_top_areas(client, world):
    url = reverse("geo:area_list")
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(url).content.decode()
    assert world.east.street.get_absolute_url() in html and world.west.street.name not in html
    client.force_login(world.user("east", Role.CADRE))
    html = client.get(url).content.decode()
    assert world.east.residential[0].get_absolute_url() in html
    assert world.east.street.get_absolute_url() not in html
    assert_matrix(client, url, {Role.RESIDENT: 404}, world.east.users)


def test_building_page_scope(client, world):
    url = world.east.buildings[0].get_absolute_url()
    assert url == reverse("geo:building", args=[world.east.buildings[0].pk])
    assert_matrix(client, url, dict.fromkeys(STAFF, 200) | {Role.RESIDENT: 404}, world.east.users)
    assert_matrix(client, url, dict.fromkeys(Role.values, 404), world.west.users)
    client.force_login(world.user("east", Role.DISPATCHER))
    html = client.get(url).content.decode()
    assert f'data-marker-lon="{world.east.buildings[0].lon}"' in html
    assert world.east.grids[0].get_absolute_url() in html


def test_building_search_normalises_input(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("geo:building_search"), {"q": "东路 1 1号"})
    html = response.content.decode()
    assert response.status_code == 200
    assert world.east.buildings[0].get_absolute_url() in html  # 东路11号
    assert world.east.buildings[1].get_absolute_url() not in html  # 东路12号
    response = client.get(reverse("geo:building_search"), {"q": "东路１１号"})  # full-width digits
    assert world.east.buildings[0].get_absolute_url() in response.content.decode()


def test_building_search_never_returns_other_streets(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    for q in ["路11号", "西路11号", ""]:
        html = client.get(reverse("geo:building_search"), {"q": q}).content.decode()
        for building in world.west.buildings:
            assert building.get_absolute_url() not in html, q
    html = client.get(reverse("geo:building_search"), {"q": "路 11 号"}).content.decode()
    assert world.east.buildings[0].get_absolute_url() in html
    assert_matrix(client, reverse("geo:building_search"), {Role.RESIDENT: 404}, world.east.users)


def test_building_search_htmx_returns_only_the_results(client, world):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.get(reverse("geo:building_search"), {"q": "东路11"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "<table" in html
    assert world.east.buildings[0].get_absolute_url() in html
    full = client.get(reverse("geo:building_search"), {"q": "东路11"}).content.decode()
    assert "<html" in full and 'hx-get="/geo/buildings/"' in full


def _add_buildings(grid, count, start):
    x0, y0 = grid.geometry["coordinates"][0][0]
    for i in range(count):
        Building.objects.create(
            address=f"东路{start + i}号", lon=x0 + 0.001 + 0.0004 * i, lat=y0 + 0.002, floors=6, households=24
        )


def _count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_building_search_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.user("east", Role.DISPATCHER))
    url = reverse("geo:building_search")
    baseline = _count_queries(client, url, {"q": "东路"})
    _add_buildings(world.east.grids[0], 15, 500)
    with django_assert_max_num_queries(baseline):
        response = client.get(url, {"q": "东路"})
    assert response.content.decode().count("/geo/buildings/") >= 15


def test_area_page_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    client.force_login(world.user("east", Role.DISPATCHER))
    grid = world.east.grids[0]
    baseline = _count_queries(client, area_url(grid))
    _add_buildings(grid, 15, 600)
    for i in range(3):
        layer = GridLayer.objects.create(
            layer=GridLayerKind.URBAN,
            code=f"U-{i}",
            name=f"城管网格{i}",
            street=world.east.street,
            geometry=box(121.05, 31.20, 121.06, 31.21),
        )
        layer.comprehensive_grids.add(grid)
        world.east.unit.__class__.objects.create(
            kind="police",
            code=f"PS-{i}",
            name=f"派出所{i}",
            district=world.district,
            street=world.east.street,
        ).jurisdiction.add(grid)
    with django_assert_max_num_queries(baseline):
        response = client.get(area_url(grid))
    assert "派出所2" in response.content.decode() and "城管网格2" in response.content.decode()


def test_layer_grid_page_scope(client, world):
    layer = GridLayer.objects.create(
        layer=GridLayerKind.PARTY,
        code="D-1",
        name="东党建网格",
        street=world.east.street,
        geometry=world.east.street.geometry,
    )
    layer.comprehensive_grids.add(*world.east.grids)
    url = reverse("geo:layer_grid", args=[layer.pk])
    assert_matrix(client, url, {Role.DISPATCHER: 200, Role.RESIDENT: 404}, world.east.users)
    assert_matrix(client, url, {Role.DISPATCHER: 404, Role.ADMIN: 404}, world.west.users)
    client.force_login(world.user("east", Role.GRID_WORKER))
    html = client.get(url).content.decode()
    assert world.east.grids[0].get_absolute_url() in html
    assert world.east.grids[1].get_absolute_url() not in html  # outside the grid worker's grid


def test_locate_returns_only_visible_places(client, world):
    url = reverse("geo:locate")
    client.force_login(world.user("east", Role.DISPATCHER))
    data = client.get(url, {"lon": 121.055, "lat": 31.205}).json()
    assert data["grid"]["code"] == world.east.grids[0].code
    assert data["street"]["code"] == world.east.street.code
    data = client.get(url, {"lon": 121.015, "lat": 31.205}).json()  # a west grid
    assert data["grid"] is None and data["street"] is None
    assert client.get(url, {"lon": "x"}).status_code == 400
    assert_matrix(client, url, {Role.RESIDENT: 404}, world.east.users, data={"lon": 121.055, "lat": 31.205})
