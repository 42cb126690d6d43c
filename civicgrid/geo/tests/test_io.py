"""GeoJSON validation, import (all-or-nothing, idempotent) and export of areas and layer grids."""

import copy
import json
from pathlib import Path

import pytest

from civicgrid.core.choices import AuditEvent
from civicgrid.core.models import AuditLog
from civicgrid.geo.choices import AreaKind, GridLayerKind
from civicgrid.geo.geometry import GeometryError, parse_polygon
from civicgrid.geo.index import locate
from civicgrid.geo.io import (
    AreaImportError,
    dumps_feature_collection,
    export_features,
    import_areas,
)
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.testing.factories import box

SAMPLE = Path(__file__).parent / "data" / "lujiazui.geojson"
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[121.50, 31.22], [121.51, 31.23], [121.51, 31.22], [121.50, 31.23], [121.50, 31.22]]],
}


def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def feature(data: dict, code: str) -> dict:
    return next(f for f in data["features"] if f["properties"]["code"] == code)


def db_state() -> tuple:
    """Everything an import could touch, to prove a rejected import wrote nothing."""
    return (
        list(Area.objects.order_by("code").values_list("code", "name", "kind", "parent_id", "geometry")),
        list(GridLayer.objects.order_by("code").values_list("code", "name", "layer", "geometry")),
        list(Building.objects.order_by("id").values_list("id", "grid_id", "street_id")),
        AuditLog.objects.count(),
    )


# --- parse_polygon -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("geojson", "message"),
    [
        ("not an object", "不是 GeoJSON 几何对象"),
        ([[121.5, 31.2]], "不是 GeoJSON 几何对象"),
        ({"coordinates": []}, "缺少 type"),
        ({"type": "Point", "coordinates": [121.5, 31.2]}, "必须是 Polygon 或 MultiPolygon，而不是 Point"),
        ({"type": "LineString", "coordinates": [[121.5, 31.2], [121.6, 31.3]]}, "而不是 LineString"),
        (BOWTIE, "多边形无效：Self-intersection"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[121.5, 31.2], [121.6, 31.2], [121.6, 31.3], [121.5, 31.3]]],
            },
            "外环未闭合",
        ),
        (
            {"type": "Polygon", "coordinates": [[[121.5, 31.2], [121.6, 31.2], [121.5, 31.2]]]},
            "至少需要 4 个点",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [[[31.2, 121.5], [31.3, 121.5], [31.3, 121.6], [31.2, 121.5]]],
            },
            "超出中国范围",
        ),
        (
            {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]},
            "超出中国范围",
        ),
        ({"type": "Polygon", "coordinates": []}, "多边形为空"),
        ({"type": "MultiPolygon", "coordinates": []}, "多边形为空"),
        ({"type": "Polygon"}, "缺少坐标"),
        (
            {"type": "Polygon", "coordinates": [[["a", 31.2], [121.6, 31.2], [121.6, 31.3], ["a", 31.2]]]},
            "坐标格式错误",
        ),
        (
            {
                "type": "MultiPolygon",
                "coordinates": [box(121.5, 31.2, 121.6, 31.3)["coordinates"], [[[121.5, 31.2]]]],
            },
            "第 2 个多边形的外环至少需要 4 个点",
        ),
    ],
)
def test_invalid_geojson_gives_a_clear_message(geojson, message):
    with pytest.raises(GeometryError) as exc:
        parse_polygon(geojson)
    assert message in str(exc.value)


def test_valid_polygons_parse():
    square = parse_polygon(box(121.5, 31.2, 121.6, 31.3))
    assert square.area == pytest.approx(0.01)
    with_hole = {
        "type": "Polygon",
        "coordinates": [
            box(121.5, 31.2, 121.6, 31.3)["coordinates"][0],
            box(121.52, 31.22, 121.54, 31.24)["coordinates"][0],
        ],
    }
    assert parse_polygon(with_hole).area == pytest.approx(0.01 - 0.0004)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [
            box(121.5, 31.2, 121.6, 31.3)["coordinates"],
            box(121.7, 31.2, 121.8, 31.3)["coordinates"],
        ],
    }
    assert parse_polygon(multi).geom_type == "MultiPolygon"


# --- import: happy path, idempotence, updates --------------------------------------------


def test_import_builds_the_tree_with_parents_first(db):
    result = import_areas(sample())

    assert (result.created, result.updated, result.unchanged) == (10, 0, 0)
    assert result.summary() == "created=10 updated=0 unchanged=0"
    grid = Area.objects.get(code="310115005001002")
    street = Area.objects.get(code="310115005")
    assert grid.kind == AreaKind.GRID
    assert grid.parent.code == "310115005001"
    assert grid.street_id == street.pk
    assert street.street_id == street.pk
    assert grid.path == "/310115/310115005/310115005001/310115005001002/"
    assert Area.objects.get(code="310115").geometry is None
    police = GridLayer.objects.get(code="JW-LJZ-01")
    assert (police.layer, police.street_id) == (GridLayerKind.POLICE, street.pk)
    # Every write is audited as done by a command, with no user.
    created = AuditLog.objects.filter(event=AuditEvent.CREATE)
    assert created.count() == 10
    assert set(created.values_list("via", flat=True)) == {"command"}
    assert set(created.values_list("actor", flat=True)) == {None}
    # The spatial index sees the new areas.
    assert locate(121.505, 31.235).grid.code == "310115005001002"


def test_reimport_changes_nothing(db):
    import_areas(sample())
    before = db_state()
    stamps = list(Area.objects.order_by("code").values_list("updated_at", flat=True))

    result = import_areas(sample())

    assert (result.created, result.updated, result.unchanged) == (0, 0, 10)
    assert db_state() == before
    assert list(Area.objects.order_by("code").values_list("updated_at", flat=True)) == stamps


def test_reimport_updates_a_changed_name_and_geometry(db):
    import_areas(sample())
    audit_before = AuditLog.objects.count()
    data = sample()
    # Move the border between 崂山1号 and 崂山2号 north: 1号 grows into land 2号 gives up.
    feature(data, "310115005001001")["properties"]["name"] = "崂山一网格"
    feature(data, "310115005001001")["geometry"] = box(121.50, 31.22, 121.51, 31.235)
    feature(data, "310115005001002")["geometry"] = box(121.50, 31.235, 121.51, 31.24)

    result = import_areas(data)

    assert (result.created, result.updated, result.unchanged) == (0, 2, 8)
    assert sorted(result.changed_codes) == ["310115005001001", "310115005001002"]
    grid = Area.objects.get(code="310115005001001")
    assert grid.name == "崂山一网格"
    assert grid.geometry == box(121.50, 31.22, 121.51, 31.235)
    assert locate(121.505, 31.232).grid.code == "310115005001001"
    updates = AuditLog.objects.filter(event=AuditEvent.UPDATE)
    assert AuditLog.objects.count() == audit_before + 2
    change = updates.get(object_id=str(grid.pk)).changes
    assert change["name"] == ["崂山1号网格", "崂山一网格"]
    assert "geometry" in change


def test_import_moves_buildings_whose_grid_changed(db):
    import_areas(sample())
    building = Building.objects.create(address="崂山二村11号", lon=121.505, lat=31.232)
    assert building.grid.code == "310115005001002"
    data = sample()
    feature(data, "310115005001001")["geometry"] = box(121.50, 31.22, 121.51, 31.235)
    feature(data, "310115005001002")["geometry"] = box(121.50, 31.235, 121.51, 31.24)

    result = import_areas(data)

    building.refresh_from_db()
    assert result.buildings_relocated == 1
    assert building.grid.code == "310115005001001"
    assert AuditLog.for_object(building).filter(event=AuditEvent.UPDATE).exists()


def test_import_may_reference_existing_parents(world):
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "code": "90000100100103",
                    "name": "新网格",
                    "kind": "grid",
                    "parent": "900001001001",
                },
                "geometry": box(121.05, 31.22, 121.06, 31.23),
            }
        ],
    }
    result = import_areas(data)
    assert result.summary() == "created=1 updated=0 unchanged=0"
    grid = Area.objects.get(code="90000100100103")
    assert grid.parent == world.east.residential[0]
    assert grid.street_id == world.east.street.pk


def test_import_accepts_a_grid_overlapping_a_stored_grid_the_file_replaces(world):
    east_grids = world.east.grids[:2]  # 90000100100101 (south) and …02 (north) of one residential area
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": g.code, "name": g.name, "kind": "grid", "parent": g.parent.code},
                "geometry": geom,
            }
            for g, geom in zip(
                east_grids,
                [box(121.05, 31.20, 121.06, 31.215), box(121.05, 31.215, 121.06, 31.22)],
                strict=True,
            )
        ],
    }
    result = import_areas(data)
    assert result.updated == 2
    assert locate(121.055, 31.212).grid.code == east_grids[0].code


# --- import: every bad input names the feature and writes nothing --------------------------


def _drop_parent(data):
    feature(data, "310115005002")["properties"]["parent"] = None


def _set(code, key, value):
    def change(data):
        feature(data, code)["properties"][key] = value

    return change


def _geometry(code, geometry):
    def change(data):
        feature(data, code)["geometry"] = geometry

    return change


def _duplicate(data):
    copy_ = copy.deepcopy(feature(data, "310115005001002"))
    copy_["geometry"] = box(121.53, 31.22, 121.54, 31.23)
    data["features"].append(copy_)


def _overlapping_world_grid(data):
    # A new grid of the sample's residential area, drawn over 东1居民区1号网格 of the world.
    data["features"].append(
        {
            "type": "Feature",
            "properties": {
                "code": "310115005001003",
                "name": "越界网格",
                "kind": "grid",
                "parent": "310115005001",
            },
            "geometry": box(121.055, 31.205, 121.058, 31.208),
        }
    )


BAD_INPUTS = [
    (
        "bowtie",
        _geometry("310115005002001", BOWTIE),
        "要素 #3 (code=310115005002001): 多边形无效：Self-intersection",
    ),
    (
        "unclosed",
        _geometry(
            "310115005001001",
            {
                "type": "Polygon",
                "coordinates": [[[121.5, 31.22], [121.51, 31.22], [121.51, 31.23], [121.5, 31.23]]],
            },
        ),
        "要素 #1 (code=310115005001001): 外环未闭合",
    ),
    (
        "outside China",
        _geometry("310115005", box(2.3, 48.8, 2.4, 48.9)),
        "要素 #7 (code=310115005): 坐标超出中国范围",
    ),
    (
        "grid without geometry",
        _geometry("310115005002002", None),
        "要素 #4 (code=310115005002002): 网格必须有边界",
    ),
    (
        "unknown kind",
        _set("310115005001", "kind", "village"),
        "要素 #5 (code=310115005001): 未知层级 kind=village",
    ),
    ("missing parent", _drop_parent, "要素 #6 (code=310115005002): 缺少上级编码 parent"),
    (
        "unknown parent",
        _set("310115005002", "parent", "310115999"),
        "要素 #6 (code=310115005002): 上级编码 310115999 不存在",
    ),
    (
        "wrong parent kind",
        _set("310115005002001", "parent", "310115005"),
        "要素 #3 (code=310115005002001): 网格的上级必须是居民区，而 310115005 是街道",
    ),
    (
        "district with parent",
        _set("310115", "parent", "310115005"),
        "要素 #8 (code=310115): 区不能有上级区域",
    ),
    (
        "layer grid under a residential area",
        _set("JW-LJZ-01", "parent", "310115005001"),
        "要素 #9 (code=JW-LJZ-01): 警务网格的上级必须是街道，而 310115005001 是居民区",
    ),
    ("missing name", _set("310115005001002", "name", "  "), "要素 #2 (code=310115005001002): 缺少名称 name"),
    ("missing code", _set("310115005001002", "code", ""), "要素 #2 (code=?): 缺少编码 code"),
    ("duplicate code", _duplicate, "要素 #11 (code=310115005001002): 编码重复：与要素 #2 相同"),
    (
        "grids overlapping in the file",
        _geometry("310115005002001", box(121.505, 31.22, 121.515, 31.23)),
        "要素 #3 (code=310115005002001): 与要素 #1 (code=310115005001001) 的网格重叠",
    ),
    (
        "grid overlapping a stored grid",
        _overlapping_world_grid,
        "要素 #11 (code=310115005001003): 与已有网格重叠：90000100100101",
    ),
    (
        "existing code, other kind",
        _set("310115", "code", "900001001"),
        "要素 #8 (code=900001001): 编码已存在且层级为街道，不能改为区",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"), [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_names_the_feature_and_writes_nothing(world, change, message):
    data = sample()
    change(data)
    before = db_state()
    index_before = locate(121.505, 31.225)

    with pytest.raises(AreaImportError) as exc:
        import_areas(data)

    assert any(p.startswith(message) for p in exc.value.problems), exc.value.problems
    assert db_state() == before
    assert locate(121.505, 31.225) == index_before


def test_every_problem_is_reported_at_once(db):
    data = sample()
    feature(data, "310115005002001")["geometry"] = BOWTIE
    feature(data, "310115005001")["properties"]["kind"] = "village"
    feature(data, "310115005002")["properties"]["parent"] = "nowhere"

    with pytest.raises(AreaImportError) as exc:
        import_areas(data)

    problems = exc.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "要素 #3 (code=310115005002001)",
        "要素 #5 (code=310115005001)",
        "要素 #6 (code=310115005002)",
    ]
    # The grids under the rejected 崂山 feature are not reported again as orphans.
    assert not any("#1 " in p or "#2 " in p for p in problems)
    assert Area.objects.count() == 0
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "不是 GeoJSON 对象"),
        ("FeatureCollection", "不是 GeoJSON 对象"),
        ({"type": "Feature", "properties": {}}, "顶层 type 必须是 FeatureCollection，而不是 Feature"),
        ({"type": "FeatureCollection"}, "缺少 features 数组"),
        ({"type": "FeatureCollection", "features": [42]}, "要素 #1 (code=?): 不是 GeoJSON Feature 对象"),
        (
            {"type": "FeatureCollection", "features": [{"type": "Feature"}]},
            "要素 #1 (code=?): 缺少 properties 对象",
        ),
    ],
)
def test_bad_structure_is_rejected(db, data, message):
    with pytest.raises(AreaImportError) as exc:
        import_areas(data)
    assert exc.value.problems == [exc.value.problems[0]]
    assert message in exc.value.problems[0]


def test_dry_run_writes_nothing(db):
    result = import_areas(sample(), dry_run=True)
    assert result.created == 0
    assert Area.objects.count() == 0


def test_failed_write_rolls_back_and_leaves_index_clean(db, monkeypatch):
    from civicgrid.geo import io

    def boom():
        # Inside the transaction the index is rebuilt from the not-yet-committed rows…
        assert locate(121.505, 31.225).grid.code == "310115005001001"
        raise RuntimeError("disk full")

    monkeypatch.setattr(io, "relocate_buildings", boom)
    with pytest.raises(RuntimeError):
        import_areas(sample())
    assert Area.objects.count() == 0
    assert not locate(121.505, 31.225)  # …and must not keep them after the rollback


# --- layer grids --------------------------------------------------------------------------


def test_import_maps_layer_grids_onto_comprehensive_grids(db):
    import_areas(sample())

    police = GridLayer.objects.get(code="JW-LJZ-01")
    urban = GridLayer.objects.get(code="CG-LJZ-01")
    assert sorted(police.comprehensive_grids.values_list("code", flat=True)) == [
        "310115005001001",
        "310115005002001",
    ]
    # The 4% sliver in 福山2号 is under the default 5% share.
    assert list(urban.comprehensive_grids.values_list("code", flat=True)) == ["310115005001002"]


def test_import_remaps_layer_grids_when_comprehensive_grids_move(db):
    import_areas(sample())
    data = {
        "type": "FeatureCollection",
        "features": [
            # 崂山1号 shrinks to the western half: the police grid no longer reaches it.
            {
                "type": "Feature",
                "properties": {
                    "code": "310115005001001",
                    "name": "崂山1号网格",
                    "kind": "grid",
                    "parent": "310115005001",
                },
                "geometry": box(121.50, 31.22, 121.5049, 31.23),
            }
        ],
    }
    result = import_areas(data)
    police = GridLayer.objects.get(code="JW-LJZ-01")
    assert list(police.comprehensive_grids.values_list("code", flat=True)) == ["310115005002001"]
    assert result.layer_grids_remapped == 1


# --- export -------------------------------------------------------------------------------


def test_export_is_a_feature_collection_ordered_by_code(world):
    text = dumps_feature_collection(export_features())
    data = json.loads(text)
    assert data["type"] == "FeatureCollection"
    codes = [f["properties"]["code"] for f in data["features"]]
    assert codes == sorted(codes)
    assert len(codes) == Area.objects.count()
    for f in data["features"]:
        assert f["type"] == "Feature"
        assert set(f["properties"]) == {"code", "name", "kind", "parent"}
    by_code = {f["properties"]["code"]: f for f in data["features"]}
    grid = world.east.grids[0]
    assert by_code[grid.code]["properties"] == {
        "code": grid.code,
        "name": grid.name,
        "kind": "grid",
        "parent": grid.parent.code,
    }
    assert by_code[grid.code]["geometry"] == grid.geometry
    assert by_code["900001"]["properties"]["parent"] is None
    assert "东1居民区1号网格" in text  # not \u-escaped


def test_export_filters_by_kind_and_street(world):
    import_areas(sample())
    grids = export_features(kind=AreaKind.GRID)
    assert {f["properties"]["kind"] for f in grids} == {"grid"}
    assert len(grids) == Area.objects.grids().count()

    police = export_features(kind=GridLayerKind.POLICE)
    assert [f["properties"]["code"] for f in police] == ["JW-LJZ-01"]
    assert police[0]["properties"]["parent"] == "310115005"

    east = export_features(street=world.east.street)
    codes = {f["properties"]["code"] for f in east}
    assert codes == {a.code for a in Area.objects.filter(path__startswith=world.east.street.path)}
    assert world.west.street.code not in codes and "900001" not in codes

    lujiazui = Area.objects.get(code="310115005")
    layer_codes = [
        f["properties"]["code"]
        for f in export_features(street=lujiazui)
        if f["properties"]["kind"] in GridLayerKind.values
    ]
    assert sorted(layer_codes) == ["CG-LJZ-01", "JW-LJZ-01"]


def test_export_then_import_into_an_empty_database_round_trips(db):
    import_areas(sample())
    exported = json.loads(dumps_feature_collection(export_features()))

    def key(f):
        return (f["properties"]["code"], f["properties"]["kind"])

    assert sorted(exported["features"], key=key) == sorted(sample()["features"], key=key)

    # Wipe (layer grids before the areas they hang on, children before parents), then re-import.
    GridLayer.objects.all().delete()
    # A street's `street` is itself, with on_delete=PROTECT: unhook it first.
    Area.objects.update(street=None)
    for kind in (AreaKind.GRID, AreaKind.RESIDENTIAL, AreaKind.STREET, AreaKind.DISTRICT):
        Area.objects.filter(kind=kind).delete()
    result = import_areas(exported)
    assert result.created == len(exported["features"])
    assert json.loads(dumps_feature_collection(export_features())) == exported


def test_export_of_an_empty_database_is_valid(db):
    assert json.loads(dumps_feature_collection(export_features())) == {
        "type": "FeatureCollection",
        "features": [],
    }


def test_a_rejected_feature_still_replaces_its_stored_grid(db):
    """Only the real problem is reported, not a clash with the old shape the file replaces."""
    import_areas(sample())
    data = sample()
    # 崂山2号 grows east over 福山2号's old shape, and 福山2号's new shape is broken.
    feature(data, "310115005001002")["geometry"] = box(121.50, 31.23, 121.515, 31.24)
    feature(data, "310115005002002")["geometry"] = BOWTIE
    with pytest.raises(AreaImportError) as exc:
        import_areas(data)
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith("要素 #4 (code=310115005002002): 多边形无效")
