"""Weekly and monthly reports: the period arithmetic, the PDF's text (street, rates, a category,
a unit, a plan) and its chart, one row per street, kind and period however often it is made,
the schedule's job (one report per street, a street without a leader skipped), the download's
name and scope (pages and API), and the dashboard's Excel export (its rows are the dashboard's
rankings and its overdue list)."""

import io
import re
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from matplotlib import font_manager
from openpyxl import load_workbook
from pypdf import PdfReader

from civicgrid.accounts.tokens import issue
from civicgrid.cases.models import Case
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.insights import charts, metrics, reports, rollups
from civicgrid.insights.choices import HotspotKind, PlanStatus, ReportKind
from civicgrid.insights.dashboard.filters import DashboardFilters
from civicgrid.insights.models import GovernancePlan, Report
from civicgrid.insights.report_jobs import DASHBOARD_EXPORT, ranking_rows, scheduled_reports

from .data import populate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=SH)  # a Wednesday
WEEK = (date(2026, 3, 2), date(2026, 3, 8))


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        (ReportKind.WEEKLY, date(2026, 3, 11), WEEK),  # mid-week: the week before
        (ReportKind.WEEKLY, date(2026, 3, 9), WEEK),  # Monday (the schedule's day)
        (ReportKind.WEEKLY, date(2026, 3, 8), (date(2026, 2, 23), date(2026, 3, 1))),  # Sunday
        (ReportKind.WEEKLY, date(2026, 1, 1), (date(2025, 12, 22), date(2025, 12, 28))),  # across a year
        (ReportKind.MONTHLY, date(2026, 3, 1), (date(2026, 2, 1), date(2026, 2, 28))),
        (ReportKind.MONTHLY, date(2024, 3, 31), (date(2024, 2, 1), date(2024, 2, 29))),  # leap year
        (ReportKind.MONTHLY, date(2026, 1, 15), (date(2025, 12, 1), date(2025, 12, 31))),
    ],
)
def test_report_period(kind, day, expected):
    assert reports.report_period(kind, day) == expected


def test_unknown_kind():
    with pytest.raises(ValueError):
        reports.report_period("daily", date(2026, 3, 11))


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def generated(world, media, now):
    populate(world, per_street=20, now=now - timedelta(hours=1))
    rollups.refresh()
    plan = GovernancePlan.objects.create(
        street=world.east.street,
        title="东路11号楼道堆物治理",
        hotspot_kind=HotspotKind.BUILDING,
        hotspot_label="东路11号",
        hotspot_params={"street": world.east.street.code, "building": str(world.east.buildings[0].pk)},
        owner_unit=world.east.unit,
        measures="清理楼道，张贴告示",
        deadline=date(2026, 3, 5),
        started_on=date(2026, 2, 20),
    )
    return world, plan


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).replace(" ", "")


def test_pdf_holds_the_figures_and_the_chart(generated):
    world, plan = generated
    east = world.east.street
    leader = world.user("east", Role.LEADER)
    report = reports.generate(east, ReportKind.WEEKLY, date(2026, 3, 11))
    assert report is not None
    assert (report.period_start, report.period_end) == WEEK
    data = report.file.read()
    assert report.size == len(data) and data.startswith(b"%PDF")
    text = text_of(data)
    context = reports.report_context(leader, east, *WEEK, ReportKind.WEEKLY)
    top_category = context["categories"][0]["name"]
    assert context["current"]["total"] > 0
    expected = [
        east.name,
        "城运工作周报",
        "2026-03-02",
        "2026-03-08",
        top_category.replace(" ", ""),
        plan.title,
        "已超时限",  # the plan's deadline passed inside the period
        *[r["current_text"] for r in context["rates"] if r["current"] is not None],
    ]
    if context["rankings"][0][1]:
        expected.append(context["rankings"][0][1][0]["name"])
    for piece in expected:
        assert piece in text, piece
    assert world.east.unit.name in text  # the unit ranking
    assert world.west.street.name + "1居民区" not in text  # nothing of the other street
    # The charts are drawn as vector paths with their labels as text: the legend of the
    # rates chart names both periods.
    assert "03-02–03-08" in text and "02-23–03-01" in text
    contents = b"".join(p.get_contents().get_data() for p in PdfReader(io.BytesIO(data)).pages)
    assert contents.count(b" l\n") + contents.count(b" l ") > 50  # line segments of bars and axes


def test_generating_again_replaces_the_file(generated, media):
    world, _plan = generated
    east = world.east.street
    first = reports.generate(east, ReportKind.MONTHLY, date(2026, 3, 11))
    old = first.file.name
    assert (first.period_start, first.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        second = reports.generate(east, ReportKind.MONTHLY, date(2026, 3, 20))
    assert second.pk == first.pk
    assert Report.objects.filter(street=east, kind=ReportKind.MONTHLY).count() == 1
    second.refresh_from_db()
    assert second.generated_at == NOW + timedelta(hours=1)
    assert second.file.name != old
    assert second.file.storage.exists(second.file.name)


def test_old_file_deleted_on_commit(generated, django_capture_on_commit_callbacks):
    world, _plan = generated
    east = world.east.street
    first = reports.generate(east, ReportKind.WEEKLY, date(2026, 3, 11))
    old = first.file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = reports.generate(east, ReportKind.WEEKLY, date(2026, 3, 11))
    assert not second.file.storage.exists(old)


def test_the_schedule_makes_one_report_per_street(generated, job_progress):
    world, _plan = generated
    job = scheduled_reports(ReportKind.WEEKLY)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.created_by is None
    made = Report.objects.filter(kind=ReportKind.WEEKLY, period_start=WEEK[0])
    assert sorted(made.values_list("street_id", flat=True)) == sorted(
        [world.east.street.pk, world.west.street.pk]
    )
    assert job_progress[-1] == (2, 2)
    # Once more: still one per street.
    scheduled_reports(ReportKind.WEEKLY)
    assert made.count() == 2


def test_a_street_without_leader_or_admin_is_skipped(generated, caplog):
    world, _plan = generated
    for role in (Role.LEADER, Role.ADMIN):
        user = world.user("west", role)
        user.is_active = False
        user.save()
    job = scheduled_reports(ReportKind.MONTHLY)
    assert job.status == JobStatus.SUCCEEDED
    assert list(Report.objects.values_list("street_id", flat=True)) == [world.east.street.pk]
    assert any(world.west.street.name in str(value) for _label, value in job.result["summary"])
    assert "no active leader or admin" in caplog.text


def test_an_admin_reads_when_there_is_no_leader(world):
    leader = world.user("east", Role.LEADER)
    assert reports.reader_of(world.east.street) == leader
    leader.is_active = False
    leader.save()
    assert reports.reader_of(world.east.street) == world.user("east", Role.ADMIN)


def test_pages_and_download(generated, client):
    world, _plan = generated
    report = reports.generate(world.east.street, ReportKind.WEEKLY, date(2026, 3, 11))
    client.force_login(world.user("east", Role.DISPATCHER))
    page = client.get(reverse("insights:reports"), {"kind": "weekly"})
    assert page.status_code == 200
    assert report.get_absolute_url() in page.content.decode()
    assert client.get(reverse("insights:reports"), {"street": "x"}).status_code == 400
    response = client.get(report.get_absolute_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = f"{world.east.street.name}-城运工作周报-2026-03-02至2026-03-08.pdf"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    # Another street's leader, and a role without the dashboard, find nothing.
    client.force_login(world.user("west", Role.LEADER))
    assert client.get(report.get_absolute_url()).status_code == 404
    assert str(report.get_absolute_url()) not in client.get(reverse("insights:reports")).content.decode()
    client.force_login(world.user("east", Role.HANDLER))
    assert client.get(reverse("insights:reports")).status_code == 404
    assert client.get(report.get_absolute_url()).status_code == 404


def test_api(generated, client):
    world, _plan = generated
    report = reports.generate(world.east.street, ReportKind.WEEKLY, date(2026, 3, 11))
    east = {"Authorization": f"Bearer {issue(world.user('east', Role.LEADER)).key}"}
    west = {"Authorization": f"Bearer {issue(world.user('west', Role.LEADER)).key}"}
    listed = client.get("/api/v1/insights/reports", headers=east).json()
    assert [r["id"] for r in listed["results"]] == [report.pk]
    assert listed["results"][0]["period_end"] == "2026-03-08"
    assert client.get("/api/v1/insights/reports", headers=west).json()["count"] == 0
    pdf = client.get(f"/api/v1/insights/reports/{report.pk}/pdf", headers=east)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(f"/api/v1/insights/reports/{report.pk}/pdf", headers=west).status_code == 404


def test_generate_from_the_page(generated, client, django_capture_on_commit_callbacks):
    world, _plan = generated
    client.force_login(world.user("east", Role.LEADER))
    url = reverse("insights:report_generate")
    bad = client.post(url, {"kind": "daily", "street": world.east.street.pk, "day": "2026-03-11"})
    assert bad.status_code == 400 and "kind" in bad.context["form"].errors
    other = client.post(url, {"kind": "weekly", "street": world.west.street.pk, "day": "2026-03-11"})
    assert other.status_code == 400 and "street" in other.context["form"].errors
    future = client.post(url, {"kind": "weekly", "street": world.east.street.pk, "day": "2026-03-12"})
    assert future.status_code == 400 and "day" in future.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"kind": "monthly", "street": world.east.street.pk, "day": "2026-03-11"})
    job = Job.objects.get(kind="insights.reports")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert Report.objects.get().period_start == date(2026, 2, 1)


def _sheets(job: Job) -> dict[str, list[tuple]]:
    with job.result_file.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_dashboard_export_rows_are_the_dashboards(generated, client, django_capture_on_commit_callbacks):
    world, _plan = generated
    desk = world.user("east", Role.DISPATCHER)
    client.force_login(desk)
    query = {"period": "30d"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("insights:dashboard_export") + "?period=30d")
    job = Job.objects.get(kind=DASHBOARD_EXPORT)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    sheets = _sheets(job)
    filters = DashboardFilters(query, desk)
    units, grids, overdue = list(sheets.values())
    for rows, group in ((units, "unit"), (grids, "grid")):
        expected = metrics.compute(desk, group_by=group, **filters.metrics_args())
        assert len(rows) - 1 == len(expected)
        assert sum(r[1] for r in rows[1:]) == sum(r["total"] for r in expected)
        assert [list(r) for r in rows[1:]] == ranking_rows(desk, filters, group)
    listed = filters.cases(figure="overdue_open")
    assert listed.exists()
    assert sorted(r[0] for r in overdue[1:]) == sorted(listed.values_list("number", flat=True))
    assert not Case.objects.filter(street=world.west.street, number__in=[r[0] for r in overdue[1:]]).exists()


def test_dashboard_export_needs_the_dashboard(world, client):
    client.force_login(world.user("east", Role.HANDLER))
    assert client.post(reverse("insights:dashboard_export")).status_code == 404
    client.force_login(world.user("east", Role.LEADER))
    assert client.get(reverse("insights:dashboard_export")).status_code == 405
    assert core_jobs.get(DASHBOARD_EXPORT).capability == "insights.dashboard"


def test_plans_outside_the_period_are_left_out(generated):
    world, plan = generated
    leader = world.user("east", Role.LEADER)
    GovernancePlan.objects.filter(pk=plan.pk).update(
        status=PlanStatus.COMPLETED, completed_on=date(2026, 2, 25)
    )
    context = reports.report_context(leader, world.east.street, *WEEK, ReportKind.WEEKLY)
    assert context["plans"] == []
    GovernancePlan.objects.filter(pk=plan.pk).update(completed_on=date(2026, 3, 4))
    context = reports.report_context(leader, world.east.street, *WEEK, ReportKind.WEEKLY)
    assert [(row["plan"].pk, row["overdue"]) for row in context["plans"]] == [(plan.pk, False)]


@pytest.mark.skipif(
    not any("NotoSansCJK" in path for path in font_manager.findSystemFonts()),
    reason="fonts-noto-cjk is not installed",
)
def test_a_cjk_font_installed_after_matplotlibs_font_cache_is_found() -> None:
    manager = font_manager.fontManager
    cached = list(manager.ttflist)

    def restore() -> None:
        manager.ttflist[:] = cached
        manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]

    try:
        manager.ttflist[:] = [font for font in cached if "CJK" not in font.name]  # as if cached before
        manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]
        with pytest.raises(ValueError):
            font_manager.findfont(charts.FONT, fallback_to_default=False)
        charts.find_cjk_font()
        assert "NotoSansCJK" in font_manager.findfont(charts.FONT, fallback_to_default=False)
    finally:
        restore()


def test_the_charts_of_one_report_share_no_id_and_keep_their_references() -> None:
    """Two charts in one document: no id defined twice (WeasyPrint warned of each), and every
    clip path and marker a chart refers to is its own."""
    drawn = [str(charts.top_categories(["道路", "绿化"], [4, 1])) for _ in range(2)]
    ids = [re.findall(r'\sid="([^"]+)"', svg) for svg in drawn]
    assert ids[0] and not set(ids[0]) & set(ids[1])
    for svg, own in zip(drawn, ids, strict=True):
        assert len(own) == len(set(own))
        assert set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg)) == set(own)
