"""Send the webhook deliveries that are due now (retries after a failed attempt).

On a Celery worker retries schedule themselves and beat runs the sweeper (`send_due`), with or
without a broker; this command sends them by hand.
"""

from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.webhooks import delivery
from civicgrid.webhooks.choices import DeliveryStatus


class Command(BaseCommand):
    help = "发送到期的 Webhook 推送（失败后的重试）"

    def handle(self, *args: Any, **options: Any) -> None:
        sent = failed = 0
        for pk in delivery.due_ids():
            outcome = delivery.attempt(pk)
            if outcome.attempted:
                sent += 1
                failed += outcome.status != DeliveryStatus.SUCCEEDED
        self.stdout.write(f"attempted {sent}, not delivered {failed}")
