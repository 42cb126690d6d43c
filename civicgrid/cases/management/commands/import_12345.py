import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from civicgrid.cases.intake import hotline


class Command(BaseCommand):
    help = (
        "导入 12345 热线工单（.xlsx 或 .csv）。重复导入同一文件不会产生变化；"
        "内容有变的行更新工单并记入时间线；"
        "错误行不导入，在标准错误输出中按“第 N 行 [列名]: 原因”列出。最后一行输出 "
        "created=N updated=N unchanged=N failed=N；有失败行时退出码为 1。"
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="12345 导出文件（.xlsx 或 .csv，UTF-8 或 GB18030）")
        parser.add_argument(
            "--headers",
            help='表头名称 JSON，覆盖 CIVICGRID_HOTLINE_HEADERS，如 {"external_id": "编号"}',
        )
        parser.add_argument("--report", help="把失败行（原始列 + 行号 + 错误列 + 原因）写入此 .xlsx 文件")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        headers = None
        if options.get("headers"):
            try:
                headers = json.loads(options["headers"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--headers 不是有效的 JSON：{exc}") from exc
            if not isinstance(headers, dict):
                raise CommandError('--headers 应为 JSON 对象，如 {"external_id": "编号"}')
        report = options.get("report")
        if report and not report.lower().endswith(".xlsx"):
            raise CommandError("--report 须为 .xlsx 文件")
        try:
            result = hotline.import_file(
                options["file"],
                headers=headers,
                report=report,
                dry_run=options["dry_run"],
                on_error=lambda error: self.stderr.write(str(error)),
            )
        except hotline.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        if report:
            self.stdout.write(f"失败行已写入 {report}")
        if result.dry_run:
            self.stdout.write("仅校验（--dry-run），未写入数据库")
        self.stdout.write(result.summary())
        if result.failed:
            raise SystemExit(1)
