from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.models import Notification, TimeStampedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area, Building
from civicgrid.orgs.models import Unit

from ..choices import CaseStatus, Channel, DisputeLevel, EscalationLevel, PlaceStatus, RequestType, Urgency
from ..querysets import CaseQuerySet
from .config import Category


class CaseSequence(models.Model):
    """The last number used per street and year; locked while a case is numbered."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["street", "year"], name="casesequence_unique_street_year")
        ]

    def __str__(self) -> str:
        return f"{self.street_id}/{self.year}: {self.last}"


class Case(TimeStampedModel):
    """A work order (工单). Every change goes through cases.actions, which keeps `version`
    (optimistic concurrency) and writes the timeline (CaseEvent) in the same transaction."""

    number = models.CharField(_("工单编号"), max_length=32, unique=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)

    request_type = models.CharField(_("诉求类型"), max_length=16, choices=RequestType.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("问题分类"), on_delete=models.PROTECT, related_name="cases"
    )
    title = models.CharField(_("标题"), max_length=100, blank=True)
    description = models.TextField(_("诉求内容"))
    channel = models.CharField(_("来源渠道"), max_length=16, choices=Channel.choices)
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)

    # Where: a point and/or an address; the areas come from geo.locate().
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("事发地址"), max_length=200, blank=True)
    building = models.ForeignKey(
        Building,
        verbose_name=pgettext_lazy("singular", "楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases",
    )
    # street, grid and lead_unit have no single-column index: the composite indexes in Meta
    # start with them, and every index is paid for by each case written (docs/performance.md).
    street = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "街道"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    residential_area = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "居民区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # 待定位: no building or point inside the street was found; the desk places it (更正位置).
    place_status = models.CharField(
        _("定位状态"), max_length=16, choices=PlaceStatus.choices, default=PlaceStatus.LOCATED
    )
    # The point and the building lie in different grids: the desk chooses (选定网格).
    grid_conflict = models.BooleanField(_("网格冲突"), default=False)

    reporter_name = models.CharField(_("联系人"), max_length=50, blank=True)
    reporter_phone = PersonalDataField(
        _("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability="privacy.reveal_phone"
    )
    reporter_phone_hash = SearchHashField(of="reporter_phone")
    reporter_anonymous = models.BooleanField(_("对外匿名"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_cases",
    )

    # The 12345 工单编号 (or another system's id): never imported twice per source.
    source = models.CharField(_("外部来源"), max_length=32, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, null=True, blank=True)
    source_fingerprint = models.CharField(_("来源数据指纹"), max_length=64, blank=True)

    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_cases",
        db_index=False,
    )
    master = models.ForeignKey(
        "self",
        verbose_name=_("主单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    status_before_suspend = models.CharField(max_length=16, blank=True)
    escalation_level = models.CharField(
        _("层级"), max_length=16, choices=EscalationLevel.choices, default=EscalationLevel.COMMUNITY
    )
    dispute_level = models.CharField(
        _("矛盾等级"), max_length=16, choices=DisputeLevel.choices, default=DisputeLevel.REQUEST
    )

    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    response_due_at = models.DateTimeField(_("响应时限"))
    handling_due_at = models.DateTimeField(_("处置时限"))
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置反馈时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    callback_due_at = models.DateTimeField(_("回访时限"), null=True, blank=True)
    # The last callback's time (record_callback keeps it): "待回访" is then an indexed
    # condition instead of an anti-join of every closed case with the callbacks.
    called_back_at = models.DateTimeField(_("最近回访时间"), null=True, blank=True)
    is_overdue = models.BooleanField(_("已超期"), default=False, db_index=True)
    overdue_at = models.DateTimeField(_("超期时间"), null=True, blank=True)
    resolution_note = models.TextField(_("办理结果"), blank=True)
    # What residents read as the result: the handler's report as the desk approved it at close
    # (resolution_note stays internal).
    public_result = models.TextField(_("对外办理结果"), blank=True)
    # Part of the resident's tracking link (cases.tracking): revoking the link bumps it, so
    # every link signed before stops working and the next one is new.
    link_version = models.PositiveIntegerField(_("跟踪链接版本"), default=1)

    # Its photos (core attachments, cases.Photo) and inbox notices, found as `case` from them.
    photos = GenericRelation("cases.Photo", related_query_name="case")
    notifications = GenericRelation(Notification, related_query_name="case")

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "工单")
        verbose_name_plural = _("工单")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="case_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["street", "status", "-received_at"], name="case_street_status_idx"),
            models.Index(fields=["grid", "-received_at"], name="case_grid_idx"),
            models.Index(fields=["street", "is_overdue"], name="case_street_overdue_idx"),
            models.Index(fields=["lead_unit", "status"], name="case_unit_status_idx"),
            # Dashboards at city scale (docs/performance.md): a street's cases by period (metrics,
            # rollup refresh), the workbench queues sorted by deadline, and the few cases still
            # waiting for a response (the live part of the response rate, insights).
            models.Index(fields=["street", "-received_at"], name="case_street_received_idx"),
            # Also covers the queue counts and the overdue queue (index-only scans on PostgreSQL).
            models.Index(
                fields=["street", "status", "handling_due_at", "id", "is_overdue"],
                name="case_street_handling_idx",
            ),
            # The 待回访 queue: its count and its list by callback deadline.
            models.Index(
                fields=["street", "callback_due_at"],
                condition=Q(status="closed", called_back_at__isnull=True),
                name="case_awaiting_callback_idx",
            ),
            # The 待定位 and 网格冲突 queues: few rows each, counted from their own partial indexes.
            models.Index(
                fields=["street", "-received_at"],
                condition=Q(place_status=PlaceStatus.TO_LOCATE),
                name="case_to_locate_idx",
            ),
            models.Index(
                fields=["street", "-received_at"],
                condition=Q(grid_conflict=True),
                name="case_grid_conflict_idx",
            ),
            models.Index(
                fields=["response_due_at"],
                condition=Q(responded_at__isnull=True),
                name="case_awaiting_response_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title or self.description[:20]}"

    def get_absolute_url(self) -> str:
        return reverse("cases:case", args=[self.number])
