from typing import Any

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from civicgrid.cases import actions


class Command(BaseCommand):
    help = "标记超期工单、生成督办记录并通知单位（幂等，可反复运行；也由 Celery beat 定时运行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--now", help="按此时间检查（ISO 8601，测试与补跑用）")

    def handle(self, *args: Any, **options: Any) -> None:
        now = parse_datetime(options["now"]) if options.get("now") else None
        result = actions.check_deadlines(now)
        self.stdout.write(" ".join(f"{name}={count}" for name, count in result.items()))
