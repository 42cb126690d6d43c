import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civicgrid.accounts.actions import issue_token
from civicgrid.accounts.choices import ApiScope, ScopeError, normalize_scopes
from civicgrid.accounts.models import ApiClient, User
from civicgrid.core import clock


def parse_expiry(value: str, now: dt.datetime) -> dt.datetime:
    """A number of days from now, or an ISO date (end of that day, local time) / datetime."""
    value = value.strip()
    if value.isdigit():
        days = int(value)
        if days < 1:
            raise CommandError("--expires 须为正整数天数或 ISO 日期")
        return now + dt.timedelta(days=days)
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max)
        else:
            moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--expires 无法识别：{value}（天数，或 2027-06-30 这样的日期）") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment <= now:
        raise CommandError("--expires 不能早于现在")
    return moment


class Command(BaseCommand):
    help = (
        "为用户或外部系统接入生成一个 API 令牌并打印（令牌只显示这一次，数据库只保存其摘要）。"
        "权限范围：" + ", ".join(ApiScope.values)
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username", nargs="?", help="令牌所属用户（与 --integration 二选一）")
        parser.add_argument("--integration", metavar="NAME", help="外部系统接入的名称：令牌属于其服务账号")
        parser.add_argument(
            "--street", metavar="CODE", help="外部系统接入所属街道的编码（名称只在街道内唯一，重名时必填）"
        )
        parser.add_argument("--name", default="", help="令牌名称，便于日后辨认和撤销")
        parser.add_argument(
            "--scope",
            action="append",
            metavar="SCOPE",
            help="权限范围，可重复或用逗号分隔，如 --scope cases:write,geo:read（默认 read）",
        )
        parser.add_argument("--expires", metavar="DAYS|DATE", help="有效天数，或 ISO 日期（默认不过期）")
        parser.add_argument("--days", type=int, default=None, help="同 --expires 天数（旧参数）")
        parser.add_argument(
            "--rate-limit", type=int, default=None, help="每分钟请求上限（默认用系统设置；0 表示不限）"
        )

    def _owner(self, options: dict[str, Any]) -> tuple[User, str]:
        username, integration = options.get("username"), options.get("integration")
        if bool(username) == bool(integration):
            raise CommandError("请指定用户名或 --integration（二选一）")
        if integration:
            clients = ApiClient.objects.select_related("service_account").filter(name=integration)
            if options.get("street"):
                clients = clients.filter(streets__code=options["street"])
            found = list(clients.distinct()[:2])
            if not found:
                raise CommandError(f"外部系统接入 {integration} 不存在")
            if len(found) > 1:
                raise CommandError(f"有多个名为 {integration} 的外部系统接入，请用 --street 指定街道编码")
            client = found[0]
            if not client.active:
                raise CommandError(f"外部系统接入 {integration} 已停用")
            return client.service_account, client.name
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户 {username} 不存在")
        if not user.is_active:
            raise CommandError(f"用户 {user.username} 已停用")
        return user, user.username

    def handle(self, *args: Any, **options: Any) -> None:
        owner, label = self._owner(options)
        now = clock.now()
        expires_at = None
        if options.get("expires") and options.get("days") is not None:
            raise CommandError("--expires 与 --days 只能用一个")
        if options.get("expires"):
            expires_at = parse_expiry(options["expires"], now)
        elif options.get("days") is not None:
            if options["days"] < 1:
                raise CommandError("--days 须为正整数")
            expires_at = now + dt.timedelta(days=options["days"])
        scopes = None
        if options.get("scope"):
            raw = [part for item in options["scope"] for part in item.split(",")]
            try:
                scopes = normalize_scopes(raw)
            except ScopeError as exc:
                raise CommandError(f"{exc}（可用：{', '.join(ApiScope.values)}）") from None
        rate_limit = options.get("rate_limit")
        if rate_limit is not None and rate_limit < 0:
            raise CommandError("--rate-limit 不能为负数")
        issued = issue_token(
            None,
            owner,
            name=options["name"],
            scopes=scopes,
            expires_at=expires_at,
            rate_limit=rate_limit,
            via="command",
        )
        token = issued.token
        # The token alone on stdout, so scripts can capture it; the rest goes to stderr.
        self.stderr.write(
            f"已为 {label} 生成 API 令牌（前缀 {token.prefix}，权限 {', '.join(token.scopes)}"
            + (
                f"，{timezone.localtime(token.expires_at):%Y-%m-%d %H:%M} 过期"
                if token.expires_at
                else "，不过期"
            )
            + "），请妥善保存，它不会再次显示："
        )
        self.stdout.write(issued.key)
