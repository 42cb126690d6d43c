"""The API benchmark at a tiny size, to prove it works: gunicorn with the production settings
on a throwaway PostgreSQL database, every request answered 2xx, the created cases in the
database. No timing is asserted (CI machines vary)."""

import psycopg
import pytest

from benchmarks import bench_api, common


@pytest.mark.postgres
def test_api_benchmark_runs_against_the_production_profile(settings):
    # ~25 s: once per `make test` is enough, and its database is its own anyway.
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("runs in the PostgreSQL pass (it builds its own throwaway database)")
    if not common.postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {common.DEFAULT_PG_URL}")

    with common.throwaway_postgres() as url:
        common.prepare_database(url, quiet=True)
        result = bench_api.run(url, seconds=1, clients=2, workers=2, seed_cases=5)
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT count(*), count(DISTINCT number) FROM cases_case WHERE description LIKE '压测工单%%'"
            ).fetchone()

    assert result.agree, result.render()
    assert result.figure("errors (non-2xx or failed)") == 0
    for label in ("trivial JSON view (baseline)", "POST /api/v1/cases", "GET /api/v1/cases?page_size=20"):
        assert result.figure(label) > 0
    created = result.figure("cases created")
    assert created > 5  # the seeded cases plus the timed creates
    assert row == (created, created)  # each 201 left one case with its own number
    assert result.ratio > 0
    assert [t.met is not None for t in result.targets] == [True]
    assert "p99" in result.render()


def test_benchmark_baseline_view_is_not_mounted_by_default(client, db, settings):
    # The trivial view is mounted only when the benchmark starts its server with
    # CIVICGRID_BENCHMARK_ENDPOINTS=1; the production URLconf has no such route.
    assert settings.CIVICGRID_BENCHMARK_ENDPOINTS is False
    assert client.get("/bench/trivial").status_code == 404
