"""The grid workers' patrols (巡查) of the demo's last weeks, played through cases.actions.patrol
in the replay (cases.py) like the showcase stories: each patrol starts, posts its positions
while the worker walks the grid, reports what the worker finds (report_on_patrol: a case
linked to the patrol, which then lives its loop as a showcase case does) and stops. The last
one of each worker is still under way when the demo is loaded.

Deterministic for a load day; a worker who already has patrols gets none (a reload adds
nothing).
"""

import dataclasses
import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from shapely import Point

from civicgrid.cases.actions.patrol import add_point, start_patrol, stop_patrol
from civicgrid.cases.choices import Channel
from civicgrid.cases.models import Patrol
from civicgrid.core import clock
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.geometry import parse_polygon
from civicgrid.geo.models import Area

from . import volume
from .cases import PATROL_TOPICS, SH, TOPICS, CasePlan, Planner, fill, offset, pick, seeded

# How far a worker walks in a minute (metres), checking a spot now and then.
WALK_M = (40.0, 75.0)
PAUSE = 0.2  # of the positions: standing at a spot (a few metres)
# What becomes of what a worker finds (the recent weeks: most are closed already).
FIND_FATES = {"closed": 6, "in_progress": 2, "dispatched": 1, "filed": 1}


@dataclasses.dataclass(frozen=True)
class PatrolPlan:
    started_at: datetime
    minutes: int  # 0: still under way at the load
    track: tuple[tuple[float, float, float], ...]  # lon, lat, accuracy (m), one every POINT_MINUTES
    finds: tuple[CasePlan, ...] = ()


def patrol_days(load_day: date, rng: random.Random) -> list[date]:
    """PATROLS_PER_WEEK working days of each of the last PATROL_WEEKS weeks before `load_day`."""
    days = []
    for week in range(volume.PATROL_WEEKS, 0, -1):
        monday = load_day - timedelta(days=load_day.weekday() + 7 * week)
        days += sorted(rng.sample([monday + timedelta(days=d) for d in range(5)], volume.PATROLS_PER_WEEK))
    return [d for d in days if d < load_day]


def walk(
    shape: Any, start: tuple[float, float], points: int, rng: random.Random
) -> list[tuple[float, float]]:
    """A walk inside `shape` from `start`: a position every POINT_MINUTES, turning back at its edge."""
    lon, lat = start
    heading = rng.uniform(0, 360)
    out = [(lon, lat)]
    for _i in range(points - 1):
        metres = rng.uniform(0, 8) if rng.random() < PAUSE else rng.uniform(*WALK_M) * volume.POINT_MINUTES
        heading += rng.uniform(-45, 45)
        for _try in range(6):
            nxt = offset(lon, lat, metres, heading)
            if shape.contains(Point(nxt)):
                lon, lat = nxt
                break
            heading += 180 + rng.uniform(-70, 70)
        out.append((lon, lat))
    return out


class PatrolPlanner:
    """Plans one worker's patrols in their grid (the one start_patrol takes: their first)."""

    def __init__(self, planner: Planner, grid: Area, end: datetime) -> None:
        self.planner = planner
        self.grid = grid
        self.shape = parse_polygon(grid.geometry)
        self.end = end
        self.buildings = [b for b in planner.info.buildings if b[1] == grid.code]
        self.key = planner.info.spec.key

    def plans(self) -> list[PatrolPlan]:
        rng = seeded(self.key, "patrols")
        out: list[PatrolPlan] = []
        for day in patrol_days(self.end.astimezone(SH).date(), rng):
            start = datetime.combine(day, time(rng.randint(9, 14), rng.randrange(60)), tzinfo=SH)
            out.append(self._patrol(rng, start, rng.randint(*volume.PATROL_MINUTES), len(out)))
        # The worker is out on one now.
        now = self.end.replace(second=0, microsecond=0) - timedelta(minutes=rng.randint(20, 50))
        out.append(self._patrol(rng, now, 0, len(out)))
        return out

    def _patrol(self, rng: random.Random, start: datetime, minutes: int, k: int) -> PatrolPlan:
        span = minutes or int((self.end - start).total_seconds() // 60)
        points = span // volume.POINT_MINUTES + 1
        address, _grid = rng.choice(self.buildings)
        track = walk(self.shape, self.planner.info.points[address], points, rng)
        accuracy = [round(rng.uniform(4, 25)) for _p in track]
        finds: tuple[CasePlan, ...] = ()
        if minutes and rng.random() < volume.PATROL_FINDS:
            at = start + timedelta(minutes=rng.randrange(5, minutes - 5))
            finds = (self._find(k, at, rng.choice(self.buildings)[0]),)
        track_ = tuple((lon, lat, acc) for (lon, lat), acc in zip(track, accuracy, strict=True))
        return PatrolPlan(start, minutes, track_, finds)

    def _find(self, k: int, at: datetime, address: str) -> CasePlan:
        """What the worker finds on patrol k: reported on the phone, then its loop."""
        rng = seeded(self.key, "patrol-find", k)
        category = rng.choice(sorted(PATROL_TOPICS))
        request_type, template = rng.choice(TOPICS[category][0])
        plan = self.planner._order(
            rng,
            0,
            channel=Channel.PATROL,
            request_type=request_type,
            category=category,
            description="巡查中发现：" + fill(template, address, rng),
            address=address,
            grid_code=self.grid.code,
            received_at=at,
            fate=pick(rng, FIND_FATES),
        )
        plan = dataclasses.replace(
            plan, external_id=f"demo-{self.key}-patrol-{k:02d}", creator="gridworker", on_patrol=True
        )
        steps, children = self.planner._steps(plan, rng)
        steps = list(self.planner._checked_in(plan, steps, rng, far=False))  # their own grid: on site
        return dataclasses.replace(plan, steps=tuple(steps), children=tuple(children))


def stories(player: Any, planner: Planner, end: datetime) -> list[Iterator[datetime]]:
    """The patrols of the street's grid worker up to `end`, and the stories of what they found
    (player: the street's cases._Player); none when the worker has patrols already."""
    worker = player.users["gridworker"]
    grid = Area.objects.filter(kind=AreaKind.GRID, memberships__user=worker.pk).order_by("code").first()
    if grid is None or Patrol.objects.filter(worker=worker).exists():
        return []
    plans = PatrolPlanner(planner, grid, end).plans()
    return [_story(worker, p) for p in plans] + [player.story(f) for p in plans for f in p.finds]


def _story(worker: Any, p: PatrolPlan) -> Iterator[datetime]:
    """One patrol at its moments (as cases._Player.story: never inside clock.at): the start,
    then at its stop the positions the phone posted meanwhile, each at its own moment, in one
    transaction (they are telemetry, no event each: nothing else reads them in between)."""
    yield p.started_at
    with clock.at(p.started_at):
        patrol = start_patrol(worker)
    times = [p.started_at + timedelta(minutes=i * volume.POINT_MINUTES) for i in range(len(p.track))]
    stop = p.started_at + timedelta(minutes=p.minutes) if p.minutes else None
    yield stop or times[-1]
    with transaction.atomic():
        for when, (lon, lat, accuracy) in zip(times, p.track, strict=True):
            with clock.at(when):
                add_point(worker, patrol.pk, {"lon": lon, "lat": lat, "accuracy": accuracy})
    if stop is not None:
        with clock.at(stop):
            stop_patrol(worker, patrol.pk)
