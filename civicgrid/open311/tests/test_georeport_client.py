"""A real Open311 client (the PyPI package `georeport`) against a running server: the service
list, a definition and the requests in JSON and XML; then a POST (georeport cannot create
requests, so plain `requests`) lands in the dispatcher's 待受理 queue."""

import pytest
import requests
from georeport import GeoReport

from civicgrid.accounts import tokens
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.cases.workbench import queue_cases


@pytest.fixture
def server(live_server, world):
    duty(world)
    cases = [make_case(world), make_case(world, grid=1, description="夜间施工噪声")]
    return live_server.url + "/open311/v2", world, cases


def test_georeport_client_reads_both_formats(server):
    base, world, cases = server
    east = world.east.street.code
    numbers = {c.number for c in cases}
    for fmt in ("json", "xml"):
        client = GeoReport(base, jurisdiction=east, output_format=fmt)
        services = client.get_service_list()
        garbage = next(s for s in services if s["service_code"] == "E0102")
        assert garbage["service_name"] == "暴露垃圾"
        assert str(garbage["metadata"]).lower() == "true"  # xmltodict keeps text
        definition = client.get_service_definition("E0102")
        assert definition["service_code"] == "E0102"
        listed = client.get_service_requests(status="open")
        assert {r["service_request_id"] for r in listed} == numbers
        one = client.get_service_request(cases[0].number)
        assert one["service_request_id"] == cases[0].number and one["status"] == "open"
        assert one["service_code"] == "E2105"
    # A wrong jurisdiction is an HTTP error the client raises.
    with pytest.raises(requests.HTTPError) as raised:
        GeoReport(base, jurisdiction="nowhere").get_service_list()
    assert raised.value.response.status_code == 404
    assert raised.value.response.json()[0]["code"] == 404


def test_a_post_reaches_the_dispatchers_new_queue(server):
    base, world, _cases = server
    key = tokens.issue(world.user("east", "resident"), scopes=["open311:write"]).key
    point = world.east.grids[3].shape.centroid
    response = requests.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": world.east.street.code,
            "service_code": "E0102",
            "lat": point.y,
            "long": point.x,
            "description": "小区门口垃圾堆积",
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    [created] = response.json()
    queue = queue_cases(world.user("east", "dispatcher"), {"queue": "new"})
    assert created["service_request_id"] in set(queue.values_list("number", flat=True))
    # The token of the answer resolves through the client's plain GET as well.
    resolved = requests.get(
        f"{base}/tokens/{created['token']}.json",
        params={"jurisdiction_id": world.east.street.code},
        timeout=30,
    )
    assert resolved.json() == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
