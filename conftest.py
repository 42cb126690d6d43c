"""Test set-up shared by every app.

The same suite runs on SQLite (default) and PostgreSQL: `make test` runs it twice, the
second time with CIVICGRID_DATABASE_URL pointing at PostgreSQL.

CIVICGRID_TEST_TODAY=YYYY-MM-DD runs the whole session as if today were that day (from
10:00 Shanghai time, the clock ticking): no test may depend on the real date, and this is
how to check it. Tests that need a particular date still travel there themselves.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import time_machine

TEST_TODAY = "CIVICGRID_TEST_TODAY"


def pytest_configure(config: pytest.Config) -> None:
    today = os.environ.get(TEST_TODAY)
    if not today:
        return
    try:
        day = dt.date.fromisoformat(today)
    except ValueError:
        raise pytest.UsageError(f"{TEST_TODAY} must be a date like 2027-03-15, not {today!r}") from None
    traveller = time_machine.travel(
        dt.datetime.combine(day, dt.time(10), tzinfo=ZoneInfo("Asia/Shanghai")), tick=True
    )
    traveller.start()
    config.add_cleanup(traveller.stop)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    # `make test` runs the suite with pytest-xdist, --dist loadfile: keep pytest-django's order
    # on each worker (civicgrid/testing/parallel.py says why).
    if config.getvalue("dist") != "loadfile":
        return None
    from civicgrid.testing.parallel import InOrderFileScheduling

    return InOrderFileScheduling(config, log)


def pytest_report_header() -> str | None:
    today = os.environ.get(TEST_TODAY)
    return f"{TEST_TODAY}={today}: the session runs as if today were that day" if today else None


@pytest.fixture(scope="session", autouse=True)
def _media_of_the_session(tmp_path_factory):
    # Uploads, job files and reports go to this session's own folder, never var/media: under
    # pytest-xdist every worker has its own database, so the same primary keys, so the same
    # file names (attachments/…/<object id>/, jobs/<job id>/), and tmp_path_factory's base
    # folder is per worker. Tests that look at their files still set MEDIA_ROOT to tmp_path.
    from django.test import override_settings

    # The intake models likewise: a model trained in var/intake would suggest in every desk test.
    with override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
        CIVICGRID_INTAKE_MODEL_DIR=tmp_path_factory.mktemp("intake"),
    ):
        yield


@pytest.fixture(autouse=True)
def _fresh_spatial_index():
    # Each test's database differs; never let one test's index leak into the next.
    from civicgrid.geo import index

    index.invalidate()
    yield
    index.invalidate()


@pytest.fixture(autouse=True)
def _fresh_sensor_register():
    # And for the devices the ingest holds in memory (sensors.directory).
    from civicgrid.sensors import directory

    directory.invalidate()
    yield
    directory.invalidate()


@pytest.fixture(autouse=True)
def _fresh_holiday_cache():
    # Same for the working-day calendar's per-year holiday cache.
    from civicgrid.core import workdays

    workdays._dirty_years().clear()
    workdays.invalidate()
    yield
    workdays._dirty_years().clear()
    workdays.invalidate()


@pytest.fixture(autouse=True)
def _fresh_profiles():
    # And for the street profiles cached per process (core.profile).
    from civicgrid.core import profile

    profile._local.dirty = False
    profile.invalidate()
    yield
    profile._local.dirty = False
    profile.invalidate()


@pytest.fixture(autouse=True)
def _celery_may_wait_for_results():
    yield
    # Celery's "no result.get() inside a task" flag is one process-wide global that every eager
    # task sets and then restores; eager tasks in concurrent threads (the race tests) restore it
    # out of order and can leave it set, failing every later .get() in this process.
    from celery._state import _set_task_join_will_block

    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check hashing restore the real list
    # (civicgrid.settings.PASSWORD_HASHERS) themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _webhooks_may_call_localhost(settings):
    # The webhook tests' receivers listen on http://127.0.0.1; the SSRF-guard tests turn this off.
    settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE = True
    settings.CIVICGRID_WEBHOOKS_ALLOW_HTTP = True


@pytest.fixture
def world(db):
    from civicgrid.testing.factories import build_world

    return build_world()


@pytest.fixture
def migrator(db, tmp_path):
    """For migration tests: an empty scratch database, every query routed to it, moved to the
    migrations the test names (civicgrid/testing/migrations.py)."""
    from civicgrid.testing.migrations import scratch_database

    with scratch_database(tmp_path) as scratch:
        yield scratch


@pytest.fixture
def job_progress(monkeypatch):
    """Every (done, total) a background job reported, as its page saw it at that moment."""
    from civicgrid.core import actions
    from civicgrid.core.models import Job

    seen: list[tuple[int, int | None]] = []
    real = actions.report_progress

    def spy(job_id, done, total=None, message=""):
        real(job_id, done, total, message)
        job = Job.objects.get(pk=job_id)
        seen.append((job.done, job.total))

    monkeypatch.setattr(actions, "report_progress", spy)
    return seen


@pytest.fixture
def browser_context():
    from civicgrid.testing.browser import chromium_context

    yield from chromium_context()
