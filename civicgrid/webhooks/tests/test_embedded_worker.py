"""The embedded profile's background worker (issue 11, point 9). `make demo` and `make serve`
run the Procfile through honcho: runserver and one Celery worker (with its beat) on kombu's
filesystem transport, no broker server. Here the same Procfile runs against a throwaway SQLite
database and data directory (subprocesses outside the test settings, so Celery is not eager):

- with only the web server up, a 12345 upload answers at once with the job's progress page;
  the job stays queued (the request ran nothing), no webhook was attempted, and the page
  says the job waits for the worker;
- with the worker up beside it, the worker imports the sheet and the webhook deliveries of the
  new cases go out from the worker, read from the event log;
- when the web server stops, honcho stops the worker with it.

And in-process, with Celery sending tasks as it does outside the tests: the import job itself
attempts no webhook delivery, whatever the subscriptions; it only logs events, and the
deliveries are made by the events consumer and sent by tasks of their own. The two commands
that do a worker's work by hand (`consume_events`, `load_demo`) run their tasks in-process.
"""

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
import requests
from celery.signals import before_task_publish
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from civicgrid.cases import jobs
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.cases.tests.test_import_12345 import rows, write_csv
from civicgrid.celery import app
from civicgrid.core import events
from civicgrid.core import jobs as core_jobs
from civicgrid.core.choices import JobStatus, Role
from civicgrid.demo.management.commands import load_demo
from civicgrid.testing import resilience
from civicgrid.webhooks import actions, delivery, transport
from civicgrid.webhooks.choices import DeliveryStatus
from civicgrid.webhooks.models import Delivery

PASSWORD = "embedded-worker-1"
HONCHO = Path(sys.executable).parent / "honcho"
SETUP = """
from civicgrid.cases.tests.factories import duty, make_case
from civicgrid.core.choices import Role
from civicgrid.testing.factories import build_world
from civicgrid.webhooks import actions
w = build_world()
duty(w)
user = w.user("east", Role.DISPATCHER)
user.set_password({password!r})
user.save()
actions.create_subscription(
    w.user("east", Role.ADMIN), name="大屏", url={url!r}, events=["case.create"], streets=[w.east.street]
)
print(user.username)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def running_in(groups: set[int]) -> list[int]:
    """The live (not zombie) processes of these process groups: honcho starts each process in
    its own group, with its children (the worker's pool, runserver's reloaded server)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp …; comm may hold spaces, so split after its ")".
            state, _ppid, group = stat.read_text().rpartition(")")[2].split()[:3]
        except OSError:
            continue  # gone meanwhile
        if int(group) in groups and state != "Z":
            alive.append(int(stat.parent.name))
    return alive


class Site:
    """The Procfile's processes on one data directory; `honcho(*names)` starts them."""

    def __init__(self, var: Path, receiver_url: str) -> None:
        self.var = var
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = resilience.child_env(
            f"sqlite:///{var / 'civicgrid.sqlite3'}",
            var,
            CIVICGRID_DEBUG="1",  # as `make serve` runs it
            CIVICGRID_EVENTS_SECONDS="1",
            HOST="127.0.0.1",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.log = var / "honcho.log"
        resilience.migrate(self.env)
        setup = SETUP.format(password=PASSWORD, url=receiver_url)
        self.username = resilience.manage(self.env, "shell", "-v0", "-c", setup).stdout.split()[-1]

    def honcho(self, *names: str) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    str(HONCHO),
                    "start",
                    "--no-colour",
                    "--procfile",
                    "Procfile",
                    "--port",
                    str(self.port),
                    *names,
                ],
                env=self.env,
                cwd=resilience.BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        resilience.wait_until(lambda: resilience.reachable("127.0.0.1", self.port), 60, 0.2)

    def pids(self) -> dict[str, int]:
        """The pid honcho reported for each process it started last."""
        text = self.log.read_text(errors="replace")
        return {name: int(pid) for name, pid in re.findall(r"(\w+)\.1 started \(pid=(\d+)\)", text)}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.var / "civicgrid.sqlite3", timeout=20) as db:
            return db.execute(sql).fetchall()

    def job(self, pk: int) -> tuple[str, str]:
        return self.query(f"select status, result from core_job where id = {pk}")[0]

    def login(self) -> requests.Session:
        session = requests.Session()
        session.get(f"{self.base}/accounts/login/", timeout=30)
        answer = session.post(
            f"{self.base}/accounts/login/",
            data={
                "username": self.username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, answer.text[:2000]
        return session


@pytest.fixture
def site(tmp_path: Path, receiver) -> Iterator[Site]:
    running = Site(tmp_path / "var", receiver.url)
    try:
        yield running
    finally:
        running.stop()


def test_an_upload_returns_at_once_and_the_worker_imports_and_delivers(site, receiver, tmp_path):
    site.honcho("web")  # the worker is down
    session = site.login()
    sheet = write_csv(tmp_path / "12345.csv", rows())  # two rows of the east street, one of the west
    session.get(f"{site.base}/cases/import/", timeout=30)
    with sheet.open("rb") as fh:
        answer = session.post(
            f"{site.base}/cases/import/",
            data={"csrfmiddlewaretoken": session.cookies["csrftoken"]},
            files={"file": (sheet.name, fh, "text/csv")},
            allow_redirects=False,
            timeout=30,
        )
    assert answer.status_code == 302, answer.text[:2000]
    job_url = answer.headers["Location"]
    pk = int(re.fullmatch(r"/jobs/(\d+)/", job_url).group(1))
    # The request stored the file and queued the job; nothing of the import ran in it.
    assert site.job(pk)[0] == "queued"
    assert site.query("select count(*) from cases_case") == [(0,)]
    assert site.query("select count(*) from webhooks_delivery") == [(0,)]
    assert receiver.requests == []
    page = session.get(f"{site.base}{job_url}", timeout=30).text
    assert "已排队，等待后台进程开始处理。" in page and 'hx-trigger="every 1s"' in page

    site.stop()
    site.honcho()  # the web server and the worker, as `make serve` starts them
    pids = site.pids()
    assert {"web", "worker"} <= pids.keys()
    resilience.wait_until(lambda: site.job(pk)[0] in ("succeeded", "failed"), 90, 0.2)
    status, result = site.job(pk)
    assert status == "succeeded", (result, site.log.read_text(errors="replace")[-3000:])
    assert '"created": 2' in result
    # The deliveries were made by the worker's event consumer and sent by its tasks.
    resilience.wait_until(lambda: len(receiver.requests) == 2, 60, 0.2)
    numbers = {number for (number,) in site.query("select number from cases_case")}
    assert {r.json()["case"]["number"] for r in receiver.requests} == numbers
    assert site.query("select status, count(*) from webhooks_delivery group by status") == [("succeeded", 2)]
    done = session.get(f"{site.base}{job_url}", timeout=30).text
    assert "已完成" in done and "hx-trigger" not in done

    # The web server stops (its reloader and server process): honcho stops the worker with it.
    os.killpg(pids["web"], signal.SIGTERM)
    assert site.process is not None
    site.process.wait(30)
    resilience.wait_until(lambda: not running_in(set(pids.values())), 30, 0.2)


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """Celery as outside the tests (not eager): the names of the tasks sent, none of them run."""
    before = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="memory://")
    names: list[str] = []

    def record(sender: str = "", **_kwargs) -> None:
        names.append(sender)

    before_task_publish.connect(record, weak=False)
    try:
        yield names
    finally:
        before_task_publish.disconnect(record)
        app.conf.update(before)


@pytest.mark.django_db
def test_an_import_job_attempts_no_webhook_delivery_itself(
    world, receiver, sent, monkeypatch, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    duty(world)
    actions.create_subscription(
        world.user("east", Role.ADMIN),
        name="大屏",
        url=receiver.url,
        events=["case.create"],
        streets=[world.east.street],
    )
    attempts: list[str] = []
    real_post = transport.post
    monkeypatch.setattr(
        transport, "post", lambda url, *a, **k: attempts.append(url) or real_post(url, *a, **k)
    )
    sheet = write_csv(tmp_path / "12345.csv", rows())
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.start_import(
            world.user("east", Role.DISPATCHER), SimpleUploadedFile(sheet.name, sheet.read_bytes())
        )
    assert sent == ["civicgrid.core.tasks.run_job"]
    sent.clear()

    # What the worker's run_job does: two cases created, not one delivery attempted or made.
    with django_capture_on_commit_callbacks(execute=True):
        assert core_jobs.run(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result["counts"]["created"] == 2
    assert attempts == [] and not Delivery.objects.exists()
    assert set(sent) == {"civicgrid.core.tasks.consume_events"}  # the kick, for the worker
    sent.clear()

    # The worker's events consumer makes the deliveries; each attempt is a task of its own.
    with django_capture_on_commit_callbacks(execute=True):
        events.run(delivery.CONSUMER)
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2
    assert attempts == [] and sent == ["civicgrid.webhooks.tasks.deliver"] * 2


@pytest.mark.django_db(transaction=True)  # real commits: the attempts follow the consumer's commit
def test_consume_events_by_hand_also_makes_the_first_attempts(world, receiver, sent):
    duty(world)
    actions.create_subscription(
        world.user("east", Role.ADMIN),
        name="大屏",
        url=receiver.url,
        events=["case.create"],
        streets=[world.east.street],
    )
    make_case(world)
    sent.clear()
    call_command("consume_events", stdout=StringIO())
    # The command is the worker's job done by hand: nothing is left queued for a worker.
    assert len(receiver.requests) == 1 and sent == []
    assert Delivery.objects.get().status == DeliveryStatus.SUCCEEDED


@pytest.mark.django_db
def test_load_demo_plays_its_cases_with_their_tasks_in_process(sent, monkeypatch):
    # A year of demo cases is thousands of writes, each kicking the event consumers: they run as
    # the demo is played, not as thousands of messages for the worker.
    eager: list[bool] = []
    monkeypatch.setattr(load_demo, "load_cases", lambda plan, **kw: eager.append(app.conf.task_always_eager))
    # No registry: what is checked is the eager switch around the cases, not the demo's volume.
    call_command("load_demo", "--quiet", "--residents-per-street", "0")
    assert eager == [True] and sent == []
    assert app.conf.task_always_eager is False  # as it was before the command
