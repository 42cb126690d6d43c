"""Demo data of the operations dashboard and the root-cause analysis (issue 15), loaded after
the cases, the registry and the inspections: what a street leader should find when opening
/dashboard/ and 源头分析 on the demo.

In every demo street, on top of the year's orders (history.py), a few stories of where cases
keep coming from, each written like the year's orders (planned by history.YearPlanner, written
through the bulk path with their history, cut at the load day):
- three repeated addresses in the last 30 days: an old block with leaks and e-bikes charged
  from the windows, one with night noise, one with rubbish and cluttered stairwells;
- a category recurring in one grid (littered green space) in 6 of the last 8 weeks;
- a category rising sharply in the last days (parking in the residential areas);
- two buildings that were hotspots months ago and that a source-governance plan dealt with:
  cases came about twice a week before the plan started and seldom after.
Then the rollups are rebuilt; for each street a plan at the first of those buildings (陆家嘴
also a completed one at the second), made and reported on through insights' plan actions at
their own back-dated moments; a hot-topic run; the weekly and monthly reports. Plans, topics
and reports are other parts of issue 15: when one is not installed, it is left out and said.

Every date is relative to the load day; idempotent: the stories' orders carry external ids
"demo-<street>-src-<n>", a plan is skipped when its street has one of the same title.
"""

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.cases.choices import OPEN_STATUSES, Channel
from civicgrid.cases.models import Case
from civicgrid.core import clock, events
from civicgrid.core.models import Notification
from civicgrid.geo.models import Area, Building
from civicgrid.insights import reports, rollups, topics
from civicgrid.insights.actions.frames import PLAN_FRAME
from civicgrid.insights.actions.plans import make_plan
from civicgrid.insights.choices import HotspotKind, PlanAction, ReportKind, TopicRunStatus
from civicgrid.insights.hotspots import hotspot_cases
from civicgrid.insights.models import GovernancePlan, Report, TopicRun
from civicgrid.orgs.models import Unit

from . import volume
from .cases import (
    DEMO_SOURCE,
    READ_AT,
    SH,
    UNREAD_DAYS,
    CasePlan,
    StreetInfo,
    _OverdueJob,
    due_from_db,
    fill,
    pick,
    received_on,
    seeded,
    street_infos,
    with_rating,
)
from .history import CLOSINGS, OPENINGS, YearPlanner, write_plans
from .insights_texts import CHARGING, CLUTTER, GREENERY, LEAKS, NOISE, PARKING, SORTING, Theme

SOURCE = "src"  # the stories' external ids: demo-<street>-src-<n>
# Sensors report what sensors see (cases.SENSOR_TEXT): the stories are people's reports.
CHANNELS = {c: w for c, w in volume.CHANNELS.items() if c != Channel.SENSOR}


# ============================================================================ the stories


@dataclass(frozen=True)
class Burst:
    """Cases of one theme arriving these many days before the load day."""

    theme: Theme
    days_ago: tuple[int, ...]


# Where (a building picked per street), what, when. Days are before the load day (1: yesterday).
HOT: dict[str, tuple[Burst, ...]] = {
    "hot1": (Burst(CHARGING, (3, 9, 16, 24)), Burst(LEAKS, (2, 6, 12, 19, 27))),
    "hot2": (Burst(NOISE, (1, 4, 8, 11, 15, 20, 25, 28)),),
    "hot3": (Burst(SORTING, (5, 13, 22, 27)), Burst(CLUTTER, (3, 10, 18))),
}
# The plans' buildings: about twice a week for the 8 weeks before the plan started, seldom after.
PLAN_STARTED = {"planned": 56, "done": 150}  # days before the load day
PLAN_DONE_AFTER = 88  # days after its start the completed plan was completed
BEFORE = (2, 5, 9, 12, 16, 20, 23, 27, 30, 34, 38, 41, 45, 49, 52, 55)  # days before the start
PLANNED: dict[str, tuple[Burst, ...]] = {
    "planned": (Burst(CHARGING, tuple(PLAN_STARTED["planned"] + d for d in BEFORE) + (44, 17)),),
    "done": (Burst(LEAKS, tuple(PLAN_STARTED["done"] + d for d in BEFORE) + (95,)),),
}
# The recurring category: one or two cases in 6 of the last 8 weeks (windows of 7 days back
# from yesterday), on the buildings of one grid.
RECURRENCE = Burst(GREENERY, (3, 10, 11, 17, 24, 25, 38, 45))
# The rise: this many parking cases in the last five days across the street.
RISE = Burst(PARKING, (1, 1, 2, 2, 3, 4, 4, 5, 5))


@dataclass(frozen=True)
class Places:
    """The buildings (address, grid code) each story happens at in one street."""

    buildings: dict[str, tuple[str, str]]
    recurrence: tuple[tuple[str, str], ...]  # the recurring grid's buildings
    rise: tuple[tuple[str, str], ...]


def places(info: StreetInfo) -> Places:
    """Each story in a grid of its own, picked by a generator seeded with the street's key."""
    rng = seeded(info.spec.key, SOURCE, "places")
    by_grid: dict[str, list[tuple[str, str]]] = {}
    for address, grid in info.buildings:
        by_grid.setdefault(grid, []).append((address, grid))
    grids = sorted(by_grid)
    rng.shuffle(grids)
    roles = [*HOT, *PLANNED]
    buildings = {role: rng.choice(by_grid[grid]) for role, grid in zip(roles, grids, strict=False)}
    recurring = max(grids[len(roles) :], key=lambda g: len(by_grid[g]))
    return Places(buildings, tuple(by_grid[recurring]), tuple(rng.sample(info.buildings, 4)))


class SourcePlanner(YearPlanner):
    """Plans the stories' orders of one street for a load on `day` (deterministic)."""

    def story(self, n: int, theme: Theme, where: tuple[str, str], days_ago: int) -> CasePlan:
        key = self.info.spec.key
        rng = seeded(key, SOURCE, n)
        address, grid = where
        channel = pick(rng, CHANNELS)
        received = received_on(rng, channel, self.day - timedelta(days=days_ago))
        request_type, template = rng.choice(theme.texts)
        description = (
            rng.choice(OPENINGS[channel]) + fill(template, address, rng) + rng.choice(CLOSINGS[request_type])
        )
        plan = self._order(
            rng,
            n,
            channel=channel,
            request_type=request_type,
            category=theme.category,
            description=description,
            address=address,
            grid_code=grid,
            received_at=received,
            fate="",
        )
        plan = dataclasses.replace(plan, external_id=f"demo-{key}-{SOURCE}-{n:03d}")
        life = dataclasses.replace(plan, steps=tuple(self._life(plan, rng, rng.choice(theme.feedback))))
        life = with_rating(life, seeded(key, SOURCE, n, "rating"))
        return dataclasses.replace(plan, steps=tuple(s for s in life.steps if s.when < self.day_starts))

    def stories(self) -> list[CasePlan]:
        where = places(self.info)
        todo: list[tuple[Theme, tuple[str, str], int]] = []
        for role, bursts in (*HOT.items(), *PLANNED.items()):
            todo += [(b.theme, where.buildings[role], d) for b in bursts for d in b.days_ago]
        spots = (RECURRENCE, where.recurrence), (RISE, where.rise)
        todo += [(b.theme, at[i % len(at)], d) for b, at in spots for i, d in enumerate(b.days_ago)]
        return [self.story(n, theme, at, d) for n, (theme, at, d) in enumerate(todo, start=1)]


def plan_stories(info: StreetInfo, due: Callable[..., Any], day: date) -> list[CasePlan]:
    return SourcePlanner(info, due, day).stories()


# ============================================================================ the plans


@dataclass(frozen=True)
class PlanStory:
    """A source-governance plan at one of the stories' buildings: who owns it, what was done
    (days after its start, by whom), and whether and how it was completed."""

    role: str  # "planned" or "done": the building
    title: str  # "{addr}" is the building's address
    measures: str
    owner_unit: str  # suffix of the street's unit codes
    owner: str | None  # the street's demo account reporting on it (handler: of the 城管中队)
    deadline_days: int  # after the start
    reports: tuple[tuple[int, str, str], ...] = ()  # (days after the start, account, note)
    result: str = ""  # completed PLAN_DONE_AFTER days after its start, with this result


CHARGING_PLAN = PlanStory(
    "planned",
    "{addr}电动自行车飞线充电源头治理",
    "1. 城管中队会同物业对该楼栋飞线充电逐户排查，拆除私拉电线和楼道插线板；\n"
    "2. 在小区内增设集中充电柜两处、充电端口二十个，费用由街道实事项目和物业共同承担；\n"
    "3. 居委会、楼组长上门宣传违规充电危害，签订安全承诺书；\n"
    "4. 物业夜间巡查每周不少于三次，发现飞线当场劝改并拍照留档。",
    "CG",
    "handler",
    120,
    (
        (6, "handler", "已完成该楼栋逐户排查，拆除飞线 7 处、楼道插线板 4 个，建立车主台账。"),
        (20, "handler", "集中充电柜已完成选址，居委会召开楼组会征求意见，居民普遍支持。"),
        (41, "handler", "充电柜投入使用，夜间巡查 6 次未再发现飞线充电，居民反映明显减少。"),
    ),
)
LEAK_PLAN = PlanStory(
    "done",
    "{addr}房屋渗漏综合整治",
    "1. 房管办委托检测单位对该楼屋面、外墙和上下水管进行全面查勘；\n"
    "2. 纳入旧住房修缮计划，更换屋面防水层和外墙雨水管；\n"
    "3. 对户内管道老化的住户，由物业协调维修资金分户整改；\n"
    "4. 修缮期间居委会每周走访受影响住户，完工后雨季回访。",
    "FGB",
    None,
    90,
    (
        (12, "dispatcher", "查勘完成：屋面防水层大面积老化，外墙雨水管破裂 3 处，已出具修缮方案。"),
        (40, "dispatcher", "屋面防水和雨水管更换工程已开工，预计一个月完工。"),
        (75, "dispatcher", "工程完工并通过验收，雨后回访 12 户均无渗漏。"),
    ),
    "屋面防水层和外墙雨水管全部更换，整治后该楼栋渗漏类工单由每周约一件降至偶发，居民满意。",
)
PLAN_STORIES: dict[str, tuple[PlanStory, ...]] = {"lujiazui": (CHARGING_PLAN, LEAK_PLAN)}
OTHER_STREETS = (CHARGING_PLAN,)


# ============================================================================ loading


@dataclass
class InsightsReport:
    cases: int = 0
    plans: int = 0
    topic_runs: int = 0
    reports: int = 0

    @property
    def created(self) -> int:
        return self.cases + self.plans + self.topic_runs + self.reports

    def __str__(self) -> str:
        return _(
            "源头分析演示：新增问题点工单 %(cases)d 件、源头治理方案 %(plans)d 个、"
            "热点话题分析 %(topics)d 次、周报月报 %(reports)d 份"
        ) % {"cases": self.cases, "plans": self.plans, "topics": self.topic_runs, "reports": self.reports}


def load_insights(plan: Any) -> InsightsReport:
    """Load the stories of every demo street (skipping what is there), rebuild the rollups,
    then the plans, the hot topics and the reports."""
    report = InsightsReport()
    end = clock.now()
    day = end.astimezone(SH).date()
    infos = street_infos(plan)
    due = due_from_db()
    existing = set(
        Case.objects.filter(source=DEMO_SOURCE, external_id__contains=f"-{SOURCE}-").values_list(
            "external_id", flat=True
        )
    )
    batches = []
    for info in infos:
        planner = SourcePlanner(info, due, day)
        batches.append((planner, [p for p in planner.stories() if p.external_id not in existing]))
    with events.deferred():
        written = write_plans(batches)
        # The deadline job marks what was left open past its limit, on the hour after it.
        job = _OverdueJob()
        for case in Case.objects.filter(pk__in=written, status__in=OPEN_STATUSES):
            job.expect(case)
        job.run_until(end)
    events.run_all()
    report.cases = len(written)
    # The demo writes cases with their past (and back-dates): count everything afresh.
    rollups.refresh(full=True)
    streets = {i.spec.key: Area.objects.get(code=i.code) for i in infos}
    plans: list[int] = []
    for info in infos:
        for story in PLAN_STORIES.get(info.spec.key, OTHER_STREETS):
            plans += _load_plan(info, streets[info.spec.key], story, day)
    report.plans = len(plans)
    _read_inboxes({Case: written, GovernancePlan: plans}, end)
    _load_topics(streets.values(), day, report)
    _load_reports(streets.values(), day, report)
    return report


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SH)


def _read_inboxes(about: dict[Any, list[int]], end: datetime) -> None:
    """The notices of the stories' cases and of the plans were read the morning after they came
    (READ_AT), as the demo's inboxes are (cases.load_cases), but those of the last UNREAD_DAYS."""
    unread = Notification.objects.none()
    for model, ids in about.items():
        unread |= Notification.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=ids, read_at=None
        )
    old = list(unread.filter(created_at__lt=end - timedelta(days=UNREAD_DAYS)))
    for notice in old:
        notice.read_at = _at(notice.created_at.astimezone(SH).date() + timedelta(days=1), READ_AT.hour)
    Notification.objects.bulk_update(old, ["read_at"], batch_size=500)


def _load_plan(info: StreetInfo, street: Area, story: PlanStory, day: date) -> list[int]:
    address = places(info).buildings[story.role][0]
    title = story.title.format(addr=address)
    if GovernancePlan.objects.filter(street=street, title=title).exists():
        return []
    key = info.spec.key
    accounts = User.objects.filter(username__startswith=f"{key}-")
    users = {u.username.removeprefix(f"{key}-"): u for u in accounts}
    dispatcher = users["dispatcher"]
    building = Building.objects.get(street=street, address=address)
    params = {"street": street.code, "building": str(building.pk)}
    start = day - timedelta(days=PLAN_STARTED[story.role])
    # The cases the analysis found at the building in the 30 days before the plan.
    found = hotspot_cases(dispatcher, params, start - timedelta(days=29), start - timedelta(days=1))
    with clock.at(_at(start)):
        made = make_plan(
            dispatcher,
            street=street,
            title=title,
            hotspot_kind=HotspotKind.BUILDING,
            hotspot_label=building.name or building.address,
            hotspot_params=params,
            measures=story.measures,
            deadline=start + timedelta(days=story.deadline_days),
            owner_unit=Unit.objects.get(code=f"{info.code}-{story.owner_unit}"),
            owner=users[story.owner] if story.owner else None,
            case_numbers=tuple(found.order_by("received_at").values_list("number", flat=True)),
        )
    for after, who, text in story.reports:
        with clock.at(_at(start + timedelta(days=after), 15)):
            PLAN_FRAME.run(made.pk, PlanAction.REPORT, users[who], {"note": text})
    completed = start + timedelta(days=PLAN_DONE_AFTER) if story.result else None
    if completed:
        with clock.at(_at(completed, 16)):
            PLAN_FRAME.run(made.pk, PlanAction.COMPLETE, dispatcher, {"result": story.result})
    # The dates are the plan's own days, whatever the actions took from the clock.
    GovernancePlan.objects.filter(pk=made.pk).update(started_on=start, completed_on=completed)
    return [made.pk]


def _load_topics(streets: Any, day: date, report: InsightsReport) -> None:
    """A hot-topic run per street over its default period up to the load day, run here rather
    than as a job (the demo is complete when load_demo ends)."""
    for street in streets:
        start, end = topics.default_period(street, day)
        if not TopicRun.objects.filter(street=street, status=TopicRunStatus.DONE, date_to=end).exists():
            topics.analyse(topics.begin(street, start, end))
            report.topic_runs += 1


def _load_reports(streets: Any, day: date, report: InsightsReport) -> None:
    """The weekly and monthly reports of the periods before the load day (as the schedule
    makes them on that day); a period already there is not made again."""
    for street in streets:
        for kind in ReportKind:
            start, _end = reports.report_period(kind, day)
            if not Report.objects.filter(street=street, kind=kind, period_start=start).exists():
                report.reports += reports.generate(street, kind, day) is not None
