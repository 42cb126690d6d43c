"""Rules every way in applies alike — web forms, the REST API, Open311, the 12345 import — so
that hostile input is a 4xx naming the field on SQLite and PostgreSQL, never a 500:

- an id is ASCII digits within a 64-bit column (`as_id`): "¹" or "１" name no row, however
  Python's `int()` and `str.isdigit()` see them;
- a date is between EARLIEST and LATEST (`date_problem`): beyond that no case was received, and
  local-day arithmetic overflows `datetime` at year 1 and 9999;
- text carries no NUL character (`nul_fields`): PostgreSQL refuses it, SQLite would store it;
- a text an action takes is trimmed, present when required and within its length (`clean_text`);
- a row an action is pointed at (an instance or an id) is one the actor may see (`visible`).
"""

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from .errors import InvalidInput

# The largest primary key a 64-bit column holds: a larger id cannot name a row (and would
# overflow the database's integer), so it is simply not found.
MAX_ID = 2**63 - 1

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)

NUL = "\x00"


def is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also says yes to "¹" (int() fails) and "１" (int() says 1)."""
    return text.isascii() and text.isdigit()


def as_id(text: str) -> int | None:
    """The primary key `text` spells, or None if it is not one (then it names no row)."""
    text = text.strip()
    if not is_digits(text) or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def date_problem(value: date | datetime) -> str | None:
    """Why a date (or a time: its own calendar day, so no conversion can overflow) is not
    accepted, or None."""
    day = value.date() if isinstance(value, datetime) else value
    if EARLIEST <= day <= LATEST:
        return None
    return f"日期 {day.isoformat()} 超出可接受的范围（{EARLIEST.isoformat()} 至 {LATEST.isoformat()}）"


def nul_fields(value: Any, name: str = "") -> list[str]:
    """The names (dotted paths through objects and lists) of the strings in `value` that hold
    a NUL character, keys included; walked without recursion (value may be deep)."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [(name, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if NUL in item:
                found.append(path or "body")
        elif isinstance(item, dict):
            stack.extend(_members(path, item))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(item))
    return sorted(found)


def _members(path: str, obj: dict[Any, Any]) -> Iterator[tuple[str, Any]]:
    for key, item in obj.items():
        child = f"{path}.{key}" if path else str(key)
        yield (child.replace(NUL, "\\0"), key)
        yield (child.replace(NUL, "\\0"), item)


def clean_text(value: Any, field: str, label: Any, max_length: int, *, required: bool = True) -> str:
    """An action's text argument trimmed; InvalidInput naming `field` when it is missing or long."""
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput(_("请填写%(label)s") % {"label": label}, {field: "required"})
    if len(text) > max_length:
        raise InvalidInput(
            _("%(label)s不能超过 %(n)d 个字") % {"label": label, "n": max_length}, {field: "too_long"}
        )
    return text


def visible(actor: Any, model: Any, ref: Any, field: str, missing: str = "", *, required: bool = True) -> Any:
    """The row of `model` that `ref` (an instance or an id) names, if `actor` may see it; else a
    400 naming `field` (a row out of scope reads as one that does not exist). An empty `ref` is
    None when not `required`."""
    if ref in (None, "") and not required:
        return None
    pk = ref.pk if isinstance(ref, model) else as_id(str(ref))
    found = model.objects.restrict(actor, "view").filter(pk=pk).first() if pk else None
    if found is None:
        raise InvalidInput(missing or _("不存在或不在你的管辖范围内"), {field: "not_found"})
    return found
