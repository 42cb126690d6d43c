"""A grid worker's patrol (巡查): started and stopped on the phone, its track the positions the
page posted while it was open, and the cases reported during it. Grid work is measured in
patrols (count, duration, distance, cases found), per worker and per grid."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.geo.models import Area

from ..choices import PatrolStatus
from ..querysets import PatrolQuerySet
from .case import Case


class Patrol(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("网格员"), on_delete=models.PROTECT, related_name="patrols"
    )
    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        Area, verbose_name=_("网格"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=PatrolStatus.choices, default=PatrolStatus.ACTIVE
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The track, compact: [[lon, lat, seconds since the start], …] (cases.patrols.MAX_POINTS at most).
    track = models.JSONField(_("轨迹"), default=list, blank=True)
    distance_m = models.FloatField(_("巡查里程（米）"), default=0)
    cases = models.ManyToManyField(
        Case, verbose_name=_("巡查中上报的工单"), related_name="patrols", blank=True
    )

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("巡查")
        verbose_name_plural = _("巡查")
        ordering = ["-started_at", "-id"]
        constraints = [
            # One patrol at a time: a second start while one is open is refused (and a race loses here).
            models.UniqueConstraint(
                fields=["worker"],
                condition=Q(status=PatrolStatus.ACTIVE),
                name="patrol_one_active_per_worker",
            )
        ]
        indexes = [
            models.Index(fields=["street", "-started_at"], name="patrol_street_started_idx"),
            models.Index(fields=["worker", "-started_at"], name="patrol_worker_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status == PatrolStatus.ACTIVE

    @property
    def duration(self) -> timedelta | None:
        return self.ended_at - self.started_at if self.ended_at else None
