"""The rollups. See insights/rollups.py for how they are kept up to date and metrics.py for
how they are read."""

from typing import ClassVar

from django.db import models
from django.db.models import Q

from civicgrid.core.choices import Action
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope
from civicgrid.geo.models import Area


class Dimension(models.TextChoices):
    """The groupings of cases.metrics (its GROUPS), one set of rollup rows each."""

    STREET = "street", "街道"
    RESIDENTIAL_AREA = "residential_area", "居民区"
    GRID = "grid", "网格"
    UNIT = "unit", "主办单位"
    CATEGORY = "category", "问题分类"


class RollupQuerySet(RestrictedQuerySet):
    permissions = {Action.VIEW: "insights.rollups"}

    def scope_q(self, scope: Scope, action: str) -> Q:
        if scope.area_paths is not None:
            return Q(pk__in=[])
        return Q(street_id__in=scope.street_ids)


class Counters(models.Model):
    """The counts of cases.metrics for one bucket. The response-rate denominator is not stored:
    it depends on the time of reading (see insights.metrics)."""

    total = models.IntegerField(default=0)
    counted = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    response_numerator = models.IntegerField(default=0)
    # Counted cases with no response yet: the rate's denominator takes those whose limit passed.
    awaiting_response = models.IntegerField(default=0)
    contacted = models.IntegerField(default=0)  # the resolution and satisfaction denominator
    resolution_numerator = models.IntegerField(default=0)
    satisfaction_numerator = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)  # the on-time closure denominator
    on_time_closure_numerator = models.IntegerField(default=0)
    # One column per CaseStatus value (cases.choices), as in metrics' by_status.
    status_new = models.IntegerField(default=0)
    status_filed = models.IntegerField(default=0)
    status_dispatched = models.IntegerField(default=0)
    status_in_progress = models.IntegerField(default=0)
    status_handled = models.IntegerField(default=0)
    status_verified = models.IntegerField(default=0)
    status_closed = models.IntegerField(default=0)
    status_rejected = models.IntegerField(default=0)
    status_returned = models.IntegerField(default=0)
    status_suspended = models.IntegerField(default=0)
    status_merged = models.IntegerField(default=0)
    status_reopened = models.IntegerField(default=0)

    class Meta:
        abstract = True


class CaseRollup(Counters):
    """The counts of cases.metrics for the cases of one street received in one month (Asia/
    Shanghai), grouped along one dimension: `member` is the group's id (residential area,
    grid, lead unit, category; the street itself for the street dimension), 0 for cases
    without one."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    member = models.BigIntegerField()

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = "工单月度汇总"
        verbose_name_plural = "工单月度汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["street", "month", "dimension", "member"], name="caserollup_unique_bucket_member"
            )
        ]
        # City-wide reads: one dimension over a range of months (the unique index serves a street).
        indexes = [models.Index(fields=["dimension", "month"], name="caserollup_dimension_month_idx")]

    def __str__(self) -> str:
        return f"{self.street_id} {self.month:%Y-%m} {self.dimension}={self.member}: {self.total}"


# Dimensions whose members are shared by many streets: a city-wide reading grouped by one of
# them would sum one row per street, month and member (half the table for categories); city
# rows hold those sums.
CITY_DIMENSIONS = (Dimension.CATEGORY, Dimension.UNIT)


class CityRollupQuerySet(RestrictedQuerySet):
    # Only users who see every street read city rows (restrict() lets global scopes through).
    permissions: ClassVar[dict[str, str]] = {}


class CityRollup(Counters):
    """The sums of CaseRollup over every street for one month, member of a CITY_DIMENSIONS
    dimension: what a city-wide reading by category or unit reads (docs/performance.md)."""

    month = models.DateField()
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    member = models.BigIntegerField()

    objects = CityRollupQuerySet.as_manager()

    class Meta:
        verbose_name = "工单月度汇总（全市）"
        verbose_name_plural = "工单月度汇总（全市）"
        constraints = [
            models.UniqueConstraint(fields=["dimension", "month", "member"], name="cityrollup_unique_member")
        ]

    def __str__(self) -> str:
        return f"city {self.month:%Y-%m} {self.dimension}={self.member}: {self.total}"


class DayRollup(models.Model):
    """Cases received per street, day (Asia/Shanghai) and channel: the dashboard's intake per
    day by channel. Recomputed with the month's CaseRollup rows (insights.rollups)."""

    street = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    channel = models.CharField(max_length=16)
    received = models.IntegerField(default=0)

    objects = RollupQuerySet.as_manager()

    class Meta:
        verbose_name = "工单日受理汇总"
        verbose_name_plural = "工单日受理汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["street", "day", "channel"], name="dayrollup_unique_street_day_channel"
            )
        ]
        indexes = [models.Index(fields=["day"], name="dayrollup_day_idx")]

    def __str__(self) -> str:
        return f"{self.street_id} {self.day} {self.channel}: {self.received}"


class RollupState(models.Model):
    """One row: when the rollups were last refreshed and rebuilt. How far they go is the
    watermark of their event consumer (core.EventCursor "insights.rollups")."""

    refreshed_at = models.DateTimeField(null=True, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "汇总进度"
        verbose_name_plural = "汇总进度"

    def __str__(self) -> str:
        return f"rolled up at {self.refreshed_at}"
