from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.geo.models import Area

from .querysets import AreaProfileQuerySet


class AreaProfile(AuditedModel):
    """What a district or a street overrides of the settings declared in core.profile: only
    the keys it sets, already validated (profiles.actions is the only writer)."""

    area = models.OneToOneField(
        Area, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="profile"
    )
    # The street itself, empty for a district: the scope key (and the audit trail's street).
    street = models.ForeignKey(
        Area, verbose_name=_("所属街道"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    values = models.JSONField(_("覆盖的设置"), default=dict, blank=True)

    objects = AreaProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("街道配置")
        verbose_name_plural = _("街道配置")

    def __str__(self) -> str:
        return str(self.area)
