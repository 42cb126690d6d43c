"""Pages of inspection records and the phone inspection form (m/tasks/<pk>/inspect/,
m/places/<pk>/inspect/): every item as three big choices, a note per failed item, photos and
the GPS check-in. The form's draft lives in the browser (static/js/inspect.js) with its
`client_key`, so a submit replayed after a network failure is recorded once."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.models import Attachment

from .. import checklists
from ..actions import records as actions
from ..choices import Outcome, TaskPurpose
from ..models import Inspection, Order, Place, Task
from .plans import names_shown

PAGE = 100


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, "inspections.view")
    rows = Inspection.objects.restrict(request.user, Action.VIEW).select_related("place", "inspector")
    return render(
        request,
        "inspections/inspection_list.html",
        {"inspections": rows[:PAGE], "show_names": names_shown(request.user)},
    )


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Inspection.objects.restrict(request.user, Action.VIEW).select_related(
        "place", "checklist", "inspector"
    )
    inspection = get_object_or_404(qs, pk=pk)
    photos = Attachment.objects.restrict(request.user, Action.VIEW).filter(
        content_type=ContentType.objects.get_for_model(Inspection), object_id=inspection.pk
    )
    context = {
        "inspection": inspection,
        "results": inspection.results.select_related("item"),
        "photos": list(photos),
        "orders": Order.objects.restrict(request.user, Action.VIEW).filter(inspection=inspection),
        "far": actions.is_far(inspection),
        "show_names": names_shown(request.user),
    }
    return render(request, "inspections/inspection_detail.html", context)


def _inspect(request: HttpRequest, place: Place, task: Task | None) -> HttpResponse:
    capabilities.require(request.user, "inspections.inspect")
    checklist = checklists.current(place.street_id, place.kind, request.user)
    items = list(checklist.items.all())
    draft = f"inspect:task:{task.pk}" if task else f"inspect:place:{place.pk}"
    if request.method == "POST":
        post = request.POST
        results = {
            item.pk: {"outcome": post.get(f"item_{item.pk}", ""), "note": post.get(f"note_{item.pk}", "")}
            for item in items
            if post.get(f"item_{item.pk}")
        }
        at = parse_datetime(post.get("inspected_at") or "")
        try:
            inspection = actions.record_inspection(
                request.user,
                place=None if task else place,
                task=task,
                results=results,
                note=post.get("note", ""),
                photos=request.FILES.getlist("photos"),
                joint_with=post.get("joint_with", ""),
                checkin_lon=_float(post.get("checkin_lon")),
                checkin_lat=_float(post.get("checkin_lat")),
                checkin_accuracy=_float(post.get("checkin_accuracy")),
                inspected_at=at if isinstance(at, datetime) else None,
                client_key=post.get("client_key") or None,
            )
        except ActionError as exc:
            messages.error(request, _("未能提交检查记录：%(message)s") % {"message": exc.message})
        else:
            messages.success(request, _("检查记录已提交"))
            return redirect(inspection.get_absolute_url())
    context = {
        "place": place,
        "task": task,
        "checklist": checklist,
        "items": items,
        "outcomes": Outcome.choices,
        "draft": draft,
        "chosen": request.POST if request.method == "POST" else {},
    }
    return render(request, "inspections/mobile_inspect.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def mobile_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    qs = Task.objects.restrict(request.user, Action.VIEW).select_related("place", "order")
    task = get_object_or_404(qs, pk=pk)
    if task.purpose == TaskPurpose.RECHECK and task.order is not None:
        # A re-check is recorded on its order's page (the orders part).
        return redirect("inspections:order", task.order.number)
    return _inspect(request, task.place, task)


@login_required
@require_http_methods(["GET", "POST"])
def mobile_inspect_place(request: HttpRequest, pk: int) -> HttpResponse:
    place = get_object_or_404(Place.objects.restrict(request.user, Action.VIEW), pk=pk)
    return _inspect(request, place, None)


urlpatterns = [
    path("records/", inspection_list, name="inspections"),
    path("records/<int:pk>/", inspection_detail, name="inspection"),
    path("m/tasks/<int:pk>/inspect/", mobile_inspect, name="mobile_inspect"),
    path("m/places/<int:pk>/inspect/", mobile_inspect_place, name="mobile_inspect_place"),
]
