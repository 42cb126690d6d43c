"""The dashboard's care panel counts overdue visits for readers of numbers only (a leader, a
dispatcher: residents.counts) — the households the street's keepers would list, never a name."""

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.dashboard.panels import PANELS
from civicgrid.residents.due import due_list, overdue_by_area
from civicgrid.testing.residents import build_registry

pytestmark = pytest.mark.django_db
LATER = date(2031, 6, 1)  # long after the test registry's tags began: every reason is overdue


@pytest.fixture
def registry(world: Any) -> Any:
    return build_registry(world.east)


def test_a_leader_counts_what_the_keepers_list_and_sees_no_name(world: Any, registry: Any) -> None:
    admin, leader = world.user("east", Role.ADMIN), world.user("east", Role.LEADER)
    listed = due_list(admin, overdue=True, within=None, day=LATER)
    assert listed and due_list(leader, overdue=True, within=None, day=LATER) == []
    counts = overdue_by_area(leader, day=LATER)
    assert sum(counts.values()) == len(listed)
    assert overdue_by_area(world.user("west", Role.LEADER), day=LATER) == {}
    assert overdue_by_area(leader, [world.west.street.pk], day=LATER) == {}
    assert overdue_by_area(world.user("east", Role.RESIDENT), day=LATER) == {}


def test_the_panel_links_the_list_only_for_those_who_may_read_it(world: Any, registry: Any) -> None:
    import time_machine

    with time_machine.travel(LATER, tick=False):
        leader_panel = PANELS["care"].compute(DashboardFilters({}, world.user("east", Role.LEADER)))
        admin_panel = PANELS["care"].compute(DashboardFilters({}, world.user("east", Role.ADMIN)))
        client = Client()
        client.force_login(world.user("east", Role.DISPATCHER))
        page = client.get(reverse("insights:panel", args=["care"]))
    assert leader_panel["count"] == admin_panel["count"] > 0
    assert leader_panel["url"] == "" and admin_panel["url"].endswith("?overdue=on")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"<strong>{leader_panel['count']}</strong>" in body
    for person in registry.persons.values():
        assert person.name not in body
