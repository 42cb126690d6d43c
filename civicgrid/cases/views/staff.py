"""The staff pages of the work-order loop: the dispatcher's workbench, the case page and its
action forms, a unit's task list, and the category and duty pages (the inbox is core's).

Every query goes through `restrict()`; every change goes through `actions.run_action`, so the
views only translate forms into parameters and errors into messages.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.core import clock, privacy
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Action, Role
from civicgrid.core.db_router import reading_from_replica
from civicgrid.core.querysets import user_scope
from civicgrid.core.views import safe_next, serve_attachment
from civicgrid.geo.models import Area
from civicgrid.geo.views import map_context

from .. import actions, duplicates, personal, printing, workflow
from ..actions.place import conflict_grids
from ..batch import INLINE_LIMIT, BatchForm, batch_actions
from ..choices import OPEN_STATUSES, AssignmentStatus, CaseAction, PhotoStage, PlaceStatus
from ..errors import CaseError, Conflict, InvalidInput
from ..forms import action_form
from ..models import Assignment, Case, Category, DutyRule
from ..public import resident_link
from ..workbench import PAGE_FILTERS, QUEUE_CONDITIONS, QUEUES, case_filter, queue_counts
from .common import (
    description_view,
    reporter_view,
    require,
    role_of,
    visible_case,
)
from .jobs import report_context
from .public import status_context

CASES_PER_PAGE = 25
# A unit's finished work is listed for this many rows; the open groups are listed in full.
TASKS_HISTORY_LIMIT = 30


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    """Queues with counts, filters and a paginated list; htmx swaps only the results."""
    require(request, "cases.workbench")
    cases = case_filter(request.user, request.GET).for_page(request.user)
    form = cases.form
    queue = request.GET.get("queue", "")
    if queue not in QUEUE_CONDITIONS:
        queue = "new" if may(request.user, "cases.desk") else "all"
    base = cases.qs
    counts = queue_counts(base)
    queues = [{"key": key, "label": label, "count": counts[key]} for key, label, _q in QUEUES]
    listing = base.filter(QUEUE_CONDITIONS[queue]).select_related("category", "grid", "lead_unit")
    if queue == "callback":
        listing = listing.order_by("callback_due_at", "id")
    elif queue in ("dispatch", "returned", "overdue", "verify"):
        listing = listing.order_by("handling_due_at", "id")
    page = Paginator(listing, CASES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "fields": [form[name] for name in PAGE_FILTERS],
        # Filters a link carried that the page has no input for: kept through the next search.
        "carried": [
            (name, form[name].value())
            for name in form.fields
            if name not in PAGE_FILTERS and form[name].value()
        ],
        "queues": queues,
        "queue": queue,
        "page": page,
        # The bulk bar, for roles with a bulk action (each case still asks the table).
        "bulk_form": (
            BatchForm(user=request.user, initial={"next": request.get_full_path()})
            if batch_actions(request.user)
            else None
        ),
        "bulk_limit": INLINE_LIMIT,
    }
    template = "cases/_workbench_results.html" if getattr(request, "htmx", False) else "cases/workbench.html"
    return render(request, template, context)


def _action_forms(case: Case, user: Any, allowed: list[str]) -> list[dict[str, Any]]:
    # The main step of each state goes first on the case page; the rest follow in table order.
    forms = [action_form(action, case, user) for action in allowed]
    out = []
    for form in sorted(forms, key=lambda f: not f.primary):
        action = form.transition.action
        out.append(
            {
                "action": action,
                "label": CaseAction(action).label,
                "form": form,
                "primary": form.primary,
                "danger": form.danger,
                "multipart": any(f.field.widget.needs_multipart_form for f in form),
            }
        )
    return out


def _grid_geojson_url(case: Case, user: Any) -> str:
    # The grid's outline around the pin, for those who may read the area registry.
    if case.grid is None or not Area.objects.restrict(user, Action.VIEW).filter(pk=case.grid.pk).exists():
        return ""
    return reverse("geo:area_geojson", args=[case.grid.code])


def _place_notices(case: Case, user: Any, events: list[Any], allowed: list[str]) -> dict[str, Any]:
    """What the desk must settle about the case's place: 待定位, a grid conflict (its two
    grids), and the duty table's suggestion after the last correction when it differs from
    the lead unit (the desk dispatches or redispatches if it agrees)."""
    out: dict[str, Any] = {"to_locate": case.place_status == PlaceStatus.TO_LOCATE}
    if case.grid_conflict:
        out["conflict"] = conflict_grids(case)
    corrections = [e for e in events if e.action in (CaseAction.RELOCATE, CaseAction.CHOOSE_GRID)]
    suggested = corrections[-1].data.get("suggested_lead_unit") if corrections else None
    if suggested and suggested["id"] != case.lead_unit_id and case.status in OPEN_STATUSES:
        out["suggested_unit"] = suggested["name"]
    if CaseAction.RELOCATE in allowed:
        # The street and its grids, so the desk sees which grid a click falls in.
        grids = Area.objects.restrict(user, Action.VIEW).grids().filter(street_id=case.street_id)
        areas = [case.street, *grids.order_by("code").only("name", "geometry")]
        out["street_outline"] = {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": area.geometry, "properties": {"name": area.name}}
                for area in areas
                if area.geometry
            ],
        }
    return out


@login_required
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = visible_case(request, number)
    user = request.user
    if role_of(user) == Role.RESIDENT:
        # A resident sees their own report as the public sees it: no staff names, no notes.
        return render(request, "cases/public/status.html", status_context(case))
    case = (
        # lint: allow-unrestricted (re-reads the case visible_case() found)
        Case.objects.filter(pk=case.pk)
        .select_related(
            "category",
            "category__parent",
            "street",
            "residential_area",
            "grid",
            "building",
            "lead_unit",
            "master",
        )
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("unit", "signed_by")),
        )
        .get()
    )
    allowed = workflow.allowed_actions(case, user)
    events = list(case.events.select_related("unit").order_by("at", "id"))
    photos = list(case.photos.order_by("uploaded_at", "id"))
    supervisions = list(case.supervisions.select_related("unit"))
    candidates: list[Any] = []
    if may(user, "cases.desk") and case.status in OPEN_STATUSES:
        found = duplicates.candidates(case)
        visible = set(
            Case.objects.restrict(user, Action.VIEW)
            .filter(pk__in=[c.case.pk for c in found])
            .values_list("pk", flat=True)
        )
        candidates = [c for c in found if c.case.pk in visible]
    context = {
        "case": case,
        "reporter": reporter_view(case, user),
        "description": description_view(case, user),
        "assignments": [a for a in case.assignments.all() if a.status != AssignmentStatus.CANCELLED],
        "cancelled_assignments": [
            a for a in case.assignments.all() if a.status == AssignmentStatus.CANCELLED
        ],
        "events": events,
        "before_photos": [p for p in photos if p.stage == PhotoStage.BEFORE],
        "after_photos": [p for p in photos if p.stage == PhotoStage.AFTER],
        "callbacks": list(case.callbacks.order_by("at")),
        "extensions": list(case.extensions.select_related("unit")),
        "supervisions": supervisions,
        "merged_cases": list(
            Case.objects.restrict(user, Action.VIEW).filter(master=case).only("number", "title")
        ),
        "candidates": candidates,
        "forms": printing.available(case, events, supervisions) if may(user, "cases.print") else [],
        "may_merge": CaseAction.MERGE in allowed,
        # Marking photos public has its own small form beside each photo.
        "action_forms": _action_forms(case, user, [a for a in allowed if a != CaseAction.PUBLISH_PHOTO]),
        "may_publish": CaseAction.PUBLISH_PHOTO in allowed,
        # The desk hands the link out (again, after revoking it).
        "tracking_link": resident_link(case) if CaseAction.REVOKE_LINK in allowed else "",
        "grid_geojson_url": _grid_geojson_url(case, user),
        "place": _place_notices(case, user, events, allowed),
        **map_context(),
    }
    return render(request, "cases/case_detail.html", context)


@login_required
@never_cache
def case_print(request: HttpRequest, number: str, kind: str) -> HttpResponse:
    """A printed form of the case as a PDF (cases/printing.py), rendered in the request: about
    a second for one case. 404 for a form the case does not have yet."""
    require(request, "cases.print")
    case = visible_case(request, number)
    try:
        document = printing.render(case, kind, request.user)
    except printing.NotPrintable as exc:
        raise Http404(str(exc)) from None
    response = HttpResponse(document.pdf, content_type="application/pdf")
    # Inline: the browser shows it and prints it from there. Case numbers are ASCII.
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    return response


@login_required
@require_POST
def case_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action form's POST: run the action, say what happened, go back (PRG)."""
    case = visible_case(request, number)
    try:
        CaseAction(action)
    except ValueError:
        raise Http404(_("没有这个操作")) from None
    back = safe_next(request, case.get_absolute_url())
    if not actions.FRAME.takes(action):
        raise Http404(_("没有这个操作"))
    form = action_form(action, case, request.user, request.POST, request.FILES)
    if not form.is_valid():
        problems = "；".join(
            (f"{form.fields[name].label}：{err}" if name in form.fields else str(err))
            for name, errs in form.errors.items()
            for err in errs
        )
        if "version" in form.errors:
            messages.error(request, _("页面已过期，请刷新后重试。"))
        else:
            messages.error(
                request,
                _("未能%(action)s：%(problems)s") % {"action": form_label(action), "problems": problems},
            )
        return redirect(back)
    try:
        actions.run_action(case, action, request.user, form.params())
    except Conflict:
        messages.error(request, _("工单已被他人更新，请刷新"))
    except CaseError as exc:
        messages.error(
            request, _("未能%(action)s：%(message)s") % {"action": form_label(action), "message": exc.message}
        )
    else:
        messages.success(request, _("已%(action)s") % {"action": form_label(action)})
    return redirect(back)


def form_label(action: str) -> str:
    return str(CaseAction(action).label)


def _revealed(request: HttpRequest, number: str, what: str) -> tuple[Case, str | None, str | None]:
    """The case, the full value of `what` (personal.PHONE, DESCRIPTION) and None; or, without
    the required reason, the case, None and the refusal. Logged as one PersonalDataAccess row
    with the reason; roles that may not reveal get a 404, as for any page they have no use for."""
    case = visible_case(request, number)
    if not privacy.may_reveal_phone(request.user) or not personal.full_value(case, what):
        raise Http404(_("页面不存在"))
    reason = request.POST.get("reason", "")
    try:
        return case, personal.reveal_personal(request.user, case, what, privacy.RevealVia.WEB, reason), None
    except InvalidInput as exc:
        return case, None, exc.message


def _revealed_page(
    request: HttpRequest, context: dict[str, Any], partial: str, heading: str, refused: bool
) -> HttpResponse:
    # htmx swaps the part in place; without it the same POST answers a page of its own.
    status = 400 if refused else 200
    if getattr(request, "htmx", False):
        return render(request, partial, context, status=status)
    return render(
        request, "cases/reveal.html", {**context, "partial": partial, "heading": heading}, status=status
    )


@login_required
@require_POST
@never_cache
def reveal_phone(request: HttpRequest, number: str) -> HttpResponse:
    """The reporter's full phone (the case page's 查看号码 button), with the reason typed next
    to it (400 without one). POST, so that a prefetch or a crawler following links cannot
    reveal anything."""
    case, phone, error = _revealed(request, number, personal.PHONE)
    reporter = reporter_view(case, request.user)
    if error:
        reporter["error"] = error
    else:
        reporter.update(phone=phone, may_reveal=False, revealed=True)
    context = {"case": case, "reporter": reporter}
    return _revealed_page(request, context, "cases/_reporter.html", _("诉求人电话"), bool(error))


@login_required
@require_POST
@never_cache
def reveal_description(request: HttpRequest, number: str) -> HttpResponse:
    """The description with the phones, ID numbers and plates typed into it (查看原文)."""
    case, text, error = _revealed(request, number, personal.DESCRIPTION)
    if error:
        description = {**description_view(case, request.user), "error": error}
    else:
        description = {"text": text, "may_reveal": False, "revealed": True}
    context = {"case": case, "description": description}
    return _revealed_page(request, context, "cases/_description.html", _("诉求内容"), bool(error))


@login_required
def case_photo(request: HttpRequest, number: str, pk: int, size: str = "full") -> FileResponse:
    """Photos are never public files: they are served only to users who may see the case
    (as any attachment is, core.views.serve_attachment)."""
    case = visible_case(request, number)
    return serve_attachment(get_object_or_404(case.photos, pk=pk), size)


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    """A handling unit's part of each case, grouped by where it stands."""
    scope = user_scope(request.user)
    unit_ids = scope.unit_ids if scope else frozenset()
    if not unit_ids and role_of(request.user) != Role.HANDLER:
        raise Http404(_("页面不存在"))
    mine = (
        Assignment.objects.restrict(request.user, Action.VIEW)
        .filter(unit_id__in=unit_ids)
        .select_related("case", "case__category", "case__grid", "unit")
    )
    groups = [
        {
            "key": "pending",
            "label": _("待签收"),
            "rows": list(mine.filter(status=AssignmentStatus.PENDING).order_by("handling_due_at", "id")),
        },
        {
            "key": "signed",
            "label": _("办理中"),
            "rows": list(mine.filter(status=AssignmentStatus.SIGNED).order_by("handling_due_at", "id")),
        },
        {
            "key": "returned",
            "label": _("已退回"),
            "rows": list(
                mine.filter(status=AssignmentStatus.RETURNED).order_by("-returned_at", "-id")[
                    :TASKS_HISTORY_LIMIT
                ]
            ),
        },
        {
            "key": "handled",
            "label": _("已反馈"),
            "rows": list(
                mine.filter(status=AssignmentStatus.HANDLED).order_by("-handled_at", "-id")[
                    :TASKS_HISTORY_LIMIT
                ]
            ),
        },
    ]
    return render(request, "cases/tasks.html", {"groups": groups, "now": clock.now()})


@login_required
def category_detail(request: HttpRequest, code: str) -> HttpResponse:
    category = get_object_or_404(
        Category.objects.restrict(request.user, Action.VIEW).select_related("parent"), code=code
    )
    children = list(category.children.order_by("code"))
    duties = list(
        DutyRule.objects.restrict(request.user, Action.VIEW)
        .filter(category=category)
        .select_related("area", "lead_unit")
        .prefetch_related("co_units")
    )
    lineage = list(reversed(category.lineage()))
    return render(
        request,
        "cases/category_detail.html",
        {
            "category": category,
            "lineage": lineage,
            "children": children,
            "duties": duties,
            "effective": {
                "response_minutes": category.inherited("response_minutes"),
                "handling_working_days": category.inherited("handling_working_days"),
                "handling_hours": category.inherited("handling_hours"),
                "emergency": category.emergency,
            },
        },
    )


@login_required
def duty_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(
        DutyRule.objects.restrict(request.user, Action.VIEW)
        .select_related("category", "area", "lead_unit")
        .prefetch_related("co_units"),
        pk=pk,
    )
    return render(request, "cases/duty_detail.html", {"rule": rule})


@login_required
def metrics_page(request: HttpRequest) -> HttpResponse:
    """The three rates (and on-time closure) over the user's scope, grouped on request;
    the numbers come from cases.metrics, the module the API and the tests use too."""
    from .. import metrics

    require(request, "cases.metrics")
    today = clock.today()
    group_by = request.GET.get("group_by", "street")
    if group_by not in metrics.GROUPS:
        group_by = "street"
    date_from = request.GET.get("from") or today.replace(month=1, day=1).isoformat()
    date_to = request.GET.get("to") or today.isoformat()
    # A dashboard: a few seconds of replication lag are fine (core/db_router.py).
    with reading_from_replica():
        try:
            total = metrics.summary(request.user, date_from=date_from, date_to=date_to)
            rows = metrics.compute(request.user, date_from=date_from, date_to=date_to, group_by=group_by)
        except CaseError as exc:
            messages.error(request, exc.message)
            date_from, date_to = today.replace(month=1, day=1).isoformat(), today.isoformat()
            total = metrics.summary(request.user, date_from=date_from, date_to=date_to)
            rows = metrics.compute(request.user, date_from=date_from, date_to=date_to, group_by=group_by)
    rates = [
        {
            "rate": r,
            "value": total[f"{r.key}_rate"],
            "num": total[f"{r.key}_numerator"],
            "den": total[f"{r.key}_denominator"],
        }
        for r in metrics.RATES
    ]
    table = [
        {
            "row": row,
            "rates": [
                (row[f"{r.key}_rate"], row[f"{r.key}_numerator"], row[f"{r.key}_denominator"])
                for r in metrics.RATES
            ],
        }
        for row in rows
    ]
    return render(
        request,
        "cases/metrics.html",
        {
            "total": total,
            "rates": rates,
            "table": table,
            "rate_defs": metrics.RATES,
            "group_by": group_by,
            "groups": list(metrics.GROUP_LABELS.items()),
            "group_label": metrics.GROUP_LABELS[group_by],
            "date_from": date_from,
            "date_to": date_to,
            **report_context(request),
        },
    )
