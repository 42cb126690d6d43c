"""Recording an inspection (现场检查): one transaction that keeps the checklist revision used,
one result per item, the check-in distance, the site photos, the task completed and an order
per failed item. `client_key` makes a phone draft sent twice (offline, then again) one record."""

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.core import capabilities, clock, events
from civicgrid.core.attachments import StoredFiles, clean_image, store
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, InvalidInput, NotFound

from .. import checklists
from ..checkin import beyond, distance_from
from ..choices import InspectionPhoto, Outcome, TaskAction, TaskPurpose
from ..models import Inspection, ItemResult, Place, Task
from .frames import TASK_FRAME, load_task
from .orders import issue_order

RECORD = "record"
# A draft filled offline is sent when the phone is back online: accepted up to a week later,
# and a phone clock slightly ahead is tolerated.
MAX_AGE = timedelta(days=7)
MAX_AHEAD = timedelta(minutes=5)
KEY_LENGTH = 64


def is_far(inspection: Inspection) -> bool:
    return beyond(inspection.distance_m, inspection.street_id)


def _place_for(actor: Any, place: Any, task: Any) -> tuple[Place, Task | None]:
    if task is not None:
        task = load_task(task, actor)
        if task.purpose == TaskPurpose.RECHECK:
            raise InvalidInput(_("整改复查请在整改通知页面记录"), {"task": "recheck"})
        return task.place, task
    if place is None:
        raise InvalidInput(_("请选择检查场所"), {"place": "required"})
    pk = place.pk if isinstance(place, Place) else place
    found = Place.objects.restrict(actor, Action.VIEW).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("检查场所不存在或不在你的管辖范围内"))
    return found, None


def _replayed(client_key: str, place: Place, task: Task | None) -> Inspection | None:
    first = Inspection.objects.filter(client_key=client_key).first()
    if first is None:
        return None
    if first.place_id != place.pk or first.task_id != (task.pk if task else None):
        raise Conflict(_("该提交编号已用于另一次检查"))
    return first


def _when(inspected_at: datetime | None) -> datetime:
    now = clock.now()
    if inspected_at is None:
        return now
    if inspected_at > now + MAX_AHEAD or inspected_at < now - MAX_AGE:
        raise InvalidInput(_("检查时间不正确（不能晚于现在，不能早于 7 天前）"), {"inspected_at": "range"})
    return inspected_at


def _outcomes(items: list[Any], results: dict[Any, Any]) -> dict[int, tuple[str, str]]:
    """{item id: (outcome, note)} for every item; missing, unknown or invalid ones named."""
    given: dict[int, tuple[str, str]] = {}
    unknown = []
    ids = {item.pk for item in items}
    for key, value in (results or {}).items():
        outcome, note = (
            (value, "") if isinstance(value, str) else (value.get("outcome"), value.get("note") or "")
        )
        try:
            pk = int(key)
        except (TypeError, ValueError):
            pk = -1
        if pk not in ids or outcome not in Outcome.values:
            unknown.append(str(key))
            continue
        given[pk] = (outcome, str(note)[:500])
    missing = [str(pk) for pk in sorted(ids - set(given))]
    if unknown or missing:
        raise InvalidInput(
            _("检查项未答或无效：%(items)s") % {"items": "、".join(missing + unknown)},
            {"results": {"missing": missing, "invalid": unknown}},
        )
    return given


def record_inspection(
    actor: Any,
    *,
    place: Any = None,
    task: Any = None,
    results: dict[Any, Any],
    note: str = "",
    photos: list[Any] | None = None,
    joint_with: str = "",
    checkin_lon: float | None = None,
    checkin_lat: float | None = None,
    checkin_accuracy: float | None = None,
    inspected_at: datetime | None = None,
    client_key: str | None = None,
    findings: dict[Any, dict[str, Any]] | None = None,
) -> Inspection:
    """现场检查: returns the record (the first one for a replayed `client_key`)."""
    capabilities.require(actor, "inspections.inspect")
    client_key = (client_key or "").strip() or None
    if client_key is not None and len(client_key) > KEY_LENGTH:
        raise InvalidInput(_("提交编号过长"), {"client_key": "too_long"})
    place, task = _place_for(actor, place, task)
    if client_key is not None and (first := _replayed(client_key, place, task)) is not None:
        return first
    at = _when(inspected_at)
    cleaned = [clean_image(p) for p in photos or []]
    stored = StoredFiles()
    try:
        return _write(
            actor,
            place,
            task,
            results,
            note,
            cleaned,
            stored,
            joint_with,
            (checkin_lon, checkin_lat, checkin_accuracy),
            at,
            client_key,
            findings or {},
        )
    except IntegrityError:
        stored.cleanup()
        # Two submits of one draft raced: the loser answers with the winner's record.
        first = _replayed(client_key, place, task) if client_key else None
        if first is None:
            raise
        return first
    except BaseException:
        stored.cleanup()
        raise


def _write(
    actor: Any,
    place: Place,
    task: Task | None,
    results: dict[Any, Any],
    note: str,
    cleaned: list[Any],
    stored: StoredFiles,
    joint_with: str,
    checkin: tuple[float | None, float | None, float | None],
    at: datetime,
    client_key: str | None,
    findings: dict[Any, dict[str, Any]],
) -> Inspection:
    lon, lat, accuracy = checkin
    with transaction.atomic():
        checklist = checklists.current(place.street_id, place.kind, actor)
        items = list(checklist.items.all())
        given = _outcomes(items, results)
        counts = {o: sum(1 for v in given.values() if v[0] == o) for o in Outcome.values}
        distance = distance_from(place, lon, lat)
        inspection = Inspection.objects.create(
            street_id=place.street_id,
            place=place,
            task=task,
            checklist=checklist,
            purpose=task.purpose if task else TaskPurpose.ROUTINE,
            inspector=actor,
            joint_with=(joint_with or "")[:200],
            inspected_at=at,
            unannounced=bool(task and task.unannounced),
            note=note or "",
            passed=counts[Outcome.PASS],
            failed=counts[Outcome.FAIL],
            not_applicable=counts[Outcome.NOT_APPLICABLE],
            lon=None if lon is None else round(lon, 6),
            lat=None if lat is None else round(lat, 6),
            accuracy_m=None if accuracy is None else round(accuracy),
            distance_m=distance,
            client_key=client_key,
        )
        rows = ItemResult.objects.bulk_create(
            ItemResult(inspection=inspection, item=item, outcome=given[item.pk][0], note=given[item.pk][1])
            for item in items
        )
        logged = events.log(
            inspection,
            RECORD,
            actor,
            payload={
                "place": place.pk,
                "task": task.pk if task else None,
                "failed": inspection.failed,
                "far": is_far(inspection),
            },
        )
        store(inspection, cleaned, InspectionPhoto.SITE, actor, stored, event_id=logged.pk)
        for item, row in zip(items, rows, strict=True):
            if row.outcome != Outcome.FAIL:
                continue
            extra = findings.get(item.pk) or findings.get(str(item.pk)) or {}
            issue_order(
                actor,
                place,
                finding=row.note or item.text,
                severity=item.severity,
                rule=item.rule,
                requirement=extra.get("requirement", ""),
                evidence_required=extra.get("evidence_required", ""),
                inspection=inspection,
                result=row,
                deadline_amount=extra.get("deadline_amount"),
                deadline_unit=extra.get("deadline_unit"),
            )
        if task is not None:
            with TASK_FRAME.acting(task.pk, TaskAction.COMPLETE, actor) as ctx:
                ctx.set(inspection=inspection)
                ctx.payload["inspection"] = inspection.pk
    return inspection
