"""A street code in a filter tells nothing about other streets (issue 11, point 5): another
street's code is answered exactly like a code that does not exist, on every list and figure
that takes one (the API's metrics, the rollup metrics, the case list, the workbench)."""

import pytest

from civicgrid.core.choices import Role
from civicgrid.testing.api import ApiClient

from .factories import make_case

pytestmark = pytest.mark.django_db

UNKNOWN = "999999999"
API_PATHS = ["/metrics", "/insights/metrics", "/cases"]


@pytest.mark.parametrize("path", API_PATHS)
def test_api_answers_another_streets_code_like_an_unknown_one(client, world, path):
    make_case(world, street="east")
    api = ApiClient(client, world.user("west", Role.ADMIN), scopes=("read",))
    east = world.east.street.code
    other, unknown = api.get(path, street=east), api.get(path, street=UNKNOWN)
    assert (other.status_code, unknown.status_code) == (400, 400)
    assert other.json()["error"] == {
        **unknown.json()["error"],
        "message": unknown.json()["error"]["message"].replace(UNKNOWN, east),
    }
    assert other.json()["error"]["fields"] == {"street": "unknown"}
    assert api.get(path, street=world.west.street.code).status_code == 200


def test_a_handler_names_the_streets_of_the_cases_it_sees(client, world):
    """A district-level unit has no areas of its own, but its cases' streets are known to it."""
    from civicgrid.accounts.models import Membership
    from civicgrid.cases import actions
    from civicgrid.testing.factories import UserFactory

    case = make_case(world, street="east")
    desk = world.user("east", Role.DISPATCHER)
    actions.run_action(case.pk, "file", desk, {})
    actions.run_action(case.pk, "dispatch", desk, {"lead_unit": world.shared_unit.pk})
    water = UserFactory(username="water-handler", role=Role.HANDLER)
    Membership.objects.create(user=water, unit=world.shared_unit)
    api = ApiClient(client, water, scopes=("read",))
    listed = api.get("/cases", street=world.east.street.code)
    assert listed.status_code == 200 and [c["number"] for c in listed.json()["results"]] == [case.number]
    assert api.get("/cases", street=world.west.street.code).status_code == 400


def test_workbench_answers_another_streets_code_like_an_unknown_one(client, world):
    client.force_login(world.user("west", Role.DISPATCHER))
    east = world.east.street.code
    other = client.get("/cases/", {"street": east}).context["form"].errors
    unknown = client.get("/cases/", {"street": UNKNOWN}).context["form"].errors
    assert other and {k: [m.replace(east, UNKNOWN) for m in v] for k, v in other.items()} == unknown
