from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from civicgrid.core.address import normalize_address
from civicgrid.core.models import AuditedModel

from .choices import PARENT_KIND, AreaKind, GridLayerKind
from .geometry import GeometryError, parse_polygon
from .querysets import AreaQuerySet, BuildingQuerySet, GridLayerQuerySet


class Area(AuditedModel):
    """A node of the area tree: district → street → residential area → grid."""

    kind = models.CharField(_("层级"), max_length=16, choices=AreaKind.choices, db_index=True)
    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of codes ("/310115/310115005/…/") for subtree queries.
    path = models.CharField(max_length=255, db_index=True, editable=False)
    # The street this area lies in (itself for a street, empty for a district): the scope key.
    street = models.ForeignKey(
        "self",
        verbose_name=_("所属街道"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,  # PROTECT would forbid deleting a street (it points at itself)
        related_name="+",
        editable=False,
    )
    geometry = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    description = models.TextField(_("说明"), blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "区域")
        verbose_name_plural = _("区域")
        ordering = ["code"]

    def __str__(self) -> str:
        # The brackets are the language's own (full-width in Chinese).
        return gettext("%(name)s（%(kind)s）") % {"name": self.name, "kind": self.get_kind_display()}

    def get_absolute_url(self) -> str:
        return reverse("geo:area", args=[self.code])

    @cached_property
    def shape(self) -> BaseGeometry | None:
        return parse_polygon(self.geometry) if self.geometry else None

    def clean(self) -> None:
        expected = PARENT_KIND.get(self.kind)  # type: ignore[call-overload]
        if expected is None and self.parent_id:
            raise ValidationError({"parent": "区不能有上级区域"})
        if expected is not None and (self.parent is None or self.parent.kind != expected):
            raise ValidationError(
                {"parent": f"{self.get_kind_display()}的上级必须是{AreaKind(expected).label}"}
            )
        if self.geometry:
            try:
                parse_polygon(self.geometry)
            except GeometryError as exc:
                raise ValidationError({"geometry": str(exc)}) from exc
        elif self.kind == AreaKind.GRID:
            raise ValidationError({"geometry": "网格必须有边界"})
        if self.kind == AreaKind.GRID and self.geometry:
            from .index import overlapping_grids

            clash = [g for g in overlapping_grids(self.shape) if g.id != self.pk]  # type: ignore[arg-type]
            if clash:
                names = "、".join(f"{g.code} {g.name}" for g in clash[:5])
                raise ValidationError({"geometry": f"与已有网格重叠：{names}"})

    def audit_street_id(self) -> int | None:
        # A new street learns its own id only after the insert that the audit row records.
        return self.pk if self.kind == AreaKind.STREET else self.street_id

    def _derive(self) -> None:
        parent = self.parent
        self.path = f"{parent.path if parent else '/'}{self.code}/"
        if self.kind == AreaKind.STREET:
            self.street_id = self.pk
        elif self.kind == AreaKind.DISTRICT:
            self.street_id = None
        else:
            self.street_id = parent.street_id if parent else None

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("shape", None)
        old_path = None
        if self.pk:
            old_path = Area.objects.filter(pk=self.pk).values_list("path", flat=True).first()
        with transaction.atomic():
            self._derive()
            super().save(*args, **kwargs)
            if self.kind == AreaKind.STREET and self.street_id != self.pk:
                # A new street is its own scope key; it only has a pk after the insert.
                self.street_id = self.pk
                Area.objects.filter(pk=self.pk).update(street_id=self.pk)
            if old_path and old_path != self.path:
                # Moved or re-coded: the subtree follows (rare; a loop is fine).
                for child in self.children.all():
                    child.save()

    def ancestors(self) -> list["Area"]:
        chain: list[Area] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class GridLayer(AuditedModel):
    """A grid of another system (police, urban management, party building), kept as data and
    mapped onto the comprehensive grids where work is routed (多格合一)."""

    layer = models.CharField(_("图层"), max_length=16, choices=GridLayerKind.choices)
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    street = models.ForeignKey(
        Area,
        verbose_name=_("所属街道"),
        on_delete=models.PROTECT,
        related_name="layer_grids",
        limit_choices_to={"kind": AreaKind.STREET},
    )
    geometry = models.JSONField(_("边界（GeoJSON）"))
    comprehensive_grids = models.ManyToManyField(
        Area,
        verbose_name=_("对应综合网格"),
        blank=True,
        related_name="layer_grids_mapped",
        limit_choices_to={"kind": AreaKind.GRID},
    )

    objects = GridLayerQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "专业网格")
        verbose_name_plural = _("专业网格")
        ordering = ["layer", "code"]
        constraints = [models.UniqueConstraint(fields=["layer", "code"], name="gridlayer_unique_code")]

    def __str__(self) -> str:
        return f"{self.get_layer_display()} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("geo:layer_grid", args=[self.pk])

    def clean(self) -> None:
        try:
            parse_polygon(self.geometry)
        except GeometryError as exc:
            raise ValidationError({"geometry": str(exc)}) from exc


class Building(AuditedModel):
    """A building (楼栋) or a lane (弄) entry, with a normalised address and a point."""

    address = models.CharField(_("地址"), max_length=200)
    normalized_address = models.CharField(_("规范地址"), max_length=200, db_index=True, editable=False)
    name = models.CharField(_("楼名"), max_length=100, blank=True)
    lon = models.FloatField(_("经度"))
    lat = models.FloatField(_("纬度"))
    street = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "街道"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    residential_area = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "居民区"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        null=True,
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "网格"),
        on_delete=models.PROTECT,
        related_name="buildings",
        editable=False,
        null=True,
    )
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    households = models.PositiveIntegerField(_("户数"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)

    objects = BuildingQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "楼栋")
        verbose_name_plural = _("楼栋")
        ordering = ["normalized_address"]
        constraints = [
            models.UniqueConstraint(fields=["street", "normalized_address"], name="building_unique_address")
        ]

    def __str__(self) -> str:
        return self.normalized_address or self.address

    def get_absolute_url(self) -> str:
        return reverse("geo:building", args=[self.pk])

    @property
    def point(self) -> Point:
        return Point(self.lon, self.lat)

    def clean(self) -> None:
        from .index import locate

        if not normalize_address(self.address):
            raise ValidationError({"address": "地址不能为空"})
        if self.lon is None or self.lat is None:
            return  # the field validators already report the missing coordinate
        if locate(self.lon, self.lat).grid is None:
            raise ValidationError({"lon": "该坐标不在任何网格内"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .index import locate

        self.normalized_address = normalize_address(self.address)
        where = locate(self.lon, self.lat)
        self.grid_id = where.grid.id if where.grid else None
        self.residential_area_id = where.residential_area.id if where.residential_area else None
        self.street_id = where.street.id if where.street else None
        super().save(*args, **kwargs)
