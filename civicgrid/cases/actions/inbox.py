"""The inbox (the kernel's notifications, about cases or any other object). Read marks are
the reader's own state, not a change to any case: no timeline row, no audit."""

from typing import Any

from django.db.models import F

from civicgrid.core import clock
from civicgrid.core.errors import NotFound

from ..models import Notification


def mark_notification_read(actor: Any, pk: int) -> Notification:
    """The actor's notification `pk`, read (idempotent: an already read one keeps its first
    read time, also when two readers race). NotFound for anyone else's."""
    mine = Notification.objects.restrict(actor, "change")
    # With its case's number, as the inbox lists it (None for a notice about anything else).
    numbered = mine.annotate(case_number=F("case__number"))
    note = numbered.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if note is None:
        raise NotFound("通知不存在")
    if note.read_at is None:
        mine.filter(pk=note.pk, read_at__isnull=True).update(read_at=clock.now())
        note.read_at = mine.values_list("read_at", flat=True).get(pk=note.pk)
    return note


def mark_all_notifications_read(actor: Any) -> int:
    """Every unread notification of the actor, read; returns how many."""
    unread = Notification.objects.restrict(actor, "change").filter(read_at__isnull=True)
    return unread.update(read_at=clock.now())
