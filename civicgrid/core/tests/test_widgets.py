"""FastSelect renders what Django's Select renders (the same elements, attributes and text)."""

from html.parser import HTMLParser
from typing import Any

from django import forms

from civicgrid.core.widgets import FastSelect


class Markup(HTMLParser):
    """The parsed structure: (start tag, sorted attributes) / (text) / (end tag), whitespace-free."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append(("start", tag, sorted((k, v or "") for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.items.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.items.append(("text", data.strip()))


CHOICES = [
    ("", "全部"),
    ("E01", [("E0101", "E0101 占道 <经营>"), ("E0102", 'E0102 "乱" & 堆')]),
    ("E02", [("E0201", "E0201 噪声")]),
    ("plain", "不分组 's"),
]


def render_both(value: Any, **attrs: Any) -> tuple[list[Any], list[Any]]:
    django_select = forms.Select(attrs=attrs, choices=CHOICES).render("category", value)
    fast = FastSelect(attrs=attrs, choices=CHOICES).render("category", value)
    return Markup(django_select).items, Markup(fast).items


def test_same_markup_as_djangos_select():
    for value in (None, "", "E0102", "plain", "nothing"):
        ours, theirs = render_both(value, id="id_category", **{"class": "wide", "data-x": "1"})
        assert ours == theirs, value
    ours, _ = render_both("E0102")
    assert ("start", "option", [("selected", ""), ("value", "E0102")]) in ours


def test_values_and_labels_are_escaped():
    html = FastSelect(choices=[('"><script>', "<b>x</b>")]).render('a"b', None)
    assert "<script>" not in html and "<b>" not in html
    assert 'name="a&quot;b"' in html


def test_a_bound_form_keeps_the_choice_selected():
    class Form(forms.Form):
        category = forms.ChoiceField(choices=CHOICES, required=False, widget=FastSelect)

    html = str(Form({"category": "E0201"})["category"])
    assert '<option value="E0201" selected>E0201 噪声</option>' in html
