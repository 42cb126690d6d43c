"""The programmes machines on the kernel's engine (core.workflow): a practical project and its
milestones, a welfare project and its claims, a proposal and a democratic evaluation. The
bodies live in `actions/` (one module per part); the guards in `checks.py`."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from civicgrid.core.attachments import clean_image
from civicgrid.core.params import Kind, Param
from civicgrid.core.workflow import Guard, Machine, Transition, machines

from . import checks
from .choices import (
    ClaimAction,
    ClaimStatus,
    EvaluationAction,
    EvaluationStatus,
    MilestoneAction,
    MilestoneStatus,
    ProjectAction,
    ProjectStatus,
    ProposalAction,
    ProposalStatus,
    Rating,
    WelfareAction,
    WelfareStatus,
)

PROJECTS, REPORT, SUPERVISE = "programmes.projects", "programmes.report", "programmes.supervise"
WELFARE, CONFIRM_CLAIMS = "programmes.welfare", "programmes.confirm_claims"
PROPOSALS, ANSWER, EVALUATIONS = "programmes.proposals", "programmes.answer", "programmes.evaluations"


def note(label: Any = None, *, required: bool = False) -> Param:
    return Param("note", label or _("说明"), Kind.LONGTEXT, required=required, max_length=2000)


def photos(label: Any) -> Param:
    return Param("photos", label, Kind.FILES, cleaner=clean_image)


def _targets(user: Any) -> Any:
    from .models import Target

    return Target.objects.restrict(user, "view").select_related("project")


def _proposals(user: Any) -> Any:
    from .models import Proposal

    return Proposal.objects.restrict(user, "view")


def _units(user: Any) -> Any:
    from civicgrid.orgs.models import Unit

    return Unit.objects.restrict(user, "view")


P, M = ProjectStatus, MilestoneStatus

PROJECT_MACHINE = machines.add(
    Machine(
        name="programmes.projects",
        statuses=ProjectStatus,
        actions=ProjectAction,
        noun=_("实事项目"),
        transitions=[
            Transition(
                ProjectAction.PUBLISH,
                frozenset({P.DRAFT}),
                P.ACTIVE,
                PROJECTS,
                guards=(Guard(checks.has_targets_or_children, checks.NO_TARGETS),),
                params=(note(),),
                primary=True,
            ),
            Transition(
                ProjectAction.REPORT,
                frozenset({P.ACTIVE}),
                None,
                REPORT,
                guards=(
                    Guard(
                        checks.report_target_of_project,
                        checks.TARGET_ELSEWHERE,
                        on_params=True,
                        field="target",
                    ),
                ),
                params=(
                    Param("target", _("指标"), Kind.REF, queryset=_targets),
                    Param("value", _("累计完成"), Kind.FLOAT, min_value=0, max_value=10**9),
                    Param("reported_on", _("截至日期"), Kind.DATE),
                    note(_("进展说明"), required=True),
                    photos(_("现场照片")),
                ),
                primary=True,
            ),
            Transition(
                ProjectAction.COMPLETE,
                frozenset({P.ACTIVE}),
                P.DONE,
                PROJECTS,
                guards=(Guard(checks.targets_reached, checks.TARGETS_NOT_REACHED),),
                params=(note(_("完成情况")),),
            ),
            Transition(
                ProjectAction.REOPEN,
                frozenset({P.DONE}),
                P.ACTIVE,
                PROJECTS,
                params=(note(_("重新实施的理由"), required=True),),
            ),
            Transition(
                ProjectAction.CANCEL,
                frozenset({P.DRAFT, P.ACTIVE}),
                P.CANCELLED,
                PROJECTS,
                params=(note(_("取消理由"), required=True),),
                danger=True,
            ),
        ],
    )
)

MILESTONE_MACHINE = machines.add(
    Machine(
        name="programmes.milestones",
        statuses=MilestoneStatus,
        actions=MilestoneAction,
        noun=_("项目节点"),
        transitions=[
            Transition(
                MilestoneAction.COMPLETE,
                frozenset({M.OPEN, M.OVERDUE}),
                M.DONE,
                REPORT,
                params=(Param("done_on", _("实际完成日期"), Kind.DATE), note()),
                primary=True,
            ),
            Transition(MilestoneAction.MARK_OVERDUE, frozenset({M.OPEN}), M.OVERDUE, None),
            Transition(
                MilestoneAction.SUPERVISE,
                frozenset({M.OVERDUE}),
                None,
                SUPERVISE,
                params=(note(_("督办意见"), required=True),),
                primary=True,
            ),
            Transition(
                MilestoneAction.RESCHEDULE,
                frozenset({M.OPEN, M.OVERDUE}),
                M.OPEN,
                PROJECTS,
                params=(
                    Param("due_on", _("新的计划完成日期"), Kind.DATE, required=True),
                    note(_("调整理由"), required=True),
                ),
            ),
        ],
    )
)

W, C = WelfareStatus, ClaimStatus

WELFARE_MACHINE = machines.add(
    Machine(
        name="programmes.welfare",
        statuses=WelfareStatus,
        actions=WelfareAction,
        noun=_("公益项目"),
        transitions=[
            Transition(
                WelfareAction.PUBLISH,
                frozenset({W.DRAFT}),
                W.OPEN,
                WELFARE,
                guards=(Guard(checks.has_asks, checks.NO_ASKS),),
                params=(note(),),
                primary=True,
            ),
            Transition(WelfareAction.MARK_COVERED, frozenset({W.OPEN}), W.COVERED, None),
            Transition(WelfareAction.REOPEN_CLAIMS, frozenset({W.COVERED}), W.OPEN, None),
            Transition(
                WelfareAction.CLOSE,
                frozenset({W.OPEN, W.COVERED}),
                W.CLOSED,
                WELFARE,
                guards=(Guard(checks.no_undelivered_claims, checks.UNDELIVERED_CLAIMS),),
                params=(note(_("结项情况")),),
            ),
            Transition(
                WelfareAction.CANCEL,
                frozenset({W.DRAFT, W.OPEN}),
                W.CANCELLED,
                WELFARE,
                guards=(Guard(checks.no_confirmed_claims, checks.CONFIRMED_CLAIMS),),
                params=(note(_("撤销理由"), required=True),),
                danger=True,
            ),
        ],
    )
)

CLAIM_MACHINE = machines.add(
    Machine(
        name="programmes.claims",
        statuses=ClaimStatus,
        actions=ClaimAction,
        noun=_("认领"),
        transitions=[
            Transition(
                ClaimAction.CONFIRM,
                frozenset({C.CLAIMED}),
                C.CONFIRMED,
                CONFIRM_CLAIMS,
                params=(note(),),
                primary=True,
            ),
            Transition(
                ClaimAction.REJECT,
                frozenset({C.CLAIMED}),
                C.REJECTED,
                CONFIRM_CLAIMS,
                params=(note(_("不予确认的理由"), required=True),),
                danger=True,
            ),
            Transition(
                ClaimAction.DELIVER,
                frozenset({C.CONFIRMED}),
                C.DELIVERED,
                CONFIRM_CLAIMS,
                params=(
                    Param(
                        "delivered_quantity",
                        _("实际交付数量"),
                        Kind.FLOAT,
                        required=True,
                        min_value=0,
                        max_value=10**9,
                    ),
                    Param("delivered_on", _("交付日期"), Kind.DATE),
                    note(_("交付情况")),
                    photos(_("交付凭证")),
                ),
                primary=True,
            ),
            Transition(
                ClaimAction.CLOSE,
                frozenset({C.DELIVERED}),
                C.CLOSED,
                CONFIRM_CLAIMS,
                params=(note(),),
                primary=True,
            ),
            Transition(
                ClaimAction.WITHDRAW,
                frozenset({C.CLAIMED, C.CONFIRMED}),
                C.WITHDRAWN,
                WELFARE,
                params=(note(_("撤回理由"), required=True),),
                danger=True,
            ),
        ],
    )
)

R = ProposalStatus

PROPOSAL_MACHINE = machines.add(
    Machine(
        name="programmes.proposals",
        statuses=ProposalStatus,
        actions=ProposalAction,
        noun=_("代表提案"),
        transitions=[
            Transition(
                ProposalAction.ACCEPT,
                frozenset({R.FILED}),
                R.ACCEPTED,
                PROPOSALS,
                params=(note(),),
                primary=True,
            ),
            Transition(
                ProposalAction.MERGE,
                frozenset({R.FILED, R.ACCEPTED}),
                R.MERGED,
                PROPOSALS,
                guards=(
                    Guard(
                        checks.merge_target_valid, checks.MERGE_TARGET_INVALID, on_params=True, field="into"
                    ),
                ),
                params=(
                    Param("into", _("并入提案"), Kind.REF, required=True, queryset=_proposals),
                    note(_("并案理由")),
                ),
            ),
            Transition(
                ProposalAction.DECLINE,
                frozenset({R.FILED}),
                R.DECLINED,
                PROPOSALS,
                params=(note(_("不予立案的理由"), required=True),),
                danger=True,
            ),
            Transition(
                ProposalAction.ASSIGN,
                frozenset({R.ACCEPTED}),
                R.ASSIGNED,
                PROPOSALS,
                params=(
                    Param("unit", _("承办单位"), Kind.REF, queryset=_units),
                    Param("office", _("承办科室"), Kind.TEXT, max_length=60),
                    Param("deadline", _("答复期限"), Kind.DATE, help=_("留空：按街道配置的答复期限")),
                    note(_("交办意见")),
                ),
                primary=True,
            ),
            Transition(
                ProposalAction.ANSWER,
                frozenset({R.ASSIGNED}),
                R.ANSWERED,
                ANSWER,
                params=(
                    Param(
                        "answer",
                        _("答复意见"),
                        Kind.LONGTEXT,
                        required=True,
                        max_length=5000,
                        textarea_rows=6,
                    ),
                ),
                primary=True,
            ),
            Transition(
                ProposalAction.RATE,
                frozenset({R.ANSWERED}),
                R.RATED,
                PROPOSALS,
                params=(
                    Param("rating", _("提案人评价"), Kind.CHOICE, required=True, choices=Rating),
                    note(_("评价意见")),
                ),
                primary=True,
            ),
            Transition(
                ProposalAction.REASSIGN,
                frozenset({R.ANSWERED, R.RATED}),
                R.ASSIGNED,
                PROPOSALS,
                guards=(Guard(checks.may_reassign, checks.REASSIGN_ONLY_UNSATISFIED),),
                params=(
                    Param("deadline", _("答复期限"), Kind.DATE, help=_("留空：按街道配置的答复期限")),
                    note(_("重新交办的理由"), required=True),
                ),
            ),
        ],
    )
)

E = EvaluationStatus

EVALUATION_MACHINE = machines.add(
    Machine(
        name="programmes.evaluations",
        statuses=EvaluationStatus,
        actions=EvaluationAction,
        noun=_("民主测评"),
        transitions=[
            Transition(
                EvaluationAction.OPEN,
                frozenset({E.DRAFT}),
                E.OPEN,
                EVALUATIONS,
                guards=(Guard(checks.ready_to_open, checks.NOT_READY),),
                params=(note(),),
                primary=True,
            ),
            Transition(
                EvaluationAction.CLOSE,
                frozenset({E.OPEN}),
                E.CLOSED,
                EVALUATIONS,
                params=(note(),),
                primary=True,
            ),
            Transition(
                EvaluationAction.PUBLISH,
                frozenset({E.CLOSED}),
                E.PUBLISHED,
                EVALUATIONS,
                params=(note(),),
                primary=True,
            ),
        ],
    )
)
