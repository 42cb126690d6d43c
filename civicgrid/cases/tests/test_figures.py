"""Every figure of cases.metrics and the list the case filter's `figure` parameter gives are
the same cases (cases.figures): on generated cases in every state, for each figure, the count
equals the filtered list — as the workbench page shows it, and for a group (a grid, a unit)."""

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from civicgrid.cases import metrics
from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.figures import FIGURES
from civicgrid.cases.filters import filter_cases
from civicgrid.cases.models import Case
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.insights.tests.data import populate
from civicgrid.testing.api import ApiClient
from civicgrid.testing.factories import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path)
    world = build_world()
    populate(world, per_street=30)
    return world


def _count_of(row: dict[str, Any], name: str) -> int:
    if name.startswith("status_"):
        return int(row["by_status"][name.removeprefix("status_")])
    if name.endswith("_missed"):
        rate = name.removesuffix("_missed")
        return int(row[f"{rate}_denominator"] - row[f"{rate}_numerator"])
    if name == "open":
        return sum(
            row["by_status"][s]
            for s in (
                "new",
                "filed",
                "dispatched",
                "in_progress",
                "handled",
                "verified",
                "returned",
                "reopened",
            )
        )
    return int(row[name])


def test_every_figure_of_the_summary_lists_exactly_its_cases(generated: Any) -> None:
    leader = generated.user("east", Role.LEADER)
    now = clock.now()
    with time_machine.travel(now, tick=False):
        total = metrics.summary(leader)
        cases = Case.objects.restrict(leader, "view")
        for name in FIGURES:
            if name in ("open", "overdue_open"):
                continue  # merged children excluded: checked against the status counts below
            listed = filter_cases(cases, {"figure": name}, user=leader).count()
            assert listed == _count_of(total, name), name
        open_listed = filter_cases(cases, {"figure": "open"}, user=leader)
        assert (
            open_listed.count()
            == cases.filter(
                master__isnull=True,
                status__in=[
                    "new",
                    "filed",
                    "dispatched",
                    "in_progress",
                    "handled",
                    "verified",
                    "returned",
                    "reopened",
                ],
            ).count()
        )
        assert filter_cases(cases, {"figure": "overdue_open"}, user=leader).count() == (
            open_listed.filter(is_overdue=True).count()
        )
        assert total["overdue"] > 0 and total["on_time_closure_denominator"] > 0


def test_a_groups_figures_list_their_cases_with_the_groups_own_parameter(generated: Any) -> None:
    leader = generated.user("east", Role.LEADER)
    now = clock.now()
    with time_machine.travel(now, tick=False):
        cases = Case.objects.restrict(leader, "view")
        for row in metrics.compute(leader, group_by="grid"):
            if row["key"] is None:
                continue
            for name in ("total", "overdue", "on_time_closure_numerator", "satisfaction_denominator"):
                listed = filter_cases(cases, {"grid": row["code"], "figure": name}, user=leader).count()
                assert listed == row[name], (row["code"], name)


def test_the_workbench_shows_the_figures_cases(generated: Any) -> None:
    desk = generated.user("east", Role.DISPATCHER)
    client = Client()
    client.force_login(desk)
    now = clock.now()
    with time_machine.travel(now, tick=False):
        expected = metrics.summary(desk)["overdue"]
        page = client.get(reverse("cases:workbench"), {"queue": "all", "figure": "overdue"})
    assert page.status_code == 200
    assert page.context["queues"][-1]["count"] == expected  # the "all" queue's count


def test_an_unknown_figure_is_an_error_naming_the_parameter(generated: Any) -> None:
    leader = generated.user("east", Role.LEADER)
    with pytest.raises(InvalidInput) as caught:
        filter_cases(Case.objects.restrict(leader, "view"), {"figure": "nope"}, user=leader)
    assert "figure" in caught.value.fields


def test_the_api_lists_a_figures_cases_and_refuses_an_unknown_one(generated: Any) -> None:
    desk = generated.user("east", Role.DISPATCHER)
    api = ApiClient(Client(), desk)
    expected = metrics.summary(desk)["overdue"]
    listed = api.get("/cases", figure="overdue")
    assert listed.status_code == 200
    assert listed.json()["count"] == expected
    wrong = api.get("/cases", figure="nope")
    assert wrong.status_code == 400
    assert "figure" in wrong.content.decode()
