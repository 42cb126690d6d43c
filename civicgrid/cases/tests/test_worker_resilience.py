"""Resilience (issue 4): a Celery worker killed mid-task. Real `celery -A civicgrid worker`
processes on RabbitMQ and on Redis, against a throwaway PostgreSQL database; the worker is
SIGKILLed (with its pool child) while a task has written part of its work, a new worker is
started, and the task must run again to completion without doubling anything:
- a notification task: exactly one notice per user, the second run sends 0;
- a 12345 import job: every row exactly once, the job finished with the right counts.

The first worker runs the test-only app civicgrid.testing.paused_worker, whose task sleeps
(CIVICGRID_TEST_PAUSE) after each committed step, so the kill lands mid-task every time; the
second is a plain `celery -A civicgrid worker`. Each test uses its own queue
names (CIVICGRID_CELERY_QUEUE_PREFIX), so parallel runs on one broker never meet; workers,
queues and the database are removed even when a test fails. PostgreSQL pass only.
"""

import csv
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from civicgrid.testing import resilience

pytestmark = pytest.mark.postgres

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
REDIS = "redis://127.0.0.1:6379/11"
PAUSE = "120"  # seconds the first worker's task sleeps after a committed step; it is killed long before
REDIS_VISIBILITY = 3  # seconds: Redis hands an unacknowledged message out again after this
CHUNK = 500  # rows per import batch (CIVICGRID_IMPORT_BATCH_ROWS) in the workers
IMPORT_ROWS = 1200  # three chunks: the kill lands after the first
HEADERS = [
    "工单编号",
    "受理时间",
    "诉求类型",
    "问题分类",
    "诉求内容",
    "事发地址",
    "联系人",
    "联系电话",
    "经度",
    "纬度",
]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One migrated throwaway database with the demo's streets, buildings and accounts."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs in the PostgreSQL pass (it builds its own throwaway database)")
    var = tmp_path_factory.mktemp("worker-var")
    with resilience.throwaway_postgres() as url:
        env = resilience.child_env(url, var)
        resilience.migrate(env)
        resilience.manage(env, "load_demo", "--no-cases", "--quiet")
        yield url, var


class Run:
    """One test's broker, queue names, workers and logs; `close()` cleans all of it up."""

    def __init__(self, broker: str, url: str, var: Path, tmp: Path) -> None:
        self.broker = resilience.require_broker(broker)
        self.url, self.tmp = url, tmp
        self.prefix = f"cgtest-{secrets.token_hex(4)}-"
        self.queues = [f"{self.prefix}{q}" for q in settings.CELERY_QUEUES_ALL]
        self.env = resilience.child_env(
            url,
            var,
            CIVICGRID_CELERY_BROKER_URL=broker,
            CIVICGRID_CELERY_QUEUE_PREFIX=self.prefix,
            CIVICGRID_CELERY_VISIBILITY_TIMEOUT=str(REDIS_VISIBILITY),
            CIVICGRID_IMPORT_BATCH_ROWS=str(CHUNK),
        )
        self.workers: list[Any] = []

    def worker(self, pause: str = "") -> tuple[Any, Path]:
        n = len(self.workers) + 1
        log = self.tmp / f"worker{n}.log"
        if pause:
            env, app = {**self.env, "CIVICGRID_TEST_PAUSE": pause}, "civicgrid.testing.paused_worker"
        else:
            env, app = self.env, "civicgrid"
        process = resilience.start_worker(env, self.queues, f"{self.prefix}w{n}", log, app)
        self.workers.append(process)
        return process, log

    def shell(self, code: str) -> str:
        """Run Python in a manage.py shell (with the broker configured); its last printed line."""
        return resilience.manage(self.env, "shell", "-v0", "-c", code).stdout.strip().splitlines()[-1]

    def kill(self, process: Any) -> None:
        resilience.kill_group(process)
        if self.broker.startswith("redis"):
            # Redis gives the message out again only once it has been unacknowledged for
            # visibility_timeout seconds (a new worker looks when it starts).
            time.sleep(REDIS_VISIBILITY + 1)

    def close(self) -> None:
        for process in self.workers:
            resilience.kill_group(process)
        resilience.delete_queues(self.broker, self.queues)

    def log(self, path: Path) -> str:
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


@pytest.fixture(params=[AMQP, REDIS], ids=["rabbitmq", "redis"])
def run(request: pytest.FixtureRequest, database: tuple[str, Path], tmp_path: Path) -> Iterator[Run]:
    url, var = database
    broker_run = Run(request.param, url, var, tmp_path)
    try:
        yield broker_run
    finally:
        broker_run.close()


def _fail(run: Run, message: str) -> str:
    logs = "\n".join(f"--- {p.name}\n{run.log(p)[-3000:]}" for p in sorted(run.tmp.glob("worker*.log")))
    return f"{message}\n{logs}"


def test_a_killed_workers_notification_task_runs_again_and_notifies_once(run: Run) -> None:
    key = f"resil-{run.prefix}"
    first, first_log = run.worker(pause=PAUSE)
    # The demo's first street's desk (dispatchers and administrators) gets one notice each.
    street_id = run.shell(
        "from civicgrid.geo.models import Area; from civicgrid.cases import notifications, tasks;"
        "s = Area.objects.filter(kind='street').order_by('code').first();"
        f"tasks.send_notification.delay(notifications.desk(s.pk), None, 'overdue', '演练通知', '{key}');"
        "print(s.pk)"
    )
    desk = len(
        resilience.query(
            run.url,
            "select distinct u.id from accounts_user u join accounts_membership m on m.user_id = u.id "
            "where u.is_active and u.role in ('dispatcher', 'admin') and m.area_id = %s",
            int(street_id),
        )
    )
    assert desk >= 2

    def written() -> int:
        sql = "select count(*) from core_notification where key like %s"
        return int(resilience.query(run.url, sql, f"{key}:%")[0][0])

    try:
        resilience.wait_until(lambda: written() == desk or first.poll() is not None, 90, 0.1)
    except AssertionError:
        pytest.fail(_fail(run, "the first worker never wrote the notices"))
    assert first.poll() is None, _fail(run, "the first worker exited by itself")
    # The notices are written; the task sleeps before returning, so its message is unacknowledged.
    run.kill(first)
    assert "send_notification" in run.log(first_log) and "succeeded" not in run.log(first_log)

    _second, second_log = run.worker()
    done = re.compile(r"send_notification\[[0-9a-f-]+\] succeeded in [0-9.]+s: (\d+)")
    try:
        match = resilience.wait_until(lambda: done.search(run.log(second_log)), 90, 0.2)
    except AssertionError:
        pytest.fail(_fail(run, "the task was not run again by the second worker"))
    assert match.group(1) == "0"  # ran again to completion, and sent nothing twice
    per_user = resilience.query(
        run.url,
        "select user_id, count(*) from core_notification where key like %s group by user_id",
        f"{key}:%",
    )
    assert len(per_user) == desk and {count for _user, count in per_user} == {1}


def _write_import_file(path: Path, prefix: str, rows: int) -> tuple[list[str], str]:
    """Rows at the buildings of one demo street (an uploader imports into their own street);
    returns the 工单编号 and the street's code."""
    from civicgrid.demo.builder import build_plan

    street = build_plan().buildings[0].street_code
    buildings = [b for b in build_plan().buildings if b.street_code == street]
    ids = []
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADERS)
        for i in range(rows):
            b = buildings[(i * 7) % len(buildings)]
            ids.append(f"{prefix}{i:05d}")
            writer.writerow(
                [
                    ids[-1],
                    f"2026-03-{2 + i % 20:02d} {8 + i % 10:02d}:{i % 60:02d}",
                    "投诉",
                    "E2105",
                    f"楼上夜间噪声扰民（{i}）",
                    b.address,
                    "王先生",
                    "13800000000",
                    b.lon,
                    b.lat,
                ]
            )
    return ids, street


def test_a_killed_workers_import_job_runs_again_and_imports_every_row_once(run: Run) -> None:
    ext = run.prefix.upper()
    source = run.tmp / "12345.csv"
    ids, street = _write_import_file(source, ext, IMPORT_ROWS)
    first, _first_log = run.worker(pause=PAUSE)
    job_id = int(
        run.shell(
            "from django.core.files.uploadedfile import SimpleUploadedFile;"
            "from civicgrid.accounts.models import User; from civicgrid.cases import jobs;"
            f"u = User.objects.get(role='dispatcher', memberships__area__code={street!r});"
            f"f = SimpleUploadedFile('12345.csv', open({str(source)!r}, 'rb').read());"
            "print(jobs.start_import(u, f).pk)"
        )
    )

    def job() -> tuple[Any, ...]:
        sql = "select status, done, total, attempts, result, error from core_job where id = %s"
        return resilience.query(run.url, sql, job_id)[0]

    def imported() -> int:
        sql = "select count(*) from cases_case where external_id like %s"
        return int(resilience.query(run.url, sql, f"{ext}%")[0][0])

    try:
        resilience.wait_until(lambda: job()[1] >= CHUNK or first.poll() is not None, 120, 0.1)
    except AssertionError:
        pytest.fail(_fail(run, f"the import never got through its first chunk: {job()}"))
    assert first.poll() is None, _fail(run, "the first worker exited by itself")
    status, done, total, attempts, _result, _error = job()
    assert (status, done, total, attempts) == ("running", CHUNK, IMPORT_ROWS, 1)
    at_kill = imported()
    assert at_kill == CHUNK  # the first chunk is committed, the rest is not started
    run.kill(first)

    run.worker()
    try:
        resilience.wait_until(lambda: job()[0] in ("succeeded", "failed"), 180, 0.2)
    except AssertionError:
        pytest.fail(_fail(run, f"the job was not finished by the second worker: {job()}"))
    status, done, total, attempts, result, error = job()
    assert (status, error) == ("succeeded", ""), _fail(run, error)
    assert attempts == 2  # started over after the redelivery
    assert (done, total) == (IMPORT_ROWS, IMPORT_ROWS)
    assert result["counts"] == {
        "created": IMPORT_ROWS - at_kill,
        "updated": 0,
        "unchanged": at_kill,
        "failed": 0,
    }
    stored = [
        r[0]
        for r in resilience.query(
            run.url, "select external_id from cases_case where external_id like %s", f"{ext}%"
        )
    ]
    assert sorted(stored) == sorted(ids)  # every row present, none twice
    doubled = resilience.query(
        run.url,
        "select c.external_id from cases_case c left join cases_caseevent e on e.case_id = c.id "
        "and e.action = 'create' where c.external_id like %s group by c.external_id having count(e.id) <> 1",
        f"{ext}%",
    )
    assert doubled == []  # exactly one 'create' event per case
    # The upload is deleted once the job is done.
    assert resilience.query(run.url, "select input_file from core_job where id = %s", job_id) == [("",)]
