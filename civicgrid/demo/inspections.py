"""The demo's safety inspections (issue 14), per street: places of every kind at the street's
buildings, the street's checklists (one kind revised mid-year), a year of plans and their tasks,
inspections item by item, the rectification orders they gave in every state, and a
group-renting campaign (seed 004) in the cadre's residential area.

Planned from seeded random generators (deterministic, relative to the load day) and written
in bulk, as demo/residents.py writes its history: each period's rows inside `clock.at()` of
the period's last moment, so `created_at` follows the year; one `core.events` row per step
(an order's issue, re-check, supervision…) at its own moment. Order numbers are those of
`issue_order` (ZG-<street>-<year>-<serial>), gap-free per street and year, and the street's
OrderSequence is left at the last one used, so the next order issued follows on. A street
with any place is skipped.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.cases.actions.intake import open_case_at, resolve_category
from civicgrid.cases.choices import Channel
from civicgrid.core import clock, events, workdays
from civicgrid.core.models import Event
from civicgrid.geo.models import Area, Building
from civicgrid.inspections import checklists, deadlines
from civicgrid.inspections.actions.orders import ORDER_PREFIX, recheck_day
from civicgrid.inspections.actions.plans import period
from civicgrid.inspections.choices import (
    Escalation,
    FlatFinding,
    OrderAction,
    OrderStatus,
    Outcome,
    PlaceKind,
    PlanKind,
    Recurrence,
    RentAction,
    RentStatus,
    RiskLevel,
    Severity,
    TaskAction,
    TaskPurpose,
    TaskStatus,
)
from civicgrid.inspections.models import (
    Checklist,
    ChecklistItem,
    FlatCheck,
    Inspection,
    ItemResult,
    Order,
    OrderSequence,
    Place,
    Plan,
    RentEntry,
    Task,
)
from civicgrid.inspections.workflow import clean_checks_required
from civicgrid.orgs.models import Unit
from civicgrid.residents.choices import FlatUse
from civicgrid.residents.models import Flat

from . import volume
from .cases import StreetInfo, offset, street_infos
from .residents import BATCH, SH, SURNAMES

# The kind whose checklist the street revised mid-year (older inspections keep revision 1).
REVISED_KIND = PlaceKind.SMALL
NAMES: dict[str, tuple[str, ...]] = {
    PlaceKind.CHEMICAL: (
        "化工试剂有限公司",
        "精细化工实验室",
        "涂料仓库",
        "气体充装站",
        "检测中心实验室",
        "医药研发中心",
    ),
    PlaceKind.PARK: ("科创园", "文创产业园", "智造园区"),
    PlaceKind.SITE: ("住宅项目工地", "地铁站配套工程", "旧改地块工地", "学校改扩建工程", "道路管线工程"),
    PlaceKind.BASEMENT: ("地下车库", "地下室", "人防工程"),
    PlaceKind.PETROL: ("中石化加油站", "中石油加油站", "加油站"),
    PlaceKind.SMALL: (
        "便利店",
        "小吃店",
        "理发店",
        "五金店",
        "水果店",
        "面馆",
        "洗衣店",
        "棋牌室",
        "小旅馆",
        "维修铺",
    ),
    PlaceKind.CHARGING: ("非机动车集中充电点", "电动自行车充电棚"),
    PlaceKind.OLD_BLOCK: ("老旧房屋",),
}
PERSONS = ("经理", "老板", "负责人", "站长", "主任", "房东")
NOTES = ("现场检查，整体情况良好。", "已向负责人反馈检查情况。", "部分问题当场整改。", "负责人陪同检查。")
REQUIREMENT = "按检查项要求限期整改到位，整改完成后反馈整改情况并提交照片"
EVIDENCE = "整改前后对比照片"


def seeded(*parts: object) -> random.Random:
    return random.Random("civicgrid-demo-inspections:" + ":".join(str(p) for p in parts))


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def at_time(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SH)


def months_back(day: date, n: int) -> date:
    """The first of the month `n` months before `day`'s."""
    index = day.year * 12 + day.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class InspectionReport:
    streets: int = 0
    places: int = 0
    inspections: int = 0
    orders: int = 0
    entries: int = 0

    @property
    def created(self) -> int:
        return self.places + self.inspections + self.orders + self.entries


@dataclass
class Staff:
    inspector: User  # grid worker
    cadre: User
    leader: User
    admin: User
    dispatcher: User

    def by(self, rng: random.Random) -> User:
        return self.inspector if rng.random() < 0.6 else self.cadre


@dataclass
class Street:
    info: StreetInfo
    area: Area
    staff: Staff
    now: datetime
    today: date
    events: list[Event] = field(default_factory=list)
    serials: dict[int, int] = field(default_factory=dict)

    def log(
        self, obj: Any, action: str, actor: Any, at: datetime, payload: dict[str, Any] | None = None
    ) -> None:
        self.events.append(
            Event(
                **events.row(
                    "inspections",
                    obj._meta.model_name,
                    obj.pk,
                    action,
                    actor=actor,
                    street_id=self.area.pk,
                    version=getattr(obj, "version", None),
                    at=at,
                    payload=payload,
                )
            )
        )

    def number(self, issued_at: datetime) -> str:
        year = timezone.localtime(issued_at).year
        self.serials[year] = self.serials.get(year, 0) + 1
        return f"{ORDER_PREFIX}-{self.area.code}-{year}-{self.serials[year]:05d}"


def load_inspections(plan: Any) -> InspectionReport:
    """The inspections of every demo street that has none yet (after the registry)."""
    report = InspectionReport()
    now = clock.now()
    for info in street_infos(plan):
        area = Area.objects.get(code=info.code)
        if Place.objects.filter(street=area).exists():
            continue
        users = {u.username: u for u in User.objects.filter(username__startswith=f"{info.spec.key}-")}
        key = info.spec.key
        staff = Staff(
            inspector=users[f"{key}-gridworker"],
            cadre=users[f"{key}-cadre"],
            leader=users[f"{key}-leader"],
            admin=users[f"{key}-admin"],
            dispatcher=users[f"{key}-dispatcher"],
        )
        street = Street(info, area, staff, now, now.astimezone(SH).date())
        with transaction.atomic():
            _load_street(street, report)
            Event.objects.bulk_create(street.events, batch_size=BATCH)
            events.kick_on_commit()
        report.streets += 1
    return report


def _load_street(s: Street, report: InspectionReport) -> None:
    year_start = months_back(s.today, 11)
    opened = at_time(year_start - timedelta(days=7), 10)
    with clock.at(opened):
        places = _places(s)
        lists = {kind: checklists.current(s.area.pk, kind, s.staff.admin) for kind in PlaceKind.values}
        plans = _plans(s, year_start)
    for place in places:
        s.log(place, "place_add", s.staff.admin, opened)
    for plan in plans:
        s.log(plan, "plan_save", plan.created_by, opened)
    revised_on = months_back(s.today, 5) + timedelta(days=9)
    with clock.at(at_time(revised_on, 15)):
        lists_v2 = _revise(lists[REVISED_KIND], s.staff.admin)
    items = {c.pk: list(c.items.all()) for c in (*lists.values(), lists_v2)}
    report.places += len(places)

    def checklist_on(kind: str, day: date) -> Checklist:
        return lists_v2 if kind == REVISED_KIND and day >= revised_on else lists[kind]

    by_kind: dict[str, list[Place]] = {}
    for p in places:
        by_kind.setdefault(p.kind, []).append(p)
    failed: list[tuple[Inspection, ItemResult, ChecklistItem]] = []
    for plan in plans:
        targets = [p for k in plan.place_kinds for p in by_kind.get(k, [])]
        if plan.kind == PlanKind.UNANNOUNCED:
            targets = seeded(s.info.spec.key, plan.title).sample(targets, min(len(targets), 4))
        for start, end in _periods(plan, s.today):
            done = _period(s, plan, targets, start, end, checklist_on, items)
            failed += done
    _link_tasks(s.area)
    report.inspections += Inspection.objects.filter(street=s.area).count()
    report.orders += _orders(s, failed)
    report.entries += _campaign(s, places, lists[PlaceKind.GROUP_RENT], items)
    for year, last in s.serials.items():
        OrderSequence.objects.update_or_create(street=s.area, year=year, defaults={"last": last})


# ---------------------------------------------------------------------------- places


def _places(s: Street) -> list[Place]:
    key = s.info.spec.key
    rng = seeded(key, "places")
    buildings = list(Building.objects.filter(street=s.area).select_related("grid").order_by("pk"))
    units = list(Unit.objects.filter(street=s.area).order_by("pk"))
    rented = list(
        Flat.objects.filter(street=s.area, use__in=[FlatUse.GROUP_RENTED, FlatUse.RENTED])
        .select_related("building__grid")
        .order_by("-use", "pk")  # the group-rented ones first
    )
    rows: list[Place] = []
    for kind, (lo, hi) in volume.INSPECTION_PLACES.items():
        n = rng.randint(lo, hi)
        if kind == PlaceKind.GROUP_RENT:
            for flat in rented[:n]:
                b = flat.building
                rows.append(_place(s, rng, kind, f"{b.address}{flat.room}室", b, units, flat=flat))
            continue
        for i in range(n):
            b = rng.choice(buildings)
            name = rng.choice(NAMES[kind])
            label = (
                f"{b.address}{name}"
                if kind in (PlaceKind.BASEMENT, PlaceKind.OLD_BLOCK)
                else (
                    f"{s.area.name.removesuffix('街道')}{name}{i + 1:02d}"
                    if kind != PlaceKind.SMALL
                    else f"{rng.choice(SURNAMES)}记{name}"
                )
            )
            rows.append(_place(s, rng, kind, label, b, units))
    Place.objects.bulk_create(rows, batch_size=BATCH)
    return rows


def _place(
    s: Street, rng: random.Random, kind: str, name: str, b: Building, units: list[Unit], flat: Any = None
) -> Place:
    risk = pick(rng, volume.PLACE_RISK)
    if kind in (PlaceKind.CHEMICAL, PlaceKind.PETROL, PlaceKind.GROUP_RENT) and risk == RiskLevel.LOW:
        risk = RiskLevel.HIGH if kind != PlaceKind.GROUP_RENT else RiskLevel.MEDIUM
    lon, lat = offset(b.lon, b.lat, rng.uniform(5, 40), rng.uniform(0, 360)) if b.lon else (b.lon, b.lat)
    unit = rng.choice(units) if units and rng.random() < volume.PLACE_BY_UNIT else None
    return Place(
        street=s.area,
        grid=b.grid,
        kind=kind,
        name=name[:100],
        address=b.address,
        building=b,
        flat=flat,
        lon=lon,
        lat=lat,
        area_m2=round(rng.uniform(20, 2000 if kind in (PlaceKind.PARK, PlaceKind.SITE) else 300), 2),
        unit=unit,
        responsible_name=rng.choice(SURNAMES) + rng.choice(PERSONS),
        responsible_phone=f"13900{rng.randrange(1_000_000):06d}",
        risk=risk,
    )


def _revise(first: Checklist, actor: User) -> Checklist:
    """Revision 2 of one checklist: the first item reworded, one item added (as the street's
    edit does: the old revision kept, no longer current)."""
    Checklist.objects.filter(pk=first.pk).update(current=False)
    second = Checklist.objects.create(
        street_id=first.street_id,
        place_kind=first.place_kind,
        revision=2,
        title=first.title,
        change_note="补充电动自行车进店充电检查项",
        created_by=actor,
    )
    old = list(first.items.all())
    rows = [
        ChecklistItem(
            checklist=second,
            position=item.position,
            code=item.code,
            text=item.text + ("（含后场、阁楼）" if n == 0 else ""),
            severity=item.severity,
            rule=item.rule,
            hazard=item.hazard,
        )
        for n, item in enumerate(old)
    ]
    rows.append(
        ChecklistItem(
            checklist=second,
            position=len(old) + 1,
            code="EBIKE-IN",
            text="店内无电动自行车停放、充电",
            severity=Severity.SERIOUS,
            rule="《上海市非机动车安全管理条例》",
            hazard="ebike_charging",
        )
    )
    ChecklistItem.objects.bulk_create(rows)
    events.log(second, "checklist_revise", actor, payload={"revision": 2})
    return second


# ---------------------------------------------------------------------------- plans and tasks


def _plans(s: Street, year_start: date) -> list[Plan]:
    st = s.staff
    spring = date(s.today.year if s.today.month >= 3 else s.today.year - 1, 3, 1)
    if spring < year_start:
        spring = date(spring.year + 1, 3, 1)
    if spring > s.today:
        spring = date(spring.year - 1, 3, 1)
    mid = s.today - timedelta(days=70)
    rows = [
        Plan(
            street=s.area,
            title="群租房逐楼逐层逐户月度检查",
            place_kinds=[PlaceKind.GROUP_RENT],
            recurrence=Recurrence.MONTHLY,
            starts_on=year_start,
            assignee=st.inspector,
        ),
        Plan(
            street=s.area,
            title="沿街商铺和小场所月度检查",
            place_kinds=[PlaceKind.SMALL],
            recurrence=Recurrence.MONTHLY,
            starts_on=year_start,
            assignee=st.inspector,
        ),
        Plan(
            street=s.area,
            title="居民区地下空间月度检查",
            place_kinds=[PlaceKind.BASEMENT],
            recurrence=Recurrence.MONTHLY,
            starts_on=year_start,
            assignee=st.cadre,
        ),
        Plan(
            street=s.area,
            title="电动自行车充电点月度检查",
            place_kinds=[PlaceKind.CHARGING],
            recurrence=Recurrence.MONTHLY,
            starts_on=year_start,
            assignee=st.inspector,
        ),
        Plan(
            street=s.area,
            title="危化品企业和加油站季度检查",
            place_kinds=[
                PlaceKind.CHEMICAL,
                PlaceKind.PETROL,
                PlaceKind.PARK,
                PlaceKind.SITE,
                PlaceKind.OLD_BLOCK,
            ],
            recurrence=Recurrence.QUARTERLY,
            starts_on=year_start,
            assignee=st.cadre,
        ),
        Plan(
            street=s.area,
            title="电动自行车充电安全专项行动",
            kind=PlanKind.CAMPAIGN,
            place_kinds=[PlaceKind.CHARGING, PlaceKind.GROUP_RENT],
            recurrence=Recurrence.ONCE,
            starts_on=spring,
            ends_on=spring + timedelta(days=60),
            coverage_target=90,
            assignee=st.inspector,
        ),
        Plan(
            street=s.area,
            title="危化品企业四不两直暗查暗访",
            kind=PlanKind.UNANNOUNCED,
            place_kinds=[PlaceKind.CHEMICAL],
            recurrence=Recurrence.ONCE,
            starts_on=mid,
            ends_on=mid + timedelta(days=14),
            unannounced=True,
            assignee=st.leader,
        ),
        Plan(
            street=s.area,
            title="加油站四不两直暗查暗访",
            kind=PlanKind.UNANNOUNCED,
            place_kinds=[PlaceKind.PETROL],
            recurrence=Recurrence.ONCE,
            starts_on=s.today - timedelta(days=3),
            ends_on=s.today + timedelta(days=11),
            unannounced=True,
            assignee=st.leader,
        ),
    ]
    for p in rows:
        p.created_by = st.admin
    Plan.objects.bulk_create(rows)
    return rows


def _periods(plan: Plan, today: date) -> list[tuple[date, date]]:
    """The plan's periods up to today's, as the daily generator cuts them (actions.plans.period),
    so the current period's tasks are the ones it would make and it adds none of its own."""
    if plan.recurrence == Recurrence.ONCE:
        return [(plan.starts_on, plan.ends_on or plan.starts_on)]
    out: list[tuple[date, date]] = []
    day = today
    while (current := period(plan, day)) is not None:
        out.append(current)
        day = current[0] - timedelta(days=1)
    return out[::-1]


def _period(
    s: Street,
    plan: Plan,
    places: list[Place],
    start: date,
    end: date,
    checklist_on: Any,
    items: dict[int, list[ChecklistItem]],
) -> list[tuple[Inspection, ItemResult, ChecklistItem]]:
    """One period of a plan: a task per place, done by an inspection (past periods, but for the
    odd missed one) or partly open (the current period)."""
    rng = seeded(s.info.spec.key, plan.title, start)
    current = end >= s.today
    share_done = 1.0 if not current else (s.today - start).days / max(1, (end - start).days + 1)
    tasks, inspections, results, fails = [], [], [], []
    opened = min(at_time(start, 8), s.now)
    # Planned first, inspections written before their tasks (each task then points at its
    # inspection; the inspections' `task` is filled in one update per street, _link_tasks).
    for place in places:
        task = Task(
            street=s.area,
            place=place,
            plan=plan,
            period_start=start,
            due_on=end,
            assignee=plan.assignee,
            unannounced=plan.unannounced,
            purpose=TaskPurpose.GROUP_RENT if place.kind == PlaceKind.GROUP_RENT else TaskPurpose.ROUTINE,
        )
        tasks.append(task)
        if rng.random() >= share_done:
            continue  # still open
        if not current and rng.random() < volume.TASK_CANCELLED:
            task.status = TaskStatus.CANCELLED
            continue
        last_day = min(end, s.today - timedelta(days=1)) if current else end
        day = start + timedelta(days=rng.randrange(max(1, (last_day - start).days + 1)))
        when = at_time(day, rng.randint(9, 16), rng.randrange(60))
        if when >= s.now:
            continue
        checklist = checklist_on(place.kind, day)
        lon, lat = (
            offset(place.lon, place.lat, rng.uniform(3, 60), rng.uniform(0, 360))
            if place.lon is not None and place.lat is not None
            else (None, None)
        )
        inspection = Inspection(
            street=s.area,
            place=place,
            checklist=checklist,
            purpose=task.purpose,
            inspector=plan.assignee or s.staff.by(rng),
            inspected_at=when,
            unannounced=plan.unannounced,
            note=rng.choice(NOTES),
            lon=lon,
            lat=lat,
            accuracy_m=rng.randint(8, 30),
            client_key=f"demo-{s.area.code}-{task_key(plan, place, start)}",
        )
        chance = volume.ITEM_FAILS[place.risk]
        own = []
        for item in items[checklist.pk]:
            roll = rng.random()
            outcome = (
                Outcome.FAIL if roll < chance else Outcome.NOT_APPLICABLE if roll > 0.97 else Outcome.PASS
            )
            own.append(ItemResult(item=item, outcome=outcome))
        inspection.passed = sum(r.outcome == Outcome.PASS for r in own)
        inspection.failed = sum(r.outcome == Outcome.FAIL for r in own)
        inspection.not_applicable = sum(r.outcome == Outcome.NOT_APPLICABLE for r in own)
        inspections.append(inspection)
        results.append(own)
        task.status, task.inspection = TaskStatus.DONE, inspection
    with clock.at(min(at_time(end, 18), s.now)):
        Inspection.objects.bulk_create(inspections, batch_size=BATCH)
        flat_results = []
        for inspection, own in zip(inspections, results, strict=True):
            for r in own:
                r.inspection = inspection
            flat_results += own
        ItemResult.objects.bulk_create(flat_results, batch_size=BATCH)
    with clock.at(opened):
        Task.objects.bulk_create(tasks, batch_size=BATCH)
    # Generated tasks have no event of their own (as actions.plans.generate_tasks); their steps do.
    for task in tasks:
        if task.status == TaskStatus.CANCELLED:
            s.log(
                task, TaskAction.CANCEL, s.staff.admin, at_time(end, 17), {"note": "场所停业，本期无法检查"}
            )
        elif task.inspection is not None:
            at = task.inspection.inspected_at
            s.log(task.inspection, "record", task.inspection.inspector, at, {"task": task.pk})
            s.log(task, TaskAction.COMPLETE, task.inspection.inspector, at)
    for inspection, own in zip(inspections, results, strict=True):
        by_item = {i.pk: i for i in items[inspection.checklist_id]}
        worst = [r for r in own if r.outcome == Outcome.FAIL]
        if worst:
            r = max(worst, key=lambda r: list(Severity.values).index(by_item[r.item_id].severity))
            fails.append((inspection, r, by_item[r.item_id]))
    return fails


def _link_tasks(street: Area) -> None:
    """Each inspection's `task`: the task that points at it."""
    task = Task.objects.filter(inspection=OuterRef("pk")).values("pk")[:1]
    Inspection.objects.filter(street=street, task=None).update(task=Subquery(task))


def task_key(plan: Plan, place: Place, start: date) -> str:
    return f"{plan.pk}-{place.pk}-{start:%Y%m%d}"


# ---------------------------------------------------------------------------- orders


def _orders(s: Street, failed: list[tuple[Inspection, ItemResult, ChecklistItem]]) -> int:
    """An order for the gravest failed item of each inspection, in the state its age implies;
    the newest few put in the states the year would otherwise miss."""
    failed.sort(key=lambda f: f[0].inspected_at)
    rng = seeded(s.info.spec.key, "orders")
    orders, rechecks = [], []
    showcase = _showcase(s, failed)
    for inspection, result, item in failed:
        issued = inspection.inspected_at + timedelta(minutes=20)
        deadline = deadlines.default(item.severity, s.area.pk)
        due = deadline.due(issued)
        order = Order(
            number=s.number(issued),
            street=s.area,
            place=inspection.place,
            inspection=inspection,
            result=result,
            severity=item.severity,
            finding=item.text,
            rule=item.rule,
            requirement=REQUIREMENT,
            evidence_required=EVIDENCE,
            responsible=(inspection.place.responsible_name or inspection.place.name)[:100],
            deadline_amount=deadline.amount,
            deadline_unit=deadline.unit,
            issued_at=issued,
            due_at=due,
            issued_by=inspection.inspector,
        )
        steps = _fate(s, rng, order, showcase.get(inspection.pk))
        orders.append((order, steps))
    # In bulk (no AuditLog rows, as for the registry), one batch per day of issue so that
    # `created_at` falls on it.
    by_day: dict[date, list[Order]] = {}
    for order, _steps in orders:
        by_day.setdefault(timezone.localtime(order.issued_at).date(), []).append(order)
    for same_day in by_day.values():
        with clock.at(same_day[0].issued_at):
            Order.objects.bulk_create(same_day)
    for order, steps in orders:
        actor = order.issued_by
        s.log(
            order,
            OrderAction.ISSUE,
            actor,
            order.issued_at,
            {"place": order.place_id, "severity": order.severity, "due_at": order.due_at.isoformat()},
        )
        for action, when, payload in steps:
            s.log(order, action, actor, when, payload)
        recheck = Task(
            street=s.area,
            place=order.place,
            order=order,
            purpose=TaskPurpose.RECHECK,
            due_on=recheck_day(order.due_at),
            assignee=actor,
            status=TaskStatus.OPEN
            if order.status in (OrderStatus.ISSUED, OrderStatus.SUBMITTED, OrderStatus.REPORTED)
            else TaskStatus.DONE
            if order.status == OrderStatus.CLOSED
            else TaskStatus.CANCELLED,
        )
        rechecks.append(recheck)
    Task.objects.bulk_create(rechecks, batch_size=BATCH)
    return len(orders)


def _showcase(s: Street, failed: list[tuple[Inspection, ItemResult, ChecklistItem]]) -> dict[int, str]:
    """The states the newest orders are put in, whatever their age would say: an inspection
    within the deadline's reach for `issued`/`submitted`, an older one for the overdue states."""
    out: dict[int, str] = {}
    recent = [f for f in failed if f[0].inspected_at > s.now - timedelta(days=3)]
    older = [f for f in failed if s.now - timedelta(days=60) < f[0].inspected_at < s.now - timedelta(days=35)]
    for fates, pool in (
        (("issued", "submitted"), recent[::-1]),
        (("supervised", "escalated", "reported", "cancelled", "case", "submitted_late"), older[::-1]),
    ):
        for fate, (inspection, _r, _i) in zip(fates, pool, strict=False):
            out[inspection.pk] = fate
    return out


def _fate(
    s: Street, rng: random.Random, order: Order, forced: str | None
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """Set the order's status and the fields it implies; the steps (action, moment, payload)
    that led there, as the order machine allows them."""
    due, now = order.due_at, s.now
    fate = forced
    if fate in ("supervised", "escalated", "case", "submitted_late") and due >= now:
        fate = None  # not overdue after all (a long deadline): as its age says
    if fate is None:
        if due > now:
            fate = "submitted" if rng.random() < 0.3 else "issued"
        elif due > now - timedelta(days=30):
            fate = "closed" if rng.random() < 0.6 else "supervised"
        else:
            roll = rng.random()
            fate = (
                "reported"
                if roll < volume.ORDER_REPORTED
                else ("cancelled" if roll < volume.ORDER_REPORTED + volume.ORDER_CANCELLED else "closed")
            )
    steps: list[tuple[str, datetime, dict[str, Any]]] = []
    span = max(timedelta(hours=2), (min(due, now) - order.issued_at) * 0.6)
    done_at = order.issued_at + span * rng.uniform(0.3, 1.0)
    if fate in ("submitted", "submitted_late"):
        order.status = OrderStatus.SUBMITTED
        steps.append((OrderAction.REPORT_DONE, done_at, {"note": "已按要求整改，请复查"}))
        if fate == "submitted_late":
            fate = "supervised"
    if fate in ("supervised", "escalated", "case"):
        order.is_overdue, order.overdue_at, order.escalation = True, due, Escalation.SUPERVISED
        steps.append((OrderAction.SUPERVISE, due, {}))
        limit = workdays.working_day_deadline(due, 3)
        if fate == "escalated" or (fate == "supervised" and limit < now and rng.random() < 0.5):
            order.escalation = Escalation.ESCALATED
            steps.append((OrderAction.ESCALATE, limit, {}))
    if fate == "case":
        case_at = min(now - timedelta(hours=1), due + timedelta(days=1))
        with clock.at(case_at):
            order.case = open_case_at(
                s.staff.inspector,
                category=resolve_category("E2107"),
                description=f"{order.place.name}：{order.finding}",
                channel=Channel.INSPECTION,
                lon=order.place.lon,
                lat=order.place.lat,
                address=order.place.address,
            )
        steps.append((OrderAction.OPEN_CASE, case_at, {"case": order.case.number}))
    if fate == "closed":
        order.status = OrderStatus.CLOSED
        late = due < done_at
        if late:
            order.is_overdue, order.overdue_at, order.escalation = True, due, Escalation.SUPERVISED
            steps.append((OrderAction.SUPERVISE, due, {}))
        steps.append((OrderAction.REPORT_DONE, done_at, {"note": "已整改完毕"}))
        closed = min(
            now - timedelta(minutes=5),
            max(done_at, due - timedelta(hours=1)) + timedelta(hours=rng.randint(2, 30)),
        )
        if late:
            closed = max(closed, done_at + timedelta(hours=1))
        order.closed_at, order.rechecks = closed, 1
        steps.append((OrderAction.RECHECK_PASS, closed, {"note": "复查合格，予以销号"}))
    elif fate == "reported":
        order.status = OrderStatus.REPORTED
        order.reported_at = order.issued_at + timedelta(days=2)
        order.reported_reason = "涉及产权和规划审批，街道无法单独解决"
        steps.append(
            (OrderAction.REPORT_UP, order.reported_at, {"to": "区应急管理局", "note": order.reported_reason})
        )
    elif fate == "cancelled":
        order.status = OrderStatus.CANCELLED
        steps.append(
            (OrderAction.CANCEL, order.issued_at + timedelta(days=1), {"note": "经核实不属于隐患，撤销整改"})
        )
    order.version = 1 + len(steps)
    return steps


# ---------------------------------------------------------------------------- group renting


def _campaign(
    s: Street, places: list[Place], checklist: Checklist, items: dict[int, list[ChecklistItem]]
) -> int:
    """The sweep of the cadre's residential area and the register's entries in every state."""
    rng = seeded(s.info.spec.key, "renting")
    ra = Area.objects.get(code=s.info.ra_codes[s.info.spec.cadre_area])
    buildings = list(Building.objects.filter(grid__parent=ra).order_by("pk"))
    swept = buildings[: max(1, round(len(buildings) * volume.SWEEP_BUILDING_SHARE))]
    flats = list(Flat.objects.filter(building__in=swept).order_by("building_id", "floor", "room"))
    rented = {p.flat_id for p in places if p.kind == PlaceKind.GROUP_RENT}
    start = s.today - timedelta(days=volume.SWEEP_DAYS)
    checks = []
    for n, flat in enumerate(flats):
        if rng.random() < 0.15:
            continue  # not reached yet: the floor shows a gap
        day = start + timedelta(days=n * volume.SWEEP_DAYS // max(1, len(flats)))
        # Nobody home at about one door in nine, then the rest as found.
        no_access = n % volume.SWEEP_NO_ACCESS_EVERY == volume.SWEEP_NO_ACCESS_EVERY // 2
        finding = FlatFinding.NO_ACCESS if no_access else pick(rng, volume.SWEEP_FINDINGS)
        if flat.use == FlatUse.GROUP_RENTED or flat.pk in rented:
            finding = FlatFinding.GROUP_RENT
        checks.append(
            FlatCheck(street=s.area, flat=flat, checked_on=day, checked_by=s.staff.by(rng), finding=finding)
        )
    # A sweep finds a handful of group-rented flats (发现一户整治一户), whatever the registry says.
    for check in checks[len(checks) // 7 :: max(1, len(checks) // 3)]:
        check.finding = FlatFinding.GROUP_RENT
    with clock.at(min(s.now, at_time(s.today - timedelta(days=1), 17))):
        FlatCheck.objects.bulk_create(checks, batch_size=BATCH)

    swept_ids = {b.pk for b in swept}
    flat_places = sorted(
        ((p, p.flat) for p in places if p.kind == PlaceKind.GROUP_RENT and p.flat is not None),
        key=lambda pair: pair[0].building_id not in swept_ids,
    )
    states = (
        RentStatus.REPORTED,
        RentStatus.REPORTED,
        RentStatus.CONFIRMED,
        "relapse",
        RentStatus.RECTIFIED,
        RentStatus.RECTIFIED,
        RentStatus.RECTIFIED,
        RentStatus.CLOSED,
        RentStatus.CLOSED,
        RentStatus.DISMISSED,
    )
    needed = clean_checks_required(s.area.pk)
    interval = 30
    made = 0
    category = resolve_category("E2101")
    for n, (state, (place, flat)) in enumerate(zip(states, flat_places, strict=False)):
        reported = s.now - timedelta(
            days=20 + 30 * (needed + 1) if state == RentStatus.CLOSED else 8 + 25 * n
        )
        case = None
        if n < 3:
            with clock.at(reported - timedelta(hours=3)):
                case = open_case_at(
                    s.staff.dispatcher,
                    category=category,
                    description=f"居民反映{place.name}疑似群租，夜间人员进出频繁",
                    channel=Channel.HOTLINE,
                    lon=place.lon,
                    lat=place.lat,
                    address=place.address,
                )
        with clock.at(reported):
            entry = RentEntry.objects.create(
                street=s.area,
                place=place,
                flat=flat,
                case=case,
                clue="邻居反映一套房内住了十多人，隔成多间",
                created_by=s.staff.cadre,
            )
        steps: list[tuple[str, datetime, dict[str, Any]]] = []
        s.log(entry, RentAction.REGISTER, s.staff.cadre, reported, {"case": case.number if case else None})
        when = reported + timedelta(days=3)
        if state == RentStatus.DISMISSED:
            entry.status = RentStatus.DISMISSED
            steps.append((RentAction.DISMISS, when, {"note": "联合检查查无群租"}))
        elif state != RentStatus.REPORTED:
            entry.status, entry.joint_with, entry.tenants = (
                RentStatus.CONFIRMED,
                "城管中队、派出所",
                rng.randint(8, 16),
            )
            steps.append((RentAction.CONFIRM, when, {"tenants": entry.tenants}))
            if state != RentStatus.CONFIRMED:
                when += timedelta(days=7)
                entry.status, entry.partitions_removed, entry.tenants_informed = (
                    RentStatus.RECTIFIED,
                    rng.randint(2, 6),
                    True,
                )
                steps.append((RentAction.RECTIFY, when, {"partitions_removed": entry.partitions_removed}))
                clean = {
                    RentStatus.CLOSED: needed,
                    RentStatus.RECTIFIED: 1 + n % max(1, needed - 1),
                    "relapse": 1,
                }[state]
                for _k in range(clean):
                    when += timedelta(days=interval)
                    if when >= s.now:
                        break
                    entry.clean_checks += 1
                    entry.last_checked_on = when.date()
                    steps.append((RentAction.CHECK_CLEAN, when, {}))
                if state == RentStatus.CLOSED and entry.clean_checks >= needed:
                    entry.status, entry.closed_at, entry.next_check_on = RentStatus.CLOSED, when, None
                elif state == "relapse":
                    when = min(s.now - timedelta(days=1), when + timedelta(days=interval))
                    entry.status, entry.clean_checks, entry.tenants_informed = RentStatus.CONFIRMED, 0, False
                    steps.append((RentAction.CHECK_RELAPSE, when, {"note": "复查发现重新隔断出租"}))
                else:
                    entry.next_check_on = (entry.last_checked_on or when.date()) + timedelta(days=interval)
        entry.version = 1 + len(steps)
        entry.save()
        for action, moment, payload in steps:
            s.log(entry, action, s.staff.cadre, moment, payload)
        made += 1
    return made
