"""Pages of an election's candidates, ballots and count: the candidates (nominate, confirm,
withdraw), the ballots (each ballot's boxes with turnout by box, the form recording a box —
one number per candidate standing plus write-ins —, the counts with their outcome, the
members elected, the COUNT form) and the two PDFs. Thin: parse, call one action, render;
every query through restrict()."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.core.action_forms import ActionForm
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, InvalidInput
from civicgrid.core.widgets import SearchableSelect

from .. import results, tally
from ..actions.ballots import (
    ELECTION_FRAME,
    confirm_candidates,
    nominate,
    record_box,
    withdraw_candidate,
)
from ..choices import BoxKind, CandidateStatus, ElectionAction, ElectionStatus, Position, VoterStatus
from ..models import Candidate, Election, Voter
from ..workflow import ELECTIONS

WRITE_INS = 3  # blank write-in rows on the box form


def _election(request: HttpRequest, election_id: int) -> Election:
    require(request.user, "elections.view")
    qs = Election.objects.restrict(request.user, Action.VIEW).select_related("round", "area", "street")
    return get_object_or_404(qs, pk=election_id)


def _candidates(request: HttpRequest, election: Election) -> Any:
    return Candidate.objects.restrict(request.user, Action.VIEW).filter(election=election)


class NominateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50, required=False)
    position = forms.ChoiceField(
        label=gettext_lazy("职务"), choices=Position.choices, initial=Position.MEMBER
    )
    voter = forms.ModelChoiceField(
        label=gettext_lazy("选民名单中的本人"),
        # lint: allow-unrestricted (no rows until __init__ sets the voters the reader may see)
        queryset=Voter.objects.none(),
        required=False,
        widget=SearchableSelect,  # a committee lists thousands of voters
    )
    nominated_by = forms.CharField(label=gettext_lazy("提名方式"), max_length=60, required=False)

    def __init__(self, *args: Any, voters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["voter"].queryset = voters  # type: ignore[attr-defined]


def _voters(request: HttpRequest, election: Election) -> Any:
    return Voter.objects.restrict(request.user, Action.VIEW).filter(
        election=election, status=VoterStatus.LISTED
    )


@login_required
def candidates(request: HttpRequest, election_id: int) -> HttpResponse:
    """The candidates; a POST nominates one."""
    election = _election(request, election_id)
    voters = _voters(request, election).order_by("name")
    if request.method == "POST":
        form = NominateForm(request.POST, voters=voters)
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = nominate(
                    request.user,
                    election,
                    name=data["name"],
                    position=data["position"],
                    voter=data["voter"],
                    nominated_by=data["nominated_by"],
                )
            except ActionError as exc:
                messages.error(request, _("未能提名：%s") % exc.message)
            else:
                messages.success(request, _("已提名 %s") % made.name)
        else:
            messages.error(request, _("未能提名：请检查填写的内容"))
        return redirect("elections:candidates", election.pk)
    rows = list(
        _candidates(request, election).select_related("voter").order_by("is_write_in", "status", "id")
    )
    conduct = may(request.user, "elections.conduct")
    context = {
        "election": election,
        "candidates": rows,
        "form": NominateForm(voters=voters) if conduct and election.status == ElectionStatus.LISTED else None,
        "may_confirm": conduct
        and election.status == ElectionStatus.LISTED
        and any(c.status == CandidateStatus.NOMINEE for c in rows),
        "may_withdraw": conduct and election.status in (ElectionStatus.LISTED, ElectionStatus.NOMINATED),
        "official": sum(1 for c in rows if c.status == CandidateStatus.OFFICIAL and not c.is_write_in),
        "needed": election.seats + election.round.rules().contest_margin,
    }
    return render(request, "elections/candidates.html", context)


@login_required
@require_POST
def candidates_confirm(request: HttpRequest, election_id: int) -> HttpResponse:
    election = _election(request, election_id)
    ids = [raw for raw in request.POST.getlist("candidate") if raw.isascii() and raw.isdigit()]
    chosen = _candidates(request, election).filter(pk__in=ids)
    try:
        changed = confirm_candidates(request.user, election, list(chosen))
    except ActionError as exc:
        messages.error(request, _("未能确定正式候选人：%s") % exc.message)
    else:
        messages.success(request, _("已确定 %d 名正式候选人") % changed)
    return redirect("elections:candidates", election.pk)


@login_required
@require_POST
def candidate_withdraw(request: HttpRequest, candidate_id: int) -> HttpResponse:
    require(request.user, "elections.view")
    qs = Candidate.objects.restrict(request.user, Action.VIEW).select_related("election")
    candidate = get_object_or_404(qs, pk=candidate_id)
    election = candidate.election
    try:
        withdraw_candidate(request.user, candidate, reason=request.POST.get("reason", ""))
    except ActionError as exc:
        messages.error(request, _("未能退出候选：%s") % exc.message)
    else:
        messages.success(request, _("%s 已退出候选") % candidate.name)
    return redirect("elections:candidates", election.pk)


def _box_votes(request: HttpRequest, standing: list[Candidate]) -> dict[str, Any]:
    """The votes a box form carries: one field per candidate standing, then the write-ins."""
    votes: dict[str, Any] = {}
    for candidate in standing:
        raw = request.POST.get(f"votes_{candidate.pk}", "").strip()
        if raw:
            votes[candidate.name] = raw
    for i in range(1, WRITE_INS + 1):
        name = request.POST.get(f"write_in_name_{i}", "").strip()
        raw = request.POST.get(f"write_in_votes_{i}", "").strip()
        if name or raw:
            if not name:
                raise InvalidInput(_("请填写另选他人的姓名"), {f"write_in_name_{i}": "required"})
            votes[name] = raw or "0"
    return votes


def _standing(request: HttpRequest, election: Election) -> tuple[list[Candidate], bool]:
    """The candidates the ballot being voted carries, and whether names may be written in."""
    names = tally.standing(election)
    rows = _candidates(request, election)
    if names is None:
        return list(rows.filter(status=CandidateStatus.OFFICIAL, is_write_in=False).order_by("id")), True
    by_name = {c.name: c for c in rows.filter(name__in=names)}
    return [by_name[n] for n in names if n in by_name], False


@login_required
def ballots(request: HttpRequest, election_id: int) -> HttpResponse:
    """Each ballot's boxes, counts and members; a POST records a box of the ballot being voted."""
    election = _election(request, election_id)
    standing, write_ins = _standing(request, election)
    if request.method == "POST":
        try:
            box = record_box(
                request.user,
                election,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                issued=request.POST.get("issued", ""),  # type: ignore[arg-type]
                cast=request.POST.get("cast", ""),  # type: ignore[arg-type]
                invalid=request.POST.get("invalid", "0"),  # type: ignore[arg-type]
                votes=_box_votes(request, standing),
            )
        except ActionError as exc:
            messages.error(request, _("未能录入票箱：%s") % exc.message)
        else:
            messages.success(request, _("已录入票箱“%s”") % box.name)
        return redirect("elections:ballots", election.pk)
    boxes, counts, members = results.rows_of(request.user, election)
    voting = election.status in (ElectionStatus.NOMINATED, ElectionStatus.SECOND_ROUND)
    conduct = may(request.user, "elections.conduct")
    count_form = None
    if ELECTIONS.allows(election, ElectionAction.COUNT, request.user):
        count_form = ActionForm(obj=election, user=request.user, transition=ELECTIONS[ElectionAction.COUNT])
    context = {
        "election": election,
        "ballots": results.ballots(election, boxes, counts),
        "members": members,
        "standing": standing,
        "write_ins": range(1, WRITE_INS + 1) if write_ins else (),
        "box_kinds": BoxKind.choices,
        "may_record": conduct and voting,
        "count_form": count_form,
        "printable": bool(counts),
        "seats_to_fill": tally.seats_to_fill(election),
    }
    return render(request, "elections/ballots.html", context)


@login_required
@require_POST
def count(request: HttpRequest, election_id: int) -> HttpResponse:
    """COUNT through the election's frame (its guards: election day reached, boxes recorded)."""
    election = _election(request, election_id)
    form = ActionForm(
        request.POST, obj=election, user=request.user, transition=ELECTIONS[ElectionAction.COUNT]
    )
    if not form.is_valid():
        messages.error(request, _("页面已过期，请刷新后重试。"))
        return redirect("elections:ballots", election.pk)
    try:
        done = ELECTION_FRAME.run(election.pk, ElectionAction.COUNT, request.user, form.params())
    except ActionError as exc:
        messages.error(request, _("未能计票：%s") % exc.message)
    else:
        messages.success(request, _("已计票：%s") % done.get_status_display())
    return redirect("elections:ballots", election.pk)


def _printed(request: HttpRequest, election_id: int) -> tuple[Election, list[Any], list[Any], list[Any]]:
    election = _election(request, election_id)
    return election, *results.rows_of(request.user, election)


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'  # ASCII names
    return response


@login_required
@never_cache
def results_pdf(request: HttpRequest, election_id: int) -> HttpResponse:
    """选举结果公告 as a PDF, rendered in the request."""
    election, boxes, counts, members = _printed(request, election_id)
    return _pdf(results.announcement(election, boxes, counts, members), f"election-{election.pk}-results")


@login_required
@never_cache
def district_report_pdf(request: HttpRequest, election_id: int) -> HttpResponse:
    """选举结果报告单 to the district as a PDF."""
    election, boxes, counts, members = _printed(request, election_id)
    return _pdf(results.district_report(election, boxes, counts, members), f"election-{election.pk}-report")


urlpatterns = [
    path("<int:election_id>/candidates/", candidates, name="candidates"),
    path("<int:election_id>/candidates/confirm/", candidates_confirm, name="candidates_confirm"),
    path(
        "candidates/<int:candidate_id>/withdraw/",
        candidate_withdraw,
        name="candidate_withdraw",
    ),
    path("<int:election_id>/ballots/", ballots, name="ballots"),
    path("<int:election_id>/ballots/count/", count, name="count"),
    path("<int:election_id>/results.pdf", results_pdf, name="results_pdf"),
    path("<int:election_id>/district-report.pdf", district_report_pdf, name="district_report_pdf"),
]
