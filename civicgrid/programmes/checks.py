"""The guards of the programmes machines (workflow.py): conditions on the object beyond its
state, each with the refusal the reader sees."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import ClaimStatus, ProposalStatus, Rating


def has_targets_or_children(project: Any, user: Any, params: Any) -> bool:
    return project.targets.exists() or project.children.exists()


NO_TARGETS = _("项目须至少有一个量化目标或子项目")


def targets_reached(project: Any, user: Any, params: Any) -> bool:
    """Every target met and every child project done or cancelled."""
    from .choices import ProjectStatus

    unmet = any(t.reached < t.goal for t in project.targets.all())
    open_children = project.children.exclude(
        status__in=[ProjectStatus.DONE, ProjectStatus.CANCELLED]
    ).exists()
    return not unmet and not open_children


TARGETS_NOT_REACHED = _("还有目标未完成或子项目未结束，不能标记完成")


def report_target_of_project(project: Any, user: Any, params: Any) -> bool:
    target = (params or {}).get("target")
    return target is None or target.project_id == project.pk


TARGET_ELSEWHERE = _("所选指标不属于本项目")


def has_asks(project: Any, user: Any, params: Any) -> bool:
    return project.asks.exists()


NO_ASKS = _("公益项目须至少列出一项认领需求")


def no_undelivered_claims(project: Any, user: Any, params: Any) -> bool:
    return not project.claims.filter(status__in=[ClaimStatus.CLAIMED, ClaimStatus.CONFIRMED]).exists()


UNDELIVERED_CLAIMS = _("还有认领未确认或未交付，不能结项")


def no_confirmed_claims(project: Any, user: Any, params: Any) -> bool:
    return not project.claims.filter(
        status__in=[ClaimStatus.CONFIRMED, ClaimStatus.DELIVERED, ClaimStatus.CLOSED]
    ).exists()


CONFIRMED_CLAIMS = _("已有确认的认领，不能撤销；请先与认领单位协商撤回")


def merge_target_valid(proposal: Any, user: Any, params: Any) -> bool:
    """The proposal it merges into: another of the same session, itself neither merged nor
    declined."""
    into = (params or {}).get("into")
    return into is None or (
        into.pk != proposal.pk
        and into.session_id == proposal.session_id
        and into.status not in (ProposalStatus.MERGED, ProposalStatus.DECLINED)
    )


MERGE_TARGET_INVALID = _("只能并入同一次会议中另一件未并案、未被不予立案的提案")


def may_reassign(proposal: Any, user: Any, params: Any) -> bool:
    """Answered and not yet rated, or rated 不满意."""
    return proposal.status == ProposalStatus.ANSWERED or proposal.rating == Rating.UNSATISFIED


REASSIGN_ONLY_UNSATISFIED = _("只有尚未评价或提案人不满意的答复才能重新交办")


def ready_to_open(evaluation: Any, user: Any, params: Any) -> bool:
    return evaluation.subjects.exists() and evaluation.voters.exists()


NOT_READY = _("须先列出测评对象并发放测评码")
