"""知情考试 pages: the results (rounds × cadres, a cadre's own history), a round's table with
the draw and the re-check, an exam with its comparison and grade, and the answer form, which
shows the drawn households by address and room only: the cadre answers from memory."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.core import clock
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.inputs import as_id
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import exams
from ..actions import exams as actions
from ..choices import CareKind, Employment, ExamAction, RoundKind
from ..exam_workflow import MACHINE
from ..models import Exam, ExamRound

LIST_LIMIT = 300
# Blank name rows the answer form offers per household (a household rarely has more).
NAME_ROWS = 6


class RoundForm(forms.Form):
    street: "forms.ModelChoiceField[Area]" = forms.ModelChoiceField(label=gettext_lazy("街道"), queryset=None)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    held_on = forms.DateField(label=gettext_lazy("考试日期"), widget=forms.DateInput(attrs={"type": "date"}))
    sample_size = forms.IntegerField(
        label=gettext_lazy("抽查户数"), min_value=1, max_value=actions.MAX_SAMPLE, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        streets = Area.objects.restrict(user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
        self.fields["street"].queryset = streets  # type: ignore[attr-defined]
        if len(streets) == 1:
            self.fields["street"].initial = streets[0]
        self.fields["held_on"].initial = clock.today()
        self.fields["sample_size"].help_text = _("留空则按街道设置")


def _visible_exams(user: Any) -> Any:
    return Exam.objects.restrict(user, Action.VIEW).select_related("round", "cadre", "area")


@login_required
def results(request: HttpRequest) -> HttpResponse:
    """Rounds × cadres with grades and match ratios (a cadre sees her own history)."""
    require(request.user, "residents.exam_results")
    rows = _visible_exams(request.user).order_by("-round__held_on", "-round_id", "cadre__full_name")
    # Per cadre or per area over time: links of the table narrow it to one of them.
    if request.GET.get("cadre"):
        rows = rows.filter(cadre_id=as_id(request.GET["cadre"]) or 0)
    if request.GET.get("area"):
        rows = rows.filter(area__code=request.GET["area"])
    context = {
        "rounds": list(
            ExamRound.objects.restrict(request.user, Action.VIEW).select_related("parent")[:LIST_LIMIT]
        ),
        "exams": list(rows[:LIST_LIMIT]),
        "may_examine": may(request.user, "residents.examine"),
        "narrowed": bool(request.GET.get("cadre") or request.GET.get("area")),
    }
    return render(request, "residents/exam_results.html", context)


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    require(request.user, "residents.examine")
    form = RoundForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            round_ = actions.create_round(request.user, **form.cleaned_data)
        except ActionError as exc:
            form.add_error(next((f for f in exc.fields if f in form.fields), None), exc.message)
        else:
            messages.success(request, _("考试轮次已创建，请为干部抽户"))
            return redirect(round_)
    status = 400 if form.errors else 200
    return render(request, "residents/exam_round_new.html", {"form": form}, status=status)


def _round_page(request: HttpRequest, pk: int, error: ActionError | None = None) -> HttpResponse:
    user = request.user
    round_ = get_object_or_404(
        ExamRound.objects.restrict(user, Action.VIEW).select_related("street", "parent"), pk=pk
    )
    context: dict[str, Any] = {
        "round": round_,
        "exams": list(_visible_exams(user).filter(round=round_).order_by("cadre__full_name", "cadre_id")),
        "error": error,
        "may_examine": ExamRound.objects.restrict(user, Action.CHANGE).filter(pk=round_.pk).exists(),
    }
    if context["may_examine"] and round_.kind == RoundKind.FIRST:
        drawn = {e.cadre_id for e in context["exams"]}
        context["cadres"] = [c for c in exams.cadres(round_.street_id) if c.pk not in drawn]
        context["areas"] = list(
            Area.objects.restrict(user, Action.VIEW)
            .filter(street=round_.street, kind__in=[AreaKind.RESIDENTIAL, AreaKind.GRID])
            .order_by("path")
        )
    return render(request, "residents/exam_round.html", context, status=error.http_status if error else 200)


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.exam_results")
    return _round_page(request, pk)


@login_required
@require_POST
def round_draw(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.examine")
    round_ = get_object_or_404(ExamRound.objects.restrict(request.user, Action.CHANGE), pk=pk)
    cadre = exams.cadres(round_.street_id).filter(pk=as_id(request.POST.get("cadre", "")) or 0).first()
    area = None
    if request.POST.get("area"):
        area = (
            Area.objects.restrict(request.user, Action.VIEW)
            .filter(pk=as_id(request.POST["area"]) or 0)
            .first()
        )
        if area is None:
            return _round_page(request, pk, ActionError(_("抽查范围不存在"), {"area": "invalid"}))
    try:
        exam = actions.draw(request.user, round_, cadre, area)
    except ActionError as exc:
        return _round_page(request, pk, exc)
    messages.success(request, _("已抽取 %(n)s 户") % {"n": exam.items.count()})
    return redirect(round_)


@login_required
@require_POST
def round_recheck(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.examine")
    round_ = get_object_or_404(ExamRound.objects.restrict(request.user, Action.CHANGE), pk=pk)
    try:
        recheck = actions.create_recheck(request.user, round_)
    except ActionError as exc:
        return _round_page(request, pk, exc)
    messages.success(request, _("复审轮次已创建"))
    return redirect(recheck)


def _exam(request: HttpRequest, pk: int) -> Exam:
    return get_object_or_404(
        Exam.objects.restrict(request.user, Action.VIEW).select_related("round", "cadre", "area", "examiner"),
        pk=pk,
    )


def _exam_page(request: HttpRequest, pk: int, error: ActionError | None = None) -> HttpResponse:
    exam = _exam(request, pk)
    user = request.user
    answered = exam.status != "drawn"
    items = exams.items_view(exam, user)
    context = {
        "exam": exam,
        # Before the answer the cadre sees the households to visit in her memory, nothing more.
        "items": items,
        # Anyone reading the exam may check its draw: the seed gives the same households again.
        "redraw_same": exams.redraw(exam) == [item["household"] for item in items],
        "answered": answered,
        "may_answer": MACHINE.allows(exam, ExamAction.ANSWER, user),
        "may_grade": MACHINE.allows(exam, ExamAction.GRADE, user),
        "suggested": exams.suggested_grade(exam.matched, exam.total) if answered else None,
        "grades": range(1, 6),
        "error": error,
    }
    return render(request, "residents/exam_detail.html", context, status=error.http_status if error else 200)


@login_required
def exam_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.exam_results")
    return _exam_page(request, pk)


@login_required
@require_POST
def exam_grade(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "residents.examine")
    exam = _exam(request, pk)
    raw = {name: request.POST[name] for name in ("grade", "note", "version") if request.POST.get(name)}
    try:
        actions.FRAME.run(exam.pk, ExamAction.GRADE, request.user, raw)
    except ActionError as exc:
        return _exam_page(request, pk, exc)
    messages.success(request, _("已评级"))
    return redirect(exam)


def _posted_answers(request: HttpRequest, positions: list[int]) -> list[dict[str, Any]]:
    """The answer form's fields, one dict per household (checked by the action)."""
    out = []
    for p in positions:
        names = request.POST.getlist(f"i{p}-name")
        jobs = request.POST.getlist(f"i{p}-employment")
        out.append(
            {
                "position": p,
                "size": request.POST.get(f"i{p}-size", ""),
                "people": [
                    {"name": name, "employment": jobs[n] if n < len(jobs) else ""}
                    for n, name in enumerate(names)
                ],
                "care": request.POST.getlist(f"i{p}-care"),
                "neighbours": request.POST.get(f"i{p}-neighbours", ""),
            }
        )
    return out


def _people_rows(given: dict[str, Any]) -> list[dict[str, str]]:
    """The name rows of one household: what was typed (after a refusal), then blanks."""
    typed = [p for p in given.get("people", []) if p["name"].strip()]
    return typed + [{"name": "", "employment": ""}] * max(NAME_ROWS - len(typed), 2)


@login_required
def exam_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The cadre's answer form: per drawn household its address and room, and blanks."""
    require(request.user, "residents.exam_answer")
    exam = _exam(request, pk)
    if not MACHINE.allows(exam, ExamAction.ANSWER, request.user):
        messages.info(request, _("这场考试已作答"))
        return redirect(exam)
    rows = list(exam.items.select_related("household__flat__building").order_by("position"))
    given = {}
    error = None
    if request.method == "POST":
        posted = _posted_answers(request, [row.position for row in rows])
        raw = {"answers": posted, "version": request.POST.get("version") or None}
        try:
            actions.FRAME.run(exam.pk, ExamAction.ANSWER, request.user, raw)
        except ActionError as exc:
            error = exc
            given = {a["position"]: a for a in posted}
        else:
            messages.success(request, _("作答已提交"))
            return redirect(exam)
    kinds = set(exams.answer_kinds(request.user))
    context = {
        "exam": exam,
        "households": [
            {
                "position": row.position,
                "address": row.household.flat.building.address,
                "room": row.household.flat.room,
                "given": given.get(row.position, {}),
                "people": _people_rows(given.get(row.position, {})),
            }
            for row in rows
        ],
        "kinds": [(k, label) for k, label in CareKind.choices if k in kinds],
        "employments": Employment.choices,
        "error": error,
    }
    return render(request, "residents/exam_answer.html", context, status=error.http_status if error else 200)


urlpatterns = [
    path("exams/", results, name="exams"),
    path("exams/rounds/new/", round_new, name="exam_round_new"),
    path("exams/rounds/<int:pk>/", round_detail, name="exam_round"),
    path("exams/rounds/<int:pk>/draw/", round_draw, name="exam_draw"),
    path("exams/rounds/<int:pk>/recheck/", round_recheck, name="exam_recheck"),
    path("exams/<int:pk>/", exam_detail, name="exam"),
    path("exams/<int:pk>/answer/", exam_answer, name="exam_answer"),
    path("exams/<int:pk>/grade/", exam_grade, name="exam_grade"),
]
