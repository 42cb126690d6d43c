"""The rounds' pages: the rounds (and a new one), a round (its elections, effective rules with
their source and override history, a rule override, one more committee's election), the
street-wide board of every committee's timeline, and one election (its timeline, the machine's
action forms, its events). Thin: parse, call one action, render; every query through restrict()."""

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

from civicgrid.core import action_views
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, TransitionNotAllowed

from .. import overview
from ..actions.elections import ELECTION_FRAME
from ..actions.rounds import ADD, CREATE, OVERRIDE, add_election, create_round, override_rule
from ..actions.voters import BUILD_REGISTER
from ..choices import STEP_ORDER
from ..forms import AddElectionForm, OverrideForm, RoundForm
from ..models import Election, ElectionRound
from ..workflow import ELECTIONS

VIEW = "elections.view"
EVENT_LABELS = {
    CREATE: gettext_lazy("创建届次"),
    ADD: gettext_lazy("列入本届选举"),
    OVERRIDE: gettext_lazy("调整选举规则"),
    BUILD_REGISTER: gettext_lazy("从实有人口生成选民名单"),
}


def _round(request: HttpRequest, pk: int) -> ElectionRound:
    require(request.user, VIEW)
    qs = ElectionRound.objects.restrict(request.user, Action.VIEW).select_related("street")
    return get_object_or_404(qs, pk=pk)


def _elections(request: HttpRequest, election_round: ElectionRound) -> Any:
    return (
        Election.objects.restrict(request.user, Action.VIEW)
        .filter(round=election_round)
        .order_by("area__code")
    )


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The rounds the reader may see, newest first; the street office makes a new one here."""
    require(request.user, VIEW)
    may_manage = ElectionRound.objects.allows(request.user, Action.ADD)
    form = RoundForm(request.POST or None, user=request.user) if may_manage else None
    if request.method == "POST":
        if form is None:
            return redirect("elections:index")
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = create_round(
                    request.user,
                    street=data["street"],
                    name=data["name"],
                    year=data["year"],
                    election_day=data["election_day"],
                    method=data["method"],
                    seats=data["seats"],
                )
            except ActionError as exc:
                form.add_error(action_views.error_field(exc, form), exc.message)
            else:
                messages.success(request, _("已创建届次“%s”") % made.name)
                return redirect(made.get_absolute_url())
    elections = Election.objects.restrict(request.user, Action.VIEW)
    rounds = (
        ElectionRound.objects.restrict(request.user, Action.VIEW)
        .select_related("street")
        .annotate(committees=Count("elections", filter=Q(elections__in=elections)))
        .order_by("-year", "-election_day", "street__code")
    )
    return render(request, "elections/index.html", {"rounds": rounds, "form": form})


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    election_round = _round(request, pk)
    may_manage = ElectionRound.objects.allows(request.user, Action.CHANGE)
    board = overview.rows(overview.with_milestones(_elections(request, election_round)))
    context = {
        "round": election_round,
        "rows": board,
        "counts": overview.status_counts(board),
        "rules": overview.rule_rows(election_round),
        # The round was found in the reader's scope; its history comes with it.
        "overrides": election_round.overrides.select_related("set_by").order_by("-set_at", "-id"),
        "override_form": OverrideForm(prefix="rule") if may_manage else None,
        "add_form": AddElectionForm(prefix="add", user=request.user, election_round=election_round)
        if may_manage
        else None,
    }
    return render(request, "elections/round_detail.html", context)


@login_required
@require_POST
def round_rule(request: HttpRequest, pk: int) -> HttpResponse:
    """The override form's POST: the rule changed for this round with who and why."""
    election_round = _round(request, pk)
    form = OverrideForm(request.POST, prefix="rule")
    if not form.is_valid():
        messages.error(request, _("未能调整规则：%s") % action_views.problems(form))
        return redirect(election_round.get_absolute_url())
    data = form.cleaned_data
    try:
        row = override_rule(
            request.user, election_round, key=data["key"], value=data["value"], reason=data["reason"]
        )
    except ActionError as exc:
        messages.error(request, _("未能调整规则：%s") % exc.message)
    else:
        messages.success(
            request,
            _("已将“%(rule)s”由 %(old)s 调整为 %(new)s")
            % {"rule": dict(form.fields["key"].choices)[row.key], "old": row.previous, "new": row.value},  # type: ignore[attr-defined]
        )
    return redirect(election_round.get_absolute_url())


@login_required
@require_POST
def round_add(request: HttpRequest, pk: int) -> HttpResponse:
    """The add-election form's POST: one more committee's election in the round."""
    election_round = _round(request, pk)
    form = AddElectionForm(request.POST, prefix="add", user=request.user, election_round=election_round)
    if not form.is_valid():
        messages.error(request, _("未能列入选举：%s") % action_views.problems(form))
        return redirect(election_round.get_absolute_url())
    data = form.cleaned_data
    try:
        election = add_election(
            request.user,
            election_round,
            area=data["area"],
            method=data["method"],
            seats=data["seats"],
            vice_chairs=data["vice_chairs"],
            election_day=data["election_day"],
        )
    except ActionError as exc:
        messages.error(request, _("未能列入选举：%s") % exc.message)
        return redirect(election_round.get_absolute_url())
    messages.success(request, _("已将 %s 列入本届选举") % election.area.name)
    return redirect(election.get_absolute_url())


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    """Every committee's timeline in one table: a row per committee, a column per step."""
    election_round = _round(request, pk)
    rows = overview.rows(overview.with_milestones(_elections(request, election_round)))
    context = {
        "round": election_round,
        "rows": rows,
        "counts": overview.status_counts(rows),
        "late": sum(1 for row in rows if row.late),
        "steps": STEP_ORDER,
        "states": overview.STATE_LABELS.items(),
        "soon_days": overview.DUE_SOON_DAYS,
    }
    return render(request, "elections/board.html", context)


def _election(request: HttpRequest, pk: int) -> Election:
    require(request.user, VIEW)
    qs = Election.objects.restrict(request.user, Action.VIEW).select_related("round", "area", "street")
    return get_object_or_404(qs, pk=pk)


def _blocked(election: Election, user: Any) -> list[tuple[str, str]]:
    """The statutory next steps the reader could take but the law's guards refuse now, with
    why (the page says so instead of hiding the step)."""
    out = []
    for action, transition in ELECTIONS.transitions.items():
        if not transition.primary or election.status not in transition.sources:
            continue
        if not ELECTIONS.may_take(transition, user):
            continue
        try:
            ELECTIONS.check(election, action, user)
        except TransitionNotAllowed as exc:
            out.append((ELECTIONS.label(action), str(exc)))
    return out


def history(election: Election) -> list[dict[str, Any]]:
    """The election's events, newest first, each with its note."""
    return action_views.timeline(election, ELECTIONS, EVENT_LABELS)


@login_required
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    election = _election(request, pk)
    row = overview.rows([election])[0]
    context = {
        "election": election,
        "row": row,
        "action_forms": action_views.action_forms(ELECTION_FRAME, election, request.user),
        "blocked": _blocked(election, request.user),
        "events": history(election),
    }
    return render(request, "elections/election_detail.html", context)


@login_required
@require_POST
def election_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, ELECTION_FRAME, _election(request, pk), action)


urlpatterns = [
    path("", index, name="index"),
    path("rounds/<int:pk>/", round_detail, name="round"),
    path("rounds/<int:pk>/rules/", round_rule, name="round_rule"),
    path("rounds/<int:pk>/elections/", round_add, name="round_add"),
    path("rounds/<int:pk>/board/", board, name="board"),
    path("<int:pk>/", election_detail, name="election"),
    path("<int:pk>/act/<str:action>/", election_act, name="act"),
]
