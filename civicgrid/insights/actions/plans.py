"""Source-governance plans (源头治理方案): making one from a hotspot, the bodies of the plan
machine (insights.workflow.PLANS) run by PLAN_FRAME, and the daily overdue notice. Each body
changes fields through `ctx.set`; the frame applies the target status, bumps the version and
logs the event."""

import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicgrid.cases.models import Case
from civicgrid.cases.notifications import desk_users, users_of_units
from civicgrid.core import clock, events, notifications
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, InvalidInput
from civicgrid.core.frame import FilesContext
from civicgrid.core.models import Event
from civicgrid.core.scope import user_scope
from civicgrid.geo.models import Area

from ..choices import HotspotKind, NotificationKind, PlanAction, PlanPhoto, PlanStatus
from ..hotspots import clean_params, hotspot_cases
from ..models import GovernancePlan
from ..workflow import DEADLINE, MANAGE, MEASURES, OWNER, OWNER_UNIT
from .frames import PLAN_FRAME

__all__ = ["PLAN_FRAME", "make_plan", "check_overdue"]

# The hotspot's cases a new plan answers: those received in the last LINK_DAYS, newest first.
LINK_DAYS = 90
LINK_MAX = 200
# Events outside the machine: making a plan, and the overdue job's notice.
MAKE, OVERDUE = "make", "overdue"


def split_numbers(raw: Any) -> list[str]:
    """Case numbers typed one a line or separated by commas (either width), in order, once each."""
    values = raw if isinstance(raw, list | tuple) else re.split(r"[\s,，、;；]+", str(raw or ""))
    return list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))


def visible_cases(actor: Any, numbers: Iterable[str], field: str = "numbers") -> list[Case]:
    """The actor's cases with these numbers; InvalidInput naming the numbers that are unknown
    or outside the actor's scope (the two look alike: existence must not leak)."""
    wanted = list(numbers)
    found = list(Case.objects.restrict(actor, Action.VIEW).filter(number__in=wanted))
    missing = sorted(set(wanted) - {c.number for c in found})
    if missing:
        message = _("工单编号不存在或不在你的管辖范围内：%s") % "、".join(missing)
        raise InvalidInput(message, {field: "unknown"})
    return found


def _in_street(actor: Any, street: Area) -> bool:
    scope = user_scope(actor)
    return scope is not None and (scope.is_global or street.pk in scope.street_ids)


def _audience(plan: GovernancePlan) -> list[Any]:
    """Whoever answers for the plan: its responsible person and the members of its unit."""
    people = {u.pk: u for u in users_of_units([plan.owner_unit_id])} if plan.owner_unit_id else {}
    if plan.owner is not None and plan.owner.is_active:
        people[plan.owner.pk] = plan.owner
    return list(people.values())


def _tell_owner(plan: GovernancePlan, text: str, key: str) -> None:
    notifications.send_on_commit(
        _audience(plan),
        plan,
        NotificationKind.PLAN,
        text,
        key,
        {"title": plan.title, "deadline": plan.deadline.isoformat()},
    )


def make_plan(
    actor: Any,
    *,
    street: Area,
    title: str,
    hotspot_kind: str,
    hotspot_label: str,
    hotspot_params: Any,
    measures: Any,
    deadline: Any,
    owner_unit: Any = None,
    owner: Any = None,
    case_numbers: Iterable[str] | str = (),
) -> GovernancePlan:
    """制定源头治理方案 against a hotspot in one transaction: the hotspot's cases of the last
    90 days (at most 200) and the given numbers linked, event `make`, the owner told."""
    if not may(actor, MANAGE) or street is None or not _in_street(actor, street):
        raise Forbidden(_("你不能在该街道制定源头治理方案"))
    title = (title or "").strip()
    if not title:
        raise InvalidInput(_("请填写方案名称"), {"title": "required"})
    if len(title) > 100:
        raise InvalidInput(_("方案名称不能超过 100 个字"), {"title": "too_long"})
    if hotspot_kind not in HotspotKind.values:
        raise InvalidInput(_("问题类型不正确"), {"hotspot_kind": "invalid"})
    label = (hotspot_label or "").strip()[:200]
    if not label:
        raise InvalidInput(_("请填写问题点"), {"hotspot_label": "required"})
    params = clean_params(hotspot_params)
    today = clock.today()
    try:
        recent = hotspot_cases(actor, params, today - timedelta(days=LINK_DAYS - 1), today)
    except InvalidInput as exc:  # a parameter the case filter refuses (an unknown grid code…)
        message = _("问题点条件无效：%s") % exc.message
        raise InvalidInput(message, {"params": "invalid", **exc.fields}) from None
    cleaned = {
        "measures": MEASURES.clean(measures, actor),
        "deadline": DEADLINE.clean(deadline, actor),
        "owner_unit": OWNER_UNIT.clean(owner_unit, actor),
        "owner": OWNER.clean(owner, actor),
    }
    if cleaned["deadline"] < today:
        raise InvalidInput(_("完成时限不能早于今天"), {"deadline": "out_of_range"})
    extra = visible_cases(actor, split_numbers(case_numbers), "case_numbers")
    with transaction.atomic():
        found = list(recent.order_by("-received_at", "-pk").values_list("pk", flat=True)[:LINK_MAX])
        plan = GovernancePlan.objects.create(
            street=street,
            title=title,
            hotspot_kind=hotspot_kind,
            hotspot_label=label,
            hotspot_params=params,
            started_on=today,
            created_by=actor,
            **cleaned,
        )
        plan.cases.add(*found, *(c.pk for c in extra))
        events.log(
            plan,
            MAKE,
            actor,
            payload={"kind": hotspot_kind, "params": params, "cases": plan.cases.count()},
        )
        text = gettext_noop("请落实源头治理方案“%(title)s”，完成时限 %(deadline)s")
        _tell_owner(plan, text, f"plan-made:{plan.pk}")
    return plan


# ---------------------------------------------------------------------------- the machine's bodies


@PLAN_FRAME.implements(PlanAction.REPORT)
def report(ctx: FilesContext, *, note: str, photos: list[Any] | None = None) -> None:
    """报告进展: what was done, with photos of it."""
    ctx.note = note
    ctx.photos, ctx.stage = list(photos or []), PlanPhoto.PROGRESS


@PLAN_FRAME.implements(PlanAction.REVISE)
def revise(
    ctx: FilesContext,
    *,
    note: str,
    measures: str = "",
    deadline: date | None = None,
    owner_unit: Any = None,
    owner: Any = None,
) -> None:
    """调整方案: only the fields given change (at least one); the owner is told."""
    plan: GovernancePlan = ctx.obj
    given: dict[str, Any] = {
        name: value
        for name, value in (
            ("measures", measures),
            ("deadline", deadline),
            ("owner_unit", owner_unit),
            ("owner", owner),
        )
        if value not in (None, "")
    }
    changes = {name: value for name, value in given.items() if getattr(plan, name) != value}
    if not changes:
        message = _("请至少调整一项：治理措施、完成时限、责任单位或责任人")
        raise InvalidInput(message, {"measures": "required"})
    if "deadline" in changes and changes["deadline"] < plan.started_on:
        raise InvalidInput(_("完成时限不能早于开始实施日期"), {"deadline": "out_of_range"})
    ctx.note = note
    ctx.payload["changed"] = sorted(changes)
    if "deadline" in changes:
        ctx.payload["previous_deadline"] = plan.deadline.isoformat()
    ctx.set(**changes)
    _tell_owner(
        plan,
        gettext_noop("源头治理方案“%(title)s”已调整，完成时限 %(deadline)s"),
        f"plan-revised:{plan.pk}:{plan.version}",
    )


@PLAN_FRAME.implements(PlanAction.LINK)
def link(ctx: FilesContext, *, numbers: str) -> None:
    """关联工单: the actor's cases with these numbers (already linked ones stay as they are)."""
    plan: GovernancePlan = ctx.obj
    cases = visible_cases(ctx.actor, split_numbers(numbers))
    if not cases:
        raise InvalidInput(_("请填写工单编号"), {"numbers": "required"})
    already = set(plan.cases.filter(pk__in=[c.pk for c in cases]).values_list("pk", flat=True))
    added = [c for c in cases if c.pk not in already]
    plan.cases.add(*added)
    ctx.payload["added"] = [c.number for c in added]


@PLAN_FRAME.implements(PlanAction.COMPLETE)
def complete(ctx: FilesContext, *, result: str) -> None:
    ctx.set(result=result, completed_on=clock.today())
    ctx.note = result


@PLAN_FRAME.implements(PlanAction.CANCEL)
def cancel(ctx: FilesContext, *, note: str) -> None:
    ctx.note = note


@PLAN_FRAME.implements(PlanAction.REOPEN)
def reopen(ctx: FilesContext, *, note: str) -> None:
    ctx.set(completed_on=None)
    ctx.note = note


# ---------------------------------------------------------------------------- overdue


def check_overdue() -> int:
    """Tell the owner and the street's desk, once per plan, that an active plan passed its
    deadline; the event `overdue` remembers it (a plan revised to a later deadline and
    overdue again is told again, for that deadline). Returns how many plans were told."""
    today = clock.today()
    told = 0
    late = GovernancePlan.objects.filter(status=PlanStatus.ACTIVE, deadline__lt=today).select_related("owner")
    for plan in late.order_by("pk").iterator():
        deadline = plan.deadline.isoformat()
        with transaction.atomic():
            done = Event.objects.filter(
                app="insights", object_type="governanceplan", object_id=plan.pk, action=OVERDUE
            )
            if any(e.payload.get("deadline") == deadline for e in done):
                continue
            events.log(plan, OVERDUE, None, payload={"deadline": deadline})
            notifications.send_on_commit(
                list({u.pk: u for u in [*_audience(plan), *desk_users(plan.street_id)]}.values()),
                plan,
                NotificationKind.PLAN_OVERDUE,
                gettext_noop("源头治理方案“%(title)s”已超过完成时限 %(deadline)s"),
                f"plan-overdue:{plan.pk}:{deadline}",
                {"title": plan.title, "deadline": deadline},
            )
        told += 1
    return told
