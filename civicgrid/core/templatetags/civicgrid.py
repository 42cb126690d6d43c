"""Template helpers shared by every app's pages: the role-aware navigation and links to
an object's audit history."""

from typing import Any

from django import template
from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (label, url name, model whose view permission shows the link). core imports no app,
# so the models are named by label.
NAV_ITEMS: tuple[tuple[Any, str, str | None], ...] = (
    (_("首页"), "home", None),
    (_("区域"), "geo:area_list", "geo.Area"),
    (_("楼栋查询"), "geo:building_search", "geo.Building"),
    (_("处置单位"), "orgs:unit_list", "orgs.Unit"),
    (_("Webhook 订阅"), "webhooks:list", "webhooks.Subscription"),
)


def _may_view(user: Any, model_label: str | None) -> bool:
    if model_label is None:
        return True
    model = apps.get_model(model_label)
    return bool(model._default_manager.all().allows(user, "view"))


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context) -> list[dict[str, Any]]:
    """The links the user's role may follow, the current section marked active."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    path = request.path if request is not None else ""
    links = []
    for label, url_name, model_label in NAV_ITEMS:
        if not _may_view(user, model_label):
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        links.append({"label": label, "url": url, "active": active})
    if user.is_staff:
        url = reverse("admin:index")
        links.append({"label": _("管理后台"), "url": url, "active": path.startswith(url)})
    return links


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
