"""Celery tasks of the sensors app."""

from typing import Any

from celery import shared_task

from civicgrid.core import clock


@shared_task(name="civicgrid.sensors.tasks.sweep")
def sweep() -> dict[str, Any]:
    """The clock's rules (rules.sweep): idempotent, so a beat that runs twice changes nothing."""
    from .rules import sweep as run

    return run(clock.now()).as_dict()
