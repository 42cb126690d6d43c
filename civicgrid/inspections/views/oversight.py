"""Pages of inspections: oversight. The app's home (coverage against the plans of a period,
the open and overdue orders with links into the order list, the repeat offenders), the full
offender list, the map of places by risk and open orders (its GeoJSON scoped like every
read), and the export page that starts a background job (inspections.jobs)."""

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError

from .. import jobs, oversight
from ..choices import OPEN_ORDER_STATUSES, PlaceKind, RiskLevel
from ..models import Place

VIEW = "inspections.view"
TOP_OFFENDERS = 10
MAP_PLACE_LIMIT = 5000


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def period(self) -> oversight.Period:
        default = oversight.Period.this_month()
        if not self.is_valid():
            return default
        start: date = self.cleaned_data.get("start") or default.start
        end: date = self.cleaned_data.get("end") or default.end
        return oversight.Period(start, end) if start <= end else default


@login_required
def index(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, VIEW)
    form = PeriodForm(request.GET or None)
    period = form.period()
    context = {
        "form": form,
        "period": period,
        "coverage": oversight.coverage(request.user, period),
        "orders": oversight.orders(request.user),
        "offenders": oversight.repeat_offenders(request.user, limit=TOP_OFFENDERS),
        "to": oversight.links(),
    }
    return render(request, "inspections/index.html", context)


@login_required
def offenders(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, VIEW)
    return render(
        request,
        "inspections/offenders.html",
        {"offenders": oversight.repeat_offenders(request.user), "to": oversight.links()},
    )


@login_required
def place_map(request: HttpRequest) -> HttpResponse:
    capabilities.require(request.user, VIEW)
    kind = request.GET.get("kind", "")
    context = {
        "kinds": PlaceKind.choices,
        "kind": kind if kind in PlaceKind.values else "",
        "risks": RiskLevel.choices,
    }
    return render(request, "inspections/map.html", context)


def _feature(place: Any) -> dict[str, Any]:
    # A Place annotated with its open_orders and overdue_orders.
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
        "properties": {
            "id": place.pk,
            "name": place.name,
            "kind": place.kind,
            "kind_label": str(place.get_kind_display()),
            "risk": place.risk,
            "risk_label": str(place.get_risk_display()),
            "open_orders": place.open_orders,
            "overdue_orders": place.overdue_orders,
            "url": place.get_absolute_url(),
        },
    }


@login_required
def places_geojson(request: HttpRequest) -> JsonResponse:
    """The places the reader sees that have a position, with their risk and open orders:
    one query."""
    capabilities.require(request.user, VIEW)
    places = (
        Place.objects.restrict(request.user, Action.VIEW)
        .active()
        .filter(lon__isnull=False, lat__isnull=False)
        .annotate(
            open_orders=Count("orders", filter=Q(orders__status__in=OPEN_ORDER_STATUSES)),
            overdue_orders=Count(
                "orders", filter=Q(orders__status__in=OPEN_ORDER_STATUSES, orders__is_overdue=True)
            ),
        )
        .order_by("pk")
    )
    kind = request.GET.get("kind", "")
    if kind in PlaceKind.values:
        places = places.filter(kind=kind)
    data = {
        "type": "FeatureCollection",
        "features": [_feature(p) for p in places[:MAP_PLACE_LIMIT]],
    }
    return JsonResponse(data, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False})


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """GET: the form (what to export, the filters); POST: the job, then its page."""
    capabilities.require(request.user, "inspections.export")
    form = jobs.ExportForm(request.POST or request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(jobs.start_export(request.user, form.cleaned_data).get_absolute_url())
        except ActionError as exc:
            form.add_error(None, exc.message)
    return render(request, "inspections/export.html", {"form": form})


urlpatterns = [
    path("", index, name="index"),
    path("map/", place_map, name="map"),
    path("map/places.geojson", places_geojson, name="places_geojson"),
    path("offenders/", offenders, name="offenders"),
    path("export/", export, name="export"),
]
