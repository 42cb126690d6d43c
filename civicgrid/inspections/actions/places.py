"""Places under supervision and the street's checklists: the writes behind their pages and API."""

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.core import events
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, InvalidInput
from civicgrid.geo.index import locate
from civicgrid.geo.models import Building
from civicgrid.residents.actions.registry import bump, ensure_in_scope, lock
from civicgrid.residents.models import Flat

from ..choices import HazardSource, PlaceKind, RiskLevel, Severity
from ..models import Checklist, ChecklistItem, Place

# What save_place() takes; anything else is refused naming the field.
PLACE_FIELDS = frozenset(
    {
        "kind",
        "name",
        "address",
        "building",
        "flat",
        "lon",
        "lat",
        "area_m2",
        "unit",
        "responsible_name",
        "responsible_phone",
        "risk",
        "note",
        "active",
    }
)
TEXT_FIELDS = ("name", "address", "responsible_name", "note")


def _clean_place(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - PLACE_FIELDS
    if unknown:
        raise InvalidInput(
            _("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))},
            dict.fromkeys(unknown, "unknown"),
        )
    out = dict(fields)
    for name in TEXT_FIELDS:
        if name in out:
            out[name] = (out[name] or "").strip()
    if "name" in out and not out["name"]:
        raise InvalidInput(_("请填写场所名称"), {"name": "required"})
    if "kind" in out and out["kind"] not in PlaceKind.values:
        raise InvalidInput(_("场所类型无效"), {"kind": "invalid"})
    if "risk" in out and out["risk"] not in RiskLevel.values:
        raise InvalidInput(_("风险等级无效"), {"risk": "invalid"})
    if out.get("area_m2") not in (None, ""):
        try:
            out["area_m2"] = Decimal(str(out["area_m2"]))
        except InvalidOperation:
            raise InvalidInput(_("面积无效"), {"area_m2": "invalid"}) from None
        if out["area_m2"] < 0:
            raise InvalidInput(_("面积不能为负数"), {"area_m2": "invalid"})
    elif "area_m2" in out:
        out["area_m2"] = None
    for name, bound in (("lon", 180), ("lat", 90)):
        if out.get(name) is not None and not -bound <= float(out[name]) <= bound:
            raise InvalidInput(_("坐标超出范围"), {name: "invalid"})
    if out.get("flat") is not None:
        flat: Flat = out["flat"]
        if out.get("building") is not None and out["building"].pk != flat.building_id:
            raise InvalidInput(_("房屋不在所选楼栋内"), {"flat": "mismatch"})
        out["building"] = flat.building
    return out


def _located(place: Place) -> None:
    """Put the place in its street and grid: from its building (a flat's building), else from
    its position; a place neither names is refused."""
    building: Building | None = place.building
    if building is not None:
        if building.street_id is None:
            raise InvalidInput(_("该楼栋不在任何街道内"), {"building": "invalid"})
        place.street_id, place.grid_id = building.street_id, building.grid_id
        if place.lon is None and place.lat is None:
            place.lon, place.lat = building.lon, building.lat
        if not place.address:
            place.address = building.address
        return
    if place.lon is None or place.lat is None:
        raise InvalidInput(_("请选择楼栋或房屋，或填写经纬度"), {"building": "required"})
    where = locate(place.lon, place.lat)
    if where.street is None:
        raise InvalidInput(_("该位置不在任何街道内"), {"lon": "invalid", "lat": "invalid"})
    place.street_id = where.street.id
    place.grid_id = where.grid.id if where.grid is not None else None


def save_place(actor: Any, *, place: Place | None = None, version: Any = None, **fields: Any) -> Place:
    """Create a place, or change `place` (only the fields given; a stale `version` is a
    Conflict). The place must end inside what the actor may change."""
    fields = _clean_place(fields)
    with transaction.atomic():
        if place is None:
            if not fields.get("kind"):
                raise InvalidInput(_("请选择场所类型"), {"kind": "required"})
            if not fields.get("name"):
                raise InvalidInput(_("请填写场所名称"), {"name": "required"})
            place = Place(**fields)
            _located(place)
            place.save()
            ensure_in_scope(actor, place, Action.ADD)
            events.log(place, "place_add", actor)
            return place
        place = lock(actor, Place, place.pk, version)
        for name, value in fields.items():
            setattr(place, name, value)
        if {"building", "flat", "lon", "lat"} & set(fields):
            _located(place)
        bump(place, [*{*fields, "street", "grid", "lon", "lat", "address"}])
        ensure_in_scope(actor, place, Action.CHANGE)
        events.log(place, "place_change", actor, payload={"fields": sorted(fields)})
        return place


# ---------------------------------------------------------------------------- checklists


def _clean_items(items: Iterable[Mapping[str, Any]]) -> list[ChecklistItem]:
    """The items as unsaved rows, checked; an error names the row (items.<n>.<field>)."""
    rows: list[ChecklistItem] = []
    seen: set[str] = set()
    for n, item in enumerate(items, start=1):
        code = str(item.get("code") or "").strip()
        text = str(item.get("text") or "").strip()
        severity = str(item.get("severity") or Severity.GENERAL)
        hazard = str(item.get("hazard") or "")
        where = {"row": n}
        if not code:
            raise InvalidInput(_("第 %(row)s 项：请填写编码") % where, {f"items.{n}.code": "required"})
        if len(code) > 16:
            raise InvalidInput(_("第 %(row)s 项：编码最多 16 个字符") % where, {f"items.{n}.code": "invalid"})
        if code in seen:
            raise InvalidInput(_("第 %(row)s 项：编码重复") % where, {f"items.{n}.code": "duplicate"})
        if not text:
            raise InvalidInput(_("第 %(row)s 项：请填写检查内容") % where, {f"items.{n}.text": "required"})
        if severity not in Severity.values:
            raise InvalidInput(_("第 %(row)s 项：严重程度无效") % where, {f"items.{n}.severity": "invalid"})
        if hazard and hazard not in HazardSource.values:
            raise InvalidInput(_("第 %(row)s 项：隐患源无效") % where, {f"items.{n}.hazard": "invalid"})
        seen.add(code)
        rows.append(
            ChecklistItem(
                position=n,
                code=code,
                text=text[:300],
                severity=severity,
                rule=str(item.get("rule") or "").strip()[:200],
                hazard=hazard,
            )
        )
    if not rows:
        raise InvalidInput(_("检查表至少要有一项"), {"items": "required"})
    return rows


def revise_checklist(
    actor: Any,
    checklist: Checklist,
    *,
    items: Iterable[Mapping[str, Any]],
    change_note: str,
    title: str | None = None,
) -> Checklist:
    """Write the next revision of `checklist` (which must be the current one) and retire it.
    Of two editors revising the same revision one wins; the other gets a Conflict."""
    rows = _clean_items(items)
    change_note = (change_note or "").strip()
    if not change_note:
        raise InvalidInput(_("请填写修订说明"), {"change_note": "required"})
    title = (title or "").strip() or checklist.title
    stale = Conflict(_("检查表已被他人修订，请刷新后重试"), {"checklist": "stale"})
    try:
        with transaction.atomic():
            old = lock(actor, Checklist, checklist.pk)
            if not old.current:
                raise stale
            retired = Checklist.objects.filter(pk=old.pk, current=True).update(current=False)
            if not retired:
                raise stale
            new = Checklist.objects.create(
                street_id=old.street_id,
                place_kind=old.place_kind,
                revision=old.revision + 1,
                title=title[:100],
                change_note=change_note[:200],
                created_by=actor,
            )
            for row in rows:
                row.checklist = new
            ChecklistItem.objects.bulk_create(rows)
            events.log(new, "checklist_revise", actor, payload={"from": old.revision, "items": len(rows)})
    except IntegrityError:  # the other editor's revision took the number first
        raise stale from None
    return new
