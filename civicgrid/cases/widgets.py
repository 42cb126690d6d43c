"""The category picker: every active leaf category, grouped by its 大类 (the tree of
category_tree.py) and searchable by name or code (core.widgets.SearchableSelect with
static/js/picker.js). Without JavaScript it is a plain <select> with <optgroup>s. The staff
intake form, the grid worker's report form, the public form and the 立案 action's category
all use it."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from civicgrid.core.widgets import SearchableSelect

from .models import Category


def category_choices(qs: QuerySet[Category] | None = None) -> list[tuple[str, Any]]:
    """Leaf categories grouped under their parent, for a <select> with <optgroup>s."""
    rows = list(
        (qs if qs is not None else Category.objects.all()).filter(is_active=True).select_related("parent")
    )
    parents = {c.parent_id for c in rows if c.parent_id}
    groups: dict[str, list[tuple[str, str]]] = {}
    for category in sorted(rows, key=lambda c: c.code):
        if category.pk in parents or category.parent is None:
            continue
        label = f"{category.parent.code} {category.parent.label}"
        groups.setdefault(label, []).append((category.code, f"{category.code} {category.label}"))
    return [("", _("请选择")), *groups.items()]


class CategoryPicker(SearchableSelect):
    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, placeholder=_("输入分类名称或编码筛选"))


def category_field(label: Any, qs: QuerySet[Category] | None = None, **kwargs: Any) -> forms.ChoiceField:
    """A category choice over `qs` (default: the whole active tree), read when the form is built."""
    return forms.ChoiceField(label=label, choices=category_choices(qs), widget=CategoryPicker(), **kwargs)
