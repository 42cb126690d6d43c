"""The street's checklist for a kind of place: its current revision, copied from the shipped
defaults (inspections.defaults) the first time the street needs it."""

from typing import Any

from django.db import IntegrityError, transaction

from .defaults import DEFAULTS
from .models import Checklist, ChecklistItem


def current(street_id: int, place_kind: str, actor: Any = None) -> Checklist:
    """The current revision of the street's checklist for `place_kind` (created from the
    defaults, as revision 1, when the street has none yet)."""
    found = Checklist.objects.filter(street_id=street_id, place_kind=place_kind, current=True).first()
    if found is not None:
        return found
    title, items = DEFAULTS[place_kind]
    try:
        with transaction.atomic():
            checklist = Checklist.objects.create(
                street_id=street_id, place_kind=place_kind, revision=1, title=title, created_by=actor
            )
            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    checklist=checklist,
                    position=position,
                    code=item.code,
                    text=item.text,
                    severity=item.severity,
                    rule=item.rule,
                    hazard=item.hazard,
                )
                for position, item in enumerate(items, start=1)
            )
    except IntegrityError:  # another request copied it first
        return Checklist.objects.get(street_id=street_id, place_kind=place_kind, current=True)
    return checklist
