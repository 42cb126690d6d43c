"""A small inspections world for tests, in one street: a place of each of three kinds (a shop
in the cadre's and grid worker's grid, a group-rented flat of the registry's first building,
a petrol station in the street's last grid answered for by the street's unit), the street's
current checklists, a monthly plan and an unannounced one with a task each, a recorded
inspection with one failed item, the order it gave, and a group-rent entry from a case."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from civicgrid.core import clock, events
from civicgrid.inspections import checklists
from civicgrid.inspections.actions.orders import issue_order
from civicgrid.inspections.choices import (
    Outcome,
    PlaceKind,
    PlanKind,
    Recurrence,
    RentStatus,
    RiskLevel,
    Severity,
    TaskPurpose,
)
from civicgrid.inspections.models import Inspection, ItemResult, Order, Place, Plan, RentEntry, Task
from civicgrid.residents.choices import FlatUse
from civicgrid.residents.models import Flat

from .factories import StreetWorld


@dataclass
class InspectionWorld:
    shop: Place
    flat_place: Place
    petrol: Place
    plan: Plan
    secret_plan: Plan
    task: Task
    secret_task: Task
    inspection: Inspection
    order: Order
    entry: RentEntry
    flat: Flat
    places: dict[str, Place] = field(default_factory=dict)


def _place(street: StreetWorld, kind: str, name: str, building: Any, **extra: Any) -> Place:
    return Place.objects.create(
        street=street.street,
        grid=building.grid,
        kind=kind,
        name=name,
        address=building.address,
        building=building,
        lon=building.lon,
        lat=building.lat,
        responsible_name=extra.pop("responsible_name", "王经理"),
        responsible_phone=extra.pop("responsible_phone", "13912345678"),
        **extra,
    )


def build_inspections(street: StreetWorld, today: date | None = None) -> InspectionWorld:
    # One transaction, as an action runs: the order's number is taken under a row lock.
    with transaction.atomic():
        return _build(street, today or clock.today())


def _build(street: StreetWorld, today: date) -> InspectionWorld:
    first, last = street.buildings[0], street.buildings[-1]
    inspector = street.users["gridworker"]
    shop = _place(street, PlaceKind.SMALL, f"{street.street.name}便利店", first, risk=RiskLevel.MEDIUM)
    flat = Flat.objects.create(
        building=first, street=street.street, room="1101", floor=11, use=FlatUse.GROUP_RENTED
    )
    flat_place = _place(
        street,
        PlaceKind.GROUP_RENT,
        f"{first.address}1101室",
        first,
        flat=flat,
        responsible_name="张房东",
        responsible_phone="13800001111",
        risk=RiskLevel.HIGH,
    )
    petrol = _place(
        street, PlaceKind.PETROL, f"{street.street.name}加油站", last, unit=street.unit, risk=RiskLevel.HIGH
    )
    plan = Plan.objects.create(
        street=street.street,
        title="沿街商铺月度检查",
        kind=PlanKind.RECURRING,
        place_kinds=[PlaceKind.SMALL],
        recurrence=Recurrence.MONTHLY,
        starts_on=today.replace(day=1),
        assignee=inspector,
    )
    secret_plan = Plan.objects.create(
        street=street.street,
        title="加油站四不两直暗查",
        kind=PlanKind.UNANNOUNCED,
        place_kinds=[PlaceKind.PETROL],
        recurrence=Recurrence.ONCE,
        starts_on=today,
        ends_on=today + timedelta(days=7),
        unannounced=True,
        assignee=street.users["leader"],
    )
    task = Task.objects.create(
        street=street.street,
        place=shop,
        plan=plan,
        period_start=plan.starts_on,
        due_on=today + timedelta(days=10),
        assignee=inspector,
    )
    secret_task = Task.objects.create(
        street=street.street,
        place=petrol,
        plan=secret_plan,
        period_start=today,
        due_on=today + timedelta(days=7),
        assignee=street.users["leader"],
        unannounced=True,
    )
    checklist = checklists.current(street.street.pk, PlaceKind.SMALL)
    items = list(checklist.items.all())
    inspection = Inspection.objects.create(
        street=street.street,
        place=shop,
        checklist=checklist,
        purpose=TaskPurpose.ROUTINE,
        inspector=inspector,
        inspected_at=clock.now(),
        note="店内电线私拉，其余正常",
        passed=len(items) - 1,
        failed=1,
    )
    failed = next(i for i in items if i.severity == Severity.SERIOUS)
    results = {
        item.pk: ItemResult.objects.create(
            inspection=inspection, item=item, outcome=Outcome.FAIL if item == failed else Outcome.PASS
        )
        for item in items
    }
    events.log(inspection, "record", inspector)
    order = issue_order(
        inspector,
        shop,
        finding=failed.text,
        severity=failed.severity,
        rule=failed.rule,
        requirement="拆除私拉电线，由持证电工规范布线",
        evidence_required="整改后照片",
        inspection=inspection,
        result=results[failed.pk],
    )
    entry = RentEntry.objects.create(
        street=street.street,
        place=flat_place,
        flat=flat,
        status=RentStatus.REPORTED,
        clue="邻居反映夜间陌生人进出，疑似群租",
        created_by=street.users["dispatcher"],
    )
    events.log(entry, "register", street.users["dispatcher"])
    return InspectionWorld(
        shop=shop,
        flat_place=flat_place,
        petrol=petrol,
        plan=plan,
        secret_plan=secret_plan,
        task=task,
        secret_task=secret_task,
        inspection=inspection,
        order=order,
        entry=entry,
        flat=flat,
        places={PlaceKind.SMALL: shop, PlaceKind.GROUP_RENT: flat_place, PlaceKind.PETROL: petrol},
    )
