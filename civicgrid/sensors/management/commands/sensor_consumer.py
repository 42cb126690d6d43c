"""Read sensor readings from the MQTT broker until stopped (a long-running process of its own,
like the Celery worker: see the Procfile). Several of them share the stream with `--share GROUP`
and a client id each (docs/sensors.md)."""

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from civicgrid.sensors.mqtt import Consumer


class Command(BaseCommand):
    help = "从 MQTT 代理读取物联设备读数（CIVICGRID_MQTT_URL，CIVICGRID_MQTT_TOPICS），直至停止。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--client-id",
            default=None,
            help="会话的客户端标识（默认 CIVICGRID_MQTT_CLIENT_ID；多个进程各用一个）",
        )
        parser.add_argument(
            "--share",
            default=None,
            help="共享订阅组（默认 CIVICGRID_MQTT_SHARE）：同组的多个进程分担消息，每条只交给其中一个",
        )
        parser.add_argument("--idle-exit", type=float, default=None, help="无消息这么多秒后退出（测试用）")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        consumer = Consumer(
            batch_size=options["batch_size"], client_id=options["client_id"], share=options["share"]
        )
        totals = consumer.run(stop, idle_exit=options["idle_exit"])
        self.stdout.write(
            f"messages {totals.messages}, batches {totals.batches}, stored {totals.report.stored}, "
            f"refused {dict(totals.report.rejected)}, dropped by the broker {totals.broker_dropped or 0}, "
            f"sessions the broker lost {totals.sessions_lost}"
        )
