"""Form widgets.

`FastSelect` renders a <select> in Python instead of one template per <option>: Django's
template-based widget rendering costs ~20 µs per option, and the workbench's filter form has
~200 options (the category tree, the street's grids) — about 40 % of that page's time.
The markup is the same as Django's `Select` (tested against it).

`SearchableSelect` and `SearchableSelectMultiple` are the same <select>s marked for
`static/js/picker.js`, which adds a search box (and, for several choices, a list of
checkboxes instead of Ctrl-click). Without JavaScript they stay plain selects.
"""

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _


class FastSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{escape(widget["name"])}"{flatatt(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'<optgroup label="{escape(group_name)}">')
            for option in options:
                parts.append(
                    f'<option value="{escape(str(option["value"]))}"{flatatt(option["attrs"])}>'
                    f"{escape(option['label'])}</option>"
                )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value above is escaped


FILTER_PLACEHOLDER = _("输入名称筛选")


def _picker_attrs(attrs: dict[str, Any] | None, placeholder: Any) -> dict[str, Any]:
    return {"data-picker": "", "data-picker-placeholder": placeholder, **(attrs or {})}


class SearchableSelect(FastSelect):
    """One choice from a long (grouped) list, with a search box."""

    def __init__(self, attrs: dict[str, Any] | None = None, placeholder: Any = FILTER_PLACEHOLDER) -> None:
        super().__init__(_picker_attrs(attrs, placeholder))


class SearchableSelectMultiple(forms.SelectMultiple, FastSelect):
    """Several choices, ticked in a searchable list of checkboxes."""

    def __init__(self, attrs: dict[str, Any] | None = None, placeholder: Any = FILTER_PLACEHOLDER) -> None:
        super().__init__(_picker_attrs({"size": 6, **(attrs or {})}, placeholder))
