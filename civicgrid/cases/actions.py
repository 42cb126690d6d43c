"""Every write to a case goes through this module.

Each action runs in one transaction: it loads the case inside the actor's scope (else
NotFound), checks the optimistic `version` (else Conflict), asks the workflow table whether
the actor may take the action now, applies it, bumps the version with a conditional UPDATE
(a concurrent writer that got there first makes ours a Conflict, on SQLite as on
PostgreSQL), writes the timeline row, and schedules side effects (notifications) on commit.
"""

import contextlib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation

from civicgrid.core import clock
from civicgrid.core.audit import current_api_token
from civicgrid.core.querysets import user_scope
from civicgrid.core.retry import retry_when_locked
from civicgrid.core.workdays import working_day_deadline
from civicgrid.geo.services import Location, find_building, locate
from civicgrid.orgs.models import Unit

from . import deadlines, signals, workflow
from .choices import (
    ACTIVE_ASSIGNMENT_STATUSES,
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseAction,
    CaseStatus,
    Channel,
    DisputeLevel,
    EscalationLevel,
    ExtensionStatus,
    NotificationKind,
    PhotoStage,
    RequestType,
    Resolution,
    Satisfaction,
    SupervisionKind,
    Urgency,
)
from .errors import Conflict, InvalidInput, NotFound, TransitionNotAllowed
from .models import (
    Assignment,
    Callback,
    Case,
    CaseEvent,
    CaseSequence,
    Category,
    ExtensionRequest,
    Notification,
    Photo,
    Supervision,
)
from .notifications import Audience, desk, enqueue, send_on_commit, units
from .photos import clean_photo

# ---------------------------------------------------------------------------- helpers


def actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "系统"
    return str(actor)


def _actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not text:
        raise InvalidInput(f"请填写{label}", {field_name: "required"})
    return text


def _choice(value: Any, choices: Any, field_name: str, label: str) -> str:
    if value not in choices.values:
        allowed = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise InvalidInput(f"{label}“{value}”无效，可选：{allowed}", {field_name: "invalid_choice"})
    return str(value)


def _street_label(loc: Location) -> str:
    return loc.street.name if loc.street else ""


@dataclass
class _Stored:
    """Files written during a transaction, removed again if it rolls back."""

    names: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for name in self.names:
            with contextlib.suppress(OSError):
                default_storage.delete(name)


def _save_photos(
    case: Case, event: CaseEvent | None, cleaned: list[Any], stage: str, actor: Any, stored: _Stored
) -> None:
    for image, thumb, width, height in cleaned:
        photo = Photo(
            case=case,
            event=event,
            stage=stage,
            uploaded_by=_actor_or_none(actor),
            width=width,
            height=height,
            street_id=case.street_id,
        )
        photo.image.save(image.name, image, save=False)
        stored.names.append(photo.image.name or "")
        photo.thumbnail.save(thumb.name, thumb, save=False)
        stored.names.append(photo.thumbnail.name or "")
        photo.save()


def _clean_photos(files: list[Any] | None) -> list[Any]:
    return [clean_photo(f) for f in (files or [])]


# ---------------------------------------------------------------------------- intake


@dataclass
class CaseInput:
    request_type: str
    category: str | Category  # a code, or a Category a bulk caller already looked up
    description: str
    channel: str
    title: str = ""
    urgency: str = Urgency.NORMAL
    lon: float | None = None
    lat: float | None = None
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_anonymous: bool = False
    source: str = ""
    external_id: str | None = None
    received_at: datetime | None = None
    photos: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class ResolvedPlace:
    location: Location
    lon: float | None
    lat: float | None
    building: Any


def resolve_place(lon: float | None, lat: float | None, address: str) -> ResolvedPlace:
    """Point first (it is what the reporter saw), else the address's building; never a guess."""
    building = find_building(address) if address else None
    if lon is not None or lat is not None:
        if lon is None or lat is None:
            raise InvalidInput("经度和纬度须同时提供", {"lon" if lon is None else "lat": "required"})
        if not (73 <= float(lon) <= 136 and 3 <= float(lat) <= 54):
            raise InvalidInput(
                "坐标超出范围（应为 WGS84 经纬度）", {"lon": "out_of_range", "lat": "out_of_range"}
            )
        loc = locate(float(lon), float(lat))
        if not loc and building is not None:
            loc = locate(building.lon, building.lat)
        return ResolvedPlace(loc, float(lon), float(lat), building)
    if building is not None:
        return ResolvedPlace(locate(building.lon, building.lat), building.lon, building.lat, building)
    return ResolvedPlace(Location(), None, None, None)


def resolve_category(code: Any) -> Category:
    if isinstance(code, Category):  # already resolved by a bulk caller (the 12345 import)
        if not code.is_active:
            raise InvalidInput(f"问题分类“{code.code}”已停用", {"category": "unknown"})
        return code
    category = (
        Category.objects.filter(code=str(code or "").strip(), is_active=True).select_related("parent").first()
    )
    if category is None:
        raise InvalidInput(f"问题分类“{code}”不存在或已停用", {"category": "unknown"})
    return category


def _next_number(street_id: int, street_code: str, year: int) -> str:
    """The next number of the street and year. The UPDATE takes the row lock (held to COMMIT,
    so numbers stay gap-free and unique); the first case of a year creates the row."""
    rows = CaseSequence.objects.filter(street_id=street_id, year=year)
    if not rows.update(last=F("last") + 1):
        CaseSequence.objects.select_for_update().get_or_create(street_id=street_id, year=year)
        rows.update(last=F("last") + 1)
    last = rows.values_list("last", flat=True).get()
    return f"{street_code}-{year}-{last:06d}"


def validate_input(data: CaseInput) -> tuple[Category, ResolvedPlace]:
    _choice(data.request_type, RequestType, "request_type", "诉求类型")
    _choice(data.channel, Channel, "channel", "来源渠道")
    _choice(data.urgency, Urgency, "urgency", "紧急程度")
    _required(data.description, "description", "诉求内容")
    category = resolve_category(data.category)
    place = resolve_place(data.lon, data.lat, (data.address or "").strip())
    if not place.location:
        raise InvalidInput(
            "无法定位：地址未找到且没有坐标，或坐标不在本平台的任何街道内", {"address": "not_located"}
        )
    return category, place


def check_street_scope(scope: Any, location: Location) -> None:
    """Staff register cases only in their own streets (residents report anywhere; no scope:
    the system)."""
    street = location.street
    if (
        scope is not None
        and scope.role != "resident"
        and not scope.is_global
        and street is not None
        and street.id not in scope.street_ids
    ):
        message = f"该位置属于{_street_label(location)}，不在你的管辖范围内"
        raise InvalidInput(message, {"address": "out_of_scope"})


def create_case(
    data: CaseInput,
    actor: Any = None,
    *,
    fingerprint: str = "",
    via: str = "web",
    find_duplicates: bool = True,
) -> Case:
    """Register a case from any channel. Anonymous public reports pass actor=None. System
    imports pass find_duplicates=False: 12345 merges its own repeats, and the case page lists
    live candidates anyway (the CREATE event then has no "duplicate_candidates")."""
    category, place = validate_input(data)
    check_street_scope(user_scope(actor), place.location)
    street_id = place.location.street.id  # type: ignore[union-attr]
    cleaned = _clean_photos(data.photos)
    received_at = data.received_at or clock.now()
    due = deadlines.compute(received_at, data.request_type, category, data.urgency)
    from .duplicates import suggest_for_new
    from .routing import route

    stored = _Stored()
    try:
        with transaction.atomic():
            loc = place.location
            proposal = route(category, [loc.grid, loc.residential_area, loc.street])
            case = Case(
                status=CaseStatus.NEW,
                request_type=data.request_type,
                category=category,
                title=(data.title or data.description).strip()[:100],
                description=data.description.strip(),
                channel=data.channel,
                urgency=data.urgency,
                lon=place.lon,
                lat=place.lat,
                address=(data.address or "").strip() or (str(place.building) if place.building else ""),
                building=place.building,
                street_id=street_id,
                residential_area_id=loc.residential_area.id if loc.residential_area else None,
                grid_id=loc.grid.id if loc.grid else None,
                reporter_name=(data.reporter_name or "").strip(),
                reporter_phone=(data.reporter_phone or "").strip(),
                reporter_anonymous=bool(data.reporter_anonymous),
                created_by=_actor_or_none(actor),
                source=data.source,
                external_id=data.external_id or None,
                source_fingerprint=fingerprint,
                lead_unit=proposal.lead_unit if proposal else None,
                received_at=received_at,
                response_due_at=due.response_due_at,
                handling_due_at=due.handling_due_at,
            )
            # Candidates before the number: the street's sequence row stays locked from
            # _next_number() to COMMIT, so everything that can run earlier does.
            candidates = suggest_for_new(case) if find_duplicates else None
            case.number = _next_number(street_id, loc.street.code, timezone.localtime(received_at).year)  # type: ignore[union-attr]
            try:
                with transaction.atomic():
                    case.save()
            except IntegrityError as exc:
                if (
                    data.external_id
                    and Case.objects.filter(source=data.source, external_id=data.external_id).exists()
                ):
                    raise Conflict(
                        f"外部编号 {data.external_id} 已导入", {"external_id": "duplicate"}
                    ) from exc
                raise
            created: dict[str, Any] = {
                "via": via,
                "routed_to": proposal.lead_unit.name if proposal else None,
                "co_units": [u.name for u in proposal.co_units] if proposal else [],
            }
            if candidates is not None:
                created["duplicate_candidates"] = [c.number for c in candidates]
            event = _event(
                case,
                CaseAction.CREATE,
                actor,
                "",
                CaseStatus.NEW,
                note=f"经{case.get_channel_display()}登记",
                data=created,
            )
            _save_photos(case, event, cleaned, PhotoStage.BEFORE, actor, stored)
    except BaseException:
        stored.cleanup()
        raise
    return case


def update_from_source(
    case: Case, data: CaseInput, fingerprint: str, actor: Any = None
) -> tuple[Case, list[str]]:
    """A re-sent 12345 row changed: update what the source owns and say what changed. An
    actor (who uploaded the file) may only update cases of their own streets."""
    category, place = validate_input(data)
    loc = place.location
    scope = user_scope(actor)
    if scope is not None and not scope.is_global and case.street_id not in scope.street_ids:
        raise InvalidInput("该工单不属于你管辖的街道，不能通过导入更新", {"external_id": "out_of_scope"})
    new = {
        "request_type": data.request_type,
        "category_id": category.pk,
        "description": data.description.strip(),
        "title": (data.title or data.description).strip()[:100],
        "address": (data.address or "").strip(),
        "lon": place.lon,
        "lat": place.lat,
        "building_id": place.building.pk if place.building else None,
        "residential_area_id": loc.residential_area.id if loc.residential_area else None,
        "grid_id": loc.grid.id if loc.grid else None,
        "reporter_name": (data.reporter_name or "").strip(),
        "reporter_phone": (data.reporter_phone or "").strip(),
        "received_at": data.received_at or case.received_at,
    }
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        changed = [name for name, value in new.items() if getattr(locked, name) != value]
        if not changed:
            if locked.source_fingerprint != fingerprint:
                Case.objects.filter(pk=locked.pk).update(source_fingerprint=fingerprint)
            return locked, []
        if loc.street and loc.street.id != locked.street_id:
            raise InvalidInput("更新后的地址属于另一个街道，请人工处理", {"address": "street_changed"})
        for name in changed:
            setattr(locked, name, new[name])
        locked.source_fingerprint = fingerprint
        if {"received_at", "category_id", "request_type"} & set(changed):
            due = deadlines.compute(locked.received_at, locked.request_type, category, locked.urgency)
            locked.response_due_at, locked.handling_due_at = due.response_due_at, due.handling_due_at
        locked.version += 1
        locked.save()
        with translation.override(settings.LANGUAGE_CODE):  # the timeline is written in the site's language
            labels = [
                str(getattr(Case._meta.get_field(n.removesuffix("_id")), "verbose_name", n)) for n in changed
            ]
        _event(
            locked,
            CaseAction.UPDATE,
            actor,
            locked.status,
            locked.status,
            note="来源数据更新：" + "、".join(labels),
            data={"fields": changed},
        )
    return locked, changed


# ---------------------------------------------------------------------------- the action frame


def _event(
    case: Case,
    action: str,
    actor: Any,
    from_status: str,
    to_status: str,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    unit: Unit | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    data = dict(data or {})
    token = current_api_token()
    if token is not None:
        # The case's audit trail is its timeline: an API write names the token it came with.
        data["api_token"] = {"id": token[0], "label": token[1]}
    event = CaseEvent.objects.create(
        case=case,
        at=at or clock.now(),
        actor=_actor_or_none(actor),
        actor_label=actor_label(actor),
        unit=unit,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=note,
        data=data,
        street_id=case.street_id,
    )
    # Later apps (webhooks) hear of it once the action's transaction has committed.
    signals.send_on_commit([signals.CommittedEvent(case.pk, event.pk, str(action), case.street_id)])
    return event


@dataclass
class _Ctx:
    case: Case
    actor: Any
    action: str
    from_status: str
    now: datetime
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    unit: Unit | None = None
    changed: set[str] = field(default_factory=set)
    after_commit: list[Callable[[], object]] = field(default_factory=list)
    event: CaseEvent | None = None
    # Cleaned photos to store with this action's timeline row, inside its transaction.
    photos: list[Any] = field(default_factory=list)
    photo_stage: str = PhotoStage.AFTER
    stored: _Stored = field(default_factory=_Stored)

    def attach(self, cleaned: list[Any], stage: str) -> None:
        self.photos, self.photo_stage = cleaned, stage
        if cleaned:
            self.data["photos"] = len(cleaned)

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self.case, name, value)
            self.changed.add(name)


def load_case(ref: Any, actor: Any) -> Case:
    """The case by id, number or instance, if the actor may see it; NotFound otherwise."""
    qs = Case.objects.restrict(actor, "view")
    pk = ref.pk if isinstance(ref, Case) else ref
    # Case numbers look like "310115005-2026-000123"; a digits-only string longer than any id
    # is a number too (and would overflow an integer column).
    if isinstance(pk, str) and (not pk.isdigit() or len(pk) > 18):
        found = qs.filter(number=pk).values_list("pk", flat=True).first()
    else:
        found = qs.filter(pk=int(pk)).values_list("pk", flat=True).first()
    if found is None:
        raise NotFound("工单不存在或不在你的管辖范围内")
    return Case.objects.get(pk=found)


# A writer that SQLite refused with "database is locked" runs again (core.retry); the retry then
# sees the winner's change and ends in a Conflict or succeeds, so exactly one of the competing
# writers wins; a writer that waited its whole budget is told to try again later.
_retry_on_lock = retry_when_locked(give_up=lambda exc: Conflict("工单正被他人更新，请稍后重试"))


@contextlib.contextmanager
def _acting(ref: Any, action: str, actor: Any, version: int | None) -> Iterator[_Ctx]:
    visible = load_case(ref, actor)
    stored = _Stored()
    try:
        with _acting_in_transaction(visible, action, actor, version, stored) as ctx:
            yield ctx
    except BaseException:
        stored.cleanup()  # photo files written before a rollback must not outlive it
        raise


@contextlib.contextmanager
def _acting_in_transaction(
    visible: Case, action: str, actor: Any, version: int | None, stored: _Stored
) -> Iterator[_Ctx]:
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("category", "street").get(pk=visible.pk)
        if version is not None and int(version) != case.version:
            raise Conflict(f"工单已被他人更新（当前版本 {case.version}，你提交的是 {version}），请刷新后重试")
        workflow.check(case, action, actor)
        ctx = _Ctx(
            case=case, actor=actor, action=action, from_status=case.status, now=clock.now(), stored=stored
        )
        yield ctx
        old_version = case.version
        values = {name: getattr(case, name) for name in ctx.changed}
        values.update(version=old_version + 1, updated_at=ctx.now)
        # Conditional on the version we read: with no row locks (SQLite) this is what makes
        # exactly one of two concurrent writers win.
        if Case.objects.filter(pk=case.pk, version=old_version).update(**values) != 1:
            raise Conflict("工单刚被他人更新，请刷新后重试")
        case.version = old_version + 1
        ctx.event = _event(
            case,
            action,
            actor,
            ctx.from_status,
            case.status,
            note=ctx.note,
            data=ctx.data,
            unit=ctx.unit,
            at=ctx.now,
        )
        _save_photos(case, ctx.event, ctx.photos, ctx.photo_stage, actor, stored)
        for callback in ctx.after_commit:
            transaction.on_commit(callback)


def _actor_assignments(ctx: _Ctx, statuses: set[str]) -> list[Assignment]:
    scope = user_scope(ctx.actor)
    unit_ids = scope.unit_ids if scope else frozenset()
    return list(
        Assignment.objects.select_for_update()
        .filter(case=ctx.case, unit_id__in=unit_ids, status__in=statuses)
        .select_related("unit")
    )


def _respond(ctx: _Ctx) -> None:
    if ctx.case.responded_at is None:
        ctx.set(responded_at=ctx.now)


def _unit_users(unit_id: int | None) -> Audience:
    return units([unit_id])


def _notify_later(ctx: _Ctx, audience: Audience, kind: str, text: str, key: str) -> None:
    # A Celery task after the commit (notifications.send_on_commit): ids and keys only.
    case_id = ctx.case.pk
    ctx.after_commit.append(lambda: enqueue(audience, case_id, kind, text, key))


# ---------------------------------------------------------------------------- actions


@_retry_on_lock
def file_case(
    case: Any,
    actor: Any,
    *,
    version: int | None = None,
    note: str = "",
    category: str | None = None,
    request_type: str | None = None,
    urgency: str | None = None,
) -> Case:
    with _acting(case, CaseAction.FILE, actor, version) as ctx:
        c = ctx.case
        if category and category != c.category.code:
            ctx.set(category=resolve_category(category))
        if request_type and request_type != c.request_type:
            ctx.set(request_type=_choice(request_type, RequestType, "request_type", "诉求类型"))
        if urgency and urgency != c.urgency:
            ctx.set(urgency=_choice(urgency, Urgency, "urgency", "紧急程度"))
        if ctx.changed:
            due = deadlines.compute(c.received_at, c.request_type, c.category, c.urgency)
            ctx.set(response_due_at=due.response_due_at, handling_due_at=due.handling_due_at)
            ctx.data["reclassified"] = sorted(ctx.changed)
        ctx.set(status=CaseStatus.FILED)
        ctx.note = note
    return ctx.case


@_retry_on_lock
def reject_case(case: Any, actor: Any, *, reason: str = "", version: int | None = None) -> Case:
    reason = _required(reason, "reason", "不予立案理由")
    with _acting(case, CaseAction.REJECT, actor, version) as ctx:
        ctx.set(status=CaseStatus.REJECTED, closed_at=ctx.now, resolution_note=reason)
        ctx.note = reason
    return ctx.case


def _resolve_units(actor: Any, lead_unit: Any, co_units: Any) -> tuple[Unit | None, list[Unit]]:
    visible = Unit.objects.restrict(actor, "view").filter(is_active=True)
    lead = None
    if lead_unit not in (None, ""):
        lead = visible.filter(pk=int(lead_unit)).first()
        if lead is None:
            raise InvalidInput(f"主办单位 {lead_unit} 不存在或不可选", {"lead_unit": "unknown"})
    co_ids = [int(u) for u in (co_units or [])]
    co = list(visible.filter(pk__in=co_ids))
    if len(co) != len(set(co_ids)):
        missing = sorted(set(co_ids) - {u.pk for u in co})
        raise InvalidInput(f"协办单位 {missing} 不存在或不可选", {"co_units": "unknown"})
    return lead, co


def _dispatch(ctx: _Ctx, lead_unit: Any, co_units: Any, note: str) -> None:
    from .routing import route

    c = ctx.case
    lead, co = _resolve_units(ctx.actor, lead_unit, co_units)
    proposal = route(c.category, [c.grid, c.residential_area, c.street])
    if lead is None:
        lead = c.lead_unit or (proposal.lead_unit if proposal else None)
    if co_units is None and proposal is not None and proposal.lead_unit == lead:
        # Dispatching to the routed lead unit whistles its co-handlers too (吹哨报到),
        # unless the dispatcher chose the co-handlers (an empty list means none).
        co = proposal.co_units
    if lead is None:
        raise InvalidInput("职责表中没有匹配的单位，请选择主办单位", {"lead_unit": "required"})
    co = [u for u in co if u.pk != lead.pk]
    cancelled = Assignment.objects.filter(case=c, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
        status=AssignmentStatus.CANCELLED
    )
    created = [
        Assignment.objects.create(
            case=c,
            unit=unit,
            role=role,
            dispatched_at=ctx.now,
            dispatched_by=_actor_or_none(ctx.actor),
            handling_due_at=c.handling_due_at,
            street_id=c.street_id,
        )
        for unit, role in [(lead, AssignmentRole.LEAD), *((u, AssignmentRole.CO) for u in co)]
    ]
    ctx.set(status=CaseStatus.DISPATCHED, lead_unit=lead)
    ctx.note = note
    ctx.data.update(lead_unit=lead.name, co_units=[u.name for u in co], cancelled=cancelled)
    for assignment in created:
        unit_id = assignment.unit_id
        _notify_later(
            ctx,
            _unit_users(unit_id),
            NotificationKind.DISPATCHED,
            f"新派单 {c.number}（{assignment.get_role_display()}）：{c.title}",
            f"dispatch:{assignment.pk}",
        )


@_retry_on_lock
def dispatch_case(
    case: Any,
    actor: Any,
    *,
    lead_unit: Any = None,
    co_units: Any = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    with _acting(case, CaseAction.DISPATCH, actor, version) as ctx:
        _dispatch(ctx, lead_unit, co_units, note)
    return ctx.case


@_retry_on_lock
def redispatch_case(
    case: Any,
    actor: Any,
    *,
    lead_unit: Any = None,
    co_units: Any = None,
    note: str = "",
    version: int | None = None,
) -> Case:
    with _acting(case, CaseAction.REDISPATCH, actor, version) as ctx:
        _dispatch(ctx, lead_unit, co_units, note)
    return ctx.case


@_retry_on_lock
def sign_case(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    with _acting(case, CaseAction.SIGN, actor, version) as ctx:
        mine = _actor_assignments(ctx, {AssignmentStatus.PENDING})
        for a in mine:
            a.status, a.signed_at, a.signed_by = AssignmentStatus.SIGNED, ctx.now, _actor_or_none(actor)
            a.save(update_fields=["status", "signed_at", "signed_by"])
        ctx.unit = mine[0].unit
        _respond(ctx)
        if any(a.role == AssignmentRole.LEAD for a in mine):
            ctx.set(status=CaseStatus.IN_PROGRESS)
        ctx.note = note
    return ctx.case


@_retry_on_lock
def return_case(case: Any, actor: Any, *, reason: str = "", version: int | None = None) -> Case:
    reason = _required(reason, "reason", "退单理由")
    with _acting(case, CaseAction.RETURN, actor, version) as ctx:
        mine = _actor_assignments(ctx, {AssignmentStatus.PENDING, AssignmentStatus.SIGNED})
        for a in mine:
            a.status, a.returned_at, a.return_reason = AssignmentStatus.RETURNED, ctx.now, reason
            a.save(update_fields=["status", "returned_at", "return_reason"])
        ctx.unit = mine[0].unit
        if any(a.role == AssignmentRole.LEAD for a in mine):
            ctx.set(status=CaseStatus.RETURNED, lead_unit=None)
        ctx.note = reason
        c = ctx.case
        _notify_later(
            ctx,
            desk(c.street_id),
            NotificationKind.RETURNED,
            f"{ctx.unit.name} 退回工单 {c.number}：{reason}",
            f"return:{c.pk}:{c.version}",
        )
    return ctx.case


@_retry_on_lock
def request_extension(
    case: Any, actor: Any, *, working_days: Any = None, reason: str = "", version: int | None = None
) -> Case:
    reason = _required(reason, "reason", "延期理由")
    try:
        days = int(working_days)
    except (TypeError, ValueError):
        raise InvalidInput("请填写延期的工作日数", {"working_days": "required"}) from None
    limit = deadlines.max_extension_days()
    if not 1 <= days <= limit:
        raise InvalidInput(f"延期须为 1–{limit} 个工作日", {"working_days": "out_of_range"})
    with _acting(case, CaseAction.REQUEST_EXTENSION, actor, version) as ctx:
        lead = _actor_assignments(ctx, {AssignmentStatus.PENDING, AssignmentStatus.SIGNED})[0]
        ExtensionRequest.objects.create(
            case=ctx.case,
            unit=lead.unit,
            requested_by=_actor_or_none(actor),
            requested_at=ctx.now,
            working_days=days,
            reason=reason,
            old_due_at=ctx.case.handling_due_at,
            street_id=ctx.case.street_id,
        )
        ctx.unit, ctx.note, ctx.data["working_days"] = lead.unit, reason, days
        c = ctx.case
        _notify_later(
            ctx,
            desk(c.street_id),
            NotificationKind.EXTENSION,
            f"{lead.unit.name} 申请工单 {c.number} 延期 {days} 个工作日",
            f"ext-req:{c.pk}:{c.version}",
        )
    return ctx.case


def _decide_extension(case: Any, actor: Any, action: str, note: str, version: int | None) -> Case:
    with _acting(case, action, actor, version) as ctx:
        ext = (
            ExtensionRequest.objects.select_for_update()
            .filter(case=ctx.case, status=ExtensionStatus.PENDING)
            .first()
        )
        assert ext is not None  # the workflow guard checked it
        ext.decided_by, ext.decided_at, ext.decision_note = _actor_or_none(actor), ctx.now, note
        approved = action == CaseAction.APPROVE_EXTENSION
        if approved:
            new_due = deadlines.extended(ctx.case.handling_due_at, ext.working_days)
            ext.status, ext.new_due_at = ExtensionStatus.APPROVED, new_due
            ctx.set(handling_due_at=new_due)
            if new_due > ctx.now and ctx.case.is_overdue:
                ctx.set(is_overdue=False)
            Assignment.objects.filter(case=ctx.case, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
                handling_due_at=new_due
            )
            ctx.data["new_due_at"] = new_due.isoformat()
        else:
            ext.status = ExtensionStatus.REFUSED
        ext.save()
        ctx.note, ctx.unit = note, ext.unit
        c, unit_id = ctx.case, ext.unit_id
        verdict = "已批准" if approved else "被驳回"
        _notify_later(
            ctx,
            _unit_users(unit_id),
            NotificationKind.EXTENSION_DECIDED,
            f"工单 {c.number} 的延期申请{verdict}",
            f"ext-decided:{ext.pk}",
        )
    return ctx.case


@_retry_on_lock
def approve_extension(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    return _decide_extension(case, actor, CaseAction.APPROVE_EXTENSION, note, version)


@_retry_on_lock
def refuse_extension(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    return _decide_extension(
        case, actor, CaseAction.REFUSE_EXTENSION, _required(note, "note", "驳回理由"), version
    )


@_retry_on_lock
def report_back(
    case: Any, actor: Any, *, feedback: str = "", photos: list[Any] | None = None, version: int | None = None
) -> Case:
    feedback = _required(feedback, "feedback", "处置情况")
    cleaned = _clean_photos(photos)
    with _acting(case, CaseAction.REPORT_BACK, actor, version) as ctx:
        mine = _actor_assignments(ctx, {AssignmentStatus.SIGNED})
        for a in mine:
            a.status, a.handled_at, a.feedback = AssignmentStatus.HANDLED, ctx.now, feedback
            a.save(update_fields=["status", "handled_at", "feedback"])
        ctx.unit, ctx.note = mine[0].unit, feedback
        if any(a.role == AssignmentRole.LEAD for a in mine):
            ctx.set(status=CaseStatus.HANDLED, handled_at=ctx.now, resolution_note=feedback)
            c = ctx.case
            _notify_later(
                ctx,
                desk(c.street_id),
                NotificationKind.HANDLED,
                f"工单 {c.number} 已处置，待核查",
                f"handled:{c.pk}:{c.version}",
            )
        ctx.attach(cleaned, PhotoStage.AFTER)
    return ctx.case


@_retry_on_lock
def verify_pass(
    case: Any, actor: Any, *, note: str = "", photos: list[Any] | None = None, version: int | None = None
) -> Case:
    cleaned = _clean_photos(photos)
    with _acting(case, CaseAction.VERIFY_PASS, actor, version) as ctx:
        ctx.set(status=CaseStatus.VERIFIED, verified_at=ctx.now)
        ctx.note = note
        ctx.attach(cleaned, PhotoStage.AFTER)
    return ctx.case


@_retry_on_lock
def verify_fail(
    case: Any, actor: Any, *, reason: str = "", photos: list[Any] | None = None, version: int | None = None
) -> Case:
    reason = _required(reason, "reason", "核查不通过的理由")
    cleaned = _clean_photos(photos)
    with _acting(case, CaseAction.VERIFY_FAIL, actor, version) as ctx:
        ctx.attach(cleaned, PhotoStage.AFTER)
        lead = Assignment.objects.filter(
            case=ctx.case, role=AssignmentRole.LEAD, status=AssignmentStatus.HANDLED
        )
        lead.update(status=AssignmentStatus.SIGNED)
        ctx.set(status=CaseStatus.IN_PROGRESS, handled_at=None)
        ctx.note = reason
        c = ctx.case
        lead_unit_id = c.lead_unit_id
        _notify_later(
            ctx,
            _unit_users(lead_unit_id),
            NotificationKind.VERIFY_FAILED,
            f"工单 {c.number} 核查不通过：{reason}",
            f"verify-fail:{c.pk}:{c.version}",
        )
    return ctx.case


@_retry_on_lock
def close_case(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    with _acting(case, CaseAction.CLOSE, actor, version) as ctx:
        _respond(ctx)
        ctx.set(status=CaseStatus.CLOSED, closed_at=ctx.now, callback_due_at=deadlines.callback_due(ctx.now))
        if note:
            ctx.set(resolution_note=note)
        ctx.note = note
        followers = list(Case.objects.select_for_update().filter(master=ctx.case, status=CaseStatus.MERGED))
        for child in followers:
            # Merged cases share the master's result (一件多单).
            Case.objects.filter(pk=child.pk).update(
                status=CaseStatus.CLOSED,
                closed_at=ctx.now,
                callback_due_at=ctx.case.callback_due_at,
                resolution_note=ctx.case.resolution_note,
                responded_at=child.responded_at or ctx.now,
                version=F("version") + 1,
            )
            _event(
                child,
                CaseAction.CLOSE,
                actor,
                CaseStatus.MERGED,
                CaseStatus.CLOSED,
                note=f"随主单 {ctx.case.number} 结案",
                at=ctx.now,
            )
        ctx.data["followers"] = [c.number for c in followers]
    return ctx.case


@_retry_on_lock
def record_callback(
    case: Any,
    actor: Any,
    *,
    resolution: str = "",
    satisfaction: str = "",
    contacted: Any = True,
    note: str = "",
    version: int | None = None,
) -> Case:
    contacted = contacted not in (False, "false", "0", 0, "no")
    if contacted:
        _choice(resolution, Resolution, "resolution", "解决情况")
        _choice(satisfaction, Satisfaction, "satisfaction", "满意度")
    with _acting(case, CaseAction.CALLBACK, actor, version) as ctx:
        Callback.objects.create(
            case=ctx.case,
            at=ctx.now,
            by=_actor_or_none(actor),
            contacted=contacted,
            resolution=resolution if contacted else "",
            satisfaction=satisfaction if contacted else "",
            note=note,
            street_id=ctx.case.street_id,
        )
        ctx.set(called_back_at=ctx.now)
        ctx.note = note
        ctx.data.update(contacted=contacted, resolution=resolution, satisfaction=satisfaction)
    return ctx.case


@_retry_on_lock
def reopen_case(case: Any, actor: Any, *, reason: str = "", version: int | None = None) -> Case:
    reason = _required(reason, "reason", "重启理由")
    with _acting(case, CaseAction.REOPEN, actor, version) as ctx:
        # A reopened matter gets the re-check limit (回访复核) from now.
        due = working_day_deadline(ctx.now, int(deadlines.policy()["callback_working_days"]))
        ctx.set(
            status=CaseStatus.REOPENED,
            closed_at=None,
            verified_at=None,
            handled_at=None,
            handling_due_at=due,
            is_overdue=False,
            overdue_at=None,
        )
        ctx.note = reason
    return ctx.case


@_retry_on_lock
def supervise_case(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    note = _required(note, "note", "督办意见")
    with _acting(case, CaseAction.SUPERVISE, actor, version) as ctx:
        record = Supervision.objects.create(
            case=ctx.case,
            kind=SupervisionKind.LEADER,
            at=ctx.now,
            by=_actor_or_none(actor),
            unit=ctx.case.lead_unit,
            note=note,
            street_id=ctx.case.street_id,
        )
        ctx.note = note
        c = ctx.case
        if c.lead_unit_id:
            unit_id = c.lead_unit_id
            _notify_later(
                ctx,
                _unit_users(unit_id),
                NotificationKind.SUPERVISION,
                f"工单 {c.number} 被督办：{note}",
                f"supervise:{record.pk}",
            )
    return ctx.case


ESCALATION_LADDERS: dict[str, tuple[str, list[str]]] = {
    "level": ("escalation_level", list(EscalationLevel.values)),
    "dispute": ("dispute_level", list(DisputeLevel.values)),
}


@_retry_on_lock
def escalate_case(
    case: Any, actor: Any, *, ladder: str = "level", note: str = "", version: int | None = None
) -> Case:
    if ladder not in ESCALATION_LADDERS:
        raise InvalidInput(
            "升级类型须为 level（居委→街道→区）或 dispute（诉求→纠纷→矛盾）", {"ladder": "invalid_choice"}
        )
    field_name, steps = ESCALATION_LADDERS[ladder]
    with _acting(case, CaseAction.ESCALATE, actor, version) as ctx:
        current = getattr(ctx.case, field_name)
        position = steps.index(current)
        if position + 1 >= len(steps):
            raise TransitionNotAllowed("已是最高等级，不能再升级")
        ctx.set(**{field_name: steps[position + 1]})
        ctx.note = note
        ctx.data.update(ladder=ladder, **{"from": current, "to": steps[position + 1]})
    return ctx.case


@_retry_on_lock
def merge_case(
    case: Any, actor: Any, *, master: Any = None, note: str = "", version: int | None = None
) -> Case:
    if master in (None, ""):
        raise InvalidInput("请指定主单", {"master": "required"})
    try:
        target = load_case(master, actor)
    except NotFound:
        raise InvalidInput(f"主单 {master} 不存在或不在你的管辖范围内", {"master": "unknown"}) from None
    with _acting(case, CaseAction.MERGE, actor, version) as ctx:
        c = ctx.case
        if target.pk == c.pk:
            raise InvalidInput("不能合并到自身", {"master": "self"})
        if target.street_id != c.street_id:
            raise InvalidInput("只能合并同一街道的工单", {"master": "other_street"})
        if target.status not in OPEN_STATUSES:
            raise InvalidInput(
                f"主单 {target.number} 已{target.get_status_display()}，不能作为主单", {"master": "closed"}
            )
        Assignment.objects.filter(case=c, status__in=ACTIVE_ASSIGNMENT_STATUSES).update(
            status=AssignmentStatus.CANCELLED
        )
        Case.objects.filter(master=c).update(master=target)  # its own followers follow the new master
        ctx.set(status=CaseStatus.MERGED, master=target)
        ctx.note, ctx.data["master"] = note, target.number
        _event(
            target,
            CaseAction.COMMENT,
            actor,
            target.status,
            target.status,
            note=f"合并了工单 {c.number}",
            data={"merged": c.number},
            at=ctx.now,
        )
    return ctx.case


@_retry_on_lock
def suspend_case(case: Any, actor: Any, *, reason: str = "", version: int | None = None) -> Case:
    reason = _required(reason, "reason", "挂起理由")
    with _acting(case, CaseAction.SUSPEND, actor, version) as ctx:
        ctx.set(status_before_suspend=ctx.case.status, status=CaseStatus.SUSPENDED)
        ctx.note = reason
    return ctx.case


@_retry_on_lock
def resume_case(case: Any, actor: Any, *, note: str = "", version: int | None = None) -> Case:
    with _acting(case, CaseAction.RESUME, actor, version) as ctx:
        ctx.set(status=ctx.case.status_before_suspend or CaseStatus.FILED, status_before_suspend="")
        ctx.note = note
    return ctx.case


@_retry_on_lock
def comment_case(
    case: Any, actor: Any, *, note: str = "", contacted_requester: Any = False, version: int | None = None
) -> Case:
    note = _required(note, "note", "备注内容")
    with _acting(case, CaseAction.COMMENT, actor, version) as ctx:
        if contacted_requester not in (False, "false", "0", 0, "", None):
            _respond(ctx)  # 首次联系诉求人 counts as the response
            ctx.data["contacted_requester"] = True
        ctx.note = note
    return ctx.case


def add_photos(
    case: Any,
    actor: Any,
    *,
    photos: list[Any],
    stage: str = PhotoStage.AFTER,
    note: str = "",
    version: int | None = None,
) -> CaseEvent:
    """Photos on their own, outside an action's form (the API's upload). Every file is validated
    and stripped (cases.photos) before anything is written; then one transaction stores them with
    a timeline row — a comment, which every staff role may add in any state — and bumps the
    version. Files written before a rollback are removed again (_acting). Returns the row; its
    `photos` are the new photos."""
    load_case(case, actor)  # outside the scope: 404 before the files are even looked at
    stage = _choice(stage, PhotoStage, "stage", "照片阶段")
    if not photos:
        raise InvalidInput("请选择要上传的照片", {"photos": "required"})
    # Cleaned once: a retry after "database is locked" must not read the uploads a second time.
    cleaned = _clean_photos(photos)
    with translation.override(settings.LANGUAGE_CODE):  # the timeline is written in the site's language
        default_note = f"上传了 {len(cleaned)} 张{PhotoStage(stage).label}照片"
    written: list[CaseEvent] = []

    @_retry_on_lock
    def store() -> Case:
        with _acting(case, CaseAction.COMMENT, actor, version) as ctx:
            ctx.note = (note or "").strip() or default_note
            ctx.attach(cleaned, stage)
        assert ctx.event is not None  # written by _acting_in_transaction
        written.append(ctx.event)
        return ctx.case

    store()
    return written[-1]


ACTIONS: dict[str, Callable[..., Case]] = {
    CaseAction.FILE: file_case,
    CaseAction.REJECT: reject_case,
    CaseAction.DISPATCH: dispatch_case,
    CaseAction.REDISPATCH: redispatch_case,
    CaseAction.SIGN: sign_case,
    CaseAction.RETURN: return_case,
    CaseAction.REQUEST_EXTENSION: request_extension,
    CaseAction.APPROVE_EXTENSION: approve_extension,
    CaseAction.REFUSE_EXTENSION: refuse_extension,
    CaseAction.REPORT_BACK: report_back,
    CaseAction.VERIFY_PASS: verify_pass,
    CaseAction.VERIFY_FAIL: verify_fail,
    CaseAction.CLOSE: close_case,
    CaseAction.CALLBACK: record_callback,
    CaseAction.REOPEN: reopen_case,
    CaseAction.SUPERVISE: supervise_case,
    CaseAction.ESCALATE: escalate_case,
    CaseAction.MERGE: merge_case,
    CaseAction.SUSPEND: suspend_case,
    CaseAction.RESUME: resume_case,
    CaseAction.COMMENT: comment_case,
}


def action_parameters(action: str) -> list[str]:
    func = ACTIONS[action]
    return [name for name, p in inspect.signature(func).parameters.items() if p.kind is p.KEYWORD_ONLY]


def run_action(case: Any, action: str, actor: Any, params: dict[str, Any] | None = None) -> Case:
    """Entry point for the UI and the API: unknown actions and unknown parameters are errors."""
    if action not in ACTIONS:
        raise InvalidInput(f"未知的操作：{action}", {"action": "unknown"})
    params = dict(params or {})
    allowed = set(action_parameters(action))
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InvalidInput(
            f"操作“{CaseAction(action).label}”不接受参数：{', '.join(unknown)}"
            f"（可用：{', '.join(sorted(allowed))}）",
            dict.fromkeys(unknown, "unknown"),
        )
    version = params.pop("version", None)
    if version is not None:
        try:
            version = int(version)
        except (TypeError, ValueError):
            raise InvalidInput("version 须为整数", {"version": "invalid"}) from None
    return ACTIONS[action](case, actor, version=version, **params)


# ---------------------------------------------------------------------------- the deadline job


def mark_overdue(case_id: int, now: datetime) -> bool:
    """Flag one case overdue, open a supervision record and notify its units, once per deadline."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.is_overdue or case.status not in OPEN_STATUSES or case.handling_due_at >= now:
            return False
        key = f"overdue:{case.pk}:{case.handling_due_at.isoformat()}"
        record, created = Supervision.objects.get_or_create(
            key=key,
            defaults={
                "case": case,
                "kind": SupervisionKind.OVERDUE,
                "at": now,
                "unit": case.lead_unit,
                "note": f"已超过处置时限 {timezone.localtime(case.handling_due_at):%Y-%m-%d %H:%M}",
                "street_id": case.street_id,
            },
        )
        Case.objects.filter(pk=case.pk).update(is_overdue=True, overdue_at=now, version=F("version") + 1)
        _event(
            case,
            CaseAction.OVERDUE,
            None,
            case.status,
            case.status,
            note=record.note,
            at=now,
            data={"supervision": record.pk},
        )
        unit_ids = list(
            Assignment.objects.filter(case=case, status__in=ACTIVE_ASSIGNMENT_STATUSES).values_list(
                "unit_id", flat=True
            )
        )
        text = f"工单 {case.number} 已超期，请尽快办理"
        send_on_commit(units(unit_ids), case.pk, NotificationKind.OVERDUE, text, key)
        send_on_commit(desk(case.street_id), case.pk, NotificationKind.OVERDUE, text, key)
    return True


def mark_response_overdue(case_id: int, now: datetime) -> bool:
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.responded_at is not None or case.status not in OPEN_STATUSES or case.response_due_at >= now:
            return False
        key = f"response-overdue:{case.pk}:{case.response_due_at.isoformat()}"
        _record, created = Supervision.objects.get_or_create(
            key=key,
            defaults={
                "case": case,
                "kind": SupervisionKind.RESPONSE_OVERDUE,
                "at": now,
                "unit": case.lead_unit,
                "note": "超过响应时限仍未签收或联系诉求人",
                "street_id": case.street_id,
            },
        )
        if created:
            _event(
                case,
                CaseAction.SUPERVISE,
                None,
                case.status,
                case.status,
                note=_record.note,
                at=now,
                data={"supervision": _record.pk, "kind": SupervisionKind.RESPONSE_OVERDUE},
            )
        return created


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """The periodic job: idempotent, safe to run as often as you like."""
    now = now or clock.now()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    overdue_ids = list(
        open_cases.filter(is_overdue=False, handling_due_at__lt=now).values_list("pk", flat=True)
    )
    response_ids = list(
        open_cases.filter(responded_at__isnull=True, response_due_at__lt=now)
        .exclude(supervisions__kind=SupervisionKind.RESPONSE_OVERDUE)
        .values_list("pk", flat=True)
    )
    marked = sum(mark_overdue(pk, now) for pk in overdue_ids)
    response = sum(mark_response_overdue(pk, now) for pk in response_ids)
    return {"overdue": marked, "response_overdue": response}


def overdue_by(case: Case, now: datetime | None = None) -> timedelta | None:
    now = now or clock.now()
    return now - case.handling_due_at if case.handling_due_at < now else None


# ---------------------------------------------------------------------------- the inbox
# Read marks are the reader's own state, not a change to any case: no timeline row, no audit.


def mark_notification_read(actor: Any, pk: int) -> Notification:
    """The actor's notification `pk`, read (idempotent: an already read one keeps its first
    read time, also when two readers race). NotFound for anyone else's."""
    mine = Notification.objects.restrict(actor, "change")
    note = mine.select_related("case").filter(pk=pk).first() if 0 < pk < 2**63 else None
    if note is None:
        raise NotFound("通知不存在")
    if note.read_at is None:
        mine.filter(pk=note.pk, read_at__isnull=True).update(read_at=clock.now())
        note.read_at = mine.values_list("read_at", flat=True).get(pk=note.pk)
    return note


def mark_all_notifications_read(actor: Any) -> int:
    """Every unread notification of the actor, read; returns how many."""
    unread = Notification.objects.restrict(actor, "change").filter(read_at__isnull=True)
    return unread.update(read_at=clock.now())
