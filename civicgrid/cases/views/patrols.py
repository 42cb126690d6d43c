"""Patrols (巡查): the phone's start / stop / track posts, and the patrol log with its
summaries per worker and per grid for the worker, the desk and the leaders."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, DurationField, ExpressionWrapper, F, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.choices import Action
from civicgrid.geo.views import map_context

from .. import actions
from ..errors import CaseError
from ..filters import PatrolFilterSet
from ..models import Case, Patrol
from .common import require

LIST_LIMIT = 200


@login_required
@require_POST
def patrol_start(request: HttpRequest) -> HttpResponse:
    require(request, "cases.patrol")
    try:
        actions.start_patrol(request.user)
    except CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("巡查已开始，保持本页打开以记录轨迹"))
    return redirect("cases:mobile")


@login_required
@require_POST
def patrol_stop(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "cases.patrol")
    try:
        patrol = actions.stop_patrol(request.user, pk)
    except CaseError as exc:
        messages.error(request, exc.message)
        return redirect("cases:mobile")
    messages.success(request, _("巡查已结束"))
    return redirect("cases:patrol", pk=patrol.pk)


@login_required
@require_POST
def patrol_point(request: HttpRequest, pk: int) -> JsonResponse:
    """One position from the patrol page's script: JSON back, errors with their status."""
    require(request, "cases.patrol")
    raw = {name: request.POST[name] for name in request.POST if name != "csrfmiddlewaretoken"}
    try:
        patrol = actions.add_point(request.user, pk, raw)
    except CaseError as exc:
        return JsonResponse({"error": exc.message, "fields": exc.fields}, status=exc.http_status)
    return JsonResponse({"points": len(patrol.track), "distance_m": round(patrol.distance_m)})


def _summary(patrols: QuerySet[Patrol], key: str, *labels: str) -> list[dict[str, Any]]:
    """Per `key` (a worker, a grid): how many patrols, their total duration (ended ones),
    distance and the cases found. The cases are counted apart: joining them would repeat
    each patrol's distance once per case."""
    length = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
    rows = patrols.order_by().values(key, *labels)
    found = dict(rows.annotate(n=Count("cases")).values_list(key, "n"))
    totals = rows.annotate(count=Count("pk"), duration=Sum(length), distance_m=Sum("distance_m"))
    return [
        {
            **row,
            "label": next((row[name] for name in labels if row[name]), ""),
            "cases": found.get(row[key], 0),
        }
        for row in totals.order_by(*labels)
    ]


@login_required
def patrol_list(request: HttpRequest) -> HttpResponse:
    """The patrol log: the filtered patrols and their sums per worker and per grid."""
    require(request, "cases.patrols")
    visible = Patrol.objects.restrict(request.user, Action.VIEW)
    filterset = PatrolFilterSet(request.GET, visible, user=request.user)
    patrols = filterset.qs if filterset.is_valid() else visible.none()
    context = {
        "filter": filterset,
        "patrols": list(patrols.select_related("worker", "grid").annotate(found=Count("cases"))[:LIST_LIMIT]),
        "summaries": [
            (_("按网格员"), _summary(patrols, "worker_id", "worker__full_name", "worker__username")),
            (_("按网格"), _summary(patrols, "grid_id", "grid__name")),
        ],
    }
    return render(request, "cases/patrols.html", context)


@login_required
def patrol_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request, "cases.patrols")
    patrol = get_object_or_404(
        Patrol.objects.restrict(request.user, Action.VIEW).select_related("worker", "grid", "street"), pk=pk
    )
    cases = Case.objects.restrict(request.user, Action.VIEW).filter(patrols=patrol).select_related("category")
    track = {
        "type": "Feature",
        "properties": {"name": str(patrol)},
        "geometry": {"type": "LineString", "coordinates": [point[:2] for point in patrol.track]},
    }
    context = {
        "patrol": patrol,
        "cases": list(cases),
        "track": track if len(patrol.track) > 1 else None,
        **map_context(),
    }
    return render(request, "cases/patrol_detail.html", context)
