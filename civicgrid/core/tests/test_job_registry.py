"""The job-kind registry and the generic runner (core.jobs), through a toy kind registered from
this module: no migration, no task of its own, and it runs end to end (eager Celery) with
progress and a result file, and shows on /jobs/ under its label."""

from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied

from civicgrid.core import actions, capabilities, jobs
from civicgrid.core.capabilities import Capability
from civicgrid.core.choices import JobStatus, Role
from civicgrid.core.jobs import JobError, JobKind, JobRun, Outcome
from civicgrid.core.models import Job
from civicgrid.core.tasks import run_job

pytestmark = pytest.mark.django_db

TOY = "tests.count"
TOY_LABEL = "数数任务"


def count(run: JobRun) -> Outcome:
    """Counts to params["upto"], one line per number; fails as asked by params["fail"]."""
    upto = int(run.params["upto"])
    path = run.workdir / "count.txt"
    with path.open("w") as out:
        for n in run.track(range(1, upto + 1), upto, every=2, message="counting"):
            if n == run.params.get("fail_at"):
                raise (JobError if run.params.get("expected") else RuntimeError)(f"stopped at {n}")
            out.write(f"{n}\n")
    return Outcome(summary=[("数到", upto)], data={"last": upto}, file=path, file_name="count.txt", done=upto)


@pytest.fixture(autouse=True)
def toy(settings, tmp_path, monkeypatch) -> Iterator[JobKind]:
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setitem(
        capabilities._registry, "tests.count", Capability("tests.count", frozenset({Role.DISPATCHER}))
    )
    kind = JobKind(name=TOY, label=TOY_LABEL, run=count, capability="tests.count", queue="bulk")
    jobs.register(kind)
    yield kind
    jobs.unregister(TOY)


def test_a_kind_registered_from_a_test_runs_end_to_end(
    world, client, job_progress, monkeypatch, django_capture_on_commit_callbacks
):
    sent: list[dict] = []
    real = run_job.apply_async
    monkeypatch.setattr(run_job, "apply_async", lambda args, **kw: sent.append(kw) or real(args, **kw))
    dispatcher = world.user("east", Role.DISPATCHER)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.submit(TOY, dispatcher, street_id=world.east.street.pk, params={"upto": 5})
    assert sent == [{"queue": "bulk"}]  # the generic task, on the kind's queue
    job.refresh_from_db()
    assert (job.kind, job.status, job.attempts, job.error) == (TOY, JobStatus.SUCCEEDED, 1, "")
    assert job_progress == [(0, 5), (2, 5), (4, 5)]
    assert (job.done, job.total) == (5, 5)
    assert job.result == {"summary": [["数到", 5]], "last": 5}
    assert job.params == {"upto": 5, "language": "zh-hans"}
    assert job.result_file.read() == b"1\n2\n3\n4\n5\n"

    client.force_login(dispatcher)
    listed = client.get("/jobs/").content.decode()
    assert f"/jobs/{job.pk}/" in listed and f"{TOY_LABEL} #{job.pk}" in listed
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "数到" in page and f"/jobs/{job.pk}/download/" in page
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 200


def test_the_kinds_capability_decides_who_may_start_it(world):
    assert jobs.may_start(world.user("east", Role.DISPATCHER), TOY)
    assert not jobs.may_start(world.user("east", Role.ADMIN), TOY)
    with pytest.raises(PermissionDenied):
        jobs.submit(TOY, world.user("east", Role.ADMIN), params={"upto": 1})
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("expected", "error"), [(True, "stopped at 3"), (False, "RuntimeError: stopped at 3")]
)
def test_a_failing_kind_fails_its_job_with_a_clear_error(world, expected, error):
    job = actions.create_job(TOY, world.user("east", Role.DISPATCHER), params={"upto": 5, "fail_at": 3})
    job.params["expected"] = expected
    job.save()
    assert run_job.apply(args=(job.pk,)).get() == "failed"
    job.refresh_from_db()
    assert (job.status, job.error, job.done) == (JobStatus.FAILED, error, 2)
    assert not job.result_file


def test_a_finished_job_is_not_run_again(world):
    job = actions.create_job(TOY, world.user("east", Role.DISPATCHER), params={"upto": 1})
    assert jobs.run(job.pk) == "succeeded"
    assert jobs.run(job.pk) == "skipped"  # a redelivered task
    job.refresh_from_db()
    assert job.attempts == 1


def test_unknown_kinds_are_refused_and_old_rows_still_show(world, client):
    user = world.user("east", Role.DISPATCHER)
    with pytest.raises(jobs.UnknownJobKind):
        actions.create_job("tests.nothing", user)
    job = actions.create_job(TOY, user, params={"upto": 1})
    jobs.unregister(TOY)  # e.g. an app that no longer declares it
    client.force_login(user)
    assert f"{TOY} #{job.pk}" in client.get("/jobs/").content.decode()
    assert jobs.run(job.pk) == "failed"
    job.refresh_from_db()
    assert job.error == f"未知的任务类型“{TOY}”"


def test_register_checks_the_name_the_queue_and_duplicates(toy):
    for bad in (
        JobKind(name="nodot", label="x", run=count, capability="tests.count"),
        JobKind(name="tests." + "x" * 60, label="x", run=count, capability="tests.count"),
        JobKind(name="tests.other", label="x", run=count, capability="tests.count", queue="nowhere"),
        JobKind(name=TOY, label="x", run=lambda run: Outcome(), capability="tests.count"),
    ):
        with pytest.raises(ValueError):
            jobs.register(bad)
    assert jobs.register(toy) is toy  # the same declaration again (a module imported twice)
    assert {k.name for k in jobs.all_kinds()} >= {
        TOY,
        "cases.import_12345",
        "cases.case_export",
        "cases.metrics_report",
    }


def test_the_migration_renames_the_old_kinds(migrator):
    before, after = [("core", "0006_clock_stamped")], [("core", "0007_job_kind_registry")]
    old_job = migrator.migrate(before).get_model("core", "Job")
    for kind in ("import_12345", "case_export", "metrics_report"):
        old_job.objects.create(kind=kind)
    kinds = migrator.migrate(after).get_model("core", "Job").objects.values_list("kind")
    assert sorted(k for (k,) in kinds) == ["cases.case_export", "cases.import_12345", "cases.metrics_report"]
