from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.insights import rollups


class Command(BaseCommand):
    help = "更新工单统计汇总（增量：只重算新动态涉及的（街道, 月）；--full 全量重建）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="全量重建（导入或直接改库之后）")

    def handle(self, *args: Any, **options: Any) -> None:
        report = rollups.refresh(full=options["full"])
        self.stdout.write(str(report))
        for note in report.notes:
            self.stdout.write(f"  {note}")
