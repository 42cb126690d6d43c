from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.accounts.models import ApiToken
from civicgrid.cases.models import Case
from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from .querysets import SubmissionQuerySet


class Submission(models.Model):
    """One POST requests.{fmt}: the case it created, the token a client can resolve
    (tokens/{token}.{fmt}), and the GeoReport fields the case has no place for.

    Not an AuditedModel: it holds the submitter's e-mail, which must not be copied into the
    audit log; the case's own CREATE event and audit row record the submission."""

    token = models.CharField(_("Open311 令牌"), max_length=64, unique=True)
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="open311_submission")
    # The case's street, like every row hanging off a case (tokens are answered per street).
    street = models.ForeignKey(
        Area, verbose_name=pgettext_lazy("singular", "街道"), on_delete=models.PROTECT, related_name="+"
    )
    api_token = models.ForeignKey(
        ApiToken, verbose_name=_("API 令牌"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    service_code = models.CharField(_("服务编码"), max_length=16)
    email = PersonalDataField(_("电子邮箱"), max_length=254, blank=True, kind=Kind.EMAIL)
    email_hash = SearchHashField(of="email")
    device_id = PersonalDataField(_("设备编号"), max_length=100, blank=True, kind=Kind.TEXT)
    device_id_hash = SearchHashField(of="device_id")
    account_id = models.CharField(_("客户端账号"), max_length=100, blank=True)
    media_url = models.URLField(_("媒体链接"), max_length=500, blank=True)
    attributes = models.JSONField(_("附加属性"), default=dict, blank=True)
    created_at = ClockDateTimeField(_("提交时间"), auto_now_add=True)

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 提交")
        verbose_name_plural = _("Open311 提交")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.token} → {self.case_id}"
