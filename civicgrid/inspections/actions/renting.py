"""Group renting (群租, seed 004): registering a flat (by hand, from a complaint case, or from a
sweep), the bodies of the register entry's machine (inspections.workflow.RENTING_MACHINE) run by
RENT_FRAME, and the door-to-door sweep (逐楼、逐层、逐户) that writes FlatCheck rows."""

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case
from civicgrid.core import capabilities, clock, events, profile
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.core.frame import FilesContext
from civicgrid.core.inputs import as_id
from civicgrid.geo.models import Building
from civicgrid.residents.actions.registry import bump
from civicgrid.residents.choices import FlatUse
from civicgrid.residents.models import Flat

from ..choices import (
    OPEN_RENT_STATUSES,
    FlatFinding,
    PlaceKind,
    RentAction,
    RentPhoto,
    RentStatus,
    TaskAction,
    TaskPurpose,
    TaskStatus,
)
from ..models import FlatCheck, Place, RentEntry, Task
from .frames import RENT_FRAME, TASK_FRAME

RENTING = "inspections.renting"
# Findings of a sweep that put the flat on the register.
REGISTERING = (FlatFinding.GROUP_RENT, FlatFinding.SUSPECTED)


def open_entry(flat: Flat) -> RentEntry | None:
    return RentEntry.objects.filter(flat=flat, status__in=OPEN_RENT_STATUSES).first()


def _flat_place(flat: Flat) -> Place:
    """The flat's Place (kind group_rent), created from the flat the first time."""
    place = Place.objects.filter(flat=flat, kind=PlaceKind.GROUP_RENT).first()
    if place is not None:
        return place
    building = flat.building
    return Place.objects.create(
        street_id=flat.street_id,
        grid_id=building.grid_id,
        kind=PlaceKind.GROUP_RENT,
        name=_("%(address)s%(room)s室") % {"address": building.address, "room": flat.room},
        address=building.address,
        building=building,
        flat=flat,
        lon=building.lon,
        lat=building.lat,
        responsible_name=flat.owner_name,
        responsible_phone=flat.owner_phone,
    )


def _register(actor: Any, flat: Flat, clue: str, case: Case | None) -> RentEntry:
    """Inside the caller's transaction; the caller has checked that `actor` may see `flat`."""
    existing = open_entry(flat)
    if existing is not None:
        raise Conflict(
            _("该房屋已有未销号的群租登记（%(entry)s）") % {"entry": f"#{existing.pk}"},
            {"flat": "open_entry", "entry": existing.pk},
        )
    entry = RentEntry.objects.create(
        street_id=flat.street_id,
        place=_flat_place(flat),
        flat=flat,
        case=case,
        clue=(clue or "").strip(),
        created_by=actor,
    )
    events.log(
        entry, RentAction.REGISTER, actor, payload={"flat": flat.pk, "case": case.pk if case else None}
    )
    return entry


def visible_flats(actor: Any) -> Any:
    """Flats of the buildings the actor may see: the desk registering a complaint has no access
    to the residents registry itself, only to the buildings of its streets."""
    return Flat.objects.filter(building__in=Building.objects.restrict(actor, Action.VIEW)).select_related(
        "building"
    )


def _visible_flat(actor: Any, flat: Any) -> Flat:
    pk = flat.pk if isinstance(flat, Flat) else as_id(str(flat))
    found = visible_flats(actor).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise NotFound(_("房屋不存在或不在你的管辖范围内"))
    return found


def register(actor: Any, *, flat: Any, clue: str = "", case: Case | None = None) -> RentEntry:
    """登记群租线索: the flat's entry (REPORTED); 409 naming the open entry if it has one."""
    capabilities.require(actor, RENTING)
    flat = _visible_flat(actor, flat)
    with transaction.atomic():
        return _register(actor, flat, clue, case)


def register_from_case(actor: Any, case: Any, flat: Any, clue: str = "") -> RentEntry:
    """From a complaint case (by number or instance, in the actor's scope): the entry linked to it."""
    number = case.number if isinstance(case, Case) else str(case or "").strip()
    found = Case.objects.restrict(actor, Action.VIEW).filter(number=number).first() if number else None
    if found is None:
        raise NotFound(_("工单不存在或不在你的管辖范围内"))
    return register(actor, flat=flat, clue=clue or found.title, case=found)


# ---------------------------------------------------------------------------- the machine's bodies


def _set_use(ctx: FilesContext, use: str) -> None:
    flat = ctx.obj.flat
    if flat.use != use:
        # The registry's own conditional write (version bump, audit row) and event; the
        # register's actors need not be allowed to edit the residents registry otherwise.
        flat.use = use
        bump(flat, ["use"])
        events.log(flat, "flat_change", ctx.actor, payload={"use": use, "rent_entry": ctx.obj.pk})


def _schedule_check(ctx: FilesContext) -> None:
    """The next re-check: a date on the entry and an open group-rent task for the actor."""
    entry: RentEntry = ctx.obj
    due = clock.today() + timedelta(days=int(profile.value("inspections.rent_recheck_days", entry.street_id)))
    ctx.set(next_check_on=due)
    Task.objects.create(
        street_id=entry.street_id,
        place_id=entry.place_id,
        rent_entry=entry,
        purpose=TaskPurpose.GROUP_RENT,
        due_on=due,
        assignee=ctx.actor,
        status=TaskStatus.OPEN,
    )


def _complete_open_check(ctx: FilesContext) -> None:
    """A check completes the entry's open re-check task (by whoever it was assigned to)."""
    for pk in Task.objects.filter(rent_entry=ctx.obj, status=TaskStatus.OPEN).values_list("pk", flat=True):
        with TASK_FRAME.acting(pk, TaskAction.COMPLETE, ctx.actor):
            pass


@RENT_FRAME.implements(RentAction.CONFIRM)
def confirm(
    ctx: FilesContext, *, joint_with: str = "", tenants: int = 0, note: str, photos: list[Any] | None = None
) -> None:
    ctx.set(joint_with=joint_with or "", tenants=tenants or 0)
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), RentPhoto.BEFORE
    _set_use(ctx, FlatUse.GROUP_RENTED)


@RENT_FRAME.implements(RentAction.DISMISS)
def dismiss(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note


@RENT_FRAME.implements(RentAction.RECTIFY)
def rectify(
    ctx: FilesContext,
    *,
    partitions_removed: int = 0,
    tenants_informed: bool = False,
    note: str,
    photos: list[Any] | None = None,
) -> None:
    ctx.set(partitions_removed=partitions_removed or 0, tenants_informed=tenants_informed, clean_checks=0)
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), RentPhoto.AFTER
    _schedule_check(ctx)


@RENT_FRAME.implements(RentAction.CHECK_CLEAN)
def check_clean(ctx: FilesContext, *, note: str = "", photos: list[Any] | None = None) -> None:
    entry: RentEntry = ctx.obj
    ctx.set(clean_checks=entry.clean_checks + 1, last_checked_on=clock.today())
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), RentPhoto.CHECK
    _complete_open_check(ctx)
    if ctx.target == RentStatus.CLOSED:
        ctx.set(closed_at=ctx.now, next_check_on=None)
        _set_use(ctx, FlatUse.RENTED)
    else:
        _schedule_check(ctx)


@RENT_FRAME.implements(RentAction.CHECK_RELAPSE)
def check_relapse(ctx: FilesContext, *, note: str, photos: list[Any] | None = None) -> None:
    ctx.set(clean_checks=0, last_checked_on=clock.today(), next_check_on=None)
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), RentPhoto.CHECK
    _complete_open_check(ctx)


# ---------------------------------------------------------------------------- the sweep


def record_flat_checks(
    actor: Any,
    building: Any,
    findings: dict[Any, tuple[str, str]],
    checked_on: date | None = None,
    task: Task | None = None,
) -> list[FlatCheck]:
    """逐户检查 of one building: a FlatCheck per flat; a group-rent or suspected finding registers
    the flat (unless it has an open entry). Flats of other buildings or out of scope are refused
    naming the flat (the whole sweep rolls back)."""
    capabilities.require(actor, RENTING)
    building_id = getattr(building, "pk", building)
    flats = {f.pk: f for f in visible_flats(actor).filter(building_id=building_id)}
    checked_on = checked_on or clock.today()
    if checked_on > clock.today():
        raise InvalidInput(_("检查日期不能晚于今天"), {"checked_on": "future"})
    errors: dict[str, str] = {}
    rows: list[tuple[Flat, str, str]] = []
    for key, (finding, note) in findings.items():
        flat = flats.get(int(key)) if str(key).isdigit() else None
        if flat is None:
            errors[str(key)] = _("房屋 %(flat)s 不在该楼栋或不在你的管辖范围内") % {"flat": key}
        elif finding not in FlatFinding.values:
            errors[str(key)] = _("房屋 %(flat)s 的检查结果不正确") % {"flat": flat.room}
        else:
            rows.append((flat, finding, (note or "").strip()[:200]))
    if errors:
        raise InvalidInput(_("部分房屋无法登记检查结果"), errors)
    if not rows:
        raise InvalidInput(_("请至少选择一户的检查结果"), {"findings": "required"})
    with transaction.atomic():
        open_entries = {
            e.flat_id: e
            for e in RentEntry.objects.filter(
                flat_id__in=[f.pk for f, _f, _n in rows], status__in=OPEN_RENT_STATUSES
            )
        }
        checks = []
        for flat, finding, note in rows:
            entry = open_entries.get(flat.pk)
            if entry is None and finding in REGISTERING:
                entry = _register(actor, flat, note or str(FlatFinding(finding).label), None)
            checks.append(
                FlatCheck(
                    street_id=flat.street_id,
                    flat=flat,
                    checked_on=checked_on,
                    checked_by=actor,
                    finding=finding,
                    task=task,
                    entry=entry,
                    note=note,
                )
            )
        return FlatCheck.objects.bulk_create(checks)
