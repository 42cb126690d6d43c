"""The locate, import_areas and export_areas management commands."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from civicgrid.core.models import AuditLog
from civicgrid.geo.models import Area, GridLayer

SAMPLE = Path(__file__).parent / "data" / "lujiazui.geojson"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- locate -------------------------------------------------------------------------------


def test_locate_prints_street_residential_area_and_grid(world):
    grid = world.east.grids[1]
    lines = run("locate", "121.055", "31.215").splitlines()
    assert lines == [
        f"街道 {world.east.street.code} {world.east.street.name}",
        f"居民区 {grid.parent.code} {grid.parent.name}",
        f"网格 {grid.code} {grid.name}",
    ]


def test_locate_the_imported_lujiazui_grid(db):
    run("import_areas", str(SAMPLE))
    assert run("locate", "121.515", "31.235").splitlines() == [
        "街道 310115005 陆家嘴街道",
        "居民区 310115005002 福山居民区",
        "网格 310115005002002 福山2号网格",
    ]


def test_locate_outside_prints_none(world):
    assert run("locate", "121.04", "31.21") == "none\n"
    assert run("locate", "-73.98", "40.75") == "none\n"


def test_locate_in_a_street_without_grid_marks_missing_levels(world):
    Area.objects.filter(pk=world.east.grids[0].pk).update(geometry=None)  # bypass clean: a hole
    from civicgrid.geo import index

    index.invalidate()
    lines = run("locate", "121.055", "31.205").splitlines()
    assert lines[0] == f"街道 {world.east.street.code} {world.east.street.name}"
    assert lines[1].startswith(f"居民区 {world.east.residential[0].code} ")
    assert lines[2] == "网格 -"


@pytest.mark.parametrize(
    ("lon", "lat"), [("abc", "31.2"), ("121.5", "北纬31度"), ("nan", "31.2"), ("121.5", "inf")]
)
def test_locate_rejects_non_numbers(db, lon, lat):
    with pytest.raises(CommandError) as exc:
        run("locate", lon, lat)
    assert "必须是数字" in str(exc.value)


# --- import_areas -------------------------------------------------------------------------


def test_import_command_prints_the_summary_and_is_idempotent(db):
    out = run("import_areas", str(SAMPLE))
    assert out.splitlines()[0] == "created=10 updated=0 unchanged=0"
    assert Area.objects.count() == 8
    assert GridLayer.objects.count() == 2
    audit = AuditLog.objects.count()

    assert run("import_areas", str(SAMPLE)).splitlines() == ["created=0 updated=0 unchanged=10"]
    assert AuditLog.objects.count() == audit


def test_import_command_rejects_a_bad_file_and_writes_nothing(world, tmp_path):
    data = json.loads(SAMPLE.read_text(encoding="utf-8"))
    data["features"][2]["geometry"]["coordinates"] = [
        [[121.51, 31.22], [121.52, 31.23], [121.52, 31.22], [121.51, 31.23], [121.51, 31.22]]
    ]
    data["features"][5]["properties"]["parent"] = "nowhere"
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    areas, audit = Area.objects.count(), AuditLog.objects.count()

    with pytest.raises(CommandError) as exc:
        run("import_areas", str(bad))

    message = str(exc.value)
    assert "未写入任何数据" in message
    assert "共 2 个问题" in message
    assert "要素 #3 (code=310115005002001): 多边形无效：Self-intersection[" in message
    assert "要素 #6 (code=310115005002): 上级编码 nowhere 不存在" in message
    assert (Area.objects.count(), AuditLog.objects.count()) == (areas, audit)


def test_import_command_reports_unreadable_files(db, tmp_path):
    with pytest.raises(CommandError, match="无法读取文件"):
        run("import_areas", str(tmp_path / "missing.geojson"))
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(CommandError, match="不是有效的 JSON（第 1 行"):
        run("import_areas", str(broken))


def test_import_command_accepts_a_byte_order_mark(db, tmp_path):
    with_bom = tmp_path / "bom.geojson"
    with_bom.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes())
    assert run("import_areas", str(with_bom)).startswith("created=10 ")


def test_import_command_dry_run(db):
    out = run("import_areas", str(SAMPLE), "--dry-run")
    assert "检查通过" in out
    assert Area.objects.count() == 0


# --- export_areas -------------------------------------------------------------------------


def test_export_command_prints_valid_geojson(world):
    out = run("export_areas")
    data = json.loads(out)
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == Area.objects.count()
    assert all(set(f["properties"]) == {"code", "name", "kind", "parent"} for f in data["features"])
    assert "东1居民区1号网格" in out  # not \u-escaped


def test_export_command_options(world):
    grids = json.loads(run("export_areas", "--kind", "grid"))["features"]
    assert {f["properties"]["kind"] for f in grids} == {"grid"}
    assert len(grids) == 8

    west = json.loads(run("export_areas", "--street", world.west.street.code))["features"]
    assert {f["properties"]["code"] for f in west} == set(
        Area.objects.filter(path__startswith=world.west.street.path).values_list("code", flat=True)
    )
    west_grids = json.loads(run("export_areas", "--street", world.west.street.code, "--kind", "grid"))
    assert [f["properties"]["code"] for f in west_grids["features"]] == [g.code for g in world.west.grids]

    with pytest.raises(CommandError, match="没有编码为 999 的街道"):
        run("export_areas", "--street", "999")
    with pytest.raises(CommandError):
        run("export_areas", "--kind", "village")


def test_export_then_import_round_trips_through_the_commands(db, tmp_path):
    run("import_areas", str(SAMPLE))
    exported = run("export_areas")
    path = tmp_path / "export.geojson"
    path.write_text(exported, encoding="utf-8")
    # Re-importing the export changes nothing…
    assert run("import_areas", str(path)).splitlines() == ["created=0 updated=0 unchanged=10"]
    # …and into an empty database it rebuilds the same data.
    GridLayer.objects.all().delete()
    Area.objects.update(street=None)
    for kind in ("grid", "residential", "street", "district"):
        Area.objects.filter(kind=kind).delete()
    assert run("import_areas", str(path)).splitlines()[0] == "created=10 updated=0 unchanged=0"
    assert run("export_areas") == exported
