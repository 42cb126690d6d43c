"""Plans (检查计划) and the tasks they give: saving a plan, generating each period's tasks
(idempotent: one task per plan, place and period), and the task machine's bodies."""

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.core import capabilities, clock, events, notifications
from civicgrid.core.errors import InvalidInput
from civicgrid.core.frame import FilesContext
from civicgrid.core.scope import user_scope
from civicgrid.geo.models import Area

from ..choices import NotificationKind, PlaceKind, PlanKind, Recurrence, TaskAction, TaskPurpose
from ..models import Place, Plan, Task
from .frames import TASK_FRAME

SAVE = "plan_save"


def period(plan: Plan, today: date) -> tuple[date, date] | None:
    """The plan's current period (start, due) on `today`, or None outside the plan's dates."""
    if today < plan.starts_on or (plan.ends_on is not None and today > plan.ends_on):
        return None
    if plan.kind == PlanKind.CAMPAIGN or plan.recurrence == Recurrence.ONCE:
        return plan.starts_on, plan.ends_on or plan.starts_on
    if plan.recurrence == Recurrence.WEEKLY:
        start = today - timedelta(days=today.weekday())
        end = start + timedelta(days=6)
    else:
        months = 3 if plan.recurrence == Recurrence.QUARTERLY else 1
        first_month = (today.month - 1) // months * months + 1
        start = date(today.year, first_month, 1)
        after = first_month + months
        end = date(today.year + (after - 1) // 12, (after - 1) % 12 + 1, 1) - timedelta(days=1)
    return max(start, plan.starts_on), min(end, plan.ends_on) if plan.ends_on else end


def places_of(plan: Plan) -> Any:
    """The active places the plan covers: in its area (the street by default), of its kinds."""
    places = Place.objects.active().filter(street_id=plan.street_id)
    if plan.area is not None:
        places = places.filter(grid__path__startswith=plan.area.path)
    if plan.place_kinds:
        places = places.filter(kind__in=plan.place_kinds)
    return places


def covers(plan: Plan, street_id: int, kind: str, grid_path: str) -> bool:
    """`places_of` for one place already read (the oversight page matches many at once)."""
    if plan.street_id != street_id or (plan.place_kinds and kind not in plan.place_kinds):
        return False
    return plan.area is None or grid_path.startswith(plan.area.path)


def tasks_for(plan: Plan, today: date) -> list[Task]:
    """Create the current period's missing tasks of one plan (none twice: the unique
    constraint plan/place/period_start) and notify the assignee of the new ones."""
    current = period(plan, today)
    if current is None or not plan.active:
        return []
    start, due = current
    with transaction.atomic():
        done = set(Task.objects.filter(plan=plan, period_start=start).values_list("place_id", flat=True))
        new = [
            Task(
                street_id=plan.street_id,
                place=place,
                plan=plan,
                purpose=TaskPurpose.GROUP_RENT if place.kind == PlaceKind.GROUP_RENT else TaskPurpose.ROUTINE,
                period_start=start,
                due_on=due,
                assignee_id=plan.assignee_id,
                unit_id=plan.unit_id,
                unannounced=plan.unannounced,
            )
            for place in places_of(plan).exclude(pk__in=done)
        ]
        created = Task.objects.bulk_create(new, ignore_conflicts=True)
        if created and plan.assignee_id is not None:
            # Only the inspector is told: never the place's unit (四不两直).
            notifications.send_on_commit(
                [plan.assignee],
                plan,
                NotificationKind.TASK,
                gettext_noop("检查计划“%(plan)s”派发了 %(count)s 项检查任务"),
                f"inspections.plan.{plan.pk}.{start.isoformat()}",
                {"plan": plan.title, "count": len(created)},
            )
    return created


def generate_tasks(today: date | None = None) -> int:
    """The daily job: every active plan's current period gets its tasks; returns how many were made."""
    today = today or clock.today()
    plans = Plan.objects.filter(active=True).select_related("area", "assignee")
    return sum(len(tasks_for(plan, today)) for plan in plans)


def actor_street(actor: Any) -> Area | None:
    """The street a plan made by `actor` belongs to (their first street)."""
    scope = user_scope(actor)
    return Area.objects.filter(pk__in=sorted(scope.street_ids) if scope is not None else []).first()


def save_plan(actor: Any, plan: Plan | None = None, **fields: Any) -> Plan:
    """Create (or change) a plan in the actor's street and generate its current tasks."""
    capabilities.require(actor, "inspections.plan")
    errors: dict[str, str] = {}
    title = (fields.get("title") or "").strip()
    if not title:
        errors["title"] = "required"
    kind = fields.get("kind") or PlanKind.RECURRING
    if kind not in PlanKind.values:
        errors["kind"] = "invalid"
    recurrence = fields.get("recurrence") or Recurrence.MONTHLY
    if recurrence not in Recurrence.values:
        errors["recurrence"] = "invalid"
    kinds = list(fields.get("place_kinds") or [])
    if any(k not in PlaceKind.values for k in kinds):
        errors["place_kinds"] = "invalid"
    starts_on, ends_on = fields.get("starts_on") or clock.today(), fields.get("ends_on")
    if kind == PlanKind.CAMPAIGN and ends_on is None:
        errors["ends_on"] = "required"
    if ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = "before_start"
    target = fields.get("coverage_target")
    if target is not None and not 0 < int(target) <= 100:
        errors["coverage_target"] = "range"
    if fields.get("assignee") is None and fields.get("unit") is None:
        errors["assignee"] = "required"
    if fields.get("street") is None:
        errors["street"] = "required"
    if errors:
        raise InvalidInput(_("检查计划填写有误：%(fields)s") % {"fields": "、".join(errors)}, errors)
    values = {
        "street": fields["street"],
        "area": fields.get("area"),
        "title": title[:100],
        "kind": kind,
        "place_kinds": kinds,
        "recurrence": Recurrence.ONCE
        if kind == PlanKind.UNANNOUNCED and not fields.get("recurrence")
        else recurrence,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "coverage_target": target,
        "unannounced": kind == PlanKind.UNANNOUNCED or bool(fields.get("unannounced")),
        "assignee": fields.get("assignee"),
        "unit": fields.get("unit"),
        "note": fields.get("note") or "",
    }
    with transaction.atomic():
        if plan is None:
            plan = Plan.objects.create(created_by=actor, **values)
            events.log(plan, SAVE, actor, payload={"kind": kind, "unannounced": plan.unannounced})
        else:
            for name, value in values.items():
                setattr(plan, name, value)
            plan.version += 1
            plan.save()
        tasks_for(plan, clock.today())
    return plan


@TASK_FRAME.implements(TaskAction.REASSIGN)
def reassign(ctx: FilesContext, *, assignee: Any = None, unit: Any = None, due_on_days: int = 0) -> None:
    if assignee is None and unit is None:
        raise InvalidInput(_("请选择检查人或检查单位"), {"assignee": "required"})
    ctx.set(assignee=assignee, unit=unit)
    if due_on_days:
        ctx.set(due_on=ctx.obj.due_on + timedelta(days=int(due_on_days)))
    ctx.payload.update(assignee=getattr(assignee, "pk", None), unit=getattr(unit, "pk", None))


@TASK_FRAME.implements(TaskAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note
