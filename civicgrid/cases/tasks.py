from typing import Any

from celery import shared_task


@shared_task(name="civicgrid.cases.tasks.check_deadlines")
def check_deadlines() -> dict[str, Any]:
    """Celery beat runs this every few minutes; it is idempotent (see actions.check_deadlines)."""
    from . import actions

    return actions.check_deadlines()
