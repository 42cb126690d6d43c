"""The practical projects' pages: the year's list (the tree, progress bars, milestone badges,
the new-project form), one project (targets, milestones with their action forms, progress
reports with photos, children, linked cases with the chart, the machine's action forms and the
plan's forms), the year's list as a PDF, and the public page of a street's year (no login).
Thin: parse, call one action, render; every query through restrict() but the public page's."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from civicgrid.cases.models import Case
from civicgrid.core import action_views, clock, pdf, profile
from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.inputs import as_id
from civicgrid.core.models import Attachment
from civicgrid.core.redact import redact
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .. import progress
from ..actions import projects as writers
from ..actions.frames import MILESTONE_FRAME, PROJECT_FRAME
from ..choices import MilestoneStatus, ProjectCategory, ProjectStatus
from ..filters import ProjectFilterSet
from ..models import ProgressReport, Project, ProjectMilestone, Target
from ..project_forms import CaseLinkForm, GoalForm, MilestoneForm, ProjectForm, TargetForm
from ..workflow import PROJECT_MACHINE

VIEW, MANAGE = "programmes.view", "programmes.projects"
PUBLIC_STATUSES = (ProjectStatus.ACTIVE, ProjectStatus.DONE)
EVENT_LABELS = {
    "create": gettext_lazy("建立项目"),
    writers.UPDATE: gettext_lazy("修改项目"),
    writers.ADD_TARGET: gettext_lazy("增加目标"),
    writers.UPDATE_TARGET: gettext_lazy("调整目标值"),
    writers.REMOVE_TARGET: gettext_lazy("删除目标"),
    writers.ADD_MILESTONE: gettext_lazy("增加节点"),
    writers.LINK_CASE: gettext_lazy("关联工单"),
    writers.UNLINK_CASE: gettext_lazy("取消关联工单"),
}
CASES_SHOWN = 50


def _year(request: HttpRequest) -> int:
    raw = as_id(request.GET.get("year", ""))
    return raw if raw is not None and 2000 <= raw <= 2100 else clock.today().year


def _code(text: str) -> str:
    """An area code from the query string or the path, else "" (codes are ASCII letters and
    digits; anything else, a NUL included, never reaches the database)."""
    return text if text.isascii() and text.isalnum() and len(text) <= 32 else ""


def _soon_days(street_id: int) -> int:
    return int(profile.value("programmes.milestone_warning_days", street_id))


def _with_badges(rows: QuerySet[Project], soon_until: Any) -> QuerySet[Project]:
    """Each project with its overdue and due-soon milestones counted (one query for the list)."""
    today = clock.today()
    return rows.annotate(
        overdue=Count("milestones", filter=Q(milestones__status=MilestoneStatus.OVERDUE)),
        due_soon=Count(
            "milestones",
            filter=Q(
                milestones__status=MilestoneStatus.OPEN,
                milestones__due_on__gte=today,
                milestones__due_on__lte=soon_until,
            ),
        ),
    )


def tree(rows: list[Project]) -> list[tuple[Project, int]]:
    """(project, depth) in tree order: each parent followed by its children, a child whose
    parent the reader cannot see (a unit's project under the street's programme) at the top."""
    by_parent: dict[int | None, list[Project]] = {}
    ids = {p.pk for p in rows}
    for p in rows:
        by_parent.setdefault(p.parent_id if p.parent_id in ids else None, []).append(p)
    out: list[tuple[Project, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for p in by_parent.get(parent_id, []):
            out.append((p, depth))
            walk(p.pk, depth + 1)

    walk(None, 0)
    return out


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The year's projects the reader may see; the street office makes a new one here."""
    require(request.user, VIEW)
    may_manage = may(request.user, MANAGE)
    form = ProjectForm(request.POST or None, user=request.user) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                made = writers.create_project(request.user, **data)
            except ActionError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已建立实事项目“%(title)s”") % {"title": made.title})
                return redirect(made.get_absolute_url())
    year = _year(request)
    streets = Area.objects.restrict(request.user, Action.VIEW).filter(kind=AreaKind.STREET).order_by("code")
    # A bad parameter is left out (the filter's form drops it), as the page's links never send one.
    chosen = ProjectFilterSet(
        {**request.GET.dict(), "year": year},
        Project.objects.restrict(request.user, Action.VIEW),
        user=request.user,
    )
    rows = chosen.qs
    street, category, status = (
        chosen.form.cleaned_data.get(k) or "" for k in ("street", "category", "status")
    )
    soon_until = clock.today() + timedelta(days=_soon_days(streets[0].pk if len(streets) == 1 else None))  # type: ignore[arg-type]
    listed = list(
        _with_badges(rows, soon_until).select_related("street", "owner_unit").order_by("street__code", "id")
    )
    public_street = streets[0] if len(streets) == 1 else None
    context = {
        "year": year,
        "years": [year - 1, year, year + 1],
        "rows": tree(listed),
        "streets": streets,
        "street": street,
        "categories": ProjectCategory.choices,
        "category": category,
        "statuses": ProjectStatus.choices,
        "status": status,
        "form": form,
        "public_street": public_street,
    }
    return render(request, "programmes/projects/list.html", context)


def _project(request: HttpRequest, pk: int) -> Project:
    require(request.user, VIEW)
    qs = Project.objects.restrict(request.user, Action.VIEW).select_related(
        "street", "owner_unit", "parent", "area"
    )
    return get_object_or_404(qs, pk=pk)


def _history(project: Project) -> list[dict[str, Any]]:
    return action_views.timeline(project, PROJECT_MACHINE, EVENT_LABELS, lambda e: {"event": e.pk})


def _reports(request: HttpRequest, project: Project) -> list[dict[str, Any]]:
    """The progress reports, newest first, each with the photos stored with its event."""
    photos: dict[int, list[Attachment]] = {}
    attached = Attachment.objects.restrict(request.user, Action.VIEW).filter(
        content_type=ContentType.objects.get_for_model(Project), object_id=project.pk
    )
    for photo in attached.order_by("pk"):
        photos.setdefault(photo.event_id or 0, []).append(photo)
    reports = project.reports.select_related("target", "reported_by")
    return [{"report": r, "photos": photos.get(r.event_id, []) if r.event_id else []} for r in reports]


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    user = request.user
    targets = list(Target.objects.restrict(user, Action.VIEW).filter(project=project))
    milestones = list(ProjectMilestone.objects.restrict(user, Action.VIEW).filter(project=project))
    today = clock.today()
    soon_until = today + timedelta(days=_soon_days(project.street_id))
    cases = Case.objects.restrict(user, Action.VIEW)
    linked = progress.linked_cases(project, cases).select_related("category")
    history = _history(project)
    may_manage = may(user, MANAGE) and project.status not in writers.CLOSED
    context = {
        "project": project,
        "targets": [(t, progress.share(t.reached, t.goal)) for t in targets],
        "milestones": [
            {
                "row": m,
                "soon": m.status == MilestoneStatus.OPEN and today <= m.due_on <= soon_until,
                "forms": action_views.action_forms(MILESTONE_FRAME, m, user),
            }
            for m in milestones
        ],
        "children": list(
            Project.objects.restrict(user, Action.VIEW).filter(parent=project).select_related("owner_unit")
        ),
        "reports": _reports(request, project),
        "linked": list(linked.order_by("-received_at")[:CASES_SHOWN]),
        "linked_count": linked.count(),
        "explicit": set(project.case_links.values_list("case_id", flat=True)),
        "chart": progress.chart(project, cases, targets),
        "chart_labels": {"cases": _("关联工单（件/月）")},
        "behind": progress.behind(project, today),
        "action_forms": action_views.action_forms(PROJECT_FRAME, project, user),
        "events": history,
        "may_manage": may_manage,
        "edit_form": ProjectForm(initial=ProjectForm.initial_of(project), user=user, project=project)
        if may_manage
        else None,
        "target_form": TargetForm(prefix="target") if may_manage and not project.children.exists() else None,
        "goal_form": GoalForm(prefix="goal") if may_manage else None,
        "milestone_form": MilestoneForm(prefix="milestone") if may_manage else None,
        "link_form": CaseLinkForm(prefix="link") if may_manage else None,
        "draft": project.status == ProjectStatus.DRAFT,
    }
    return render(request, "programmes/projects/detail.html", context)


def _done(request: HttpRequest, project: Project, run: Any, ok: str, fail: str) -> HttpResponse:
    """Run one writer; say what happened; back to the project (PRG)."""
    try:
        run()
    except ActionError as exc:
        messages.error(request, _("%(what)s：%(why)s") % {"what": fail, "why": exc.message})
    else:
        messages.success(request, ok)
    return redirect(project.get_absolute_url())


def _invalid(request: HttpRequest, project: Project, form: Any, fail: str) -> HttpResponse:
    messages.error(request, _("%(what)s：%(why)s") % {"what": fail, "why": action_views.problems(form)})
    return redirect(project.get_absolute_url())


@login_required
@require_POST
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    require(request.user, MANAGE)
    form = ProjectForm(request.POST, user=request.user, project=project)
    fail = _("未能修改项目")
    if not form.is_valid():
        return _invalid(request, project, form, fail)
    version = as_id(request.POST.get("version", ""))
    return _done(
        request,
        project,
        lambda: writers.update_project(request.user, project, version=version, **form.cleaned_data),
        _("已修改项目"),
        fail,
    )


@login_required
@require_POST
def target_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    require(request.user, MANAGE)
    form = TargetForm(request.POST, prefix="target")
    fail = _("未能增加目标")
    if not form.is_valid():
        return _invalid(request, project, form, fail)
    return _done(
        request,
        project,
        lambda: writers.add_target(request.user, project, **form.cleaned_data),
        _("已增加目标"),
        fail,
    )


def _target(request: HttpRequest, target_id: int) -> Target:
    require(request.user, MANAGE)
    qs = Target.objects.restrict(request.user, Action.VIEW).select_related("project")
    return get_object_or_404(qs, pk=target_id)


@login_required
@require_POST
def target_goal(request: HttpRequest, target_id: int) -> HttpResponse:
    target = _target(request, target_id)
    form = GoalForm(request.POST, prefix="goal")
    fail = _("未能调整目标值")
    if not form.is_valid():
        return _invalid(request, target.project, form, fail)
    return _done(
        request,
        target.project,
        lambda: writers.update_target(request.user, target, goal=form.cleaned_data["goal"]),
        _("已调整目标值"),
        fail,
    )


@login_required
@require_POST
def target_remove(request: HttpRequest, target_id: int) -> HttpResponse:
    target = _target(request, target_id)
    return _done(
        request,
        target.project,
        lambda: writers.remove_target(request.user, target),
        _("已删除目标"),
        _("未能删除目标"),
    )


@login_required
@require_POST
def milestone_add(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    require(request.user, MANAGE)
    form = MilestoneForm(request.POST, prefix="milestone")
    fail = _("未能增加节点")
    if not form.is_valid():
        return _invalid(request, project, form, fail)
    return _done(
        request,
        project,
        lambda: writers.add_milestone(request.user, project, **form.cleaned_data),
        _("已增加节点"),
        fail,
    )


@login_required
@require_POST
def case_link(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    require(request.user, MANAGE)
    form = CaseLinkForm(request.POST, prefix="link")
    fail = _("未能关联工单")
    if not form.is_valid():
        return _invalid(request, project, form, fail)
    number = form.cleaned_data["number"]
    if request.POST.get("unlink"):
        return _done(
            request,
            project,
            lambda: writers.unlink_case(request.user, project, number=number),
            _("已取消关联工单 %(number)s") % {"number": number},
            _("未能取消关联"),
        )
    return _done(
        request,
        project,
        lambda: writers.link_case(request.user, project, number=number),
        _("已关联工单 %(number)s") % {"number": number},
        fail,
    )


@login_required
@require_POST
def project_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, PROJECT_FRAME, _project(request, pk), action)


@login_required
@require_POST
def milestone_act(request: HttpRequest, milestone_id: int, action: str) -> HttpResponse:
    require(request.user, VIEW)
    qs = ProjectMilestone.objects.restrict(request.user, Action.VIEW).select_related("project")
    milestone = get_object_or_404(qs, pk=milestone_id)
    return action_views.post_action(request, MILESTONE_FRAME, milestone, action)


# ---------------------------------------------------------------------------- the year in print


def print_rows(rows: QuerySet[Project]) -> list[dict[str, Any]]:
    """The year's projects in tree order with targets and milestones (three queries)."""
    listed = list(rows.select_related("owner_unit").prefetch_related("targets", "milestones"))
    return [
        {
            "project": p,
            "depth": depth,
            "targets": list(p.targets.all()),
            "milestones": list(p.milestones.all()),
        }
        for p, depth in tree(listed)
    ]


@login_required
def projects_pdf(request: HttpRequest) -> HttpResponse:
    """The year's projects of one street (the reader's, or ?street=CODE) and their progress."""
    require(request.user, VIEW)
    year = _year(request)
    streets = Area.objects.restrict(request.user, Action.VIEW).filter(kind=AreaKind.STREET)
    code = _code(request.GET.get("street", ""))
    street = streets.filter(code=code).first() if code else (streets.first() if len(streets) == 1 else None)
    if street is None:
        raise Http404(_("请选择街道"))
    rows = (
        Project.objects.restrict(request.user, Action.VIEW)
        .filter(street=street, year=year)
        .exclude(status=ProjectStatus.CANCELLED)
        .order_by("id")
    )
    context = {"street": street, "year": year, "rows": print_rows(rows), "today": clock.today()}
    response = HttpResponse(
        pdf.render("programmes/print/projects.html", context), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="projects-{street.code}-{year}.pdf"'
    return response


# ---------------------------------------------------------------------------- the public page


def public_rows(street: Area, year: int) -> list[dict[str, Any]]:
    """A street's published projects of the year (neither draft nor cancelled) with their
    targets and the latest progress note, redacted; no names of staff or residents."""
    # lint: allow-unrestricted (public page: published projects only)
    rows = Project.objects.filter(street=street, year=year, status__in=PUBLIC_STATUSES).order_by("id")
    listed = list(rows.select_related("owner_unit").prefetch_related("targets"))
    notes: dict[int, Any] = {}
    # lint: allow-unrestricted (public page: the notes of the published projects above, redacted)
    reports = ProgressReport.objects.filter(project__in=[p.pk for p in listed]).exclude(note="")
    for project_id, note, on in reports.order_by("project_id", "-reported_on", "-id").values_list(
        "project_id", "note", "reported_on"
    ):
        notes.setdefault(project_id, (redact(note), on))
    return [
        {"project": p, "depth": depth, "targets": list(p.targets.all()), "note": notes.get(p.pk)}
        for p, depth in tree(listed)
    ]


def public_projects(request: HttpRequest, street_code: str, year: int) -> HttpResponse:
    if not 2000 <= year <= 2100:
        raise Http404
    # lint: allow-unrestricted (public page: a street by its code)
    street = Area.objects.filter(code=_code(street_code), kind=AreaKind.STREET).first()
    if street is None:
        raise Http404
    rows = public_rows(street, year)
    if not rows:
        raise Http404
    return render(request, "programmes/projects/public.html", {"street": street, "year": year, "rows": rows})


urlpatterns = [
    path("projects/", project_list, name="projects"),
    path("projects/print.pdf", projects_pdf, name="projects_pdf"),
    path("projects/<int:pk>/", project_detail, name="project"),
    path("projects/<int:pk>/edit/", project_edit, name="project_edit"),
    path("projects/<int:pk>/targets/", target_add, name="project_target_add"),
    path("projects/<int:pk>/milestones/", milestone_add, name="project_milestone_add"),
    path("projects/<int:pk>/cases/", case_link, name="project_cases"),
    path("projects/<int:pk>/act/<str:action>/", project_act, name="project_act"),
    path("targets/<int:target_id>/goal/", target_goal, name="target_goal"),
    path("targets/<int:target_id>/remove/", target_remove, name="target_remove"),
    path("milestones/<int:milestone_id>/act/<str:action>/", milestone_act, name="milestone_act"),
    path("public/<str:street_code>/<int:year>/", public_projects, name="public_projects"),
]
