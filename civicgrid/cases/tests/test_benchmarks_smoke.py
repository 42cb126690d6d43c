"""The benchmarks run at a tiny size, to prove they work: positive figures and agreement
with their baselines. No timing is asserted (CI machines vary)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from benchmarks import bench_import, bench_intake, bench_locate, bench_sensors, common
from civicgrid.sensors.mqtt import broker
from civicgrid.testing.mqtt import MOSQUITTO, broker_up


@pytest.fixture
def demo_geography(db):
    from civicgrid.demo.builder import build_plan, load_plan

    load_plan(build_plan())


def test_locate_benchmark_agrees_with_contains_xy(demo_geography):
    result = bench_locate.run(points=2_000, subset=200)

    assert result.agree
    assert result.figure("locate_many") > 0
    assert result.figure("baseline shapely.contains_xy") > 0
    assert result.figure("points in a grid") > 1_900  # points are drawn inside the streets
    assert result.ratio > 0
    assert [t.met is not None for t in result.targets] == [True]
    assert "locate_many" in result.render()


def test_import_benchmark_imports_every_row(demo_geography):
    rows = list(bench_import.generate_rows(30, seed=7, prefix="T-"))
    again = list(bench_import.generate_rows(30, seed=7, prefix="T-"))
    # Seeded apart from 受理时间 (relative to now), one id per row, every column filled in.
    assert [r[:1] + r[2:] for r in rows] == [r[:1] + r[2:] for r in again]
    assert [r[0] for r in rows[1:]] == [f"T-{i:09d}" for i in range(30)]
    assert all(len(r) == len(rows[0]) for r in rows)

    result = bench_import.run(rows=50)

    assert result.agree, result.render()
    assert result.figure("cases created") == 50
    assert result.figure("timeline events") >= 50
    assert result.figure("import_file") > 0
    assert result.figure("peak RSS") > 0
    assert result.ratio > 0
    method = "COPY" if connection.vendor == "postgresql" else "executemany"
    assert method in result.ratio_label
    # The memory target is judged at 1M rows only.
    assert result.targets[-1].met is None


@pytest.mark.postgres
def test_throwaway_postgres_database_is_dropped():
    if not common.postgres_reachable():
        pytest.skip(f"PostgreSQL not reachable at {common.DEFAULT_PG_URL}")
    import psycopg

    with common.throwaway_postgres() as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("civicgrid_bench_")
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    with psycopg.connect(common.DEFAULT_PG_URL) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None


def test_intake_benchmark_beats_its_baselines(db):
    result = bench_intake.run(texts=300, seed=3)

    assert result.agree, result.render()
    assert 0 < result.figure("baseline majority accuracy") < result.figure("category accuracy") <= 100
    assert result.figure("classify one message") > 0
    assert "baseline keywords macro-F1" in result.render()
    assert bench_intake.demo_texts(12, seed=3) == bench_intake.demo_texts(12, seed=3)  # seeded


@pytest.mark.skipif(
    not Path(MOSQUITTO).exists() and not broker_up(*broker(settings.CIVICGRID_MQTT_URL)),
    reason="no MQTT broker (install or start mosquitto)",
)
def test_sensors_benchmark_stores_every_reading(demo_geography):
    result = bench_sensors.run(readings=300, devices=20, batch=3)

    assert result.agree, result.render()
    assert result.figure("readings stored") == result.figure("readings the baseline received") == 300
    assert result.figure("whole path (Consumer: parse, validate, store, rules)") > 0
    assert result.figure("baseline bare paho subscriber (receive + json)") > 0
    assert result.figure("bare subscriber on the consumer's client (receive + json + ack)") > 0
    assert result.ratio > 0
    assert [t.met is not None for t in result.targets] == [True, True]
