"""What cases tells later apps about its timeline, without importing them (webhooks listens).

`case_events_committed` is sent once the transaction that wrote timeline rows has committed
(nothing for a rolled-back action), with `events`: a tuple of `CommittedEvent` — one for an
action (`actions._event`, the overdue check included), one per created case for a chunk of
a bulk import (`bulk._write`), so an import costs one send per chunk, not one per case.
Receivers get ids only and read what they need; they run after the commit, in the same
process, and a receiver that fails is logged without touching the action or the others.
"""

import functools
import logging
from collections.abc import Sequence
from typing import NamedTuple

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


class CommittedEvent(NamedTuple):
    case_id: int
    event_id: int
    action: str  # a cases.choices.CaseAction value
    street_id: int


case_events_committed = Signal()


def send_on_commit(events: Sequence[CommittedEvent]) -> None:
    """Send `events` after the current transaction commits (at once outside one). Nothing is
    scheduled when no app listens."""
    if events and case_events_committed.has_listeners(CommittedEvent):
        transaction.on_commit(functools.partial(_send, tuple(events)), robust=True)


def _send(events: tuple[CommittedEvent, ...]) -> None:
    for receiver, result in case_events_committed.send_robust(sender=CommittedEvent, events=events):
        if isinstance(result, Exception):
            logger.error("case_events_committed receiver %r failed", receiver, exc_info=result)
