"""Durable events (docs/decisions/0006): a process killed after the COMMIT of an action and
before any on-commit callback loses nothing. A real child process runs the action on a
throwaway database and dies there; then the event consumers (`manage.py consume_events`, a
second process) deliver its webhook exactly once to a real HTTP receiver and write its
notifications exactly once; running them again sends nothing more."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from civicgrid.testing import resilience

SCRIPT = Path(__file__).with_name("crash_after_commit.py")


@pytest.fixture
def child_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of the same engine as the test run, which a child process can see."""
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        with resilience.throwaway_postgres() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"


def test_a_process_killed_after_commit_loses_no_delivery_and_no_notice(
    child_database: str, tmp_path: Path, receiver
) -> None:
    env = resilience.child_env(
        child_database,
        tmp_path,
        CRASH_RECEIVER_URL=receiver.url,
        CIVICGRID_WEBHOOKS_ALLOW_PRIVATE="1",
        CIVICGRID_WEBHOOKS_ALLOW_HTTP="1",
    )
    resilience.migrate(env)
    child = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={**env, "DJANGO_SETTINGS_MODULE": "civicgrid.settings", "PYTHONPATH": str(resilience.BASE_DIR)},
        cwd=resilience.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=resilience.SUBPROCESS_TIMEOUT,
    )
    assert child.returncode == 17, child.stderr
    case_id = int(child.stdout.split()[-1])
    counts = (
        "from civicgrid.cases.models import Case, Notification;"
        "from civicgrid.webhooks.models import Delivery;"
        f"c = Case.objects.get(pk={case_id});"
        "print(c.status, Delivery.objects.count(), Notification.objects.filter(kind='dispatched').count())"
    )
    # Committed, and nothing after it ran: no delivery, no notice yet.
    assert shell(env, counts) == "dispatched 0 0"
    assert receiver.requests == []

    resilience.manage(env, "consume_events")
    assert len(receiver.requests) == 1
    assert receiver.requests[0].json()["event"] == "cases.dispatch"
    status, deliveries, notices = shell(env, counts).split()
    assert (status, deliveries) == ("dispatched", "1") and int(notices) >= 1

    resilience.manage(env, "consume_events")  # again: nothing new
    assert len(receiver.requests) == 1
    assert shell(env, counts) == f"dispatched 1 {notices}"


def shell(env: dict[str, str], code: str) -> str:
    return resilience.manage(env, "shell", "-v0", "-c", code).stdout.strip().splitlines()[-1]
