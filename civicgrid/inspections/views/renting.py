"""Pages of inspections: group renting — the register, an entry with its action forms, a new
entry (by hand or from a complaint case's panel), the sweep of one building (逐楼逐层逐户) and
its coverage. Thin: parse, call one action, render; every query through restrict()."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from civicgrid.core import action_views, capabilities, clock
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.models import Attachment
from civicgrid.geo.models import Building

from .. import coverage as cov
from ..actions import renting as actions
from ..actions.frames import RENT_FRAME
from ..choices import FlatFinding, RentPhoto, RentStatus
from ..models import RentEntry
from ..workflow import clean_checks_required

LIST_LIMIT = 200


def _entry(request: HttpRequest, pk: int) -> RentEntry:
    qs = RentEntry.objects.restrict(request.user, Action.VIEW).select_related(
        "flat__building", "case", "place"
    )
    return get_object_or_404(qs, pk=pk)


class RegisterFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"), required=False, choices=[("", gettext_lazy("全部")), *RentStatus.choices]
    )
    area = forms.IntegerField(label=gettext_lazy("小区"), required=False, widget=forms.HiddenInput)
    from_case = forms.BooleanField(label=gettext_lazy("来自工单"), required=False)


@login_required
def register_list(request: HttpRequest) -> HttpResponse:
    """群租登记: the entries the reader may see, newest first."""
    capabilities.require(request.user, actions.RENTING)
    form = RegisterFilter(request.GET or None)
    qs = RentEntry.objects.restrict(request.user, Action.VIEW).select_related("flat__building", "case")
    if form.is_valid():
        if form.cleaned_data["status"]:
            qs = qs.filter(status=form.cleaned_data["status"])
        if form.cleaned_data["area"]:
            qs = qs.filter(flat__building__residential_area_id=form.cleaned_data["area"])
        if form.cleaned_data["from_case"]:
            qs = qs.filter(case__isnull=False)
    context = {"form": form, "entries": list(qs[:LIST_LIMIT])}
    return render(request, "inspections/rent_list.html", context)


@login_required
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _entry(request, pk)
    photos = list(
        Attachment.objects.restrict(request.user, Action.VIEW).filter(
            content_type=ContentType.objects.get_for_model(RentEntry), object_id=entry.pk
        )
    )
    context = {
        "entry": entry,
        "required": clean_checks_required(entry.street_id),
        "before": [p for p in photos if p.stage == RentPhoto.BEFORE],
        "after": [p for p in photos if p.stage != RentPhoto.BEFORE],
        "action_forms": action_views.action_forms(RENT_FRAME, entry, request.user),
    }
    return render(request, "inspections/rent_entry.html", context)


@login_required
@require_POST
def entry_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return action_views.post_action(request, RENT_FRAME, _entry(request, pk), action)


class RegisterForm(forms.Form):
    flat = forms.IntegerField(label=gettext_lazy("房屋"))
    clue = forms.CharField(
        label=gettext_lazy("线索"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_new(request: HttpRequest) -> HttpResponse:
    """登记群租线索 by hand: a flat id (from the registry or the sweep page)."""
    capabilities.require(request.user, actions.RENTING)
    form = RegisterForm(request.POST or None, initial={"flat": request.GET.get("flat")})
    if request.method == "POST" and form.is_valid():
        try:
            entry = actions.register(
                request.user, flat=form.cleaned_data["flat"], clue=form.cleaned_data["clue"]
            )
        except ActionError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("已登记群租线索"))
            return redirect(entry)
    return render(request, "inspections/rent_new.html", {"form": form})


@login_required
@require_POST
def entry_from_case(request: HttpRequest, number: str) -> HttpResponse:
    """The case panel's 登记群租 form: back to the entry, or to the case with the reason."""
    form = RegisterForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择房屋"))
        return redirect(request.META.get("HTTP_REFERER") or "/")
    try:
        entry = actions.register_from_case(
            request.user, number, form.cleaned_data["flat"], form.cleaned_data["clue"]
        )
    except ActionError as exc:
        messages.error(request, _("未能登记群租：%(message)s") % {"message": exc.message})
        return redirect(request.META.get("HTTP_REFERER") or "/")
    messages.success(request, _("已登记群租线索"))
    return redirect(entry)


@login_required
@require_http_methods(["GET", "POST"])
def sweep(request: HttpRequest, pk: int) -> HttpResponse:
    """逐户检查 of one building on the phone: floors as rows, flats as buttons cycling the
    finding, one submit."""
    capabilities.require(request.user, actions.RENTING)
    building = get_object_or_404(Building.objects.restrict(request.user, Action.VIEW), pk=pk)
    if request.method == "POST":
        findings = {
            key.removeprefix("flat_"): (str(value), "")
            for key, value in request.POST.items()
            if key.startswith("flat_") and value
        }
        try:
            checks = actions.record_flat_checks(request.user, building, findings)
        except ActionError as exc:
            messages.error(
                request,
                _("未能保存：%(message)s %(rows)s")
                % {"message": exc.message, "rows": "；".join(map(str, exc.fields.values()))},
            )
        else:
            messages.success(request, _("已记录 %(n)s 户检查结果") % {"n": len(checks)})
            return redirect("inspections:sweep", building.pk)
    today = clock.today()
    areas = cov.coverage(request.user, since=today - timedelta(days=30), until=today, building=building)
    context = {
        "building": building,
        "item": areas[0].buildings[0] if areas else None,
        "findings": FlatFinding.choices,
    }
    return render(request, "inspections/sweep.html", context)


class CoverageForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    area = forms.IntegerField(label=gettext_lazy("小区"), required=False, widget=forms.HiddenInput)


@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    """覆盖率: residential areas → buildings → the floor-by-floor grid, coloured by finding."""
    capabilities.require(request.user, actions.RENTING)
    form = CoverageForm(request.GET or None)
    params: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    until = params.get("until") or clock.today()
    since = params.get("since") or until - timedelta(days=30)
    areas = cov.coverage(request.user, since=since, until=until, area=params.get("area"))
    context = {"form": form, "areas": areas, "since": since, "until": until}
    return render(request, "inspections/coverage.html", context)


urlpatterns: list[URLPattern] = [
    path("renting/", register_list, name="renting"),
    path("renting/new/", entry_new, name="rent_new"),
    path("renting/coverage/", coverage_page, name="coverage"),
    path("renting/sweep/<int:pk>/", sweep, name="sweep"),
    path("renting/from-case/<str:number>/", entry_from_case, name="rent_from_case"),
    path("renting/<int:pk>/", entry_detail, name="rent_entry"),
    path("renting/<int:pk>/act/<str:action>/", entry_action, name="rent_action"),
]
