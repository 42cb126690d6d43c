"""The background-job record (core.models.Job) and its one writer, core.actions."""

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.core import actions, clock
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.models import Job
from civicgrid.core.tasks import purge_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_lifecycle_queued_running_progress_succeeded(world, tmp_path):
    user = world.user("east", Role.DISPATCHER)
    job = actions.create_job(
        "cases.case_export",
        user,
        street_id=world.east.street.pk,
        params={"filter": {"q": "噪声"}},
        input_file=SimpleUploadedFile("in.csv", b"a,b\n"),
    )
    assert (job.status, job.done, job.total, job.attempts) == (JobStatus.QUEUED, 0, None, 0)
    assert job.input_file.name.startswith("jobs/in/") and job.input_file.name.endswith(".csv")
    assert job.percent is None and not job.is_finished

    started = actions.start_job(job.pk, "task-1")
    assert started is not None and started.status == JobStatus.RUNNING and started.attempts == 1
    actions.report_progress(job.pk, 30, 120, "正在导出")
    job.refresh_from_db()
    assert (job.done, job.total, job.message, job.percent) == (30, 120, "正在导出", 25)

    result = tmp_path / "out.xlsx"
    result.write_bytes(b"PK fake")
    actions.finish_job(
        job.pk, result={"summary": [["工单数", 120]]}, result_path=result, result_name="cases.xlsx"
    )
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.succeeded and job.finished_at is not None
    assert (job.done, job.total, job.percent) == (120, 120, 100)
    assert job.result_file.name.startswith("jobs/out/") and job.result_file.read() == b"PK fake"
    assert not job.input_file  # dropped when the job finished
    # A redelivered task finds the job finished: nothing to do, nothing changes.
    assert actions.start_job(job.pk, "task-1") is None
    job.refresh_from_db()
    assert job.attempts == 1 and job.status == JobStatus.SUCCEEDED


def test_a_redelivered_running_job_starts_over(world):
    job = actions.create_job("cases.import_12345", world.user("east", Role.ADMIN))
    actions.start_job(job.pk, "t")
    actions.report_progress(job.pk, 500, 1000, "created=500")
    again = actions.start_job(job.pk, "t")  # the worker died; the broker delivers it again
    assert again is not None and (again.attempts, again.done, again.message) == (2, 0, "")
    assert again.total == 1000  # the estimate stays until the new run counts again


def test_progress_of_a_finished_job_is_ignored(world):
    job = actions.create_job("cases.import_12345", world.user("east", Role.ADMIN))
    actions.start_job(job.pk)
    actions.fail_job(job.pk, "文件为空或第 1 行不是表头")
    actions.report_progress(job.pk, 99, 100)
    job.refresh_from_db()
    assert job.failed and (job.done, job.total) == (0, None) and job.error == "文件为空或第 1 行不是表头"


def test_restrict_own_jobs_and_the_streets_admins(world):
    east_dispatcher = world.user("east", Role.DISPATCHER)
    mine = actions.create_job("cases.case_export", east_dispatcher, street_id=world.east.street.pk)
    west = actions.create_job(
        "cases.case_export", world.user("west", Role.ADMIN), street_id=world.west.street.pk
    )
    system = actions.create_job("cases.metrics_report", None)
    expect = {
        east_dispatcher: {mine},
        world.user("east", Role.ADMIN): {mine},
        world.user("east", Role.LEADER): set(),
        world.user("west", Role.DISPATCHER): set(),
        world.user("west", Role.ADMIN): {west},
        world.user("east", Role.RESIDENT): set(),
    }
    for user, jobs in expect.items():
        assert set(Job.objects.restrict(user, "view")) == jobs, user.username
    from civicgrid.testing.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True, role=Role.ADMIN)
    assert set(Job.objects.restrict(root, "view")) == {mine, west, system}
    assert not Job.objects.restrict(east_dispatcher, "change").exists()


def test_the_retention_task_removes_old_finished_jobs_and_their_files(world, tmp_path, settings):
    settings.CIVICGRID_JOB_RETENTION_DAYS = 30
    user = world.user("east", Role.DISPATCHER)
    result = tmp_path / "r.xlsx"
    result.write_bytes(b"x")
    old = actions.create_job("cases.case_export", user)
    actions.start_job(old.pk)
    old = actions.finish_job(old.pk, result_path=result)
    stored = old.result_file.path
    running = actions.create_job("cases.case_export", user)
    actions.start_job(running.pk)
    Job.objects.update(created_at=clock.now() - dt.timedelta(days=31))
    recent = actions.create_job("cases.case_export", user)
    assert purge_jobs.apply().get() == 1
    assert set(Job.objects.all()) == {running, recent}  # a running job is never purged
    import os

    assert not os.path.exists(stored)


def test_job_list_and_pages_need_a_login(client, world):
    job = actions.create_job("cases.case_export", world.user("east", Role.DISPATCHER))
    for url in ("/jobs/", f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status/", f"/jobs/{job.pk}/download/"):
        assert client.get(url).status_code == 302
    client.force_login(world.user("east", Role.DISPATCHER))
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404  # no result (yet)
    assert "工单导出" in client.get("/jobs/").content.decode()


def test_a_queued_job_says_it_waits_for_the_worker_and_when_the_worker_seems_down(client, world):
    user = world.user("east", Role.DISPATCHER)
    client.force_login(user)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        job = actions.create_job("cases.case_export", user)
        page = client.get(f"/jobs/{job.pk}/").content.decode()
        assert "已排队，等待后台进程开始处理。" in page and "<progress>" not in page
        assert 'hx-trigger="every 1s"' in page

        # No worker took it for over a minute: the page says so, and asks less often.
        traveller.shift(dt.timedelta(seconds=61))
        status = client.get(f"/jobs/{job.pk}/status/").content.decode()
        assert "后台进程超过一分钟仍未开始这项任务" in status and "等待后台进程开始处理" not in status
        assert 'hx-trigger="every 10s"' in status

        # The worker came back: the job runs, the page shows its progress again.
        actions.start_job(job.pk)
        status = client.get(f"/jobs/{job.pk}/status/").content.decode()
        assert "后台进程" not in status and 'hx-trigger="every 1s"' in status
