"""Pages of inspections: the places under supervision (list, page, new and edit forms) and the
street's checklists (current revisions, one revision with its history, the revise form). The
forms parse; the writes are inspections.actions.places'."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core.capabilities import may, require
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.geo.models import Building
from civicgrid.orgs.models import Unit
from civicgrid.residents.models import Flat

from ..actions.places import revise_checklist, save_place
from ..choices import PlaceKind, RiskLevel, Severity
from ..filters import PlaceFilterSet
from ..models import Checklist, Inspection, Order, Place

PLACES_PER_PAGE = 50
HISTORY_ROWS = 50


def _refused(form: forms.Form, exc: ActionError) -> None:
    field = next((f for f in exc.fields if f in form.fields), None)
    form.add_error(field, exc.message)


# ---------------------------------------------------------------------------- places


class PlaceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("场所类型"), choices=PlaceKind.choices)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=200, required=False)
    building: "forms.ModelChoiceField[Building]" = forms.ModelChoiceField(
        label=gettext_lazy("楼栋"),
        queryset=None,  # the reader's, set in __init__
        required=False,
    )
    flat = forms.IntegerField(label=gettext_lazy("房屋编号"), required=False, min_value=1)
    lon = forms.FloatField(label=gettext_lazy("经度"), required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(label=gettext_lazy("纬度"), required=False, min_value=-90, max_value=90)
    area_m2 = forms.DecimalField(
        label=gettext_lazy("面积（平方米）"), required=False, min_value=0, max_digits=10, decimal_places=2
    )
    unit: "forms.ModelChoiceField[Unit]" = forms.ModelChoiceField(
        label=gettext_lazy("责任单位"),
        queryset=None,  # the reader's, set in __init__
        required=False,
    )
    responsible_name = forms.CharField(label=gettext_lazy("责任人"), max_length=50, required=False)
    responsible_phone = forms.CharField(
        label=gettext_lazy("责任人电话"),
        max_length=30,
        required=False,
        help_text=gettext_lazy("修改时留空表示不变"),
    )
    risk = forms.ChoiceField(label=gettext_lazy("风险等级"), choices=RiskLevel.choices)
    note = forms.CharField(label=gettext_lazy("备注"), max_length=200, required=False)
    active = forms.BooleanField(label=gettext_lazy("在管"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, place: Place | None = None, **kwargs: Any) -> None:
        if place is not None:
            initial = {name: getattr(place, name) for name in ("kind", "name", "address", "lon", "lat")}
            initial.update(
                building=place.building_id,
                flat=place.flat_id,
                area_m2=place.area_m2,
                unit=place.unit_id,
                responsible_name=place.responsible_name,
                risk=place.risk,
                note=place.note,
                active=place.active,
                version=place.version,
            )
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.user, self.place = user, place
        self.fields["building"].queryset = Building.objects.restrict(user, Action.VIEW).order_by("address")  # type: ignore[attr-defined]
        self.fields["unit"].queryset = Unit.objects.restrict(user, Action.VIEW).order_by("name")  # type: ignore[attr-defined]

    def clean_flat(self) -> Flat | None:
        pk = self.cleaned_data.get("flat")
        if not pk:
            return None
        flat = Flat.objects.restrict(self.user, Action.VIEW).select_related("building").filter(pk=pk).first()
        if flat is None:
            raise forms.ValidationError(_("房屋不存在或不在你的管辖范围内"), code="unknown")
        return flat

    def run(self) -> Place | None:
        if not self.is_valid():
            return None
        data = dict(self.cleaned_data)
        version = data.pop("version")
        phone = data.pop("responsible_phone")
        # A personal value is never shown in a form: blank keeps the one on file.
        if phone or self.place is None:
            data["responsible_phone"] = phone
        try:
            return save_place(self.user, place=self.place, version=version, **data)
        except ActionError as exc:
            _refused(self, exc)
            return None


@login_required
def place_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "inspections.view")
    visible = Place.objects.restrict(request.user, Action.VIEW)
    filterset = PlaceFilterSet(request.GET or None, visible, user=request.user)
    try:
        found = filterset.checked()
    except ActionError:
        found = visible.none()  # the form shows each bad field
    listing = found.select_related("grid", "building").order_by("kind", "name", "pk")
    page = Paginator(listing, PLACES_PER_PAGE).get_page(request.GET.get("page"))
    open_ids = set(
        Order.objects.restrict(request.user, Action.VIEW)
        .open()  # type: ignore[attr-defined]
        .filter(place_id__in=[p.pk for p in page.object_list])
        .values_list("place_id", flat=True)
    )
    rows = [{"place": p, "open_orders": p.pk in open_ids} for p in page.object_list]
    context = {
        "filter": filterset,
        "page": page,
        "rows": rows,
        "may_manage": may(request.user, "inspections.manage"),
    }
    return render(request, "inspections/place_list.html", context)


def _history[M: Any](qs: QuerySet[M], place: Place) -> list[M]:
    return list(qs.filter(place=place)[:HISTORY_ROWS])


@login_required
def place_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inspections.view")
    user = request.user
    place = get_object_or_404(
        Place.objects.restrict(user, Action.VIEW).select_related(
            "street", "grid", "building", "flat", "unit"
        ),
        pk=pk,
    )
    inspections = _history(
        Inspection.objects.restrict(user, Action.VIEW).select_related("inspector", "checklist"), place
    )
    orders = _history(Order.objects.restrict(user, Action.VIEW).order_by("-id"), place)
    context = {
        "place": place,
        "inspections": inspections,
        "orders": orders,
        "may_manage": may(user, "inspections.manage"),
    }
    return render(request, "inspections/place_detail.html", context)


def _place_form(request: HttpRequest, place: Place | None) -> HttpResponse:
    require(request.user, "inspections.manage")
    form = PlaceForm(request.POST if request.method == "POST" else None, user=request.user, place=place)
    if request.method == "POST":
        saved = form.run()
        if saved is not None:
            messages.success(request, _("已保存"))
            return redirect("inspections:place", saved.pk)
        messages.error(request, _("未保存，请检查填写的内容"))
    status = 400 if form.errors else 200
    return render(request, "inspections/place_form.html", {"form": form, "place": place}, status=status)


@login_required
def place_new(request: HttpRequest) -> HttpResponse:
    return _place_form(request, None)


@login_required
def place_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inspections.manage")
    place = get_object_or_404(Place.objects.restrict(request.user, Action.CHANGE), pk=pk)
    return _place_form(request, place)


# ---------------------------------------------------------------------------- checklists


def _checklists(user: Any) -> QuerySet[Checklist]:
    return Checklist.objects.restrict(user, Action.VIEW)


@login_required
def checklist_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "inspections.view")
    current = (
        _checklists(request.user)
        .current()  # type: ignore[attr-defined]
        .select_related("street")
        .order_by("street_id", "place_kind")
    )
    return render(request, "inspections/checklist_list.html", {"checklists": list(current)})


@login_required
def checklist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inspections.view")
    user = request.user
    checklist = get_object_or_404(_checklists(user).select_related("street", "created_by"), pk=pk)
    revisions = list(
        _checklists(user)
        .filter(street_id=checklist.street_id, place_kind=checklist.place_kind)
        .select_related("created_by")
        .order_by("-revision")
    )
    used_by = list(
        Inspection.objects.restrict(user, Action.VIEW)
        .filter(checklist=checklist)
        .select_related("place", "inspector")[:HISTORY_ROWS]
    )
    context = {
        "checklist": checklist,
        "items": list(checklist.items.all()),
        "revisions": revisions,
        "used_by": used_by,
        "may_revise": checklist.current and may(user, "inspections.checklists"),
    }
    return render(request, "inspections/checklist_detail.html", context)


class ReviseForm(forms.Form):
    """The items as text, one a line: `code | text | severity | rule | hazard` (the last three
    may be left out); an error names its line."""

    title = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    items = forms.CharField(
        label=gettext_lazy("检查项"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy("每行一项：编码 | 检查内容 | 严重程度 | 依据 | 隐患源"),
    )
    change_note = forms.CharField(label=gettext_lazy("修订说明"), max_length=200)

    SEVERITIES = {**{v: v for v in Severity.values}, **{str(label): v for v, label in Severity.choices}}

    def __init__(self, *args: Any, user: Any, checklist: Checklist, **kwargs: Any) -> None:
        lines = [
            " | ".join([i.code, i.text, i.severity, i.rule, i.hazard]).rstrip(" |")
            for i in checklist.items.all()
        ]
        kwargs.setdefault("initial", {"title": checklist.title, "items": "\n".join(lines)})
        super().__init__(*args, **kwargs)
        self.user, self.checklist = user, checklist

    def parsed_items(self) -> list[dict[str, str]]:
        rows = []
        for line in self.cleaned_data["items"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")] + [""] * 4
            code, text, severity, rule, hazard = parts[:5]
            rows.append(
                {
                    "code": code,
                    "text": text,
                    "severity": self.SEVERITIES.get(severity, severity) or Severity.GENERAL,
                    "rule": rule,
                    "hazard": hazard,
                }
            )
        return rows

    def run(self) -> Checklist | None:
        if not self.is_valid():
            return None
        try:
            return revise_checklist(
                self.user,
                self.checklist,
                items=self.parsed_items(),
                change_note=self.cleaned_data["change_note"],
                title=self.cleaned_data["title"],
            )
        except ActionError as exc:
            # A row's error ("items.3.code") goes under the textarea; its message names the row.
            names = [f.split(".")[0] for f in exc.fields]
            self.add_error(next((f for f in names if f in self.fields), None), exc.message)
            return None


@login_required
def checklist_revise(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "inspections.checklists")
    checklist = get_object_or_404(
        Checklist.objects.restrict(request.user, Action.CHANGE).prefetch_related("items"), pk=pk
    )
    form = ReviseForm(
        request.POST if request.method == "POST" else None, user=request.user, checklist=checklist
    )
    if request.method == "POST":
        new = form.run()
        if new is not None:
            messages.success(request, _("已保存"))
            return redirect("inspections:checklist", new.pk)
        messages.error(request, _("未保存，请检查填写的内容"))
    status = 400 if form.errors else 200
    return render(
        request, "inspections/checklist_revise.html", {"form": form, "checklist": checklist}, status=status
    )


urlpatterns: list[URLPattern] = [
    path("places/", place_list, name="places"),
    path("places/new/", place_new, name="place_new"),
    path("places/<int:pk>/", place_detail, name="place"),
    path("places/<int:pk>/edit/", place_edit, name="place_edit"),
    path("checklists/", checklist_list, name="checklists"),
    path("checklists/<int:pk>/", checklist_detail, name="checklist"),
    path("checklists/<int:pk>/revise/", checklist_revise, name="checklist_revise"),
]
