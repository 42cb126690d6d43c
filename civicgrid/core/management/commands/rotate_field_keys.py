from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from civicgrid.core import personal


class Command(BaseCommand):
    help = (
        "把所有个人信息字段改用 CIVICGRID_FIELD_KEYS 的第一个密钥重新加密并重算检索摘要；"
        "已是新密钥的行跳过，可中断后重跑。完成后才可从 CIVICGRID_FIELD_KEYS 删去旧密钥。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=personal.ROTATION_BATCH, help="每批行数")

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(label: str, seen: int, total: int, rewritten: int) -> None:
            self.stdout.write(f"{label}: {seen}/{total}，重新加密 {rewritten}")

        done = personal.rotate(batch=max(1, options["batch"]), progress=progress)
        self.stdout.write(self.style.SUCCESS(f"完成：重新加密 {sum(done.values())} 行"))
