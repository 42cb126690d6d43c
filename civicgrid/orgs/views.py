"""Handling units: a list filtered by kind and a page per unit, all through restrict()."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from civicgrid.core.choices import Action
from civicgrid.geo.models import Area

from .choices import UnitKind
from .models import Unit

UNITS_PER_PAGE = 50


def _jurisdiction(request: HttpRequest) -> Prefetch:
    # A district-level unit serves other streets too: list only the areas the user may see.
    return Prefetch(
        "jurisdiction", queryset=Area.objects.restrict(request.user, Action.VIEW).order_by("code")
    )


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    if not Unit.objects.all().allows(request.user, Action.VIEW):
        raise Http404
    units = Unit.objects.restrict(request.user, Action.VIEW).select_related("street", "district")
    kind = request.GET.get("kind", "")
    if kind in UnitKind.values:
        units = units.filter(kind=kind)
    else:
        kind = ""
    units = units.prefetch_related(_jurisdiction(request))
    page = Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "orgs/unit_list.html", {"page": page, "kind": kind, "kinds": UnitKind.choices})


@login_required
def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(
        Unit.objects.restrict(request.user, Action.VIEW)
        .select_related("street", "district")
        .prefetch_related(_jurisdiction(request)),
        pk=pk,
    )
    visible_areas = Area.objects.restrict(request.user, Action.VIEW)
    street_visible = unit.street_id is not None and visible_areas.filter(pk=unit.street_id).exists()
    members = None
    # orgs does not import accounts: the reverse relation names the Membership model.
    membership_model: Any = Unit._meta.get_field("memberships").related_model
    if membership_model.objects.all().allows(request.user, Action.VIEW):
        members = list(
            membership_model.objects.restrict(request.user, Action.VIEW)
            .filter(unit=unit)
            .select_related("user")
            .order_by("user__username")
        )
    context = {"unit": unit, "street_visible": street_visible, "members": members}
    return render(request, "orgs/unit_detail.html", context)
