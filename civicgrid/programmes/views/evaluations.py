"""The democratic evaluation's pages: the evaluations (and a new one), one evaluation (its
subjects, the codes issued and how many were used — a count, never who —, the tellers' paper
ballots, the machine's actions, the result with its chart once counted), its PDFs, and the
public voting page (a code, then the ballot). Thin: parse, call one action, render."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import action_views, throttle
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.orgs.models import Unit

from .. import ballot_codes, evaluation_print
from ..actions.evaluations import (
    DESK,
    EVALUATION_FRAME,
    add_subject,
    cast_ballot,
    create_evaluation,
    issue_codes,
    record_paper_ballots,
    remove_subject,
)
from ..choices import EvaluationStatus, Mark
from ..models import Evaluation, EvaluationSubject, EvaluationVoter, Session

VIEW = "programmes.view"
# Wrong codes one address may try in the window before the voting page refuses it. The codes'
# 50 bits make guessing hopeless anyway; the limit stops a flood, and is high because a whole
# meeting hall votes from behind one address, typos included.
WRONG_CODE_LIMIT, WRONG_CODE_WINDOW = 60, 3600


class EvaluationForm(forms.Form):
    # lint: allow-unrestricted (an empty placeholder: __init__ sets the reader's restrict())
    session = forms.ModelChoiceField(label=gettext_lazy("代表会议"), queryset=Session.objects.none())
    title = forms.CharField(label=gettext_lazy("测评名称"), max_length=120)
    subjects = forms.CharField(
        label=gettext_lazy("测评对象（科室，每行一个）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
    )
    units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("测评对象（单位）"),
        required=False,
        # lint: allow-unrestricted (an empty placeholder: __init__ sets the reader's restrict())
        queryset=Unit.objects.none(),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.restrict(user, Action.VIEW)  # type: ignore[attr-defined]
        self.fields["units"].queryset = Unit.objects.restrict(user, Action.VIEW).order_by("name")  # type: ignore[attr-defined]


class SubjectForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("测评对象"), max_length=100)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("对应单位"),
        required=False,
        # lint: allow-unrestricted (an empty placeholder: __init__ sets the reader's restrict())
        queryset=Unit.objects.none(),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.restrict(user, Action.VIEW).order_by("name")  # type: ignore[attr-defined]


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("测评码"), max_length=40)


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    require(request.user, VIEW)
    qs = Evaluation.objects.restrict(request.user, Action.VIEW).select_related("session", "street")
    return get_object_or_404(qs, pk=pk)


def _desk_evaluation(request: HttpRequest, pk: int) -> Evaluation:
    evaluation = _evaluation(request, pk)
    if not may(request.user, DESK):
        raise Http404
    return evaluation


def _voters(request: HttpRequest, evaluation: Evaluation) -> Any:
    return EvaluationVoter.objects.restrict(request.user, Action.VIEW).filter(evaluation=evaluation)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The evaluations the reader may see, newest session first; the desk makes one here."""
    require(request.user, VIEW)
    form = EvaluationForm(request.POST or None, user=request.user) if may(request.user, DESK) else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            names = [line.strip() for line in data["subjects"].splitlines() if line.strip()]
            subjects = [{"name": n} for n in names] + [{"name": u.name, "unit": u} for u in data["units"]]
            try:
                made = create_evaluation(
                    request.user, session=data["session"], title=data["title"], subjects=subjects
                )
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已创建民主测评“%(title)s”") % {"title": made.title})
                return redirect(made.get_absolute_url())
    voters = EvaluationVoter.objects.restrict(request.user, Action.VIEW)
    rows = (
        Evaluation.objects.restrict(request.user, Action.VIEW)
        .select_related("session", "street")
        .annotate(
            subject_count=Count("subjects", distinct=True),
            voter_count=Count("voters", filter=Q(voters__in=voters), distinct=True),
        )
        .order_by("-session__held_on", "-id")
    )
    return render(request, "programmes/evaluations/index.html", {"evaluations": rows, "form": form})


def _chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    known = [r for r in rows if r["rate"] is not None]
    return {
        "names": [r["name"] for r in known],
        "rates": [round(r["rate"] * 100, 2) for r in known],
        "label": str(_("满意率（%）")),
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _evaluation(request, pk)
    desk = may(request.user, DESK)
    subjects = list(
        EvaluationSubject.objects.restrict(request.user, Action.VIEW)
        .filter(evaluation=evaluation)
        .select_related("unit")
        .order_by("order", "id")
    )
    turnout = _voters(request, evaluation).aggregate(
        voters=Count("pk"), used=Count("pk", filter=Q(voted=True))
    )
    counted = evaluation.status in evaluation_print.COUNTED
    rows = evaluation_print.result_rows(evaluation) if counted else []
    context = {
        "evaluation": evaluation,
        "subjects": subjects,
        "turnout": turnout,
        "desk": desk,
        "draft": evaluation.status == EvaluationStatus.DRAFT,
        "open": evaluation.status == EvaluationStatus.OPEN,
        "counted": counted,
        "rows": rows,
        "result_turnout": evaluation_print.percent(evaluation.result.get("turnout")) if counted else "",
        "chart": _chart(rows),
        "marks": Mark.choices,
        "subject_form": SubjectForm(user=request.user) if desk else None,
        "action_forms": action_views.action_forms(EVALUATION_FRAME, evaluation, request.user),
    }
    return render(request, "programmes/evaluations/detail.html", context)


@login_required
@require_POST
def act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, EVALUATION_FRAME, _evaluation(request, pk), action)


@login_required
@require_POST
def subject_add(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _desk_evaluation(request, pk)
    form = SubjectForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, _("未能添加测评对象：%s") % action_views.problems(form))
        return redirect(evaluation.get_absolute_url())
    try:
        add_subject(request.user, evaluation, name=form.cleaned_data["name"], unit=form.cleaned_data["unit"])
    except ActionError as exc:
        messages.error(request, _("未能添加测评对象：%s") % exc.message)
    else:
        messages.success(request, _("已添加测评对象"))
    return redirect(evaluation.get_absolute_url())


@login_required
@require_POST
def subject_remove(request: HttpRequest, subject_id: int) -> HttpResponse:
    require(request.user, VIEW)
    subject = get_object_or_404(EvaluationSubject.objects.restrict(request.user, Action.VIEW), pk=subject_id)
    evaluation = _desk_evaluation(request, subject.evaluation_id)
    try:
        remove_subject(request.user, evaluation, subject)
    except ActionError as exc:
        messages.error(request, _("未能移除测评对象：%s") % exc.message)
    else:
        messages.success(request, _("已移除测评对象"))
    return redirect(evaluation.get_absolute_url())


@login_required
@require_POST
def codes(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = _desk_evaluation(request, pk)
    try:
        made = issue_codes(request.user, evaluation)
    except ActionError as exc:
        messages.error(request, _("未能生成测评码：%s") % exc.message)
    else:
        messages.success(request, _("已为 %(n)d 位代表生成测评码") % {"n": made})
    return redirect(evaluation.get_absolute_url())


@login_required
@require_POST
def paper(request: HttpRequest, pk: int) -> HttpResponse:
    """The tellers' count: the ballots of the batch and, per subject, the number of each mark
    (inputs `s<subject id>_<mark>`)."""
    evaluation = _desk_evaluation(request, pk)
    counts: dict[int, dict[str, str]] = {}
    for subject in EvaluationSubject.objects.restrict(request.user, Action.VIEW).filter(
        evaluation=evaluation
    ):
        counts[subject.pk] = {mark: request.POST.get(f"s{subject.pk}_{mark}", "") for mark in Mark.values}
    try:
        record_paper_ballots(request.user, evaluation, ballots=request.POST.get("ballots", ""), counts=counts)
    except ActionError as exc:
        messages.error(request, _("未能录入纸质票：%s") % exc.message)
    else:
        messages.success(request, _("已录入纸质票"))
    return redirect(evaluation.get_absolute_url())


def _pdf(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'  # ASCII names
    return response


@login_required
@never_cache
def result_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """民主测评结果, once counted (else back to the page with why)."""
    evaluation = _evaluation(request, pk)
    try:
        content = evaluation_print.result_pdf(evaluation)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(evaluation.get_absolute_url())
    return _pdf(content, f"evaluation-{evaluation.pk}-result")


@login_required
@never_cache
def slips_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The code slips, for the desk only."""
    evaluation = _desk_evaluation(request, pk)
    try:
        content = evaluation_print.slips_pdf(
            evaluation, _voters(request, evaluation), request.build_absolute_uri(reverse("programmes:vote"))
        )
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(evaluation.get_absolute_url())
    return _pdf(content, f"evaluation-{evaluation.pk}-slips")


# ---------------------------------------------------------------------------- public voting


def _throttle_key(request: HttpRequest) -> str:
    return f"programmes:vote:{throttle.client_ip(request)}"


def _locked_out(request: HttpRequest) -> bool:
    """An address that used up its wrong codes is refused every code, the right ones too:
    else a guesser would still tell a hit from a miss."""
    return int(cache.get(_throttle_key(request)) or 0) >= WRONG_CODE_LIMIT


def _ballot_of(code: str) -> tuple[Evaluation, list[EvaluationSubject]] | None:
    """The open evaluation the code votes in, if the code is unused; else None (the page says
    the same for every reason, and shows nothing of any evaluation)."""
    canonical = ballot_codes.normalise(code)
    if canonical is None:
        return None
    # lint: allow-unrestricted (the public ballot: the one-time code is the voter's credential)
    voter = EvaluationVoter.objects.filter(code_digest=ballot_codes.digest(canonical), voted=False).first()
    if voter is None:
        return None
    # lint: allow-unrestricted (the evaluation of the code's voter, shown to the code's holder)
    evaluation = Evaluation.objects.filter(pk=voter.evaluation_id, status=EvaluationStatus.OPEN).first()
    if evaluation is None:
        return None
    # lint: allow-unrestricted (the subjects of that evaluation: the ballot itself)
    subjects = list(EvaluationSubject.objects.filter(evaluation=evaluation).order_by("order", "id"))
    return evaluation, subjects


@never_cache
@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest) -> HttpResponse:
    """Type the code from the slip; on to the ballot."""
    form = CodeForm(request.POST or None, initial={"code": ""})
    if request.method == "POST" and form.is_valid():
        code = ballot_codes.normalise(form.cleaned_data["code"])
        return redirect("programmes:vote_ballot", code=code or "NOSUCHCODE")
    return render(request, "programmes/evaluations/vote.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def vote_ballot(request: HttpRequest, code: str) -> HttpResponse:
    """The ballot of an unused code: every subject with the four marks, all required. A wrong
    code counts against the address's throttle."""
    if _locked_out(request):
        return render(request, "programmes/evaluations/vote.html", {"throttled": True}, status=429)
    found = _ballot_of(code)
    if found is None:
        throttle.hit(_throttle_key(request), WRONG_CODE_WINDOW)
        return render(
            request,
            "programmes/evaluations/vote.html",
            {"form": CodeForm(initial={"code": code[:40]}), "refused": True},
            status=404,
        )
    evaluation, subjects = found
    chosen = {s.pk: request.POST.get(f"s{s.pk}", "") for s in subjects} if request.method == "POST" else {}
    context: dict[str, Any] = {
        "evaluation": evaluation,
        "subjects": [(s, chosen.get(s.pk, "")) for s in subjects],
        "marks": Mark.choices,
        "code": code,
    }
    if request.method == "POST":
        try:
            cast_ballot(code, chosen)
        except ActionError as exc:
            context["error"] = exc.message
            context["missing"] = {int(k.split("_")[1]) for k in exc.fields if k.startswith("subject_")}
            return render(request, "programmes/evaluations/ballot.html", context, status=exc.http_status)
        return render(request, "programmes/evaluations/voted.html", {"evaluation": evaluation})
    return render(request, "programmes/evaluations/ballot.html", context)


urlpatterns = [
    path("evaluations/", index, name="evaluations"),
    path("evaluations/<int:pk>/", detail, name="evaluation"),
    path("evaluations/<int:pk>/act/<str:action>/", act, name="evaluation_act"),
    path("evaluations/<int:pk>/subjects/", subject_add, name="evaluation_subject_add"),
    path("evaluations/subjects/<int:subject_id>/remove/", subject_remove, name="evaluation_subject_remove"),
    path("evaluations/<int:pk>/codes/", codes, name="evaluation_codes"),
    path("evaluations/<int:pk>/paper/", paper, name="evaluation_paper"),
    path("evaluations/<int:pk>/result.pdf", result_pdf, name="evaluation_pdf"),
    path("evaluations/<int:pk>/slips.pdf", slips_pdf, name="evaluation_slips"),
    path("vote/", vote, name="vote"),
    path("vote/<str:code>/", vote_ballot, name="vote_ballot"),
]
