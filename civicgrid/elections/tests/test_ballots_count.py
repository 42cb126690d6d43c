"""Candidates, ballot boxes and the count on the machine, end to end: an election of a world
(testing.factories) taken through its statutory steps with time_machine, candidates nominated
and confirmed, boxes recorded, then COUNT — all elected; vacancies → 另行选举 among the listed
names only → counted; a tie at the last seat → run-off; turnout not reached → the ballot is
voted again; write-ins; the box checks; the offline audit of a stored count."""

import io
import json
import tempfile
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.errors import Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Event
from civicgrid.elections import tally
from civicgrid.elections.actions.ballots import (
    confirm_candidates,
    nominate,
    record_box,
    withdraw_candidate,
)
from civicgrid.elections.actions.elections import ELECTION_FRAME
from civicgrid.elections.choices import (
    BoxKind,
    CandidateStatus,
    ElectionAction,
    ElectionStatus,
    Position,
    Step,
)
from civicgrid.elections.models import Candidate, Count, Election, Member, ResidentsGroup, Voter
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2027, 8, 20)
PREPARE = datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)
LIST_DAY = datetime(2027, 7, 30, 9, 0, tzinfo=SHANGHAI)  # 21 days before election day
SLATE_DAY = datetime(2027, 8, 10, 9, 0, tzinfo=SHANGHAI)
VOTING = datetime(2027, 8, 20, 18, 0, tzinfo=SHANGHAI)

# Five seats, six candidates (contested by one): a chair, a vice-chair, four members.
SLATE = (
    ("甲主任", Position.CHAIR),
    ("乙副主任", Position.VICE_CHAIR),
    ("丙委员", Position.MEMBER),
    ("丁委员", Position.MEMBER),
    ("戊委员", Position.MEMBER),
    ("己委员", Position.MEMBER),
)


def build_electorate(election: Election, voters: int = 20) -> list[Voter]:
    """A residents' group and `voters` voters of age, written directly (the register is the
    voters part's, tested there)."""
    group = ResidentsGroup.objects.create(election=election, street_id=election.street_id, number=1)
    return [
        Voter.objects.create(
            election=election,
            street_id=election.street_id,
            group=group,
            name=f"选民{i:02d}",
            sex="M" if i % 2 else "F",
            birth_date=date(1970 + i, 1, 1),
            is_household_rep=True,
            is_group_rep=i < 3,
        )
        for i in range(voters)
    ]


def run(election: Election, action: str, user: Any, **params: Any) -> Election:
    result: Election = ELECTION_FRAME.run(election.pk, action, user, params)
    return result


def to_nominated(election: Election, user: Any, slate: tuple[tuple[str, str], ...] = SLATE) -> Election:
    """The election through its steps to NOMINATED with `slate` as official candidates."""
    with time_machine.travel(PREPARE, tick=False):
        for action in (
            ElectionAction.FORM_COMMITTEE,
            ElectionAction.DIVIDE_GROUPS,
            ElectionAction.OPEN_REGISTRATION,
            ElectionAction.CLOSE_REGISTRATION,
        ):
            election = run(election, action, user)
    with time_machine.travel(LIST_DAY, tick=False):
        election = run(election, ElectionAction.PUBLISH_LIST, user)
        nominees = [nominate(user, election, name=name, position=position) for name, position in slate]
        confirm_candidates(user, election, nominees)
    with time_machine.travel(SLATE_DAY, tick=False):
        election = run(election, ElectionAction.ANNOUNCE_CANDIDATES, user)
    assert election.status == ElectionStatus.NOMINATED
    return election


def count(election: Election, user: Any) -> Election:
    with time_machine.travel(VOTING, tick=False):
        return run(election, ElectionAction.COUNT, user, note="监票人核对无误")


class CountOnTheMachineTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(PREPARE, tick=False):
            cls.made = build_elections(cls.world.east, day=DAY)
        cls.admin = cls.world.east.users[Role.ADMIN]
        # The second committee: the builder's rows are all in the first one.
        cls.election = cls.made.elections[1]
        build_electorate(cls.election)

    def nominated(self) -> Election:
        return to_nominated(Election.objects.get(pk=self.election.pk), self.admin)

    def box(self, election: Election, name: str = "中心会场", **kwargs: Any) -> Any:
        values: dict[str, Any] = {"kind": BoxKind.HALL, "issued": 15, "cast": 15, "invalid": 1}
        values.update(kwargs)
        with time_machine.travel(VOTING, tick=False):
            return record_box(self.admin, election, name=name, **values)

    def test_all_elected(self) -> None:
        election = self.nominated()
        self.box(election, votes={"甲主任": 12, "乙副主任": 11, "丙委员": 11, "丁委员": 10, "戊委员": 10})
        self.box(
            election,
            "流动票箱",
            kind=BoxKind.MOBILE,
            issued=3,
            cast=3,
            invalid=0,
            votes={"己委员": 3, "甲主任": 3, "丁委员": 3},
        )
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.COUNTED)
        stored = Count.objects.get(election=election)
        self.assertEqual(
            (stored.round_no, stored.registered, stored.ballots_cast, stored.invalid_ballots, stored.seats),
            (1, 20, 18, 1, 5),
        )
        self.assertEqual(stored.ballots_issued, 18)
        self.assertEqual(stored.votes["甲主任"], 15)
        self.assertEqual(stored.votes["己委员"], 3)
        self.assertEqual((stored.outcome, stored.valid, stored.vacancies), ("elected", True, 0))
        # More than half of the 18 cast (valid and invalid) is 10: five pass for five seats.
        self.assertEqual(set(stored.elected), {"甲主任", "乙副主任", "丙委员", "丁委员", "戊委员"})
        self.assertEqual(stored.rules, election.round.rules().as_json())
        self.assertEqual(stored.turnout, Fraction(18, 20))
        members = {
            m.candidate.name: (m.position, m.votes, m.round_no)
            for m in Member.objects.filter(election=election)
        }
        self.assertEqual(members["甲主任"], (Position.CHAIR, 15, 1))
        self.assertEqual(members["乙副主任"], (Position.VICE_CHAIR, 11, 1))
        self.assertEqual(members["丁委员"], (Position.MEMBER, 13, 1))
        self.assertEqual(len(members), 5)
        # A final count: no further ballot to vote.
        self.assertEqual((election.ballot_no, election.law_round, election.open_seats), (1, 1, 0))
        self.assertEqual(election.milestones.get(step=Step.ELECTION_DAY).done_on, DAY)
        event = Event.objects.filter(app="elections", action="count", object_id=election.pk).get()
        self.assertEqual(event.payload["outcome"], "elected")
        self.assertEqual(event.payload["note"], "监票人核对无误")
        # Counted: no more boxes.
        with self.assertRaises(TransitionNotAllowed):
            self.box(election, "补录", votes={})

    def test_vacancies_then_second_round_among_the_listed_only(self) -> None:
        election = self.nominated()
        # 15 cast: more than half is 8. Three pass; two seats left.
        self.box(
            election, votes={"甲主任": 12, "乙副主任": 9, "丙委员": 8, "丁委员": 7, "戊委员": 6, "己委员": 2}
        )
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.SECOND_ROUND)
        first = Count.objects.get(election=election, round_no=1)
        self.assertEqual(first.outcome, "vacancies")
        self.assertEqual(first.elected, ["甲主任", "乙副主任", "丙委员"])
        self.assertEqual(first.vacancies, 2)
        self.assertEqual((election.ballot_no, election.law_round, election.open_seats), (2, 2, 2))
        listed = list(first.second_round)
        self.assertTrue(listed)
        self.assertNotIn("甲主任", listed)
        # 另行选举: only the listed candidates; no write-in, no one elected already.
        with self.assertRaises(InvalidInput) as caught:
            self.box(election, "第二轮", votes={"庚另选": 5})
        self.assertEqual(caught.exception.fields, {"votes.庚另选": "not_candidate"})
        with self.assertRaises(InvalidInput):
            self.box(election, "第二轮", votes={"甲主任": 5})
        self.assertFalse(Candidate.objects.filter(election=election, name="庚另选").exists())
        # Two seats: the best two of the listed, each with at least a third of 12 cast.
        self.box(
            election,
            "第二轮",
            issued=12,
            cast=12,
            invalid=0,
            votes=dict(zip(listed, (9, 7, 1), strict=False)),
        )
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.COUNTED)
        second = Count.objects.get(election=election, round_no=2)
        self.assertEqual((second.seats, second.ballots_cast, second.outcome), (2, 12, "elected"))
        self.assertEqual(second.elected, listed[:2])
        self.assertEqual(Member.objects.filter(election=election).count(), 5)
        self.assertEqual(Member.objects.filter(election=election, round_no=2).count(), 2)
        self.assertEqual(election.ballot_no, 2)
        # The first ballot's boxes stay as they were.
        self.assertEqual(election.boxes.filter(round_no=1).count(), 1)

    def test_tie_at_the_last_seat_is_a_runoff(self) -> None:
        election = self.nominated()
        self.box(
            election,
            votes={"甲主任": 14, "乙副主任": 13, "丙委员": 12, "丁委员": 11, "戊委员": 10, "己委员": 10},
        )
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.SECOND_ROUND)
        stored = Count.objects.get(election=election)
        self.assertEqual(stored.outcome, "runoff")
        self.assertEqual(sorted(stored.second_round), ["己委员", "戊委员"])
        self.assertEqual(len(stored.elected), 4)
        # The run-off belongs to round 1: its rules, one seat.
        self.assertEqual((election.ballot_no, election.law_round, election.open_seats), (2, 1, 1))
        self.box(election, "决选", issued=15, cast=15, invalid=0, votes={"戊委员": 9, "己委员": 6})
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.COUNTED)
        self.assertTrue(
            Member.objects.filter(election=election, candidate__name="戊委员", round_no=2).exists()
        )

    def test_turnout_not_reached_is_voted_again(self) -> None:
        election = self.nominated()
        self.box(election, issued=10, cast=10, invalid=0, votes={"甲主任": 10, "乙副主任": 9})
        election = count(election, self.admin)
        self.assertEqual(election.status, ElectionStatus.NOMINATED)
        stored = Count.objects.get(election=election)
        self.assertEqual((stored.valid, stored.outcome), (False, "invalid_turnout"))
        self.assertFalse(Member.objects.filter(election=election).exists())
        # A new ballot by the same rules for all the seats; the slate and write-ins as before.
        self.assertEqual((election.ballot_no, election.law_round, election.open_seats), (2, 1, 5))
        box = self.box(election, "重新投票", issued=16, cast=16, invalid=0, votes={"甲主任": 16, "庚另选": 3})
        self.assertEqual(box.round_no, 2)
        self.assertTrue(Candidate.objects.get(election=election, name="庚另选").is_write_in)

    def test_write_ins_are_counted_and_can_be_elected(self) -> None:
        election = self.nominated()
        self.box(election, votes={"甲主任": 14, "乙副主任": 13, "丙委员": 12, "丁委员": 11, "庚另选": 10})
        write_in = Candidate.objects.get(election=election, name="庚另选")
        self.assertEqual((write_in.is_write_in, write_in.status), (True, CandidateStatus.OFFICIAL))
        # Recorded again, the box replaces its earlier record: the write-in it no longer names goes.
        self.box(election, votes={"甲主任": 14, "乙副主任": 13, "丙委员": 12, "丁委员": 11, "辛另选": 10})
        self.assertFalse(Candidate.objects.filter(election=election, name="庚另选").exists())
        self.assertEqual(election.boxes.count(), 1)
        election = count(election, self.admin)
        stored = Count.objects.get(election=election)
        self.assertEqual(stored.outcome, "elected")
        self.assertIn("辛另选", stored.elected)
        self.assertEqual(stored.votes["戊委员"], 0)  # on the slate, no votes: still counted

    def test_box_checks(self) -> None:
        election = self.nominated()
        for values, fields in (
            ({"invalid": 16}, {"invalid": "too_many"}),
            ({"cast": -1}, {"cast": "invalid"}),
            ({"kind": "boat"}, {"kind": "invalid"}),
            ({"name": " "}, {"name": "invalid"}),
            ({"votes": {"甲主任": 15}}, {"votes.甲主任": "too_many"}),  # 14 valid ballots
            ({"votes": {"甲主任": "x"}}, {"votes.甲主任": "invalid"}),
            (
                {
                    "votes": {
                        "甲主任": 14,
                        "乙副主任": 14,
                        "丙委员": 14,
                        "丁委员": 14,
                        "戊委员": 14,
                        "己委员": 1,
                    }
                },
                {"votes": "too_many"},
            ),
        ):
            with self.subTest(values=values), self.assertRaises(InvalidInput) as caught:
                self.box(election, **({"votes": {}} | values))
            self.assertEqual(caught.exception.fields, fields)
        self.assertFalse(election.boxes.exists())

    def test_count_needs_the_day_and_a_box(self) -> None:
        election = self.nominated()
        with time_machine.travel(SLATE_DAY, tick=False), self.assertRaises(TransitionNotAllowed):
            run(election, ElectionAction.COUNT, self.admin)
        with self.assertRaises(TransitionNotAllowed):
            count(election, self.admin)
        self.assertFalse(Count.objects.filter(election=election).exists())

    def test_offline_audit_reproduces_the_stored_count(self) -> None:
        election = self.nominated()
        self.box(election, votes={"甲主任": 12, "乙副主任": 9, "丙委员": 8, "丁委员": 7, "戊委员": 6})
        election = count(election, self.admin)
        listed = Count.objects.get(election=election).second_round
        self.box(election, "第二轮", issued=12, cast=12, invalid=0, votes={listed[0]: 4, listed[1]: 3})
        count(election, self.admin)
        for stored in Count.objects.filter(election=election).order_by("round_no"):
            with self.subTest(ballot=stored.round_no):
                data = tally.tally_json(stored)
                self.assertEqual(data["round"], stored.round_no)
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "tally.json"
                    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
                    out = io.StringIO()
                    call_command("count_election", str(path), stdout=out)
                printed = json.loads(out.getvalue())
                self.assertEqual(
                    (printed["valid"], printed["elected"], printed["vacancies"], printed["second_round"]),
                    (stored.valid, stored.elected, stored.vacancies, stored.second_round),
                )
                self.assertEqual(printed["reason"], stored.reason)
                self.assertEqual(round(Fraction(str(printed["turnout"])), 6), stored.turnout)


class CandidateTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(PREPARE, tick=False):
            cls.made = build_elections(cls.world.east, day=DAY)
        cls.admin = cls.world.east.users[Role.ADMIN]
        cls.cadre = cls.world.east.users[Role.CADRE]
        cls.election = cls.made.elections[1]
        cls.voters = build_electorate(cls.election)
        with time_machine.travel(PREPARE, tick=False):
            for action in (
                ElectionAction.FORM_COMMITTEE,
                ElectionAction.DIVIDE_GROUPS,
                ElectionAction.OPEN_REGISTRATION,
                ElectionAction.CLOSE_REGISTRATION,
            ):
                run(cls.election, action, cls.admin)
        with time_machine.travel(LIST_DAY, tick=False):
            cls.election = run(cls.election, ElectionAction.PUBLISH_LIST, cls.admin)

    def test_nominate_links_the_voter_and_checks(self) -> None:
        voter = self.voters[3]
        candidate = nominate(
            self.admin, self.election, name="", voter=voter, position=Position.CHAIR, nominated_by="选民联名"
        )
        self.assertEqual(
            (candidate.name, candidate.sex, candidate.birth_date, candidate.voter, candidate.status),
            (voter.name, voter.sex, voter.birth_date, voter, CandidateStatus.NOMINEE),
        )
        self.assertTrue(
            Event.objects.filter(app="elections", action="nominate", object_id=candidate.pk).exists()
        )
        for kwargs, fields in (
            ({"name": voter.name}, {"name": "duplicate"}),
            ({"name": "某某", "position": "boss"}, {"position": "invalid"}),
            ({"name": "某某", "sex": "X"}, {"sex": "invalid"}),
            ({"name": "某某", "birth_date": date(2010, 1, 1)}, {"birth_date": "too_young"}),
            ({"name": "某某", "voter": self.made.voters[0]}, {"voter": "invalid"}),  # another committee's
            ({"name": " "}, {"name": "invalid"}),
        ):
            with self.subTest(kwargs=kwargs), self.assertRaises(InvalidInput) as caught:
                nominate(self.admin, self.election, **kwargs)
            self.assertEqual(caught.exception.fields, fields)

    def test_confirm_only_nominees_and_only_while_listed(self) -> None:
        a = nominate(self.admin, self.election, name="甲")
        b = nominate(self.admin, self.election, name="乙")
        self.assertEqual(confirm_candidates(self.admin, self.election, [a, b.pk]), 2)
        self.assertEqual(confirm_candidates(self.admin, self.election, [a]), 0)
        with self.assertRaises(InvalidInput):
            confirm_candidates(self.admin, self.election, [self.made.candidates[0]])
        Election.objects.filter(pk=self.election.pk).update(status=ElectionStatus.NOMINATED)
        c = Candidate.objects.create(election=self.election, street_id=self.election.street_id, name="丙")
        with self.assertRaises(TransitionNotAllowed):
            confirm_candidates(self.admin, self.election, [c])

    def test_withdraw_before_the_vote(self) -> None:
        a = nominate(self.admin, self.election, name="甲")
        with self.assertRaises(InvalidInput) as caught:
            withdraw_candidate(self.admin, a, reason=" ")
        self.assertEqual(caught.exception.fields, {"reason": "required"})
        a = withdraw_candidate(self.admin, a, reason="本人因病申请退出")
        self.assertEqual(a.status, CandidateStatus.WITHDRAWN)
        event = Event.objects.get(app="elections", action="withdraw", object_id=a.pk)
        self.assertEqual(event.payload["note"], "本人因病申请退出")
        with self.assertRaises(TransitionNotAllowed):
            withdraw_candidate(self.admin, a, reason="再次")

    def test_announcing_needs_a_contested_slate(self) -> None:
        nominees = [nominate(self.admin, self.election, name=f"候选{i}") for i in range(5)]
        confirm_candidates(self.admin, self.election, nominees)
        with time_machine.travel(SLATE_DAY, tick=False):
            with self.assertRaises(TransitionNotAllowed) as caught:
                run(self.election, ElectionAction.ANNOUNCE_CANDIDATES, self.admin)
            self.assertIn("差额", str(caught.exception))
        with time_machine.travel(LIST_DAY, tick=False):
            confirm_candidates(self.admin, self.election, [nominate(self.admin, self.election, name="候选5")])
        with time_machine.travel(SLATE_DAY, tick=False):
            election = run(self.election, ElectionAction.ANNOUNCE_CANDIDATES, self.admin)
        self.assertEqual(election.status, ElectionStatus.NOMINATED)

    def test_who_may(self) -> None:
        leader = self.world.east.users[Role.LEADER]
        with self.assertRaises(Forbidden):
            nominate(leader, self.election, name="甲")
        # The cadre runs only their own committee's election (the first).
        with self.assertRaises(NotFound):
            nominate(self.cadre, self.election, name="甲")
        with self.assertRaises(NotFound):
            nominate(self.world.west.users[Role.ADMIN], self.election, name="甲")
        self.assertFalse(Candidate.objects.filter(election=self.election).exists())
