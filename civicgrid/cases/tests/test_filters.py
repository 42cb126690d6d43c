"""One case filter (cases.filters.CaseFilterSet): for the same parameters the workbench page,
GET /api/v1/cases, the Excel export and the figures (cases.metrics and insights.metrics)
hold the same cases — the category branch at every depth, days at local midnight, the area
subtree, overdue, text."""

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicgrid.cases import jobs, metrics
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.errors import InvalidInput
from civicgrid.cases.filters import CaseFilterSet
from civicgrid.cases.models import Case, Category
from civicgrid.core.choices import Role
from civicgrid.core.models import Job
from civicgrid.insights import metrics as insights_metrics
from civicgrid.insights import rollups
from civicgrid.testing.api import ApiClient

from .factories import advance, duty, make_case

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def cases(world) -> dict[str, Any]:
    """Four east cases around local midnights, in branches of depth 2 to 4, and a west one."""
    duty(world)
    duty(world, "west")
    deep = Category.objects.create(
        code="E210501", name="夜间施工噪声", parent=Category.objects.get(code="E2105")
    )
    made = {
        "late": make_case(world, grid=0, received_at=local(2026, 3, 2, 23, 59, 59), description="楼道堆物"),
        "midnight": make_case(
            world,
            grid=1,
            received_at=local(2026, 3, 3),
            category=deep.code,
            channel="web",
            description="夜里施工",
        ),
        "noon": make_case(
            world, grid=2, received_at=local(2026, 3, 3, 12), category="E0101", request_type="report"
        ),
        "next": make_case(
            world, grid=3, received_at=local(2026, 3, 4), category="C0110", description="小区门口垃圾满溢"
        ),
        "west": make_case(world, street="west", received_at=local(2026, 3, 3, 9)),
    }
    made["late"] = advance(world, made["late"], CaseStatus.DISPATCHED)
    Case.objects.filter(pk=made["next"].pk).update(is_overdue=True)
    Case.objects.filter(pk=made["noon"].pk).update(lead_unit=world.shared_unit)
    return made


def combinations(world, c: dict[str, Any]) -> list[tuple[dict[str, Any], set[str]]]:
    everything = {"late", "midnight", "noon", "next"}
    return [
        ({}, everything),
        ({"category": "E"}, {"late", "midnight", "noon"}),  # depth 1: the root
        ({"category": "E21"}, {"late", "midnight"}),  # depth 2
        ({"category": "E2105"}, {"late", "midnight"}),  # depth 3
        ({"category": "E210501"}, {"midnight"}),  # depth 4
        ({"category": "C"}, {"next"}),
        ({"date_from": "2026-03-03"}, {"midnight", "noon", "next"}),  # 23:59:59 the day before: out
        ({"date_to": "2026-03-02"}, {"late"}),  # midnight belongs to the next day
        ({"date_from": "2026-03-03", "date_to": "2026-03-03"}, {"midnight", "noon"}),
        ({"date_to": "2026-03-03T00:00:00+08:00"}, {"late", "midnight", "noon"}),  # a time: its day
        ({"area": world.district.code}, everything),
        ({"area": world.east.street.code}, everything),
        ({"area": world.east.residential[0].code}, {"late", "midnight"}),  # its two grids
        ({"residential_area": world.east.residential[1].code}, {"noon", "next"}),
        ({"grid": world.east.grids[2].code}, {"noon"}),
        ({"overdue": "true"}, {"next"}),
        ({"overdue": "false"}, {"late", "midnight", "noon"}),
        ({"q": "垃圾满溢"}, {"next"}),
        ({"q": c["noon"].number}, {"noon"}),
        ({"status": "dispatched"}, {"late"}),
        ({"status": "new,dispatched"}, everything),
        ({"channel": "web"}, {"midnight"}),
        ({"request_type": "report"}, {"noon"}),
        ({"lead_unit": world.shared_unit.pk}, {"noon"}),
        (
            {"category": "E", "date_from": "2026-03-03", "area": world.east.residential[0].code},
            {"midnight"},
        ),
    ]


# What each user calls the period (the API list its own names; the others date_from/date_to).
API_NAMES = {"date_from": "received_from", "date_to": "received_to"}
FIGURE_ARGUMENTS = ("street", "date_from", "date_to", "category")


def workbench_numbers(client, params: dict[str, Any]) -> set[str]:
    response = client.get(reverse("cases:workbench"), {**params, "queue": "all"})
    assert response.status_code == 200
    assert not response.context["form"].errors, response.context["form"].errors
    return {case.number for case in response.context["page"]}


def api_numbers(api: ApiClient, params: dict[str, Any]) -> set[str]:
    response = api.get("/cases", page_size=200, **{API_NAMES.get(k, k): v for k, v in params.items()})
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


def export_numbers(user, params: dict[str, Any], capture) -> set[str]:
    with capture(execute=True):
        job = jobs.start_export(user, {**params, "queue": "all"})
    job = Job.objects.get(pk=job.pk)
    with job.result_file.open("rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read()), read_only=True).worksheets[0]
    return {row[0] for row in list(sheet.iter_rows(values_only=True))[1:]}


def figure_totals(user, params: dict[str, Any]) -> tuple[int, int]:
    """The total of cases.metrics and of insights.metrics: their own arguments for the street,
    the period and the category (the rollups can answer those), the rest as `filters`."""
    named = {k: v for k, v in params.items() if k in FIGURE_ARGUMENTS}
    rest = {k: v for k, v in params.items() if k not in FIGURE_ARGUMENTS}
    live = metrics.summary(user, **named, filters=rest)["total"]
    rolled = insights_metrics.summary(user, **named, filters=rest)["total"]
    return live, rolled


def test_every_list_holds_the_same_cases(world, cases, client, django_capture_on_commit_callbacks):
    dispatcher = world.user("east", Role.DISPATCHER)
    client.force_login(dispatcher)
    api = ApiClient(client, dispatcher)
    rollups.refresh(full=True)
    for params, expected in combinations(world, cases):
        wanted = {cases[key].number for key in expected}
        assert workbench_numbers(client, params) == wanted, params
        assert api_numbers(api, params) == wanted, params
        assert export_numbers(dispatcher, params, django_capture_on_commit_callbacks) == wanted, params
        assert figure_totals(dispatcher, params) == (len(wanted), len(wanted)), params


def test_the_branch_is_one_rule_at_any_depth(cases):
    codes = set(Category.objects.branch("E21").values_list("code", flat=True))
    assert {"E21", "E2105", "E210501"} <= codes and not any(c.startswith("E01") for c in codes)
    root = Category.objects.get(code="E")
    assert set(Category.objects.branch(root).values_list("pk", flat=True)) == set(
        Category.objects.branch(root.pk).values_list("pk", flat=True)
    )
    assert not Category.objects.branch("NOPE").exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "NOPE"}, "category"),
        ({"area": "000"}, "area"),
        ({"street": "900001002"}, "street"),  # another street's code: answered like an unknown one
        ({"residential_area": "nowhere"}, "residential_area"),
        ({"received_from": "2026-03-05", "received_to": "2026-03-01"}, "received_from"),
        ({"received_to": "2026-02-30"}, "received_to"),
        ({"urgency": "someday"}, "urgency"),
        ({"lead_unit": "x"}, "lead_unit"),
        ({"lead_unit": 10**30}, "lead_unit"),
    ],
)
def test_bad_values_are_400_naming_the_parameter(world, client, params, field):
    response = ApiClient(client, world.user("east", Role.DISPATCHER)).get("/cases", **params)
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_bad_values_are_form_errors_on_the_workbench(world, cases, client):
    client.force_login(world.user("east", Role.DISPATCHER))
    bad = {"queue": "all", "category": "NOPE", "date_from": "soon", "grid": "nowhere", "channel": "web"}
    response = client.get(reverse("cases:workbench"), bad)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"category", "date_from", "grid"}
    # The valid ones still filter.
    assert [c.number for c in response.context["page"]] == [cases["midnight"].number]


def test_the_figures_name_the_bad_parameter(world):
    dispatcher = world.user("east", Role.DISPATCHER)
    with pytest.raises(InvalidInput) as err:
        metrics.summary(dispatcher, date_from="2026-03-05", filters={"overdue": "perhaps"})
    assert err.value.fields == {"overdue": "invalid"}


def test_filter_set_keeps_the_names_a_client_sent(world):
    filters = CaseFilterSet(
        {"received_from": "2026-03-05", "received_to": "2026-03-01"}, Case.objects.all(), user=None
    )
    with pytest.raises(InvalidInput) as err:
        filters.checked()
    assert err.value.fields == {"received_from": "after_date_to"}


def test_api_list_query_count_does_not_grow(world, cases, client):
    api = ApiClient(client, world.user("east", Role.DISPATCHER))
    params = {"category": "E", "area": world.east.residential[0].code, "received_from": "2026-03-01"}
    few, response = api.count_queries("/cases", **params)
    assert response.json()["count"] == 2
    for i in range(6):
        make_case(world, grid=i % 2, received_at=local(2026, 3, 5, 9, i), category="E2105")
    many, response = api.count_queries("/cases", **params)
    assert response.json()["count"] == 8
    assert many == few
