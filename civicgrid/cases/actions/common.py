"""Small helpers every family of case actions uses."""

from datetime import datetime
from typing import Any

from civicgrid.core import attachments
from civicgrid.core.attachments import StoredFiles
from civicgrid.core.errors import InvalidInput
from civicgrid.core.events import actor_label
from civicgrid.core.inputs import date_problem

__all__ = ["actor_label"]  # the log's label (core.events), re-exported for the case actions

from ..models import Case, CaseEvent, Photo


def actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not text:
        raise InvalidInput(f"请填写{label}", {field_name: "required"})
    return text


def received_in_range(received_at: datetime | None) -> None:
    if received_at is not None and (problem := date_problem(received_at)):
        raise InvalidInput(f"受理时间{problem}", {"received_at": "out_of_range"})


def choice(value: Any, choices: Any, field_name: str, label: str) -> str:
    if value not in choices.values:
        allowed = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise InvalidInput(f"{label}“{value}”无效，可选：{allowed}", {field_name: "invalid_choice"})
    return str(value)


def save_photos(
    case: Case, event: CaseEvent | None, cleaned: list[Any], stage: str, actor: Any, stored: StoredFiles
) -> None:
    """Store the cleaned photos as the case's attachments, linked to its timeline row."""
    attachments.store(
        case, cleaned, stage, actor, stored, event_id=event.pk if event is not None else None, model=Photo
    )
