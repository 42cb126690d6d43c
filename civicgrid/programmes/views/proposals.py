"""The proposals pages: the sessions (and a new one), the representatives register (add, end
a term), a session (its proposals by status, the filter, filing one, the handling figures), a
proposal (facts, co-signers, merged ones, the machine's action forms, the history), its answer
sheet PDF and the year report's start. Thin: parse, call one action, render; every query
through restrict()."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import action_views, clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError

from .. import reports
from ..actions import proposals as actions
from ..actions.frames import PROPOSAL_FRAME
from ..actions.sessions import add_representative, create_session
from ..choices import ProposalStatus
from ..filters import ProposalFilterSet
from ..jobs import start_year_report
from ..models import Evaluation, Proposal, Representative, Session
from ..proposal_forms import (
    EditProposalForm,
    EndTermForm,
    ProposalForm,
    RepresentativeForm,
    SessionForm,
    YearReportForm,
)
from ..workflow import PROPOSAL_MACHINE

VIEW = "programmes.view"
EVENT_LABELS = {
    actions.FILE: gettext_lazy("提交提案"),
    actions.UPDATE: gettext_lazy("修改提案"),
}


@login_required
def sessions(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    may_add = Session.objects.allows(request.user, Action.ADD)
    form = SessionForm(request.POST or None, user=request.user) if may_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            made = create_session(request.user, **form.cleaned_data)
        except ActionError as exc:
            form.add_error(action_views.error_field(exc, form), exc.message)
        else:
            messages.success(request, _("已创建会议“%s”") % made.title)
            return redirect(made.get_absolute_url())
    proposals = Proposal.objects.restrict(request.user, Action.VIEW)
    rows = (
        Session.objects.restrict(request.user, Action.VIEW)
        .select_related("street")
        .annotate(n=Count("proposals", filter=Q(proposals__in=proposals)))
        .order_by("-held_on", "-pk")
    )
    context = {"sessions": rows, "form": form, "may_report": may(request.user, "programmes.reports")}
    return render(request, "programmes/proposals/sessions.html", context)


@login_required
def representatives(request: HttpRequest) -> HttpResponse:
    require(request.user, VIEW)
    may_add = Representative.objects.allows(request.user, Action.ADD)
    form = RepresentativeForm(request.POST or None, user=request.user) if may_add else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            made = add_representative(request.user, **form.cleaned_data)
        except ActionError as exc:
            form.add_error(action_views.error_field(exc, form), exc.message)
        else:
            messages.success(request, _("已登记代表 %s") % made.name)
            return redirect("programmes:representatives")
    rows = (
        Representative.objects.restrict(request.user, Action.VIEW)
        .select_related("street", "area", "person")
        .order_by("-active", "street__code", "name", "pk")
    )
    context = {"representatives": rows, "form": form, "end_form": EndTermForm() if may_add else None}
    return render(request, "programmes/proposals/representatives.html", context)


@login_required
@require_POST
def representative_end(request: HttpRequest, representative_id: int) -> HttpResponse:
    require(request.user, VIEW)
    found = get_object_or_404(
        Representative.objects.restrict(request.user, Action.VIEW), pk=representative_id
    )
    form = EndTermForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("未能办理离任：%s") % action_views.problems(form))
        return redirect("programmes:representatives")
    try:
        actions.end_term(request.user, found, term_to=form.cleaned_data["term_to"])
    except ActionError as exc:
        messages.error(request, _("未能办理离任：%s") % exc.message)
    else:
        messages.success(request, _("%s 已离任") % found.name)
    return redirect("programmes:representatives")


def _session(request: HttpRequest, pk: int) -> Session:
    require(request.user, VIEW)
    return get_object_or_404(
        Session.objects.restrict(request.user, Action.VIEW).select_related("street"), pk=pk
    )


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's proposals by status (counts, the filter), filing one, the handling figures."""
    session = _session(request, pk)
    may_file = Proposal.objects.allows(request.user, Action.ADD)
    form = ProposalForm(request.POST or None, user=request.user, session=session) if may_file else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            made = actions.file_proposal(request.user, session=session, **form.cleaned_data)
        except ActionError as exc:
            form.add_error(action_views.error_field(exc, form), exc.message)
        else:
            messages.success(request, _("已提交第 %d 号提案") % made.number)
            return redirect(made.get_absolute_url())
    proposals = Proposal.objects.restrict(request.user, Action.VIEW).filter(session=session)
    filters = ProposalFilterSet(request.GET or None, proposals, user=request.user)
    listed = filters.qs
    rows = (
        listed.select_related("proposer", "assigned_unit", "merged_into")
        .annotate(signers=Count("cosigners"))
        .order_by("number")
    )
    today = clock.today()
    context = {
        "session": session,
        "proposals": rows,
        "statuses": reports.by_status(proposals),
        "handling": reports.handling(proposals, today),
        "today": today,
        "filters": filters,
        "form": form,
        "may_report": may(request.user, "programmes.reports"),
        "evaluations": Evaluation.objects.restrict(request.user, Action.VIEW).filter(session=session),
    }
    return render(request, "programmes/proposals/session.html", context)


def _proposal(request: HttpRequest, pk: int) -> Proposal:
    require(request.user, VIEW)
    qs = Proposal.objects.restrict(request.user, Action.VIEW).select_related(
        "session", "street", "proposer", "assigned_unit", "merged_into"
    )
    return get_object_or_404(qs, pk=pk)


def history(proposal: Proposal) -> list[dict[str, Any]]:
    """The proposal's events, newest first, each with its note (a reassignment with the
    answer it replaced)."""
    return action_views.timeline(
        proposal,
        PROPOSAL_MACHINE,
        EVENT_LABELS,
        lambda e: {"previous_answer": e.payload.get("previous_answer", "")},
    )


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    may_edit = proposal.status == ProposalStatus.FILED and Proposal.objects.allows(request.user, Action.ADD)
    edit_form = None
    if may_edit:
        edit_form = EditProposalForm(
            user=request.user,
            session=proposal.session,
            prefix="edit",
            initial={
                "version": proposal.version,
                "cosigners": [r.pk for r in proposal.cosigners.all()],
                "title": proposal.title,
                "category": proposal.category,
                "body": proposal.body,
            },
        )
    # A merged proposal is answered by the one it was merged into (when the reader sees it).
    answered_by = (
        Proposal.objects.restrict(request.user, Action.VIEW)
        .select_related("assigned_unit")
        .filter(pk=proposal.merged_into_id)
        .first()
        if proposal.merged_into_id
        else None
    )
    today = clock.today()
    context = {
        "proposal": proposal,
        "cosigners": proposal.cosigners.order_by("name", "pk"),
        "merged": reports.merged(request.user, proposal),
        "answered_by": answered_by,
        "overdue": proposal.status == ProposalStatus.ASSIGNED
        and proposal.deadline
        and proposal.deadline < today,
        "action_forms": action_views.action_forms(PROPOSAL_FRAME, proposal, request.user),
        "edit_form": edit_form,
        "events": history(proposal),
    }
    return render(request, "programmes/proposals/proposal.html", context)


@login_required
@require_POST
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    form = EditProposalForm(request.POST, user=request.user, session=proposal.session, prefix="edit")
    if not form.is_valid():
        messages.error(request, _("未能修改：%s") % action_views.problems(form))
        return redirect(proposal.get_absolute_url())
    data = form.cleaned_data
    try:
        actions.update_proposal(
            request.user,
            proposal,
            version=data["version"],
            title=data["title"],
            body=data["body"],
            category=data["category"],
            cosigners=data["cosigners"],
        )
    except ActionError as exc:
        messages.error(request, _("未能修改：%s") % exc.message)
    else:
        messages.success(request, _("已修改提案"))
    return redirect(proposal.get_absolute_url())


@login_required
@require_POST
def proposal_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, PROPOSAL_FRAME, _proposal(request, pk), action)


@login_required
def proposal_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposal(request, pk)
    response = HttpResponse(reports.answer_sheet(request.user, proposal), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="proposal-{proposal.session_id}-{proposal.number}.pdf"'
    )
    return response


@login_required
def year_report(request: HttpRequest) -> HttpResponse:
    """Start the year's report for a street (a background job; then its page)."""
    require(request.user, "programmes.reports")
    form = YearReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        job = start_year_report(request.user, form.cleaned_data["street"], form.cleaned_data["year"])
        return redirect(job.get_absolute_url())
    return render(request, "programmes/proposals/year_report.html", {"form": form})


urlpatterns = [
    path("sessions/", sessions, name="sessions"),
    path("sessions/<int:pk>/", session_detail, name="session"),
    path("representatives/", representatives, name="representatives"),
    path("representatives/<int:representative_id>/end/", representative_end, name="representative_end"),
    path("proposals/<int:pk>/", proposal_detail, name="proposal"),
    path("proposals/<int:pk>/edit/", proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/act/<str:action>/", proposal_act, name="proposal_act"),
    path("proposals/<int:pk>/answer.pdf", proposal_pdf, name="proposal_pdf"),
    path("reports/", year_report, name="year_report"),
]
