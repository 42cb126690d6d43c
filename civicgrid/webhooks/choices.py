"""Choices of the webhooks app."""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import CaseAction

# Event kinds are "case.<timeline action>" (cases.choices.CaseAction): the timeline is the
# event source, and the prefix leaves room for other apps' events later.
EVENT_PREFIX = "case."
StrOrPromise = str | Promise


def event_kind(action: str) -> str:
    return f"{EVENT_PREFIX}{action}"


EVENT_CHOICES: list[tuple[str, StrOrPromise]] = [(event_kind(a.value), a.label) for a in CaseAction]
EVENT_KINDS = frozenset(kind for kind, _label in EVENT_CHOICES)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SUCCEEDED = "succeeded", _("已送达")
    FAILED = "failed", _("失败")
