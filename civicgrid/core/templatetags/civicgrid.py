"""Template helpers shared by every app's pages: the navigation by capability, the inbox's
unread badge, links to an object's audit history and personal fields with their reveal."""

from typing import Any

from django import template
from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .. import privacy
from ..capabilities import may
from ..choices import Action
from ..models import Notification

register = template.Library()

# (label, url name, capability its page needs); core imports no app, and need not: the
# capabilities are named, not imported.
NAV_ITEMS: tuple[tuple[Any, str, str | None], ...] = (
    (_("首页"), "home", None),
    (_("驾驶舱"), "insights:dashboard", "insights.dashboard"),
    (_("实有人口"), "residents:persons", "residents.view"),
    (_("待走访"), "residents:due", "residents.visits"),
    (_("知情考试"), "residents:exams", "residents.exam_results"),
    (_("安全检查"), "inspections:index", "inspections.view"),
    (_("换届选举"), "elections:index", "elections.view"),
    (_("实事项目"), "programmes:index", "programmes.view"),
    (_("社区生活"), "community:index", "community.view"),
    (_("物联感知"), "sensors:index", "sensors.view"),
    (_("区域"), "geo:area_list", "core.read_registry"),
    (_("楼栋查询"), "geo:building_search", "core.read_registry"),
    (_("处置单位"), "orgs:unit_list", "core.read_registry"),
    (_("Webhook 订阅"), "webhooks:list", "webhooks.manage"),
    (_("街道配置"), "profiles:index", "profiles.edit"),
)


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context) -> list[dict[str, Any]]:
    """The links the user's capabilities let them follow, the current section marked active."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return []
    path = request.path
    links = []
    for label, url_name, capability in NAV_ITEMS:
        if capability is not None and not may(user, capability):
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        links.append({"label": label, "url": url, "active": active})
    if admin.site.has_permission(request):
        url = reverse("admin:index")
        links.append({"label": _("管理后台"), "url": url, "active": path.startswith(url)})
    return links


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """How many of the user's notices are unread (the top bar's badge), counted once per request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        cached = Notification.objects.restrict(user, Action.VIEW).filter(read_at__isnull=True).count()
        request._unread_notifications = cached  # type: ignore[union-attr]
    return int(cached)


@register.filter
def history_url(obj: Any) -> str:
    opts = obj._meta
    return reverse("core:object_history", args=[opts.app_label, opts.model_name, obj.pk])


@register.filter
def display_value(value: Any) -> str:
    """An audit value as text: None as a dash, JSON structures shortened."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (dict, list)):
        import json

        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 200 else text[:200] + "…"
    return str(value)


@register.filter
def minutes(value: Any) -> int:
    """A timedelta as whole minutes, rounded up (for "try again in N minutes")."""
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else float(value or 0)
    return max(1, -(-int(seconds) // 60))


@register.filter
def translated(value: Any) -> str:
    """A message id stored as data (gettext_noop), e.g. a job's result labels, in the reader's language."""
    from django.utils.translation import gettext

    return gettext(str(value)) if value not in (None, "") else ""


@register.inclusion_tag("core/_personal.html", takes_context=True)
def personal(context: template.Context, obj: Any, field: str) -> dict[str, Any]:
    """`{% personal account "phone" %}`: a personal field masked, with the logged reveal
    (a reason, then the full value) for the roles holding the field's capability."""
    return {**privacy.personal_context(context["user"], obj, field), "csrf_token": context.get("csrf_token")}


@register.simple_tag(takes_context=True)
def object_panels(context: Any, obj: Any) -> Any:
    """The panels later apps add to `obj`'s page (core.panels)."""
    from .. import panels

    request = context.get("request")
    return panels.render(request, obj) if request is not None and obj is not None else ""


@register.simple_tag(takes_context=True)
def named_panels(context: Any, name: str) -> Any:
    """The panels later apps add to a page without an object ("home", "mobile"; core.panels)."""
    from .. import panels

    request = context.get("request")
    return panels.render_named(request, name) if request is not None else ""
