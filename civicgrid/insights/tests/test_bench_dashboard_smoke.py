"""The dashboard benchmark at a tiny size, to prove it works: it loads by COPY (PostgreSQL
only), prints every figure and agrees with cases.metrics. No timing is asserted."""

import pytest
from django.db import connection

from benchmarks import bench_dashboard


@pytest.mark.django_db(transaction=True)
def test_dashboard_benchmark_loads_refreshes_times_and_agrees(settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the dashboard benchmark loads its data with PostgreSQL COPY")
    settings.MEDIA_ROOT = tmp_path
    from civicgrid.cases.category_tree import ensure_loaded

    ensure_loaded()  # a transactional test before may have flushed the migration's rows
    indexes_before = _indexes()
    result = bench_dashboard.run(cases=600, streets=3, years=1, repeat=2)

    # The load drops the secondary indexes and builds them again afterwards: all back, same definitions.
    assert _indexes() == indexes_before
    assert result.figure(f"secondary indexes re-created after the COPY ({len(indexes_before)})") >= 0

    assert result.agree, result.render()
    assert result.figure("cases COPYed") == 600
    assert result.figure("events COPYed") >= 600
    assert result.figure("rollup rows") > 0
    assert result.figure("baseline: full scan of cases_case") > 0
    assert len(result.targets) == 7 and all(t.met is not None for t in result.targets)
    assert result.ratio > 0
    rendered = result.render()
    for text in ("metrics API", "workbench", "grid case list", "refresh_rollups --full", "p95"):
        assert text in rendered


def _indexes() -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [list(bench_dashboard.LOADED_TABLES)],
        )
        return set(cursor.fetchall())
