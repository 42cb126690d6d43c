"""A round's statistics (statistics.py, the page and the API): every figure on rows written
directly — committees by method and step, the electorate each method counts, turnout from the
first valid ballot, the contested ratio, members by age band on election day and by sex, letters
and notices with receipts — in a fixed number of queries, in the reader's scope."""

from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.core.choices import Role
from civicgrid.elections.choices import (
    CandidateStatus,
    ElectionStatus,
    MailingKind,
    Method,
    Position,
    VoterStatus,
)
from civicgrid.elections.models import Candidate, Count, Election, Mailing, Member, Voter
from civicgrid.elections.statistics import Share, age_band, street_statistics
from civicgrid.testing.api import ApiClient, TokenLogin
from civicgrid.testing.elections import build_elections
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = date(2027, 8, 20)


def count_row(election: Election, round_no: int, registered: int, cast: int, *, valid: bool = True) -> Count:
    return Count.objects.create(
        election=election,
        street_id=election.street_id,
        round_no=round_no,
        registered=registered,
        ballots_cast=cast,
        invalid_ballots=0,
        seats=election.seats,
        votes={},
        rules={},
        valid=valid,
        turnout=round(cast / registered, 6),
        vacancies=0,
        outcome="elected" if valid else "invalid_turnout",
        reason="",
    )


def member(
    election: Election, name: str, *, born: date | None, sex: str, voter: Voter | None = None
) -> Member:
    candidate = Candidate.objects.create(
        election=election,
        street_id=election.street_id,
        name=name,
        birth_date=born,
        sex=sex,
        voter=voter,
        status=CandidateStatus.OFFICIAL,
    )
    return Member.objects.create(
        election=election,
        street_id=election.street_id,
        candidate=candidate,
        position=Position.MEMBER,
        votes=10,
        round_no=1,
    )


class StatisticsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        with time_machine.travel(NOW, tick=False):
            cls.east = build_elections(cls.world.east, day=DAY)
        cls.admin = cls.world.east.users[Role.ADMIN]
        a, b = cls.east.elections
        street_id = a.street_id
        # A (direct): the seam's 3 voters, 2 official candidates for 5 seats, a valid first
        # ballot 3 of 3 and a later 另行选举 ballot 2 of 3; its chair is 36 and a woman.
        Candidate.objects.filter(pk=cls.east.candidates[0].pk).update(birth_date=date(1990, 9, 1), sex="F")
        count_row(a, 2, 3, 2)
        # B (by residents' group representatives, counted): 2 group reps listed, one struck.
        Election.objects.filter(pk=b.pk).update(method=Method.REPRESENTATIVE, status=ElectionStatus.COUNTED)
        for i, (rep, status) in enumerate(
            (
                (True, VoterStatus.LISTED),
                (True, VoterStatus.LISTED),
                (True, VoterStatus.STRUCK),
                (False, VoterStatus.LISTED),
            )
        ):
            Voter.objects.create(
                election=b, street_id=street_id, name=f"代表{i}", is_group_rep=rep, status=status
            )
        # 6 official candidates for 5 seats (3 of them elected below), one withdrawn, one write-in.
        for i in range(3):
            Candidate.objects.create(
                election=b, street_id=street_id, name=f"候选{i}", status=CandidateStatus.OFFICIAL
            )
        Candidate.objects.create(
            election=b, street_id=street_id, name="退出", status=CandidateStatus.WITHDRAWN
        )
        Candidate.objects.create(
            election=b, street_id=street_id, name="另选", status=CandidateStatus.OFFICIAL, is_write_in=True
        )
        # Its first ballot failed the quorum (4 of 10); the second was valid (8 of 10).
        count_row(b, 1, 10, 4, valid=False)
        count_row(b, 2, 10, 8)
        rep = Voter.objects.create(
            election=b, street_id=street_id, name="老代表", birth_date=date(1967, 8, 20), sex="F"
        )
        member(b, "青年", born=date(1997, 8, 21), sex="M")  # 29 on election day
        member(b, "中年", born=date(1977, 8, 20), sex="2")  # 50, the national code for female
        member(b, "老代表", born=None, sex="", voter=rep)  # 60: birth date and sex from the register
        for election, kind, sent, receipts in (
            (a, MailingKind.LETTER, 100, 0),
            (a, MailingKind.NOTICE, 80, 60),
            (b, MailingKind.NOTICE, 20, 10),
            (b, MailingKind.NOTICE, 10, 5),
        ):
            Mailing.objects.create(
                election=election, street_id=street_id, kind=kind, sent_on=DAY, sent=sent, receipts=receipts
            )

    def test_every_figure_of_the_round(self) -> None:
        figures = street_statistics(self.admin, self.east.round)
        a, b = figures.committees
        self.assertEqual([a.election.pk, b.election.pk], [e.pk for e in self.east.elections])
        self.assertEqual(figures.by_method, {Method.DIRECT: 1, Method.HOUSEHOLD: 0, Method.REPRESENTATIVE: 1})
        self.assertEqual((figures.direct, figures.indirect), (1, 1))
        self.assertEqual(
            [(key, n) for key, _label, n in figures.status_rows()],
            [(ElectionStatus.PREPARING, 1), (ElectionStatus.COUNTED, 1)],
        )
        # The electorate each method counts: all 3 listed voters; B's 2 listed group reps.
        self.assertEqual((a.electorate, b.electorate), (3, 2))
        # Turnout from each election's first valid ballot.
        self.assertEqual((a.turnout, b.turnout), (Share(3, 3), Share(8, 10)))
        self.assertEqual(figures.turnout, Share(11, 13))
        # Official candidates (not withdrawn, not written in) per seat.
        self.assertEqual((a.contested, b.contested), (Share(2, 5), Share(6, 5)))
        self.assertEqual(figures.contested.rate, Fraction(8, 10))
        members = figures.members
        self.assertEqual(members.total, 4)
        self.assertEqual(
            [(key, n) for key, _label, n in members.age_rows()],
            [("under_35", 1), ("35_44", 1), ("45_54", 1), ("55_plus", 1)],
        )
        self.assertEqual([(key, n) for key, _label, n in members.sex_rows()], [("male", 1), ("female", 3)])
        self.assertEqual(members.women, Share(3, 4))
        self.assertEqual((a.members.total, b.members.total, b.members.women.part), (1, 3, 2))
        mailings = figures.mailings
        self.assertEqual((mailings.letters, mailings.notices, mailings.receipts), (100, 110, 75))
        self.assertEqual(mailings.receipt_rate.rate, Fraction(75, 110))
        self.assertEqual((b.mailings.notices, b.mailings.receipts), (30, 15))

    def test_age_bands_are_whole_years_on_election_day(self) -> None:
        for age, band in (
            (None, "unknown"),
            (18, "under_35"),
            (34, "under_35"),
            (35, "35_44"),
            (54, "45_54"),
            (55, "55_plus"),
        ):
            with self.subTest(age=age):
                self.assertEqual(age_band(age), band)
        self.assertEqual(Share(0, 0).rate, None)
        self.assertEqual(Share(0, 0).percent, "—")
        self.assertEqual(Share(1, 3).percent, "33.3%")

    def test_query_count_does_not_grow_with_the_rows(self) -> None:
        with CaptureQueriesContext(connection) as before:
            street_statistics(self.admin, self.east.round)
        b = self.east.elections[1]
        for i in range(5):
            member(b, f"更多{i}", born=date(1980, 1, 1), sex="F")
            count_row(b, 3 + i, 10, 9)
            Mailing.objects.create(
                election=b, street_id=b.street_id, kind=MailingKind.NOTICE, sent_on=DAY, sent=5
            )
        with CaptureQueriesContext(connection) as after:
            street_statistics(self.admin, self.east.round)
        self.assertEqual(len(before), len(after))
        self.assertLessEqual(len(after), 6)

    def test_the_reader_sees_only_their_scope(self) -> None:
        cadre = self.world.east.users[Role.CADRE]
        figures = street_statistics(cadre, self.east.round)
        self.assertEqual([c.election.pk for c in figures.committees], [self.east.election.pk])
        self.assertEqual(figures.members.total, 1)
        empty = street_statistics(self.world.west.users[Role.ADMIN], self.east.round)
        self.assertEqual((empty.committees, empty.turnout, empty.mailings.notices), ([], Share(0, 0), 0))

    def test_page_for_the_streets_office_and_leaders(self) -> None:
        url = reverse("elections:statistics", args=[self.east.round.pk])
        users = self.world.east.users
        expected = dict.fromkeys(users, 404) | {Role.ADMIN: 200, Role.LEADER: 200}
        assert_matrix(self.client, url, expected, users)
        assert_matrix(self.client, url, dict.fromkeys(self.world.west.users, 404), self.world.west.users)
        self.client.force_login(users[Role.LEADER])
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        page = response.content.decode()
        # Turnout 11/13, the receipt rate 75/110, women 3 of 4, 8 candidates for 10 seats.
        for text in ("换届选举统计", "84.6%", "68.2%", "75.0%", "0.80", "8/10"):
            self.assertIn(text, page)
        self.assertIn('id="election-chart-data"', page)
        self.assertLess(len(ctx.captured_queries), 20)

    def test_api(self) -> None:
        path = f"/elections/rounds/{self.east.round.pk}/statistics"
        body = ApiClient(self.client, self.world.east.users[Role.LEADER]).get(path).json()
        self.assertEqual(body["round"]["street"]["code"], self.world.east.street.code)
        self.assertEqual((body["committees_total"], body["direct"], body["indirect"]), (2, 1, 1))
        self.assertEqual(body["turnout"], {"part": 11, "whole": 13, "rate": round(11 / 13, 4)})
        self.assertEqual(body["contested"], {"candidates": 8, "seats": 10, "ratio": 0.8})
        self.assertEqual(body["members"]["by_age"], {"under_35": 1, "35_44": 1, "45_54": 1, "55_plus": 1})
        self.assertEqual(body["members"]["women"]["part"], 3)
        self.assertEqual(body["mailings"]["receipts"], 75)
        second = body["committees"][1]
        self.assertEqual(
            (second["method"], second["electorate"], second["registered"]), ("representative", 2, 10)
        )
        users = {**self.world.east.users}
        expected = dict.fromkeys(users, 403) | {Role.ADMIN: 200, Role.LEADER: 200}
        assert_matrix(TokenLogin(self.client), "/api/v1" + path, expected, users)
        west = self.world.west.users
        assert_matrix(TokenLogin(self.client), "/api/v1" + path, {Role.ADMIN: 404, Role.LEADER: 404}, west)
