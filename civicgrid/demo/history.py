"""The demo's volume: the year's orders beyond the showcase stories (cases.py), a few
thousand per street, planned from the shares in volume.py and written through the bulk path
(cases.bulk, as a 12345 import is) with their history: each step an event and a timeline row
at its own time, checked against the transition table.

Each order lives the plain loop — 立案, 派遣, 签收, 反馈, 核查, 结案, 回访 (the desk answers
most inquiries itself; a few are rejected, suspended, left stuck past their limit or closed
late) — planned from its receipt and cut at the start of the load day: older orders are
closed and called back, recent ones are wherever their story has reached. Deterministic for
a load day; external ids continue the showcase's numbering, so a reload skips what exists.
"""

import bisect
import dataclasses
import itertools
import random
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.cases import actions, bulk, deadlines
from civicgrid.cases.choices import AssignmentRole, CaseAction, Channel, RequestType
from civicgrid.cases.errors import CaseError
from civicgrid.cases.models import Case
from civicgrid.core import clock

from . import volume
from .cases import (
    PATROL_TOPICS,
    REJECT_REASONS,
    SATISFACTION_GIVEN,
    SENSOR_TEXT,
    SENSOR_TOPICS,
    SUSPEND_REASONS,
    TOPICS,
    CasePlan,
    Planner,
    Step,
    StreetInfo,
    between,
    daytime,
    demo_days,
    fill,
    hours,
    pick,
    received_on,
    seeded,
    showcase_count,
    typed_personal_data,
    with_rating,
)

A = CaseAction
CHUNK = 2000  # orders per bulk transaction, as the 12345 import writes them
# How each channel's orders read (12345 work orders quote the caller).
OPENINGS: dict[str, tuple[str, ...]] = {
    Channel.HOTLINE: ("市民来电反映：", "来电人反映：", "市民致电12345反映：", "来电人称，", ""),
    Channel.WEB: ("网友留言：", "市民通过网上平台反映：", ""),
    Channel.PATROL: ("网格员巡查发现：", "巡查中发现："),
    Channel.WALK_IN: ("居民到居委会反映：", "居民来访反映："),
    Channel.PHONE: ("居民致电街道反映：", "居民来电称，"),
    Channel.DOOR_TO_DOOR: ("上门走访时居民反映：", "入户走访中居民提出："),
    Channel.INSPECTION: ("联合检查发现：", "专项检查中发现："),
}
CLOSINGS: dict[str, tuple[str, ...]] = {
    RequestType.COMPLAINT: ("来电人要求尽快处理并回复。", "希望相关部门尽快处理。", ""),
    RequestType.REPORT: ("请相关部门核实处理。", "要求依法查处。", ""),
    RequestType.HELP: ("希望街道帮助协调解决。", ""),
    RequestType.INQUIRY: ("请相关部门答复。", ""),
    RequestType.SUGGESTION: ("", "请相关部门研究采纳。"),
}


@dataclass(frozen=True)
class _Calendar:
    """The days of the demo's year with their weights (month and weekday), cumulated for
    `random.choices`, and the category weights of each month."""

    days: list[date]
    cumulative: list[float]
    categories: dict[int, tuple[list[str], list[float]]]

    @classmethod
    def of(cls, load_day: date) -> "_Calendar":
        first, last = demo_days(load_day)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        weights = [volume.MONTHS[d.month] * volume.WEEKDAYS[d.weekday()] for d in days]
        codes = list(volume.CATEGORIES)
        categories = {
            month: (
                codes,
                [w * volume.SEASONAL.get(c, {}).get(month, 1.0) for c, w in volume.CATEGORIES.items()],
            )
            for month in range(1, 13)
        }
        return cls(days, list(itertools.accumulate(weights)), categories)

    def day(self, rng: random.Random) -> date:
        return self.days[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


class YearPlanner(Planner):
    """Plans a street's bulk orders for a load on `day`: the shares of volume.py, the texts
    and places of the showcase."""

    def __init__(self, info: StreetInfo, due: Callable[..., deadlines.Deadlines], day: date) -> None:
        super().__init__(info, due, day)
        self.calendar = _Calendar.of(day)

    def _category(self, rng: random.Random, channel: str, month: int) -> str:
        if channel == Channel.SENSOR:
            return rng.choice(sorted(SENSOR_TOPICS))
        codes, weights = self.calendar.categories[month]
        while True:
            code = rng.choices(codes, weights=weights)[0]
            # Grid workers report what they see in the street, seldom a matter behind doors.
            if channel != Channel.PATROL or code in PATROL_TOPICS or rng.random() < 0.3:
                return code

    def plan(self, n: int) -> CasePlan:
        rng = seeded(self.info.spec.key, "year", n)
        channel = pick(rng, volume.CHANNELS)
        received = received_on(rng, channel, self.calendar.day(rng))
        category = self._category(rng, channel, received.month)
        texts, feedback = TOPICS[category]
        request_type, template = rng.choice(texts)
        address, grid = rng.choice(self.info.buildings)
        if channel == Channel.SENSOR:
            description = SENSOR_TEXT[category].format(addr=address)
        else:
            description = (
                rng.choice(OPENINGS[channel])
                + fill(template, address, rng)
                + rng.choice(CLOSINGS[request_type])
                + typed_personal_data(self.info.spec.key, n)
            )
        plan = self._order(
            rng,
            n,
            channel=channel,
            request_type=request_type,
            category=category,
            description=description,
            address=address,
            grid_code=grid,
            received_at=received,
            fate="",
        )
        life = dataclasses.replace(plan, steps=tuple(self._life(plan, rng, rng.choice(feedback))))
        life = with_rating(life, seeded(self.info.spec.key, "year", n, "rating"))
        return dataclasses.replace(plan, steps=tuple(s for s in life.steps if s.when < self.day_starts))

    def _life(self, p: CasePlan, rng: random.Random, feedback: str) -> Iterator[Step]:
        """The order's whole life from its receipt; the caller keeps what happened before
        the load day. Office work happens in office hours (emergencies round the clock)."""
        emergency = p.category.startswith("E04")
        due = self.due(p.received_at, p.request_type, p.category, p.urgency).handling_due_at
        last = p.received_at

        def step(action: str, actor: str, when: datetime, **params: Any) -> Step:
            nonlocal last
            if not emergency or action == A.CALLBACK:
                when = daytime(when)
            last = max(when, last + timedelta(minutes=1)).replace(second=0, microsecond=0)
            return Step(action, actor, last, tuple(sorted(params.items())))

        quick = (2, 8) if emergency else (5, 40)
        roll = rng.random()
        if roll < volume.REJECTED:
            if rng.random() < 0.8:
                yield step(
                    A.COMMENT,
                    "desk",
                    last + hours(rng, 0.2, 2),
                    note="已电话联系诉求人说明情况",
                    contacted=True,
                )
            yield step(A.REJECT, "desk", last + hours(rng, 0.2, 6), note=rng.choice(REJECT_REASONS))
            return
        roll -= volume.REJECTED
        yield step(A.FILE, "desk", last + timedelta(minutes=rng.uniform(*quick)))
        late = rng.random() < volume.LATE
        if (
            p.request_type in (RequestType.INQUIRY, RequestType.SUGGESTION)
            and rng.random() < volume.DESK_ANSWERS
        ):
            close = due + hours(rng, 2, 48) if late else between(rng, last, due, 0.05, 0.5)
            yield step(A.CLOSE, "desk", close, note="已电话答复诉求人相关政策和办理渠道")
            yield from self._calls_back(step, rng, last, late)
            return
        _lead, co = self.info.route(p.category, p.grid_code[:-2])
        yield step(A.DISPATCH, "desk", last + timedelta(minutes=rng.uniform(*quick)))
        if roll < volume.STUCK and rng.random() < 0.3:
            return  # dispatched, and nobody signed for it
        yield step(
            A.SIGN,
            "unit",
            last + (timedelta(minutes=rng.uniform(10, 60)) if emergency else hours(rng, 0.2, 5)),
        )
        if co:
            yield step(A.SIGN, "co", last + hours(rng, 0.1, 3))
        if roll < volume.STUCK:
            return  # signed for, and stuck there
        if roll < volume.STUCK + volume.SUSPENDED:
            yield step(A.SUSPEND, "desk", last + hours(rng, 4, 72), note=rng.choice(SUSPEND_REASONS))
            return
        close = max(due, last) + hours(rng, 6, 120) if late else between(rng, last, due, 0.4, 0.95)
        report = between(rng, last, close, 0.45, 0.75)
        if co:
            yield step(
                A.REPORT_BACK, "co", between(rng, last, report, 0.3, 0.9), note="已配合主办单位完成处置"
            )
        yield step(A.REPORT_BACK, "unit", report, note=feedback)
        yield step(A.VERIFY_PASS, "verifier", between(rng, last, close, 0.2, 0.7), note="现场核查已整改到位")
        yield step(A.CLOSE, "desk", max(close, last + timedelta(minutes=20)))
        yield from self._calls_back(step, rng, last, late)

    @staticmethod
    def _calls_back(
        step: Callable[..., Step], rng: random.Random, closed: datetime, late: bool
    ) -> Iterator[Step]:
        t = closed + hours(rng, 3, 60)
        if rng.random() < volume.UNREACHED:
            yield step(A.CALLBACK, "desk", t, note="电话无人接听", contacted=False)
            if rng.random() < 0.4:
                return
            t += hours(rng, 20, 30)
        weights = (
            {"resolved": 60, "partly": 22, "unresolved": 18}
            if late
            else {"resolved": 82, "partly": 12, "unresolved": 6}
        )
        resolution = pick(rng, weights)
        yield step(
            A.CALLBACK,
            "desk",
            t,
            note="回访诉求人，了解办理结果",
            resolution=resolution,
            satisfaction=pick(rng, SATISFACTION_GIVEN[resolution]),
        )


def plan_year(
    info: StreetInfo,
    due: Callable[..., deadlines.Deadlines],
    day: date,
    per_street: int = volume.CASES_PER_STREET,
) -> list[CasePlan]:
    """The street's bulk orders for a load on `day`, numbered after its showcase cases."""
    planner = YearPlanner(info, due, day)
    return [planner.plan(n) for n in range(showcase_count(per_street) + 1, per_street + 1)]


class _Writer:
    """Turns a street's plans into bulk items: the creators and step actors as the street's
    demo accounts (the handler account acts for every unit, as in the showcase)."""

    def __init__(self, info: StreetInfo, gridworker_grids: set[str]) -> None:
        key = info.spec.key
        self.users = {
            u.username.removeprefix(f"{key}-"): u for u in User.objects.filter(username__startswith=f"{key}-")
        }
        self.gridworker_grids = gridworker_grids

    def actor(self, who: str, plan: CasePlan) -> User | None:
        if who == "public":
            return None
        if who == "verifier":
            who = "gridworker" if plan.grid_code in self.gridworker_grids else "desk"
        return self.users[{"desk": "dispatcher", "unit": "handler", "co": "handler"}.get(who, who)]

    def item(self, p: CasePlan) -> tuple[bulk.BulkItem, tuple[bulk.Past, ...]]:
        past = []
        for s in p.steps:
            if s.action == A.RATE:
                continue  # the resident's, through the link: played after the bulk (load_year)
            params = dict(s.params)
            note = params.pop("note", "")
            if s.action == A.COMMENT:
                params = {"contacted_requester": params.pop("contacted")}
            past.append(
                bulk.Past(
                    s.action,
                    s.when,
                    self.actor(s.actor, p),
                    role=AssignmentRole.CO if s.actor == "co" else AssignmentRole.LEAD,
                    note=note,
                    data=params,
                )
            )
        return (p.input(), ""), tuple(past)


def load_year(
    infos: list[StreetInfo],
    due: Callable[..., deadlines.Deadlines],
    day: date,
    existing: set[str | None],
    per_street: int = volume.CASES_PER_STREET,
) -> list[int]:
    """Write the bulk orders of the streets that are not there yet (write_plans); the ids of
    the orders written."""
    batches = []
    for info in infos:
        planner = YearPlanner(info, due, day)
        plans = [p for p in plan_year(info, due, day, per_street) if p.external_id not in existing]
        batches.append((planner, plans))
    return write_plans(batches)


def write_plans(batches: Sequence[tuple[Planner, Sequence[CasePlan]]]) -> list[int]:
    """Write each street's planned orders through the bulk path with their history, then the
    residents' ratings of some (through cases.actions, which the bulk path does not write);
    the ids of the orders written. Other demo parts (demo/insights.py) write their orders so."""
    intake = bulk.Intake()
    created: list[int] = []
    ratings: list[tuple[datetime, int, Step]] = []
    for planner, street_plans in batches:
        writer = _Writer(planner.info, planner.gridworker_grids)
        groups: dict[tuple[str, str], list[CasePlan]] = defaultdict(list)
        for p in street_plans:
            groups[(p.creator, p.channel)].append(p)
        for (creator, channel), plans in sorted(groups.items()):
            actor = writer.actor(creator, plans[0])
            for start in range(0, len(plans), CHUNK):
                chunk = plans[start : start + CHUNK]
                items, histories = zip(*(writer.item(p) for p in chunk), strict=True)
                outcomes = bulk.create_cases_bulk(
                    items, via=channel, intake=intake, actor=actor, histories=histories
                )
                for p, outcome in zip(chunk, outcomes, strict=True):
                    if isinstance(outcome, CaseError):
                        raise outcome  # the demo's own addresses and categories: never expected
                    created.append(outcome.pk)
                    ratings += [(s.when, outcome.pk, s) for s in p.steps if s.action == A.RATE]
    rated = Case.objects.in_bulk([pk for _when, pk, _step in ratings])
    with transaction.atomic():  # one commit for them all, as a chunk of the bulk path
        for when, pk, step in sorted(ratings, key=lambda r: r[:2]):
            with clock.at(when):
                actions.rate_case(rated[pk], dict(step.params))
    return created
