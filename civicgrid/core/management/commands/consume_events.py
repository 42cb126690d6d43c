from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from civicgrid import celery
from civicgrid.core import events


class Command(BaseCommand):
    help = "处理领域事件（Webhook 推送、站内通知等）：每个消费者从自己的进度读到最新"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="只运行这些消费者（默认：所有实时消费者）")
        parser.add_argument("--all", action="store_true", help="也运行非实时消费者（如统计汇总）")

    def handle(self, *args: Any, **options: Any) -> None:
        unknown = sorted(set(options["names"]) - events.consumers.keys())
        if unknown:
            raise CommandError(
                f"未知的消费者：{', '.join(unknown)}（可选：{', '.join(sorted(events.consumers))}）"
            )
        # By hand, the work the consumers hand on (a delivery's first attempt) is done here too.
        with celery.in_process():
            if options["names"]:
                reports = [events.run(events.consumers[name]) for name in options["names"]]
            else:
                reports = events.run_all(live_only=not options["all"], wait=True)
        for report in reports:
            self.stdout.write(f"{report.name}: {report.batches} 批，进度至事件 #{report.watermark}")
