"""Test set-up shared by every app.

The same suite runs on SQLite (default) and PostgreSQL: `make test` runs it twice, the
second time with CIVICGRID_DATABASE_URL pointing at PostgreSQL.
"""

import pytest


@pytest.fixture(autouse=True)
def _fresh_spatial_index():
    # Each test's database differs; never let one test's index leak into the next.
    from civicgrid.geo import index

    index.invalidate()
    yield
    index.invalidate()


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
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check hashing restore the real list
    # (civicgrid.settings.PASSWORD_HASHERS) themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _webhooks_may_call_localhost(settings):
    # The webhook tests' receivers listen on 127.0.0.1; the SSRF-guard tests turn this off.
    settings.CIVICGRID_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def world(db):
    from civicgrid.testing.factories import build_world

    return build_world()


@pytest.fixture
def browser_context():
    from civicgrid.testing.browser import chromium_context

    yield from chromium_context()
