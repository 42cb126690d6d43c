"""Template helpers of the work-order pages: the case links of the navigation, deadlines as
"还剩 / 已超", status colours and masked contact details (the unread badge is core's)."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.core import clock
from civicgrid.core.capabilities import may
from civicgrid.core.choices import Role
from civicgrid.core.querysets import user_scope
from civicgrid.core.redact import redact

from .. import public
from ..choices import CaseStatus

register = template.Library()

STATUS_TONE = {
    CaseStatus.NEW: "info",
    CaseStatus.FILED: "info",
    CaseStatus.DISPATCHED: "work",
    CaseStatus.IN_PROGRESS: "work",
    CaseStatus.HANDLED: "check",
    CaseStatus.VERIFIED: "check",
    CaseStatus.CLOSED: "done",
    CaseStatus.REJECTED: "muted",
    CaseStatus.RETURNED: "warn",
    CaseStatus.SUSPENDED: "muted",
    CaseStatus.MERGED: "muted",
    CaseStatus.REOPENED: "warn",
}


@register.simple_tag(takes_context=True)
def case_nav_links(context: template.Context) -> list[dict[str, Any]]:
    """The work-order links of the top bar for this user's capabilities (the public report
    link for everyone who is not staff; "my tasks" for members of a handling unit)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    path = request.path if request is not None else ""
    items: list[tuple[Any, str]] = []
    scope = user_scope(user)
    if scope is None or scope.role == Role.RESIDENT:
        items.append((gettext_lazy("反映问题"), reverse("report:form")))
    else:
        if may(user, "cases.workbench"):
            items.append((gettext_lazy("工单"), reverse("cases:workbench")))
        if may(user, "cases.metrics"):
            items.append((gettext_lazy("成效"), reverse("cases:metrics")))
        if scope.unit_ids or scope.role == Role.HANDLER:
            items.append((gettext_lazy("我的任务"), reverse("cases:tasks")))
        if may(user, "cases.mobile"):
            items.append((gettext_lazy("巡查"), reverse("cases:mobile")))
        if may(user, "cases.patrols") and not may(user, "cases.patrol"):  # a worker's are on the patrol page
            items.append((gettext_lazy("巡查记录"), reverse("cases:patrols")))
    links = []
    for label, url in items:
        active = path.startswith(url) and not (url == reverse("cases:workbench") and _deeper_case_page(path))
        links.append({"label": label, "url": url, "active": active})
    return links


def _deeper_case_page(path: str) -> bool:
    # /cases/tasks/, /cases/m/, /cases/patrols/ have their own links; /cases/<number>/ is the workbench's.
    own = ("cases:tasks", "cases:mobile", "cases:metrics", "cases:patrols")
    return any(path.startswith(reverse(name)) for name in own)


def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s天%(h)s小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)s小时%(m)s分") % {"h": hours, "m": mins}
    return _("%(m)s分钟") % {"m": max(mins, 1)}


@register.inclusion_tag("cases/public/_my_reports.html")
def my_reports(user: Any) -> dict[str, Any]:
    """我的反映 for a signed-in resident (the home page is the accounts app's, which imports no cases)."""
    return {"my_reports": public.my_reports(user)}


@register.inclusion_tag("cases/_due.html")
def due(when: datetime | None, done: datetime | None = None) -> dict[str, Any]:
    """A deadline with the time left, or how late it is; `done` (when the step happened)
    says whether it was met instead."""
    if when is None:
        return {"when": None}
    if done is not None:
        late = done > when
        return {"when": when, "tone": "late" if late else "met", "text": _("超时完成") if late else _("按时")}
    delta = when - clock.now()
    if delta.total_seconds() < 0:
        return {"when": when, "tone": "late", "text": _("已超 %(span)s") % {"span": _span(delta)}}
    tone = "soon" if delta < timedelta(hours=24) else "ok"
    return {"when": when, "tone": tone, "text": _("还剩 %(span)s") % {"span": _span(delta)}}


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONE.get(status, "info")  # type: ignore[call-overload]


@register.filter
def status_label(status: str) -> str:
    """The label of a status value (timeline rows store plain values)."""
    try:
        return str(CaseStatus(status).label)
    except ValueError:
        return status or ""


@register.filter(name="redact")
def redact_filter(text: str) -> str:
    """Free text with the phones, ID numbers and plates typed into it masked (core.redact);
    the case page's 查看原文 reveals the description in full, logged."""
    return redact(text)


@register.filter
def span(delta: timedelta | None) -> str:
    """A duration as "2小时5分" (a patrol's length); "—" for none."""
    return _span(delta) if delta is not None else "—"
