from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.geo.models import Area

from ..choices import NotificationKind
from ..querysets import NotificationQuerySet
from .case import Case


class Notification(models.Model):
    """An inbox item. `key` makes sending idempotent: a retried task never notifies twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类型"), max_length=24, choices=NotificationKind.choices)
    text = models.CharField(_("内容"), max_length=300)
    created_at = ClockDateTimeField(pgettext_lazy("singular", "时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    key = models.CharField(max_length=150, unique=True)
    # The case's street (none for a notice about no case), like every hot table.
    street = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "街道"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_inbox_idx")]

    def __str__(self) -> str:
        return self.text
