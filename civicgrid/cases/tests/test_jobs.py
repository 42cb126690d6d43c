"""Background jobs of the work-order loop (cases/jobs.py, run by core.jobs): the 12345 upload,
the workbench export, the monthly report, and notifications as Celery tasks. Celery is eager in tests, so
a job runs in-process on commit, exactly as in the embedded profile (`make demo`)."""

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from civicgrid.cases import jobs, notifications, tasks
from civicgrid.cases.choices import CaseStatus, NotificationKind
from civicgrid.cases.errors import Forbidden, InvalidInput
from civicgrid.cases.intake import hotline
from civicgrid.cases.models import Case, Notification
from civicgrid.core import actions as core_actions
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job

from .factories import advance, duty, make_case
from .test_import_12345 import HEADERS, rows, write_csv, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    """client.post, running the on-commit callbacks (the eager task) like a real commit would."""

    def _post(url, data, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, **extra)

    return _post


def upload(path: Path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def workbook_rows(job: Job, sheet: int | str = 0) -> list[tuple]:
    with job.result_file.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()), read_only=True)
    ws = wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


def bad_row() -> list[object]:
    return ["SH12345-BAD", "不是时间", "投诉", "E2105", "内容", "东路11号", "王", "138", "", ""]


# ---------------------------------------------------------------------------- 12345 upload


def test_upload_page_starts_an_import_and_shows_the_finished_job(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(world.user("east", Role.DISPATCHER))
    path = write_xlsx(tmp_path / "12345.xlsx", [*rows(), bad_row()])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/cases/import/", {"file": upload(path)})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    # Eager mode: the task ran on commit, inside the request.
    assert (job.kind, job.status, job.attempts) == (jobs.IMPORT, JobStatus.SUCCEEDED, 1)
    assert job.created_by == world.user("east", Role.DISPATCHER)
    assert job.street_id == world.east.street.pk
    # The west street's row is refused: an uploader imports into their own streets only.
    assert job.result["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}
    assert (job.done, job.total) == (4, 4)
    cases = Case.objects.filter(source="12345")
    assert cases.count() == 2 and {c.street_id for c in cases} == {world.east.street.pk}
    assert {c.created_by for c in cases} == {world.user("east", Role.DISPATCHER)}
    assert not job.input_file  # the upload (personal data) is gone once imported
    assert any("SH12345-BAD" in line or "第 5 行" in line for line in job.result["lines"])

    page = client.get(job.get_absolute_url()).content.decode()
    assert "已完成" in page and "hx-trigger" not in page  # finished: no more polling
    assert f"/jobs/{job.pk}/download/" in page
    report = workbook_rows(job)
    assert report[0][-3:] == ("行号", "错误列", "原因")
    assert [(r[0].strip(), r[-3]) for r in report[1:]] == [("SH12345-0003", 4), ("SH12345-BAD", 5)]
    assert "不在你的管辖范围内" in report[1][-1]

    download = client.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]


def test_import_reports_progress_per_chunk(
    world, tmp_path, monkeypatch, job_progress, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(hotline, "CHUNK_SIZE", 2)
    seen = job_progress
    path = write_csv(tmp_path / "12345.csv", [*rows(), bad_row()])
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_import(world.user("east", Role.ADMIN), upload(path))
    # Counted first (4 rows), then after every 2-row chunk and at the end.
    assert seen == [(0, 4), (2, 4), (4, 4), (4, 4)]
    job.refresh_from_db()
    # A message id the page translates (the counts are in the summary and the result).
    assert job.status == JobStatus.SUCCEEDED and job.message == "导入完成，部分行失败：见结果文件"
    assert job.result["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "failed": 2}


def test_the_job_page_polls_while_the_job_runs(world, client, tmp_path):
    dispatcher = world.user("east", Role.DISPATCHER)
    client.force_login(dispatcher)
    job = core_actions.create_job(jobs.IMPORT, dispatcher, street_id=world.east.street.pk)
    core_actions.start_job(job.pk)
    core_actions.report_progress(job.pk, 500, 2000)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/jobs/{job.pk}/status/"' in html and 'hx-trigger="every 1s"' in html
    assert "500 / 2000" in html and "25%" in html
    fragment = client.get(f"/jobs/{job.pk}/status/").content.decode()
    assert fragment.lstrip().startswith('<section id="job-status"') and "hx-trigger" in fragment
    core_actions.finish_job(job.pk, result={"summary": [["新建", 2000]]}, done=2000)
    fragment = client.get(f"/jobs/{job.pk}/status/").content.decode()
    assert "hx-trigger" not in fragment and "2000 / 2000" in fragment and "新建" in fragment


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("cases.pdf", b"%PDF-1.4", "不是 .xlsx 或 .csv 文件"),
        ("cases.csv", b"", "上传的文件是空的"),
        ("cases.xlsx", b"not a zip at all", "无法读取 Excel 文件"),
        ("cases.csv", "编号,内容\nA,B\n".encode(), "缺少"),
    ],
)
def test_the_upload_page_rejects_a_bad_file_with_a_clear_error(world, client, name, content, expected):
    client.force_login(world.user("east", Role.DISPATCHER))
    response = client.post("/cases/import/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    html = response.content.decode()
    assert expected in html, html[html.find("field-error") - 50 : html.find("field-error") + 400]
    assert not Job.objects.exists() and not Case.objects.filter(source="12345").exists()


def test_missing_columns_are_named(world, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["A", "2026-10-09 10:00"]], headers=["工单编号", "受理时间"])
    with pytest.raises(InvalidInput) as exc:
        jobs.start_import(world.user("east", Role.DISPATCHER), upload(path))
    assert exc.value.fields == {"file": "invalid"}
    assert "诉求内容" in exc.value.message and "联系电话" in exc.value.message


def test_only_the_desk_may_upload(world, client, tmp_path):
    path = write_csv(tmp_path / "12345.csv", rows())
    for role in (Role.HANDLER, Role.LEADER, Role.GRID_WORKER):
        client.force_login(world.user("east", role))
        assert client.get("/cases/import/").status_code == 404
        assert client.post("/cases/import/", {"file": upload(path)}).status_code == 404
        with pytest.raises(Forbidden):
            jobs.start_import(world.user("east", role), upload(path))
    assert not Job.objects.exists()


def test_a_file_that_turns_bad_fails_the_job_with_its_reason(
    world, tmp_path, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "12345.csv", rows())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.start_import(world.user("east", Role.DISPATCHER), upload(path))
    # Between the upload and the worker, the stored file lost its header row.
    Path(job.input_file.path).write_text("\n\n", encoding="utf-8")
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "表头" in job.error
    assert not job.input_file


def test_an_upload_gone_before_the_worker_fails_the_job(world, tmp_path, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "12345.csv", rows())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.start_import(world.user("east", Role.DISPATCHER), upload(path))
    Path(job.input_file.path).unlink()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert (job.status, job.error) == (JobStatus.FAILED, "上传的文件已不存在，请重新上传")


# ---------------------------------------------------------------------------- jobs and scope


def test_another_streets_staff_cannot_see_or_download_a_job(
    world, client, tmp_path, django_capture_on_commit_callbacks
):
    path = write_xlsx(tmp_path / "12345.xlsx", [*rows(), bad_row()])
    client.force_login(world.user("east", Role.DISPATCHER))
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/cases/import/", {"file": upload(path)})
    job = Job.objects.get()
    assert job.result_file
    for who, allowed in [
        (world.user("east", Role.DISPATCHER), True),  # started it
        (world.user("east", Role.ADMIN), True),  # administrator of its street
        (world.user("west", Role.DISPATCHER), False),
        (world.user("west", Role.ADMIN), False),
        (world.user("east", Role.LEADER), False),  # same street, not theirs, not an admin
        (world.user("east", Role.HANDLER), False),
    ]:
        client.force_login(who)
        for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/", f"/jobs/{job.pk}/download/"):
            assert client.get(url).status_code == (200 if allowed else 404), (who.username, url)
        listed = client.get("/jobs/").content.decode()
        assert (f"/jobs/{job.pk}/" in listed) is allowed
        assert set(Job.objects.restrict(who, "view")) == ({job} if allowed else set())
    client.logout()
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 302  # to the login page


# ---------------------------------------------------------------------------- export


def test_export_holds_the_filtered_cases_with_masked_phones(world, client, post):
    duty(world)
    noise = make_case(world, description="楼上夜间噪声扰民（甲）")
    filed = advance(world, make_case(world, grid=1, description="楼上夜间噪声扰民（乙）"), CaseStatus.FILED)
    make_case(world, description="占道经营", category="E2105")  # other text: filtered out by q
    make_case(world, street="west")  # other street: invisible to an east dispatcher
    dispatcher = world.user("east", Role.DISPATCHER)
    client.force_login(dispatcher)
    response = post("/cases/export/", {"queue": "all", "q": "噪声", "status": ""}, HTTP_HX_REQUEST="true")
    job = Job.objects.get(kind=jobs.EXPORT)
    assert response.status_code == 200 and response["HX-Redirect"] == job.get_absolute_url()
    assert job.status == JobStatus.SUCCEEDED and job.params["filter"] == {"queue": "all", "q": "噪声"}
    table = workbook_rows(job)
    header, body = table[0], table[1:]
    assert header[:3] == ("工单编号", "标题", "状态")
    assert sorted(r[0] for r in body) == sorted([noise.number, filed.number])
    phone = header.index("联系电话")
    assert {r[phone] for r in body} == {"138****5678"}  # masked, as on the case page
    assert job.result["summary"] == [["工单数", 2]] and (job.done, job.total) == (2, 2)

    # The queue is part of the filter: only the filed case waits for dispatch.
    post("/cases/export/", {"queue": "dispatch", "q": "噪声"})
    latest = Job.objects.filter(kind=jobs.EXPORT).first()
    assert [r[0] for r in workbook_rows(latest)[1:]] == [filed.number]
    assert [r[2] for r in workbook_rows(latest)[1:]] == ["已立案"]


def test_export_reports_progress_every_few_rows(world, client, post, monkeypatch, job_progress):
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    for _ in range(5):
        make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    post("/cases/export/", {"queue": "all"})
    # Counted first, then every 2 rows; the finished job holds the real count.
    assert job_progress == [(0, 5), (2, 5), (4, 5)]
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 5, 5)


def test_export_in_english_for_an_english_user(world, client, post):
    make_case(world)
    client.force_login(world.user("east", Role.DISPATCHER))
    client.cookies["django_language"] = "en"
    post("/cases/export/", {"queue": "all"})
    header, row = workbook_rows(Job.objects.get())
    assert header[0] == "Case number"
    assert row[header.index("Problem category")] == "E2105 Noise nuisance"  # Category.name_en


def test_a_cadre_exports_only_their_residential_area(world, client, post):
    mine = make_case(world, grid=0)
    make_case(world, grid=2)  # the street's other residential area
    client.force_login(world.user("east", Role.CADRE))
    post("/cases/export/", {"queue": "all"})
    assert [r[0] for r in workbook_rows(Job.objects.get())[1:]] == [mine.number]


def test_export_is_refused_to_roles_without_the_workbench(world, client):
    client.force_login(world.user("east", Role.HANDLER))
    assert client.post("/cases/export/", {"queue": "all"}).status_code == 404
    with pytest.raises(Forbidden):
        jobs.start_export(world.user("east", Role.HANDLER), {})
    assert not Job.objects.exists()


def test_export_carries_the_whole_description_the_result_the_units_deadlines_and_timeline(
    world, client, post, time_machine
):
    time_machine.move_to(dt.datetime(2026, 10, 12, 10, 15, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    duty(world).co_units.add(world.shared_unit)
    long = "楼上夜间噪声扰民，" * 20 + "请回电 13912345678"
    case = advance(world, make_case(world, description=long), CaseStatus.CLOSED)
    client.force_login(world.user("east", Role.DISPATCHER))
    post("/cases/export/", {"queue": "all"})
    header, row = workbook_rows(Job.objects.get(kind=jobs.EXPORT))
    cells = dict(zip(header, row, strict=True))
    # The description whole, the phone typed into it masked as on the case page.
    assert cells["诉求内容"] == "楼上夜间噪声扰民，" * 20 + "请回电 139****5678"
    assert cells["办理结果"] == "已整改完毕"
    assert (cells["主办单位"], cells["协办单位"]) == (world.east.unit.name, world.shared_unit.name)
    for column, field in (("响应时限", "response_due_at"), ("处置时限", "handling_due_at")):
        assert cells[column] == timezone.localtime(getattr(case, field)).replace(tzinfo=None)
    assert cells["回访时限"] == timezone.localtime(case.callback_due_at).replace(tzinfo=None)
    units = f"{world.east.unit.name}、{world.shared_unit.name}"
    assert cells["办理过程"] == (
        f"10-12 10:15 登记; 10-12 10:15 立案; 10-12 10:15 派遣 {units}; "
        f"10-12 10:15 签收 {world.east.unit.name}; 10-12 10:15 处置反馈 {world.east.unit.name}; "
        "10-12 10:15 核查通过; 10-12 10:15 结案"
    )


def test_export_queries_do_not_grow_with_the_rows(world):
    duty(world).co_units.add(world.shared_unit)
    dispatcher = world.user("east", Role.DISPATCHER)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            cases = jobs.export_cases(dispatcher, {}).iterator(chunk_size=50)
            rows = list(jobs.export_rows(dispatcher, cases))
        assert len(rows) == Case.objects.count()
        return len(captured)

    advance(world, make_case(world), CaseStatus.DISPATCHED)
    one = queries()
    for _ in range(6):
        advance(world, make_case(world), CaseStatus.DISPATCHED)
    # The cases, their timelines and their co-handling units: a query each, whatever the rows.
    assert queries() == one == 3


def test_a_large_export_spans_chunks_and_keeps_every_row_in_order(world, client, post, monkeypatch):
    monkeypatch.setattr(jobs, "EXPORT_CHUNK", 40)
    made = [make_case(world, description=f"第 {i} 件：" + "噪" * 300) for i in range(130)]
    client.force_login(world.user("east", Role.DISPATCHER))
    post("/cases/export/", {"queue": "all"})
    job = Job.objects.get(kind=jobs.EXPORT)
    header, *body = workbook_rows(job)
    assert [r[0] for r in body] == [c.number for c in made]
    text = header.index("诉求内容")
    assert all(len(r[text]) == len(c.description) for r, c in zip(body, made, strict=True))
    assert job.result["summary"] == [["工单数", 130]]


# ---------------------------------------------------------------------------- report


def test_monthly_report_has_the_three_rates_per_street(world, client, post, time_machine):
    time_machine.move_to(dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC))
    duty(world)
    advance(world, make_case(world), CaseStatus.CLOSED)
    make_case(world, grid=2)
    make_case(world, street="west")  # another street: not in the east report
    leader = world.user("east", Role.LEADER)
    client.force_login(leader)
    assert "生成报表" in client.get("/cases/metrics/").content.decode()
    response = post("/cases/reports/", {"street": world.east.street.pk, "month": "2026-10"})
    job = Job.objects.get(kind=jobs.REPORT)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == JobStatus.SUCCEEDED and job.street_id == world.east.street.pk
    overview = workbook_rows(job, 0)
    assert overview[0] == ("街道", "东", None, None) or overview[0][:2] == ("街道", "东")
    facts = {r[0]: r[1:] for r in overview if r and r[0]}
    assert facts["月份"][0] == "2026-10" and facts["工单总数"][0] == 2
    from civicgrid.cases import metrics

    expected = metrics.summary(
        leader, street=world.east.street.pk, date_from="2026-10-01", date_to="2026-10-31"
    )
    for key, label in [("response", "响应率"), ("resolution", "解决率"), ("satisfaction", "满意率")]:
        assert facts[label] == (
            expected[f"{key}_rate"],
            expected[f"{key}_numerator"],
            expected[f"{key}_denominator"],
        )
    by_area = workbook_rows(job, "居民区")
    assert by_area[0][:4] == ("居民区", "总数", "已结案", "超期")
    assert {r[0]: r[1] for r in by_area[1:]} == {"东1居民区": 1, "东2居民区": 1}
    assert job.result["summary"][0] == ["工单总数", 2]


def test_the_report_reports_each_step(world, time_machine, job_progress, django_capture_on_commit_callbacks):
    time_machine.move_to(dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC))
    make_case(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_report(world.user("east", Role.LEADER), world.east.street.pk, "2026-10")
    # The overview, then one step per group sheet.
    assert job_progress == [(step, 5) for step in range(6)]
    job.refresh_from_db()
    assert (job.status, job.done, job.total) == (JobStatus.SUCCEEDED, 5, 5)


def test_report_refuses_a_street_outside_the_scope_and_a_bad_month(world, time_machine):
    time_machine.move_to(dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC))
    leader = world.user("east", Role.LEADER)
    with pytest.raises(InvalidInput) as exc:
        jobs.start_report(leader, world.west.street.pk, "2026-10")
    assert exc.value.fields == {"street": "invalid"}
    for month, code in [("2026-13", "invalid"), ("十月", "invalid"), ("2026-11", "future")]:
        with pytest.raises(InvalidInput) as exc:
            jobs.start_report(leader, world.east.street.pk, month)
        assert exc.value.fields == {"month": code}
    assert not Job.objects.exists()


# ---------------------------------------------------------------------------- notifications


def test_actions_send_notifications_through_their_event(world, django_capture_on_commit_callbacks):
    duty(world)
    case = advance(world, make_case(world), CaseStatus.FILED)
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, case, CaseStatus.DISPATCHED)
    assignment = case.assignments.get()
    # Plain data only, in the action's event: the audience, kind, text (a message id), key and
    # the text's parameters, rendered in each reader's language (docs/decisions/0006).
    logged = case.events.get(action="dispatch").event
    assert logged.payload["notify"] == [
        {
            "audience": {"units": [world.east.unit.pk]},
            "kind": NotificationKind.DISPATCHED,
            "text": "新派单 %(number)s（%(role)s）：%(title)s",
            "key": f"dispatch:{assignment.pk}",
            "params": {"number": case.number, "role": "lead", "title": case.title},
        }
    ]
    handler = world.user("east", Role.HANDLER)
    assert Notification.objects.filter(user=handler, case=case, kind=NotificationKind.DISPATCHED).count() == 1
    assert "notify" not in case.events.get(action="dispatch").data  # the timeline never shows it


def test_a_redelivered_notification_task_sends_nothing_twice(world):
    case = make_case(world)
    audience = notifications.desk(world.east.street.pk)
    args = (audience, case.pk, NotificationKind.HANDLED, "工单已处置", f"handled:{case.pk}:1")
    first = tasks.send_notification.apply(args=args).get()
    again = tasks.send_notification.apply(args=args).get()
    desk = {world.user("east", Role.DISPATCHER).pk, world.user("east", Role.ADMIN).pk}
    assert (first, again) == (2, 0)
    rows = Notification.objects.filter(case=case, kind=NotificationKind.HANDLED)
    assert sorted(rows.values_list("user_id", flat=True)) == sorted(desk)


def test_a_notification_about_a_deleted_case_is_dropped(world):
    case = make_case(world)
    pk = case.pk
    Case.objects.filter(pk=pk).delete()
    assert (
        tasks.send_notification.apply(args=(notifications.units([1]), pk, "dispatched", "x", "k")).get() == 0
    )
    assert not Notification.objects.exists()


# ---------------------------------------------------------------------------- helpers


def test_count_rows_is_cheap_and_right(tmp_path):
    assert jobs.count_rows(write_csv(tmp_path / "a.csv", rows())) == 3
    no_newline = tmp_path / "b.csv"
    no_newline.write_bytes(",".join(HEADERS).encode() + b"\nA,B\nC,D")
    assert jobs.count_rows(no_newline) == 2
    assert jobs.count_rows(write_xlsx(tmp_path / "c.xlsx", rows())) == 3


# ---------------------------------------------------------------------------- text stays text


def workbook_cells(job: Job, sheet: int | str = 0) -> list[tuple]:
    with job.result_file.open("rb") as fh:
        wb = load_workbook(io.BytesIO(fh.read()))  # not read-only: the cells' types
    return [tuple(r) for r in (wb.worksheets[sheet] if isinstance(sheet, int) else wb[sheet]).iter_rows()]


def test_the_export_writes_a_description_that_looks_like_a_formula_as_text(world, client, post):
    make_case(
        world,
        description="=cmd|' /C calc'!A0",
        address='=HYPERLINK("http://evil.example/","详情")',
        external_id="@SUM(1,1)",
        source="12345",
    )
    client.force_login(world.user("east", Role.DISPATCHER))
    post("/cases/export/", {"queue": "all"})
    header, row = workbook_cells(Job.objects.get(kind=jobs.EXPORT))
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    assert cells["标题"].value == "=cmd|' /C calc'!A0"
    assert cells["事发地址"].value == '=HYPERLINK("http://evil.example/","详情")'
    assert cells["外部编号"].value == "@SUM(1,1)"
    assert not [c.coordinate for c in row if c.data_type == "f"]
    assert cells["受理时间"].data_type == "d"  # our own dates stay dates


def test_the_report_writes_names_that_look_like_formulas_as_text(
    world, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(dt.datetime(2026, 10, 12, 10, 0, tzinfo=dt.UTC))
    area = world.east.residential[0]
    area.name = '=HYPERLINK("http://evil.example/","东1")'
    area.save()
    make_case(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_report(world.user("east", Role.LEADER), world.east.street.pk, "2026-10")
    job.refresh_from_db()
    names = [r[0] for r in workbook_cells(job, "居民区")[1:]]
    assert [c.value for c in names if c.value.startswith("=")] == [area.name]
    assert all(c.data_type == "s" for c in names)
