"""Texts the system writes for people to read later (inbox notices, timeline notes): stored as
a message id — a gettext_noop() string with %(name)s placeholders — and plain parameters,
and rendered in each reader's language when shown (`render`). A parameter that is a choice
value (a channel, an assignment role) is shown by its label: apps register how
(`register_labels`, in their ready())."""

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext

LABELS: dict[str, Callable[[Any], Any]] = {}


def register_labels(**labels: Callable[[Any], Any]) -> None:
    """Parameter name → how its value is shown (in the active language)."""
    LABELS.update(labels)


def _shown(name: str, value: Any) -> Any:
    label = LABELS.get(name)
    if label is None:
        return value
    try:
        return str(label(value))
    except (ValueError, KeyError, LookupError):  # a value no longer among the choices
        return value


def render(text: str, params: dict[str, Any] | None) -> str:
    """`text` in the active language, filled from `params`. None means not a message id at
    all (a text someone typed, or a row written before texts were stored so): shown as is."""
    if params is None:
        return text
    if not params:
        return gettext(text)
    values = {name: _shown(name, value) for name, value in params.items()}
    try:
        return gettext(text) % values
    except (KeyError, ValueError, TypeError):  # a catalogue entry that lost a placeholder
        return text % values
