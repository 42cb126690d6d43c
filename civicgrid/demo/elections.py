"""The demo's residents' committee elections (居委会换届选举, issue 16; seed 001: a street's
committees elect in one round, most by all voters or household representatives, a few by
residents' group representatives, two deferred for 旧区改造).

Each street gets one round with an election per residential area, each with its own election
day so that on the load day the committees stand at different steps: one (the cadre's) already
elected, announced and reported — its register built from the demo registry, groups and
representatives, letters and notices with receipts, objections decided, candidates nominated
and announced, proxies, ballot boxes (中心会场, 流动票箱, 委托投票) and the count — the others from
nominated back to not yet prepared, and deferred ones. Every step goes through the elections
actions inside `clock.at()` of its planned day (the default plan of `schedule.py`), so the
milestones, events and audit rows carry their dates. Shares and sizes are in `volume.py`.
A street that has a round is skipped."""

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.choices import Role
from civicgrid.elections import checks, schedule
from civicgrid.elections.actions import ballots, rounds, voters
from civicgrid.elections.actions.frames import ELECTION_FRAME, OBJECTION_FRAME
from civicgrid.elections.choices import (
    BoxKind,
    ElectionStatus,
    MailingKind,
    Method,
    ObjectionKind,
    Position,
    Step,
    VoterStatus,
)
from civicgrid.elections.models import Election, ElectionRound, Voter
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.residents.choices import ResidenceStatus
from civicgrid.residents.models import Household, Person

from . import volume
from .builder import DemoPlan

S = ElectionStatus
# Election day relative to the load day for a committee to stand at each step then: the
# default plan's next step is still ahead, the last one done (schedule.DEFAULT_OFFSETS).
DAYS_AHEAD: dict[str, int] = {
    S.REPORTED: -12,
    S.NOMINATED: 4,
    S.LISTED: 14,
    S.REGISTERED: 22,
    S.REGISTERING: 30,
    S.GROUPS: 41,
    S.COMMITTEE: 47,
    S.DEFERRED: 47,
    S.PREPARING: 60,
}
# The steps in order, with the status each one leads to.
STEPS: tuple[tuple[str, str], ...] = (
    ("form_committee", S.COMMITTEE),
    ("divide_groups", S.GROUPS),
    ("open_registration", S.REGISTERING),
    ("close_registration", S.REGISTERED),
    ("publish_list", S.LISTED),
    ("announce_candidates", S.NOMINATED),
    ("count", S.COUNTED),
    ("announce_results", S.ANNOUNCED),
    ("report", S.REPORTED),
)
# The count after the boxes are in (15:00), the results posted the same evening.
HOURS = {"count": 18, "announce_results": 19}
STEP_OF = {
    "form_committee": Step.COMMITTEE_FORMED,
    "divide_groups": Step.GROUPS_DIVIDED,
    "open_registration": Step.REGISTRATION_OPENED,
    "close_registration": Step.REGISTRATION_CLOSED,
    "publish_list": Step.LIST_PUBLISHED,
    "announce_candidates": Step.CANDIDATES_ANNOUNCED,
    "count": Step.ELECTION_DAY,
    "announce_results": Step.RESULTS_ANNOUNCED,
    "report": Step.RESULTS_REPORTED,
}


def load_elections(plan: DemoPlan) -> int:
    """Play the round of every street without one; returns how many elections it holds."""
    today = clock.today()
    made = 0
    for code in plan.street_names:
        street = Area.objects.get(code=code)
        if ElectionRound.objects.filter(street=street).exists():
            continue
        users = [p for p in plan.users if p.street_code == code]
        admin = User.objects.get(username=next(p.username for p in users if p.role == Role.ADMIN))
        cadre_areas = {m.area_code for p in users if p.role == Role.CADRE for m in p.memberships}
        made += Street(street, admin, today, cadre_areas).play()
    return made


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


class Street:
    def __init__(self, street: Area, admin: User, today: date, cadre_areas: set[str | None]) -> None:
        self.street, self.admin, self.today = street, admin, today
        self.rng = random.Random(f"demo-elections-{street.code}")
        areas = list(Area.objects.filter(parent=street, kind=AreaKind.RESIDENTIAL).order_by("code"))
        # The finished election is the cadre's committee's, so its pages show a whole election.
        areas.sort(key=lambda a: a.code not in cadre_areas)
        self.areas = areas

    def targets(self) -> list[tuple[Area, str, str]]:
        """(area, the step it stands at, method) for every committee."""
        out: list[tuple[Area, str, str]] = []
        for i, area in enumerate(self.areas):
            status: str
            method: str
            if i == 0:
                status, method = S.REPORTED, Method.DIRECT
            else:
                steps = volume.ELECTION_STEPS
                status = steps[i - 1] if i - 1 < len(steps) else S.PREPARING
                if status == S.DEFERRED and len(self.areas) < 9 and i - 1 > steps.index(S.DEFERRED):
                    status = S.PREPARING  # a small street defers one committee only
                methods = volume.ELECTION_METHODS
                # The methods are spread from the last area back, so the busiest steps mix them.
                back = len(self.areas) - 1 - i
                method = methods[back] if back < len(methods) else Method.DIRECT
            out.append((area, status, method))
        return out

    def play(self) -> int:
        targets = self.targets()
        days = {area.pk: self.today + timedelta(days=DAYS_AHEAD[status]) for area, status, _m in targets}
        start = min(days.values()) + timedelta(days=schedule.DEFAULT_OFFSETS[Step.COMMITTEE_FORMED] - 1)
        with clock.at(at(start, 9)):
            election_round = rounds.create_round(
                self.admin,
                street=self.street,
                name=gettext("%(year)s 换届") % {"year": self.today.year},
                year=self.today.year,
                election_day=self.today + timedelta(days=DAYS_AHEAD[S.REGISTERED]),
                committees=False,
            )
            elections = []
            for area, status, method in targets:
                seats = self._seats(area)
                election = rounds.add_election(
                    self.admin,
                    election_round,
                    area=area,
                    method=method,
                    seats=seats,
                    election_day=days[area.pk],
                )
                elections.append((election, status))
        for election, status in elections:
            Committee(self, election).walk(status)
        return len(elections)

    def _seats(self, area: Area) -> int:
        people = Person.objects.filter(household__flat__building__residential_area=area).count()
        return next(seats for least, seats in volume.ELECTION_SEATS if people >= least)


class Committee:
    """One committee's election played up to the step it stands at."""

    def __init__(self, street: Street, election: Election) -> None:
        self.s, self.rng, self.actor = street, street.rng, street.admin
        self.election = election
        self.plan = schedule.default_plan(election.election_day, election.round.rules())
        self.target = ""
        self.slate: list[Any] = []

    def run(self, action: str, hour: int = 9, **params: Any) -> None:
        day = self.plan[STEP_OF[action]]
        with clock.at(at(day, hour)):
            self.election = ELECTION_FRAME.run(self.election.pk, action, self.actor, params)

    def at_day[T](self, day: date, hour: int, do: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`do(*args, **kwargs)` as at `hour` of `day`."""
        with clock.at(at(day, hour)):
            return do(*args, **kwargs)

    def walk(self, target: str) -> None:
        self.target = target
        if target == S.PREPARING:
            return
        before: dict[str, Callable[[], None]] = {
            "divide_groups": self.groups,
            "announce_candidates": self.candidates,
            "count": self.vote,
        }
        after: dict[str, Callable[[], None]] = {
            "open_registration": self.register,
            "publish_list": self.publish,
        }
        stop = S.COMMITTEE if target == S.DEFERRED else target
        for action, status in STEPS:
            if action in before:
                before[action]()
            self.run(action, note=gettext("按计划完成"), hour=HOURS.get(action, 9))
            if action in after:
                after[action]()
            if status == stop:
                break
        if target == S.DEFERRED:
            self.at_day(
                self.s.today - timedelta(days=2),
                10,
                ELECTION_FRAME.run,
                self.election.pk,
                "defer",
                self.actor,
                {"note": gettext("该居民区列入旧区改造征收范围，经区民政局同意暂缓选举")},
            )
        elif target == S.LISTED:
            self.nominees(confirm=False)

    # ------------------------------------------------------------------ the register

    def groups(self) -> None:
        buildings = list(
            Building.objects.filter(residential_area_id=self.election.area_id)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        count = min(self.rng.randint(*volume.ELECTION_GROUPS), max(len(buildings), 1))
        day = self.plan[Step.GROUPS_DIVIDED]
        for n in range(count):
            part = buildings[n::count]
            self.at_day(
                day,
                8,
                voters.create_group,
                self.actor,
                self.election,
                number=n + 1,
                name=gettext("第%d居民小组") % (n + 1),
                buildings=part,
            )

    def register(self) -> None:
        day = self.plan[Step.REGISTRATION_OPENED]
        self.at_day(day, 10, voters.build_register, self.actor, self.election)
        if self.election.method == Method.REPRESENTATIVE:
            for group in self.election.groups.all():
                listed = list(group.voters.filter(status=VoterStatus.LISTED).order_by("pk"))
                for voter in self.rng.sample(
                    listed, min(len(listed), self.rng.randint(*volume.ELECTION_GROUP_REPS))
                ):
                    self.at_day(day, 11, voters.set_representative, self.actor, voter, group=True)
        households = Household.objects.filter(
            flat__building__residential_area_id=self.election.area_id, moved_out__isnull=True
        ).count()
        if households:
            self.at_day(
                day,
                15,
                voters.record_mailing,
                self.actor,
                self.election,
                kind=MailingKind.LETTER,
                sent=households,
            )

    def publish(self) -> None:
        day = self.plan[Step.LIST_PUBLISHED]
        sent = checks.electorate(self.election).count()
        receipts = int(sent * self.rng.uniform(*volume.ELECTION_RECEIPTS))
        if sent:
            self.at_day(
                day,
                15,
                voters.record_mailing,
                self.actor,
                self.election,
                kind=MailingKind.NOTICE,
                sent=sent,
                receipts=receipts,
            )
        self.objections(day)

    def objections(self, published: date) -> None:
        """A resident living here without 户籍 asks to be listed (upheld when decided); a
        listed voter's details are questioned (rejected). On a list still open to objections
        on the load day, the second one waits for its decision."""
        rules = self.election.round.rules()
        listed = list(self.election.voters.filter(status=VoterStatus.LISTED).order_by("pk")[:20])
        omitted = (
            Person.objects.filter(
                household__flat__building__residential_area_id=self.election.area_id,
                household__moved_out__isnull=True,
                residence=ResidenceStatus.LIVING_UNREGISTERED,
                birth_date__lte=self.election.election_day - timedelta(days=366 * rules.voting_age),
            )
            .order_by("pk")
            .first()
        )
        filed = published + timedelta(days=2)
        decide_on = filed + timedelta(days=rules.objection_decision_days - 1)
        if omitted is not None and decide_on < self.s.today:
            objection = self.at_day(
                filed,
                10,
                voters.file_objection,
                self.actor,
                self.election,
                kind=ObjectionKind.OMITTED,
                filer_name=omitted.name,
                subject_name=omitted.name,
                subject_person=omitted,
                statement=gettext("本人在本居住地区居住一年以上，申请参加选举"),
            )
            self.at_day(
                decide_on,
                10,
                OBJECTION_FRAME.run,
                objection.pk,
                "uphold",
                self.actor,
                {"decision": gettext("经核实，本人申请参加选举，列入名单")},
            )
        if listed:
            voter = listed[self.rng.randrange(len(listed))]
            # On the committee still at the published list, filed on the last day allowed.
            pending = self.target == S.LISTED
            when = published + timedelta(days=rules.objection_days) if pending else filed
            objection = self.at_day(
                when,
                11,
                voters.file_objection,
                self.actor,
                self.election,
                kind=ObjectionKind.WRONG_DETAILS,
                filer_name=voter.name,
                subject_name=voter.name,
                subject_voter=voter,
                statement=gettext("名单上本人的居民小组登记有误"),
            )
            if not pending:
                self.at_day(
                    decide_on,
                    11,
                    OBJECTION_FRAME.run,
                    objection.pk,
                    "reject",
                    self.actor,
                    {"decision": gettext("经核实，登记信息无误")},
                )

    # ------------------------------------------------------------------ candidates and the vote

    def nominees(self, *, confirm: bool) -> list[Any]:
        """Seats plus the margin of candidates from the register, aged 30–62 on election day (any
        adult voter when too few are), nominated by residents a few days after the list was
        published."""
        election = self.election
        day = min(self.plan[Step.LIST_PUBLISHED] + timedelta(days=6), self.s.today)
        born_after = election.election_day - timedelta(days=int(62.5 * 365.25))
        born_before = election.election_day - timedelta(days=30 * 366)
        # One candidate per name: the ballots and the count know candidates by name.
        by_name: dict[str, Voter] = {}
        for voter in (
            checks.electorate(election)
            .filter(birth_date__gt=born_after, birth_date__lt=born_before)
            .order_by("pk")
        ):
            by_name.setdefault(voter.name, voter)
        wanted = election.seats + self.rng.randint(*volume.ELECTION_EXTRA_CANDIDATES)
        if len(by_name) < wanted:
            # A small registry (load_demo --residents-per-street 300): any adult voter may stand.
            for voter in checks.electorate(election).order_by("pk"):
                by_name.setdefault(voter.name, voter)
        pool = list(by_name.values())
        chosen: list[Voter] = self.rng.sample(pool, min(wanted, len(pool)))
        positions = [Position.CHAIR, *[Position.VICE_CHAIR] * election.vice_chairs]
        made = []
        for i, voter in enumerate(chosen):
            position = positions[i] if i < len(positions) else Position.MEMBER
            made.append(
                self.at_day(
                    day,
                    10,
                    ballots.nominate,
                    self.actor,
                    election,
                    name=voter.name,
                    position=position,
                    voter=voter,
                    nominated_by=gettext("选民联名提名"),
                )
            )
        if confirm:
            self.at_day(day, 16, ballots.confirm_candidates, self.actor, election, made)
        return made

    def candidates(self) -> None:
        self.slate = self.nominees(confirm=True)

    def vote(self) -> None:
        """Proxies the day after the candidates are announced; on election day the boxes."""
        election = self.election
        electorate = list(checks.electorate(election).order_by("pk"))
        proxies = 0
        if election.method != Method.REPRESENTATIVE and len(electorate) > 2 * volume.ELECTION_PROXIES:
            day = self.plan[Step.CANDIDATES_ANNOUNCED] + timedelta(days=1)
            # One neighbour accepts two authorisations, others one each (the rules allow three).
            takers = electorate[: volume.ELECTION_PROXIES - 1]
            givers = electorate[-volume.ELECTION_PROXIES :]
            for i, giver in enumerate(givers):
                taker = takers[min(i, len(takers) - 1)]
                self.at_day(
                    day,
                    10,
                    voters.record_proxy,
                    self.actor,
                    election,
                    principal=giver,
                    proxy=taker,
                    document=f"WT-{election.pk}-{i + 1:03d}",
                )
                proxies += 1
        cast = max(int(len(electorate) * self.rng.uniform(*volume.ELECTION_TURNOUT)), proxies + 1)
        mobile = int((cast - proxies) * volume.ELECTION_MOBILE)
        boxes = [
            (BoxKind.HALL, gettext("中心会场"), cast - proxies - mobile),
            (BoxKind.MOBILE, gettext("流动票箱"), mobile),
            (BoxKind.PROXY, gettext("委托投票"), proxies),
        ]
        names = [c.name for c in self.slate]
        day = election.election_day
        for kind, name, ballots_cast in boxes:
            if not ballots_cast:
                continue
            invalid = int(ballots_cast * self.rng.uniform(*volume.ELECTION_INVALID))
            votes = self.votes(names, ballots_cast - invalid, election.seats, ballots_cast)
            if kind == BoxKind.HALL:
                votes[gettext("另选他人甲")] = 1  # a name written in on one ballot
            self.at_day(
                day,
                15,
                ballots.record_box,
                self.actor,
                election,
                kind=kind,
                name=name,
                issued=ballots_cast,
                cast=ballots_cast,
                invalid=invalid,
                votes=votes,
            )

    def votes(self, names: list[str], valid: int, seats: int, cast: int) -> dict[str, int]:
        """The first `seats` names get well over half of the box's ballots, the others well
        under, so the count elects exactly the slate's first names (no tie at the last seat);
        every ballot names at most `seats` candidates. A small box (a few proxies) still gives
        the first names more than half of its ballots cast, so the boxes' sum does too."""
        out = {}
        for i, name in enumerate(names):
            if i < seats:
                out[name] = min(valid, max(int(valid * self.rng.uniform(0.6, 0.85)), cast // 2 + 1))
            else:
                out[name] = int(valid * self.rng.uniform(0.1, 0.28))
        return out
