"""How case states read in Open311: the spec's two statuses and the two common extensions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.choices import CaseStatus


class Format(models.TextChoices):
    XML = "xml", "text/xml"
    JSON = "json", "application/json"


class RequestStatus(models.TextChoices):
    """GeoReport v2 `status`: reported (open) or resolved (closed)."""

    OPEN = "open", _("办理中")
    CLOSED = "closed", _("已办结")


class DetailedStatus(models.TextChoices):
    """CitySDK's `extended_attributes.detailed_status` (returned with extensions=true)."""

    RECEIVED = "RECEIVED", _("已受理，尚未处理")
    IN_PROCESS = "IN_PROCESS", _("处理中")
    PROCESSED = "PROCESSED", _("已办结")
    REJECTED = "REJECTED", _("不予受理")


class UpdateStatus(models.TextChoices):
    """mySociety's extended states for servicerequestupdates (lower case, as their adapter)."""

    OPEN = "open", _("已受理")
    INVESTIGATING = "investigating", _("核实中")
    ACTION_SCHEDULED = "action_scheduled", _("已派单")
    IN_PROGRESS = "in_progress", _("处置中")
    FIXED = "fixed", _("已处置并核查")
    CLOSED = "closed", _("已办结")
    DUPLICATE = "duplicate", _("重复反映，合并办理")
    NO_FURTHER_ACTION = "no_further_action", _("不予受理")
    INTERNAL_REFERRAL = "internal_referral", _("退回重新派单")


# Closed for Open311 = resolved: closed, not accepted, or merged into a master (whose state a
# merged case then follows, see status_of()). Suspended cases are on hold, still open.
CLOSED_CASE_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED})

DETAILED_STATUS: dict[str, DetailedStatus] = {
    CaseStatus.NEW: DetailedStatus.RECEIVED,
    CaseStatus.FILED: DetailedStatus.IN_PROCESS,
    CaseStatus.DISPATCHED: DetailedStatus.IN_PROCESS,
    CaseStatus.IN_PROGRESS: DetailedStatus.IN_PROCESS,
    CaseStatus.HANDLED: DetailedStatus.IN_PROCESS,
    CaseStatus.VERIFIED: DetailedStatus.IN_PROCESS,
    CaseStatus.RETURNED: DetailedStatus.IN_PROCESS,
    CaseStatus.REOPENED: DetailedStatus.IN_PROCESS,
    CaseStatus.SUSPENDED: DetailedStatus.IN_PROCESS,
    CaseStatus.CLOSED: DetailedStatus.PROCESSED,
    CaseStatus.REJECTED: DetailedStatus.REJECTED,
}

UPDATE_STATUS: dict[str, UpdateStatus] = {
    CaseStatus.NEW: UpdateStatus.OPEN,
    CaseStatus.FILED: UpdateStatus.INVESTIGATING,
    CaseStatus.DISPATCHED: UpdateStatus.ACTION_SCHEDULED,
    CaseStatus.IN_PROGRESS: UpdateStatus.IN_PROGRESS,
    CaseStatus.HANDLED: UpdateStatus.IN_PROGRESS,
    CaseStatus.VERIFIED: UpdateStatus.FIXED,
    CaseStatus.CLOSED: UpdateStatus.CLOSED,
    CaseStatus.REJECTED: UpdateStatus.NO_FURTHER_ACTION,
    CaseStatus.RETURNED: UpdateStatus.INTERNAL_REFERRAL,
    CaseStatus.SUSPENDED: UpdateStatus.INVESTIGATING,
    CaseStatus.MERGED: UpdateStatus.DUPLICATE,
    CaseStatus.REOPENED: UpdateStatus.OPEN,
}
