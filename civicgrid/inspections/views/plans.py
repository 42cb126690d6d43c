"""Pages of plans and tasks: the plans (list, new, one with its tasks and coverage so far),
the tasks (list with filters, one with its action forms) and the phone list of the reader's
open tasks (overdue first; a re-check task opens its order)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import action_views, capabilities, clock
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError, InvalidInput

from .. import jobs
from ..actions import plans as actions
from ..actions.frames import TASK_FRAME
from ..choices import PlaceKind, PlanKind, Recurrence, TaskAction, TaskStatus
from ..coverage import percent
from ..models import Plan, Task
from ..task_filters import TaskFilterSet
from ..workflow import inspectors, units

PAGE = 200


def names_shown(user: Any) -> bool:
    """Inspectors' names are shown to the office that assigns them; the accounts of a street
    are not every reader's to see."""
    return capabilities.may(user, "inspections.plan")


def mobile_rows(user: Any, limit: int | None = None) -> list[Task]:
    """The reader's open tasks, overdue first (earliest due date first)."""
    rows = (
        Task.objects.restrict(user, Action.VIEW)
        .open()
        .filter(assignee_id=user.pk)
        .select_related("place", "order")
        .order_by("due_on", "id")
    )
    return list(rows[:limit] if limit else rows)


@login_required
def plan_list(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "inspections.view")
    plans = Plan.objects.restrict(request.user, Action.VIEW).select_related("area", "assignee", "unit")
    context = {
        "plans": plans[:PAGE],
        "may_plan": capabilities.may(request.user, "inspections.plan"),
        "show_names": names_shown(request.user),
    }
    return render(request, "inspections/plan_list.html", context)


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_object_or_404(Plan.objects.restrict(request.user, Action.VIEW), pk=pk)
    tasks = list(
        Task.objects.restrict(request.user, Action.VIEW)
        .filter(plan=plan)
        .select_related("place", "assignee")
        .order_by("-period_start", "due_on", "id")
    )
    covered = len({t.place_id for t in tasks})
    inspected = len({t.place_id for t in tasks if t.status == TaskStatus.DONE})
    context = {
        "plan": plan,
        "tasks": tasks,
        "covered": covered,
        "inspected": inspected,
        "percent": percent(inspected, covered),
    }
    return render(request, "inspections/plan_detail.html", context)


class PlanForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=PlanKind.choices)
    recurrence = forms.ChoiceField(label=gettext_lazy("频次"), choices=Recurrence.choices, initial="monthly")
    place_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("场所类型"),
        choices=PlaceKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(
        label=gettext_lazy("开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    coverage_target = forms.IntegerField(label=gettext_lazy("覆盖率目标（%）"), required=False)
    assignee: Any = forms.ModelChoiceField(label=gettext_lazy("检查人"), queryset=None, required=False)
    unit: Any = forms.ModelChoiceField(label=gettext_lazy("检查单位"), queryset=None, required=False)
    note = forms.CharField(
        label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = inspectors(user)  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units(user)  # type: ignore[attr-defined]


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "inspections.plan")
    form = PlanForm(request.POST or None, user=request.user, initial={"starts_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            plan = actions.save_plan(
                request.user, street=actions.actor_street(request.user), **form.cleaned_data
            )
        except ActionError as exc:
            messages.error(request, _("未能保存检查计划：%(message)s") % {"message": exc.message})
        else:
            messages.success(request, _("检查计划已保存，本期任务已派发"))
            return redirect(plan.get_absolute_url())
    return render(request, "inspections/plan_new.html", {"form": form})


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "inspections.view")
    visible = Task.objects.restrict(request.user, Action.VIEW)
    filterset = TaskFilterSet(request.GET or None, visible, user=request.user)
    try:
        rows = filterset.checked()
    except InvalidInput:
        rows = visible.none()  # the form shows each bad field
    rows = rows.select_related("place", "assignee", "unit")
    return render(
        request,
        "inspections/task_list.html",
        {
            "form": filterset.form,
            "tasks": rows[:PAGE],
            "today": clock.today(),
            "show_names": names_shown(request.user),
            "may_export": capabilities.may(request.user, "inspections.export"),
        },
    )


@require_POST
@login_required
def task_export(request: HttpRequest) -> HttpResponse:
    """The task list's filter (its query string) → an export job → the job's page."""
    capabilities.require(request.user, "inspections.export")
    try:
        job = jobs.start_task_export(request.user, request.GET)
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("inspections:tasks") + "?" + request.GET.urlencode())
    return redirect(job.get_absolute_url())


def _task(request: HttpRequest, pk: int) -> Task:
    qs = Task.objects.restrict(request.user, Action.VIEW).select_related("place", "plan", "order", "assignee")
    return get_object_or_404(qs, pk=pk)


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    context = {
        "task": task,
        "action_forms": action_views.action_forms(TASK_FRAME, task, request.user, skip=[TaskAction.COMPLETE]),
        "show_names": names_shown(request.user),
        "may_inspect": task.status == TaskStatus.OPEN
        and capabilities.may(request.user, "inspections.inspect"),
    }
    return render(request, "inspections/task_detail.html", context)


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, TASK_FRAME, _task(request, pk), action)


@login_required
def mobile_tasks(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "inspections.inspect")
    return render(
        request, "inspections/mobile_tasks.html", {"tasks": mobile_rows(request.user), "today": clock.today()}
    )


urlpatterns = [
    path("plans/", plan_list, name="plans"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan"),
    path("tasks/", task_list, name="tasks"),
    path("tasks/export/", task_export, name="tasks_export"),
    path("tasks/<int:pk>/", task_detail, name="task"),
    path("tasks/<int:pk>/act/<str:action>/", task_action, name="task_action"),
    path("m/tasks/", mobile_tasks, name="mobile_tasks"),
]
