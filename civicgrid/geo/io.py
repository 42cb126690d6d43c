"""GeoJSON import and export of the area tree and the other grid layers (多格合一).

A file is a FeatureCollection; each feature has the properties `code`, `name`, `kind`
(an AreaKind, or a GridLayerKind for a grid of another system) and `parent` (the parent's
code; a layer grid's parent is its street). Import validates the whole file before it
writes anything, then creates or updates by code in one transaction, so a file is either
imported entirely or not at all, and importing it again changes nothing.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from civicgrid.core.audit import acting_as

from . import index
from .choices import PARENT_KIND, AreaKind, GridLayerKind
from .geometry import GeometryError, overlaps, parse_polygon
from .layers import map_layer_grids
from .models import Area, Building, GridLayer

AREA_KINDS = frozenset(AreaKind.values)
LAYER_KINDS = frozenset(GridLayerKind.values)
# Write order: a parent always exists before its children.
DEPTH = {AreaKind.DISTRICT: 0, AreaKind.STREET: 1, AreaKind.RESIDENTIAL: 2, AreaKind.GRID: 3}
LAYER_DEPTH = 4
CODE_MAX = Area._meta.get_field("code").max_length or 32
NAME_MAX = Area._meta.get_field("name").max_length or 100


class AreaImportError(Exception):
    """The file cannot be imported; `problems` lists every reason, each naming its feature."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class FeatureSpec:
    number: int  # position in the file, counted from 1
    code: str
    name: str
    kind: str
    parent: str | None
    geometry: dict[str, Any] | None
    shape: BaseGeometry | None = None

    @property
    def is_layer(self) -> bool:
        return self.kind in LAYER_KINDS

    @property
    def depth(self) -> int:
        return LAYER_DEPTH if self.is_layer else DEPTH[AreaKind(self.kind)]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    buildings_relocated: int = 0
    layer_grids_remapped: int = 0
    changed_codes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created={self.created} updated={self.updated} unchanged={self.unchanged}"


def feature_label(number: int, code: Any) -> str:
    return _("要素 #%(number)s (code=%(code)s)") % {"number": number, "code": code if code else "?"}


def kind_label(kind: str) -> str:
    if kind in AREA_KINDS:
        return str(AreaKind(kind).label)
    return str(GridLayerKind(kind).label)


# --- reading -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A code or name as text; integers are accepted because spreadsheets turn codes into numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


@dataclass
class Reading:
    """The features that passed the checks of their own, and the problems of the others."""

    specs: list[FeatureSpec] = field(default_factory=list)
    # (feature number, message); number 0 is the file itself.
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Codes of rejected features: their children are not reported again as orphans.
    rejected_codes: set[str] = field(default_factory=set)


def read_features(data: Any) -> Reading:
    """Check the GeoJSON structure and each feature on its own (no database)."""
    reading = Reading()
    if not isinstance(data, dict):
        reading.problems.append((0, _("文件内容不是 GeoJSON 对象（应为 FeatureCollection）")))
    elif data.get("type") != "FeatureCollection":
        reading.problems.append(
            (0, _("顶层 type 必须是 FeatureCollection，而不是 %(type)s") % {"type": data.get("type")})
        )
    elif not isinstance(data.get("features"), list):
        reading.problems.append((0, _("FeatureCollection 缺少 features 数组")))
    else:
        for number, feature in enumerate(data["features"], start=1):
            spec, code, errors = _read_feature(number, feature)
            if spec is not None:
                reading.specs.append(spec)
            elif code:
                reading.rejected_codes.add(code)
            reading.problems.extend((number, error) for error in errors)
    return reading


def _read_feature(number: int, feature: Any) -> tuple[FeatureSpec | None, str | None, list[str]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, None, [_("不是 GeoJSON Feature 对象")]
    props = feature.get("properties")
    if not isinstance(props, dict):
        return None, None, [_("缺少 properties 对象")]
    code = _text(props.get("code"))
    errors: list[str] = []
    if not code:
        errors.append(_("缺少编码 code"))
    elif len(code) > CODE_MAX:
        errors.append(_("编码超过 %(max)s 个字符") % {"max": CODE_MAX})
    elif "/" in code:
        errors.append(_("编码不能包含“/”"))  # "/" separates codes in Area.path
    name = _text(props.get("name"))
    if not name:
        errors.append(_("缺少名称 name"))
    elif len(name) > NAME_MAX:
        errors.append(_("名称超过 %(max)s 个字符") % {"max": NAME_MAX})
    kind = props.get("kind")
    if not isinstance(kind, str) or kind not in AREA_KINDS | LAYER_KINDS:
        errors.append(
            _("未知层级 kind=%(kind)s（应为 %(choices)s 之一）")
            % {"kind": kind, "choices": "、".join([*AreaKind.values, *GridLayerKind.values])}
        )
        kind = None
    raw_parent = props.get("parent")
    parent = _text(raw_parent) or None
    if raw_parent not in (None, "") and parent is None:
        errors.append(_("上级编码 parent 必须是文本"))
    geometry = feature.get("geometry")
    shape = None
    if geometry is None:
        if kind == AreaKind.GRID or kind in LAYER_KINDS:
            errors.append(_("网格必须有边界（geometry 不能为空）"))
    else:
        try:
            shape = parse_polygon(geometry)
        except GeometryError as exc:
            errors.append(str(exc))
        else:
            # Keep only what GeoJSON defines for a geometry: no bbox, no foreign members.
            geometry = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
    if errors:
        return None, code, errors
    assert code and name and kind  # for the type checker: every failure returned above
    return FeatureSpec(number, code, name, kind, parent, geometry, shape), code, []


# --- validation against the file and the database ------------------------------------------


def check_features(specs: list[FeatureSpec], rejected_codes: set[str] | None = None) -> list[tuple[int, str]]:
    """Problems that need the whole file or the database: duplicates, parents, overlaps."""
    problems: list[tuple[int, str]] = []

    def problem(spec: FeatureSpec, message: str) -> None:
        problems.append((spec.number, message))

    by_key: dict[tuple[str, str], FeatureSpec] = {}
    file_areas: dict[str, FeatureSpec] = {}
    for spec in specs:
        key = (spec.kind if spec.is_layer else "area", spec.code)
        if key in by_key:
            first = by_key[key]
            problem(spec, _("编码重复：与要素 #%(number)s 相同") % {"number": first.number})
            continue
        by_key[key] = spec
        if not spec.is_layer:
            file_areas[spec.code] = spec

    wanted = {s.code for s in specs if not s.is_layer} | {s.parent for s in specs if s.parent}
    existing = {a.code: a for a in Area.objects.filter(code__in=wanted).only("id", "code", "kind", "name")}

    for spec in specs:
        if not spec.is_layer and spec.code in existing:
            old = existing[spec.code]
            if old.kind != spec.kind:
                problem(
                    spec,
                    _("编码已存在且层级为%(old)s，不能改为%(new)s")
                    % {"old": kind_label(old.kind), "new": kind_label(spec.kind)},
                )
        expected = AreaKind.STREET if spec.is_layer else PARENT_KIND.get(AreaKind(spec.kind))
        if expected is None:
            if spec.parent:
                problem(spec, _("区不能有上级区域（parent 应为空）"))
            continue
        if not spec.parent:
            problem(
                spec, _("缺少上级编码 parent（%(kind)s的上级应为%(parent)s）") % _kinds(spec.kind, expected)
            )
            continue
        parent_kind = (
            file_areas[spec.parent].kind
            if spec.parent in file_areas
            else existing[spec.parent].kind
            if spec.parent in existing
            else None
        )
        if parent_kind is None and spec.parent in (rejected_codes or ()):
            continue  # the parent feature's own problem is reported already
        if parent_kind is None:
            problem(spec, _("上级编码 %(parent)s 不存在（文件和数据库中都没有）") % {"parent": spec.parent})
        elif parent_kind != expected:
            problem(
                spec,
                _("%(kind)s的上级必须是%(parent)s，而 %(code)s 是%(actual)s")
                % {**_kinds(spec.kind, expected), "code": spec.parent, "actual": kind_label(parent_kind)},
            )

    grids = [s for s in by_key.values() if s.kind == AreaKind.GRID]
    # A stored grid whose feature was rejected is still replaced by the file: no clash with it.
    for spec, message in _grid_overlaps(grids, replaced={g.code for g in grids} | (rejected_codes or set())):
        problem(spec, message)

    return problems


def format_problems(data: Any, problems: list[tuple[int, str]]) -> list[str]:
    """Each problem prefixed with its feature (`要素 #3 (code=…): …`), in file order."""
    features = data.get("features") if isinstance(data, dict) else None

    def label(number: int) -> str:
        feature = features[number - 1] if isinstance(features, list) else None
        props = feature.get("properties") if isinstance(feature, dict) else None
        return feature_label(number, _text(props.get("code")) if isinstance(props, dict) else None)

    ordered = sorted(problems, key=lambda p: p[0])  # stable: a feature's problems keep their order
    return [f"{label(number)}: {message}" if number else message for number, message in ordered]


def _kinds(kind: str, parent: str) -> dict[str, str]:
    return {"kind": kind_label(kind), "parent": kind_label(parent)}


def _grid_overlaps(grids: list[FeatureSpec], replaced: set[str]) -> Iterable[tuple[FeatureSpec, str]]:
    """Grids of the file overlapping each other, or overlapping stored grids the file keeps."""
    shapes = [g.shape for g in grids]
    tree = STRtree(shapes) if shapes else None
    for i, grid in enumerate(grids):
        assert grid.shape is not None
        if tree is not None:
            for j in sorted(int(j) for j in tree.query(grid.shape, predicate="intersects")):
                other = grids[j]
                if j < i and overlaps(grid.shape, other.shape):  # report each pair once, on the later one
                    yield (
                        grid,
                        _("与要素 #%(number)s (code=%(code)s) 的网格重叠")
                        % {
                            "number": other.number,
                            "code": other.code,
                        },
                    )
        clash = [ref for ref in index.overlapping_grids(grid.shape) if ref.code not in replaced]
        if clash:
            yield (
                grid,
                _("与已有网格重叠：%(grids)s")
                % {"grids": "、".join(f"{ref.code} {ref.name}" for ref in clash[:5])},
            )


# --- writing -----------------------------------------------------------------------------


def import_areas(
    data: Any, *, actor: Any = None, via: str = "command", dry_run: bool = False
) -> ImportResult:
    """Validate everything, then create or update every feature in one transaction.
    Raises AreaImportError listing every problem (and writes nothing) if the file is wrong."""
    reading = read_features(data)
    specs = reading.specs
    problems = reading.problems + check_features(specs, reading.rejected_codes)
    if problems:
        raise AreaImportError(format_problems(data, problems))
    result = ImportResult()
    if dry_run:
        return result
    try:
        with acting_as(actor, via), transaction.atomic():
            _write(specs, result)
    except IntegrityError as exc:
        index.invalidate()  # the index may have been rebuilt from the rolled-back rows
        raise AreaImportError([_("写入数据库失败，已全部撤销：%(error)s") % {"error": exc}]) from exc
    except BaseException:
        index.invalidate()
        raise
    return result


def _write(specs: list[FeatureSpec], result: ImportResult) -> None:
    areas: dict[str, Area] = {}
    areas_changed = False
    grids_changed = False
    layer_grids: list[GridLayer] = []
    for spec in sorted(specs, key=lambda s: (s.depth, s.number)):
        parent = None
        if spec.parent:
            if spec.parent not in areas:
                areas[spec.parent] = Area.objects.get(code=spec.parent)
            parent = areas[spec.parent]
        if spec.is_layer:
            assert parent is not None
            layer_grid, outcome = _write_layer_grid(spec, parent)
            layer_grids.append(layer_grid)
        else:
            area, outcome = _write_area(spec, parent)
            areas[spec.code] = area
            if outcome != "unchanged":
                areas_changed = True
                grids_changed = grids_changed or spec.kind == AreaKind.GRID
        setattr(result, outcome, getattr(result, outcome) + 1)
        if outcome != "unchanged":
            result.changed_codes.append(spec.code)
    if areas_changed:
        result.buildings_relocated = relocate_buildings()
    # New or moved comprehensive grids can change every layer grid's mapping, not just the file's.
    to_map = GridLayer.objects.all() if grids_changed else layer_grids
    result.layer_grids_remapped = sum(map_layer_grids(layer_grid) for layer_grid in to_map)


def _write_area(spec: FeatureSpec, parent: Area | None) -> tuple[Area, str]:
    area = Area.objects.filter(code=spec.code).first()
    if area is None:
        area = Area(kind=spec.kind, code=spec.code, name=spec.name, parent=parent, geometry=spec.geometry)
        area.save()
        return area, "created"
    new = {"name": spec.name, "parent_id": parent.pk if parent else None, "geometry": spec.geometry}
    if all(getattr(area, attr) == value for attr, value in new.items()):
        return area, "unchanged"
    for attr, value in new.items():
        setattr(area, attr, value)
    area.save()
    return area, "updated"


def _write_layer_grid(spec: FeatureSpec, street: Area) -> tuple[GridLayer, str]:
    layer_grid = GridLayer.objects.filter(layer=spec.kind, code=spec.code).first()
    new = {"name": spec.name, "street_id": street.pk, "geometry": spec.geometry}
    if layer_grid is None:
        layer_grid = GridLayer(layer=spec.kind, code=spec.code, **new)
        layer_grid.save()
        return layer_grid, "created"
    if all(getattr(layer_grid, attr) == value for attr, value in new.items()):
        return layer_grid, "unchanged"
    for attr, value in new.items():
        setattr(layer_grid, attr, value)
    layer_grid.save()
    return layer_grid, "updated"


def relocate_buildings() -> int:
    """Re-derive street/residential area/grid of buildings whose place changed with the areas;
    each one is saved normally, so the move is audited."""
    rows = list(
        Building.objects.values_list("id", "lon", "lat", "grid_id", "residential_area_id", "street_id")
    )
    if not rows:
        return 0
    places = index.locate_many([r[1] for r in rows], [r[2] for r in rows])
    moved = [
        row[0]
        for row, place in zip(rows, places, strict=True)
        if row[3:]
        != tuple(ref.id if ref else None for ref in (place.grid, place.residential_area, place.street))
    ]
    for building in Building.objects.filter(id__in=moved):
        building.save()
    return len(moved)


# --- export ------------------------------------------------------------------------------


def export_features(kind: str | None = None, street: Area | None = None) -> list[dict[str, Any]]:
    """Features of the areas and layer grids (optionally of one kind, one street's subtree),
    ordered by code."""
    areas = Area.objects.select_related("parent")
    layer_grids = GridLayer.objects.select_related("street")
    if street is not None:
        areas = areas.filter(path__startswith=street.path)
        layer_grids = layer_grids.filter(street=street)
    if kind is not None:
        areas = areas.filter(kind=kind) if kind in AREA_KINDS else areas.none()
        layer_grids = layer_grids.filter(layer=kind) if kind in LAYER_KINDS else layer_grids.none()
    rows: list[tuple[str, int, dict[str, Any]]] = [
        (a.code, DEPTH[AreaKind(a.kind)], _feature(a.code, a.name, a.kind, a.parent, a.geometry))
        for a in areas
    ]
    rows += [
        (g.code, LAYER_DEPTH, _feature(g.code, g.name, g.layer, g.street, g.geometry)) for g in layer_grids
    ]
    rows.sort(key=lambda row: row[:2])
    return [row[2] for row in rows]


def _feature(code: str, name: str, kind: str, parent: Area | None, geometry: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "kind": str(kind),
            "parent": parent.code if parent else None,
        },
        "geometry": geometry or None,
    }


def dumps_feature_collection(features: list[dict[str, Any]]) -> str:
    """Valid JSON with one feature per line: readable and friendly to diffs."""
    if not features:
        return '{"type": "FeatureCollection", "features": []}\n'
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in features)
    return '{"type": "FeatureCollection", "features": [\n' + lines + "\n]}\n"
