from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.tokens import issue


class Command(BaseCommand):
    help = "为用户生成一个 API 令牌并打印（令牌只显示这一次，数据库只保存其摘要）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="令牌名称，便于日后辨认和撤销")
        parser.add_argument("--days", type=int, default=None, help="有效天数（默认不过期）")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在")
        if not user.is_active:
            raise CommandError(f"用户 {user.username} 已停用")
        days = options.get("days")
        if days is not None and days < 1:
            raise CommandError("--days 须为正整数")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        issued = issue(user, name=options["name"], expires_at=expires_at)
        # The token alone on stdout, so scripts can capture it; the rest goes to stderr.
        self.stderr.write(
            f"已为 {user.username} 生成 API 令牌（前缀 {issued.token.prefix}），请妥善保存，它不会再次显示："
        )
        self.stdout.write(issued.key)
