"""What webhooks does when cases commits timeline events (cases.signals)."""

from collections.abc import Sequence
from typing import Any

from civicgrid.cases.signals import CommittedEvent

from . import delivery


def on_case_events(sender: Any, events: Sequence[CommittedEvent], **kwargs: Any) -> None:
    delivery.on_case_events(events)
