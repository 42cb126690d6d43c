"""The community pages' shared navigation: one tab per part of the app, shown to those whose
capabilities open it (a resident sees activities, the service centre and the newsletters)."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.capabilities import may

register = template.Library()

# (label, url name, capability the page needs).
TABS: tuple[tuple[Any, str, str], ...] = (
    (_("总览"), "community:index", "community.view"),
    (_("社区活动"), "community:activities", "community.view"),
    (_("活动场所"), "community:venues", "community.view"),
    (_("志愿者"), "community:volunteers", "community.volunteers"),
    (_("服务中心"), "community:service", "community.view"),
    (_("上门办"), "community:home_services", "community.view"),
    (_("社区报"), "community:newsletters", "community.view"),
)


@register.inclusion_tag("community/_tabs.html", takes_context=True)
def community_tabs(context: template.Context, current: str = "") -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    tabs = []
    for label, name, capability in TABS:
        if not may(user, capability):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a part whose pages are not installed
            continue
        tabs.append({"label": label, "url": url, "current": name == current})
    return {"tabs": tabs}
