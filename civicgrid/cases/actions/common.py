"""Small helpers every family of case actions uses."""

import contextlib
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage

from civicgrid.core.errors import InvalidInput
from civicgrid.core.events import actor_label

__all__ = ["actor_label"]  # the log's label (core.events), re-exported for the case actions

from ..models import Case, CaseEvent, Photo


def actor_or_none(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def required(value: Any, field_name: str, label: str) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    if not text:
        raise InvalidInput(f"请填写{label}", {field_name: "required"})
    return text


def choice(value: Any, choices: Any, field_name: str, label: str) -> str:
    if value not in choices.values:
        allowed = "、".join(f"{v}（{lbl}）" for v, lbl in choices.choices)
        raise InvalidInput(f"{label}“{value}”无效，可选：{allowed}", {field_name: "invalid_choice"})
    return str(value)


@dataclass
class StoredFiles:
    """Files written during a transaction, removed again if it rolls back."""

    names: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for name in self.names:
            with contextlib.suppress(OSError):
                default_storage.delete(name)


def save_photos(
    case: Case, event: CaseEvent | None, cleaned: list[Any], stage: str, actor: Any, stored: StoredFiles
) -> None:
    for image, thumb, width, height in cleaned:
        photo = Photo(
            case=case,
            event=event,
            stage=stage,
            uploaded_by=actor_or_none(actor),
            width=width,
            height=height,
            street_id=case.street_id,
        )
        photo.image.save(image.name, image, save=False)
        stored.names.append(photo.image.name or "")
        photo.thumbnail.save(thumb.name, thumb, save=False)
        stored.names.append(photo.thumbnail.name or "")
        photo.save()
