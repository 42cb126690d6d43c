"""Panels a later app adds to an earlier app's page (a case's flat shows its household's care
tags; a building or grid page counts the households living there) without the earlier app
importing it: the later app registers a function for a model in its ready(), the page calls
`{% object_panels obj %}` (core's civicgrid tags), and each function returns its HTML for this
reader, or "" to show nothing."""

from collections.abc import Callable, Iterable

from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

Panel = Callable[[HttpRequest, models.Model | None], str]

_panels: dict[str, list[Panel]] = {}


def register(model_label: str, panel: Panel) -> Panel:
    """Show `panel` on the pages of `model_label` ("cases.case", "geo.building", "geo.area"), or
    on a page without an object by its name ("home": the home page; "mobile": the grid worker's
    phone page), called with obj None."""
    entries = _panels.setdefault(model_label.lower(), [])
    if panel not in entries:
        entries.append(panel)
    return panel


def render(request: HttpRequest, obj: models.Model) -> SafeString:
    """Every registered panel of `obj`'s model for the request's user, in registration order."""
    return _join(panel(request, obj) for panel in _panels.get(obj._meta.label_lower, []))


def render_named(request: HttpRequest, name: str) -> SafeString:
    return _join(panel(request, None) for panel in _panels.get(name, []))


def _join(parts: Iterable[str]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts if part))
