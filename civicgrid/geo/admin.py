from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from civicgrid.core.address import normalize_address
from civicgrid.core.admin import RestrictedModelAdmin
from civicgrid.core.choices import Action

from .index import locate
from .models import Area, Building, GridLayer

# Geometry is edited as GeoJSON text; the model's clean() validates it and names the problem.
GEOJSON_WIDGET = forms.Textarea(attrs={"rows": 10, "cols": 90, "style": "font-family: monospace"})


@admin.register(Area)
class AreaAdmin(RestrictedModelAdmin):
    list_display = ("code", "name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    readonly_fields = ("path", "street")
    fields = ("kind", "code", "name", "parent", "geometry", "description", "path", "street")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "geometry":
            kwargs["widget"] = GEOJSON_WIDGET
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(GridLayer)
class GridLayerAdmin(RestrictedModelAdmin):
    list_display = ("code", "name", "layer", "street")
    list_filter = ("layer",)
    search_fields = ("code", "name")
    list_select_related = ("street",)
    filter_horizontal = ("comprehensive_grids",)

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "geometry":
            kwargs["widget"] = GEOJSON_WIDGET
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Building)
class BuildingAdmin(RestrictedModelAdmin):
    list_display = ("normalized_address", "name", "grid", "residential_area", "street")
    search_fields = ("normalized_address", "name")
    list_select_related = ("grid", "residential_area", "street")
    readonly_fields = ("normalized_address", "street", "residential_area", "grid")

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        # `崂山二村 11 号` should find `崂山二村11号`.
        return super().get_search_results(request, queryset, normalize_address(search_term) or search_term)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class ScopedBuildingForm(base):  # type: ignore[valid-type,misc]
            """A building's street comes from its point: refuse points outside the user's streets."""

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                lon, lat = data.get("lon"), data.get("lat")
                if lon is not None and lat is not None:
                    where = locate(lon, lat)
                    allowed = Area.objects.restrict(user, Action.CHANGE)
                    if where.street is None or not allowed.filter(pk=where.street.id).exists():
                        # A form-wide error keeps lon/lat in cleaned_data for the model's own clean().
                        raise forms.ValidationError(_("该坐标不在你可管理的街道内。"))
                return data

        return ScopedBuildingForm
