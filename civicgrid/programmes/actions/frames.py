"""The kernel's action frame (core.frame) bound to the programmes machines: each object loaded
in the actor's scope (NotFound outside it), what the person wrote kept as the event's note,
an action's photos stored with its event (the project's progress photos, a claim's delivery
evidence), the event as the object's trail."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.frame import FilesContext, Frame, keep_note, record_with_photos, scoped_loader
from civicgrid.core.workflow import Machine

from ..models import Claim, Evaluation, ProgressReport, Project, ProjectMilestone, Proposal, WelfareProject
from ..workflow import (
    CLAIM_MACHINE,
    EVALUATION_MACHINE,
    MILESTONE_MACHINE,
    PROJECT_MACHINE,
    PROPOSAL_MACHINE,
    WELFARE_MACHINE,
)


def record_project(ctx: FilesContext) -> Any:
    """A project's trail is its events; a progress report (REPORT's body puts its id in the
    payload) also points at its event, where its photos are."""
    logged = record_with_photos(ctx)
    if "report" in ctx.payload:
        ProgressReport.objects.filter(pk=ctx.payload["report"]).update(event_id=logged.pk)
    return logged


def _frame(machine: Machine, model: type[models.Model], missing: Any, **options: Any) -> Frame:
    options.setdefault("record", record_with_photos)
    return Frame(
        machine=machine,
        model=model,
        load=scoped_loader(model, str(missing)),
        context_class=FilesContext,
        finish=keep_note,
        **options,
    )


PROJECT_FRAME = _frame(
    PROJECT_MACHINE, Project, _("实事项目不存在或不在你的管辖范围内"), record=record_project
)
MILESTONE_FRAME = _frame(
    MILESTONE_MACHINE, ProjectMilestone, _("项目节点不存在或不在你的管辖范围内"), select_related=("project",)
)
WELFARE_FRAME = _frame(WELFARE_MACHINE, WelfareProject, _("公益项目不存在或不在你的管辖范围内"))
CLAIM_FRAME = _frame(
    CLAIM_MACHINE, Claim, _("认领不存在或不在你的管辖范围内"), select_related=("ask", "project", "member")
)
PROPOSAL_FRAME = _frame(
    PROPOSAL_MACHINE, Proposal, _("提案不存在或不在你的管辖范围内"), select_related=("session", "proposer")
)
EVALUATION_FRAME = _frame(EVALUATION_MACHINE, Evaluation, _("测评不存在或不在你的管辖范围内"))
