import time
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from civicgrid import celery
from civicgrid.accounts.models import User
from civicgrid.cases import metrics
from civicgrid.core import clock, workdays
from civicgrid.core.choices import Role
from civicgrid.demo import volume
from civicgrid.demo.builder import DEMO_PASSWORD, DemoError, DemoPlan, build_plan, load_plan
from civicgrid.demo.cases import DEMO_SOURCE, demo_days, load_cases
from civicgrid.demo.community import load_community
from civicgrid.demo.elections import load_elections
from civicgrid.demo.exams import load_exams
from civicgrid.demo.insights import load_insights
from civicgrid.demo.inspections import load_inspections
from civicgrid.demo.programmes import load_programmes
from civicgrid.demo.residents import load_registry
from civicgrid.demo.sensors import load_sensors
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building, GridLayer
from civicgrid.orgs.models import Unit
from civicgrid.residents.models import CareTag, Exam, Flat, Person, Visit


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = (
        "载入演示数据：平凉路、五角场、天平路、陆家嘴四个街道的居民区、网格、楼栋、处置单位和演示账号。"
        "可重复执行，不会产生重复数据。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help=_("不输出账号表和统计"))
        parser.add_argument(
            "--cases-per-street",
            type=int,
            default=volume.CASES_PER_STREET,
            metavar="N",
            help=_("每个街道的演示工单数"),
        )
        parser.add_argument(
            "--residents-per-street",
            type=int,
            default=volume.RESIDENTS_PER_STREET,
            metavar="N",
            help=_("每个街道的演示实有人口数（至多；0 表示不生成实有人口和走访）"),
        )
        parser.add_argument(
            "--no-cases",
            action="store_true",
            help=_("只载入区域、楼栋、单位、职责分工和账号，不生成演示工单"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["quiet"] or options["verbosity"] == 0
        per_street = options["cases_per_street"]
        if per_street < 0:
            raise CommandError(_("--cases-per-street 不能为负数"))
        if options["residents_per_street"] < 0:
            raise CommandError(_("--residents-per-street 不能为负数"))
        started = time.monotonic()
        # The writes' tasks (the event consumers: notices, webhooks) run in this process, so
        # the demo is complete when the command ends.
        with celery.in_process():
            try:
                plan = build_plan()
                report = load_plan(plan)
            except DemoError as exc:
                raise CommandError(str(exc)) from exc
            # A year of work orders (skipped when already there); load_insights rebuilds the rollups.
            cases = None if options["no_cases"] else load_cases(plan, per_street=per_street)
            # The registry and its year of visits (skipped for a street that has one).
            registry = None if options["no_cases"] else load_registry(plan, options["residents_per_street"])
            # The two 知情 examination rounds of the demo's year, on the registry.
            inspections = elections = programmes = community = sensors = None
            if registry is not None and options["residents_per_street"]:
                load_exams(plan)
                # Safety inspections and group renting, on the registry's flats.
                inspections = load_inspections(plan)
                # The residents' committee elections of the street's round, on the registry.
                elections = load_elections(plan)
                # The year's practical projects, welfare claims and the representatives' meeting.
                programmes = load_programmes(plan)
                # Venues, activities, volunteers, the service centre and the newsletter, on all of it.
                community = load_community(plan)
                # Devices at the elderly living alone and in the streets, two days of readings, alerts.
                sensors = load_sensors(plan)
            # The dashboard's root-cause stories, plans, hot topics and reports, on all of the above.
            insights = load_insights(plan) if cases is not None and per_street else None
        if quiet:
            return
        if insights is not None:
            self.stdout.write(str(insights))
        users = {u.username: u for u in User.objects.filter(username__in=[p.username for p in plan.users])}
        rows = [
            [
                p.username,
                str(Role(p.role).label),
                plan.street_names[p.street_code],
                users[p.username].full_name,
            ]
            for p in plan.users
        ]
        self.stdout.write(table([_("用户名"), _("角色"), _("街道"), _("姓名")], rows))
        self.stdout.write(_("所有演示账号的密码：%(password)s") % {"password": DEMO_PASSWORD})
        self.stdout.write("")
        streets = list(plan.street_names)
        counts = [
            [_("街道"), str(Area.objects.filter(code__in=streets).count())],
            [
                _("居民区"),
                str(Area.objects.filter(street__code__in=streets, kind=AreaKind.RESIDENTIAL).count()),
            ],
            [_("网格"), str(Area.objects.filter(street__code__in=streets, kind=AreaKind.GRID).count())],
            [_("专业网格"), str(GridLayer.objects.filter(street__code__in=streets).count())],
            [_("楼栋"), str(Building.objects.filter(street__code__in=streets).count())],
            [_("处置单位"), str(Unit.objects.filter(code__in=[u.code for u in plan.units]).count())],
            [_("演示账号"), str(len(users))],
            [_("演示房屋"), str(Flat.objects.filter(street__code__in=streets).count())],
            [_("演示实有人口"), str(Person.objects.filter(street__code__in=streets).count())],
            [_("演示关爱对象标签"), str(CareTag.objects.filter(street__code__in=streets).count())],
            [_("演示走访记录"), str(Visit.objects.filter(street__code__in=streets).count())],
            [_("演示知情考试"), str(Exam.objects.filter(street__code__in=streets).count())],
        ]
        self.stdout.write(table([_("对象"), _("数量")], counts))
        if cases is not None:
            self.stdout.write("")
            self.stdout.write(self._case_table(plan))
            # The demo's year is the one before today: say when its limits count Mon–Fri only.
            today = clock.today()
            for year in range(demo_days(today)[0].year, today.year + 1):
                warning = workdays.coverage_warning(year)
                if warning:
                    self.stderr.write(self.style.WARNING(warning))
        added = (
            (cases.created if cases else 0)
            + (registry.created if registry else 0)
            + (inspections.created if inspections else 0)
            + (elections or 0)
            + (programmes or 0)
            + (community or 0)
            + (sensors or 0)
            + (insights.created if insights else 0)
        )
        if report.changed or added:
            summary = _("新增 %(created)d 条，更新 %(updated)d 条") % {
                "created": sum(report.created.values()) + added,
                "updated": sum(report.updated.values()),
            }
        else:
            summary = _("演示数据已是最新，未做修改")
        took = _("用时 %(seconds).1f 秒") % {"seconds": time.monotonic() - started}
        self.stdout.write(self.style.SUCCESS(f"{summary}（{took}）"))

    def _case_table(self, plan: DemoPlan) -> str:
        """Demo cases per street with the three rates, as the street's dispatcher sees them."""
        rows = []
        for code, name in plan.street_names.items():
            key = next(u.username.split("-")[0] for u in plan.users if u.street_code == code)
            dispatcher = User.objects.get(username=f"{key}-dispatcher")
            figures = metrics.summary(dispatcher)
            demo = figures["total"]

            def pct(rate: str, f: dict[str, Any] = figures) -> str:
                value = f[f"{rate}_rate"]
                return "-" if value is None else f"{value:.1%}"

            rows.append(
                [
                    name,
                    str(demo),
                    str(figures["overdue"]),
                    pct("response"),
                    pct("resolution"),
                    pct("satisfaction"),
                    pct("on_time_closure"),
                ]
            )
        header = [_("街道"), _("工单"), _("超期"), _("响应率"), _("解决率"), _("满意率"), _("按时办结率")]
        return table(header, rows) + "\n" + _("演示工单来源标记为 %(source)s") % {"source": DEMO_SOURCE}
