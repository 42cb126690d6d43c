"""The source-governance plan's machine on the kernel's engine (core.workflow): the
parameters of each step are at once the page's form, the API's request body and the
validation. Making a plan is not a transition: insights.actions.plans.make_plan logs `make`."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.core.attachments import clean_image
from civicgrid.core.capabilities import roles
from civicgrid.core.choices import Action
from civicgrid.core.params import Kind, Param
from civicgrid.core.scope import user_scope
from civicgrid.core.workflow import Machine, Transition, machines
from civicgrid.orgs.models import Unit

from .choices import PlanAction, PlanStatus

MANAGE, REPORT = "insights.plans.manage", "insights.plans.report"


def owner_units(user: Any) -> QuerySet[Unit]:
    return Unit.objects.restrict(user, Action.VIEW).filter(is_active=True).order_by("street", "name")


def owners(user: Any) -> QuerySet[Any]:
    """Accounts of the actor's streets who may report on a plan (its responsible person)."""
    from civicgrid.accounts.models import User

    scope = user_scope(user)
    rows = User.objects.filter(is_active=True, role__in=roles(REPORT))
    if scope is not None and not scope.is_global:
        rows = rows.filter(memberships__area__street_id__in=scope.street_ids) | rows.filter(
            memberships__unit__street_id__in=scope.street_ids
        )
    return rows.distinct().order_by("full_name", "username")


def note(label: Any, *, required: bool = True) -> Param:
    return Param("note", label, Kind.LONGTEXT, required=required, max_length=2000)


# The fields of a plan a dispatcher sets when making it and may revise later.
MEASURES = Param("measures", _("治理措施"), Kind.LONGTEXT, required=True, max_length=4000, textarea_rows=6)
DEADLINE = Param("deadline", _("完成时限"), Kind.DATE, required=True)
OWNER_UNIT = Param("owner_unit", _("责任单位"), Kind.REF, queryset=owner_units)
OWNER = Param("owner", _("责任人"), Kind.REF, queryset=owners)
CASE_NUMBERS = Param(
    "numbers",
    _("工单编号"),
    Kind.LONGTEXT,
    required=True,
    max_length=4000,
    help=_("一行或逗号分隔多个编号"),
)

ACTIVE = frozenset({PlanStatus.ACTIVE})

PLAN_TRANSITIONS = [
    Transition(
        PlanAction.REPORT,
        ACTIVE,
        None,
        REPORT,
        params=(note(_("进展情况")), Param("photos", _("照片"), Kind.FILES, cleaner=clean_image)),
        primary=True,
    ),
    Transition(
        PlanAction.REVISE,
        ACTIVE,
        None,
        MANAGE,
        params=(
            Param("measures", _("治理措施"), Kind.LONGTEXT, max_length=4000, textarea_rows=6),
            Param("deadline", _("完成时限"), Kind.DATE),
            OWNER_UNIT,
            OWNER,
            note(_("调整原因")),
        ),
    ),
    Transition(
        PlanAction.LINK,
        frozenset({PlanStatus.ACTIVE, PlanStatus.COMPLETED}),
        None,
        MANAGE,
        params=(CASE_NUMBERS,),
    ),
    Transition(
        PlanAction.COMPLETE,
        ACTIVE,
        PlanStatus.COMPLETED,
        MANAGE,
        params=(Param("result", _("治理成效"), Kind.LONGTEXT, required=True, max_length=4000),),
    ),
    Transition(
        PlanAction.CANCEL, ACTIVE, PlanStatus.CANCELLED, MANAGE, params=(note(_("撤销原因")),), danger=True
    ),
    Transition(
        PlanAction.REOPEN,
        frozenset({PlanStatus.COMPLETED}),
        PlanStatus.ACTIVE,
        MANAGE,
        params=(note(_("重新实施原因")),),
    ),
]

PLANS = machines.add(
    Machine(
        name="insights.plans",
        statuses=PlanStatus,
        actions=PlanAction,
        transitions=PLAN_TRANSITIONS,
        noun="源头治理方案",
    )
)
