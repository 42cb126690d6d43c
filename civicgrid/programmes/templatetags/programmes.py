"""The programmes pages' shared navigation: one tab per part of the app."""

from typing import Any

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()

# (label, url name): the overview, the year's projects, the welfare board, the member units, the
# meeting's proposals and its evaluations.
TABS: tuple[tuple[Any, str], ...] = (
    (_("总览"), "programmes:index"),
    (_("实事项目"), "programmes:projects"),
    (_("公益认领"), "programmes:welfare_board"),
    (_("成员单位"), "programmes:members"),
    (_("代表提案"), "programmes:sessions"),
    (_("民主测评"), "programmes:evaluations"),
)


@register.inclusion_tag("programmes/_tabs.html", takes_context=True)
def programme_tabs(context: template.Context, current: str = "") -> dict[str, Any]:
    tabs = []
    for label, name in TABS:
        try:
            url = reverse(name)
        except NoReverseMatch:  # a part whose pages are not installed
            continue
        tabs.append({"label": label, "url": url, "current": name == current})
    return {"tabs": tabs}
