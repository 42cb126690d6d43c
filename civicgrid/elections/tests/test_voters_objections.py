"""Objections to the published list (timing on both sides, uphold adds or strikes, a late
decision flagged), proxies (the limit and its override, the method) and letters and notices."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase

from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, InvalidInput, TransitionNotAllowed
from civicgrid.core.models import Event
from civicgrid.elections import register
from civicgrid.elections.actions import voters as actions
from civicgrid.elections.actions.elections import ELECTION_FRAME
from civicgrid.elections.actions.frames import OBJECTION_FRAME
from civicgrid.elections.actions.rounds import create_round, override_rule
from civicgrid.elections.choices import (
    ElectionAction,
    MailingKind,
    Method,
    ObjectionKind,
    ObjectionStatus,
    VoterSource,
    VoterStatus,
)
from civicgrid.elections.models import Election, Voter
from civicgrid.residents.choices import Relation, ResidenceStatus
from civicgrid.residents.models import Person
from civicgrid.testing.factories import build_world
from civicgrid.testing.residents import build_registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 8, 20)


def at(day: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI)


class ListedElection(TestCase):
    """An election whose list was published on 1 June 2026 (election day 20 August)."""

    method = Method.DIRECT

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = cls.world.east
        cls.reg = build_registry(east)
        cls.admin, cls.cadre = east.users[Role.ADMIN], east.users[Role.CADRE]
        with time_machine.travel(at(1), tick=False):
            cls.round = create_round(
                cls.admin, street=east.street, name="2026 换届", year=2026, election_day=DAY
            )
            election = cls.round.elections.get(area=east.residential[0])
            Election.objects.filter(pk=election.pk).update(method=cls.method)
            run = lambda action: ELECTION_FRAME.run(election.pk, action, cls.cadre, {})  # noqa: E731
            run(ElectionAction.FORM_COMMITTEE)
            actions.create_group(cls.cadre, election, number=1, buildings=str(east.buildings[0].pk))
            run(ElectionAction.DIVIDE_GROUPS)
            run(ElectionAction.OPEN_REGISTRATION)
            actions.build_register(cls.cadre, election)
            if cls.method == Method.REPRESENTATIVE:
                for voter in Voter.objects.filter(election=election).order_by("id")[:2]:
                    actions.set_representative(cls.cadre, voter, group=True)
            run(ElectionAction.CLOSE_REGISTRATION)
            cls.election = run(ElectionAction.PUBLISH_LIST)
        cls.voters = {v.name: v for v in Voter.objects.filter(election=cls.election)}
        # Living here without 户籍 (流动人口): not on the list, objects to it.
        cls.omitted = Person.objects.create(
            street_id=east.street.pk,
            household=cls.reg.households[2],
            name="漏登者",
            birth_date=date(1990, 2, 2),
            relation=Relation.OTHER,
            residence=ResidenceStatus.MIGRANT,
        )


class ObjectionTests(ListedElection):
    def file(self, **kwargs):  # type: ignore[no-untyped-def]
        values = {
            "kind": ObjectionKind.OMITTED,
            "filer_name": "漏登者",
            "subject_name": "漏登者",
            "statement": "本人在本居民区居住三年，申请登记",
            "subject_person": self.omitted,
        } | kwargs
        return actions.file_objection(self.cadre, self.election, **values)

    def test_filed_within_the_days_after_publication(self) -> None:
        with time_machine.travel(at(6), tick=False):  # 1 June + 5 days: the last day
            objection = self.file()
        self.assertEqual(objection.filed_on, date(2026, 6, 6))
        self.assertTrue(Event.objects.filter(app="elections", action="file", object_id=objection.pk).exists())
        with time_machine.travel(at(7), tick=False), self.assertRaises(Conflict) as caught:
            self.file()
        self.assertEqual(caught.exception.fields, {"filed_on": "too_late"})
        self.assertIn("2026-06-06", caught.exception.message)

    def test_not_before_the_list_is_published(self) -> None:
        other = self.round.elections.get(area=self.world.east.residential[1])
        with time_machine.travel(at(2), tick=False), self.assertRaises(Conflict):
            actions.file_objection(
                self.admin,
                other,
                kind=ObjectionKind.OMITTED,
                filer_name="甲",
                subject_name="甲",
                statement="未列入",
            )

    def test_the_window_follows_the_rule(self) -> None:
        override_rule(
            self.admin, self.round, key="objection_days", value=7, reason="区选举委员会决定延长申诉期"
        )
        with time_machine.travel(at(8), tick=False):
            self.file()

    def test_input_named(self) -> None:
        with time_machine.travel(at(2), tick=False):
            for kwargs, field in (
                ({"kind": "other"}, "kind"),
                ({"filer_name": ""}, "filer_name"),
                ({"statement": " "}, "statement"),
                ({"kind": ObjectionKind.WRONGLY_LISTED, "subject_person": None}, "subject_voter"),
            ):
                with self.subTest(field=field), self.assertRaises(InvalidInput) as caught:
                    self.file(**kwargs)
                self.assertEqual(list(caught.exception.fields), [field])

    def test_uphold_an_omission_lists_the_person(self) -> None:
        with time_machine.travel(at(2), tick=False):
            objection = self.file()
        with time_machine.travel(at(4), tick=False):
            decided = OBJECTION_FRAME.run(
                objection.pk, "uphold", self.cadre, {"decision": "经核实居住满一年，列入名单"}
            )
        self.assertEqual((decided.status, decided.decided_on), (ObjectionStatus.UPHELD, date(2026, 6, 4)))
        self.assertEqual(decided.decided_by, self.cadre)
        voter = Voter.objects.get(election=self.election, person=self.omitted)
        self.assertEqual((voter.status, voter.source), (VoterStatus.LISTED, VoterSource.OBJECTION))
        self.assertFalse(register.is_late(decided, self.round.rules(), date(2026, 6, 30)))
        event = Event.objects.get(app="elections", action="uphold", object_id=objection.pk)
        self.assertFalse(event.payload["late"])

    def test_uphold_a_wrong_listing_strikes_and_a_late_decision_is_flagged(self) -> None:
        listed = self.voters["赵强"]
        with time_machine.travel(at(2), tick=False):
            objection = self.file(
                kind=ObjectionKind.WRONGLY_LISTED,
                subject_name="赵强",
                subject_voter=listed,
                subject_person=None,
            )
        with time_machine.travel(at(6), tick=False):  # filed 2 June, due 5 June
            with self.assertRaises(InvalidInput):
                OBJECTION_FRAME.run(objection.pk, "uphold", self.cadre, {"decision": ""})
            decided = OBJECTION_FRAME.run(objection.pk, "uphold", self.cadre, {"decision": "已迁往外区"})
        struck = Voter.objects.get(pk=listed.pk)
        self.assertEqual(struck.status, VoterStatus.STRUCK)
        self.assertIn("已迁往外区", struck.struck_reason)
        self.assertTrue(register.is_late(decided, self.round.rules(), date(2026, 6, 6)))
        self.assertTrue(
            Event.objects.get(app="elections", action="uphold", object_id=objection.pk).payload["late"]
        )
        with time_machine.travel(at(6), tick=False), self.assertRaises(TransitionNotAllowed):
            OBJECTION_FRAME.run(objection.pk, "reject", self.cadre, {"decision": "再议"})

    def test_reject_changes_nothing_and_blocks_no_more(self) -> None:
        with time_machine.travel(at(2), tick=False):
            objection = self.file()
        with time_machine.travel(at(3), tick=False):
            with self.assertRaises(TransitionNotAllowed):  # a pending objection holds the candidates
                ELECTION_FRAME.run(self.election.pk, ElectionAction.ANNOUNCE_CANDIDATES, self.cadre, {})
            OBJECTION_FRAME.run(objection.pk, "reject", self.cadre, {"decision": "户籍与居住均不在本居民区"})
        self.assertFalse(Voter.objects.filter(election=self.election, person=self.omitted).exists())
        # Now only the slate is missing.
        with self.assertRaises(TransitionNotAllowed) as caught, time_machine.travel(at(3), tick=False):
            ELECTION_FRAME.run(self.election.pk, ElectionAction.ANNOUNCE_CANDIDATES, self.cadre, {})
        self.assertNotIn("申诉", str(caught.exception))

    def test_an_omitted_person_already_listed_is_refused(self) -> None:
        with time_machine.travel(at(2), tick=False), self.assertRaises(Conflict):
            self.file(subject_person=self.reg.persons["head2"], subject_name="李建国")


class ProxyTests(ListedElection):
    def record(self, principal: str, proxy: str, number: str = "WT-1"):  # type: ignore[no-untyped-def]
        return actions.record_proxy(
            self.cadre,
            self.election,
            principal=self.voters[principal],
            proxy=self.voters[proxy],
            document=number,
        )

    def add(self, *names: str) -> None:
        with time_machine.travel(at(1), tick=False):
            Election.objects.filter(pk=self.election.pk).update(status="registered")
            for name in names:
                self.voters[name] = actions.add_voter(
                    self.cadre, self.election, name=name, birth_date=date(1980, 1, 1)
                )
            Election.objects.filter(pk=self.election.pk).update(status="listed")

    def test_a_proxy_takes_at_most_three(self) -> None:
        self.add("钱一", "钱二")
        with time_machine.travel(at(10), tick=False):
            for principal in ("王秀英", "张丽", "钱一"):
                self.record(principal, "李建国")
            with self.assertRaises(Conflict) as caught:
                self.record("钱二", "李建国")
        self.assertEqual(caught.exception.fields, {"proxy": "limit"})
        self.assertIn("3", caught.exception.message)

    def test_the_limit_overridden_to_two(self) -> None:
        override_rule(self.admin, self.round, key="proxy_limit", value=2, reason="区选举委员会规定")
        with time_machine.travel(at(10), tick=False):
            self.record("王秀英", "李建国")
            self.record("张丽", "李建国")
            with self.assertRaises(Conflict) as caught:
                self.record("赵强", "李建国")
        self.assertIn("2", caught.exception.message)

    def test_authorisation_rules(self) -> None:
        with time_machine.travel(at(10), tick=False):
            for args, field in (
                (("王秀英", "王秀英"), "proxy"),
                (("王秀英", "李建国", " "), "document"),
            ):
                with self.subTest(field=field), self.assertRaises(InvalidInput) as caught:
                    self.record(*args)
                self.assertEqual(list(caught.exception.fields), [field])
            proxy = self.record("王秀英", "李建国")
            self.assertEqual((proxy.authorised_on, proxy.recorded_by), (date(2026, 6, 10), self.cadre))
            with self.assertRaises(Conflict) as caught:
                self.record("王秀英", "张丽")
            self.assertEqual(caught.exception.fields, {"principal": "already"})
            with self.assertRaises(InvalidInput) as caught:
                actions.record_proxy(
                    self.cadre,
                    self.election,
                    principal=self.voters["张丽"],
                    proxy=self.voters["赵强"],
                    document="WT-9",
                    authorised_on=date(2026, 6, 11),
                )
            self.assertEqual(caught.exception.fields, {"authorised_on": "future"})


class RepresentativeProxyTests(ListedElection):
    method = Method.REPRESENTATIVE

    def test_no_proxy_in_a_representatives_election(self) -> None:
        voters = list(Voter.objects.filter(election=self.election)[:2])
        with time_machine.travel(at(10), tick=False), self.assertRaises(Conflict) as caught:
            actions.record_proxy(
                self.cadre, self.election, principal=voters[0], proxy=voters[1], document="WT-1"
            )
        self.assertIn("居民代表选举", caught.exception.message)


class MailingTests(ListedElection):
    def test_batches_and_totals(self) -> None:
        with time_machine.travel(at(12), tick=False):
            actions.record_mailing(self.cadre, self.election, kind=MailingKind.LETTER, sent=1200)
            actions.record_mailing(self.cadre, self.election, kind=MailingKind.NOTICE, sent=800, receipts=640)
            actions.record_mailing(
                self.cadre,
                self.election,
                kind=MailingKind.NOTICE,
                sent="200",
                receipts=150,
                sent_on=date(2026, 6, 11),
            )
            for kwargs, field in (
                ({"kind": MailingKind.LETTER, "sent": 10, "receipts": 2}, "receipts"),
                ({"kind": MailingKind.NOTICE, "sent": 10, "receipts": 11}, "receipts"),
                ({"kind": MailingKind.NOTICE, "sent": 0}, "sent"),
                ({"kind": MailingKind.NOTICE, "sent": "many"}, "sent"),
                ({"kind": "poster", "sent": 1}, "kind"),
                ({"kind": MailingKind.NOTICE, "sent": 1, "sent_on": date(2026, 6, 13)}, "sent_on"),
            ):
                with self.subTest(kwargs=kwargs), self.assertRaises(InvalidInput) as caught:
                    actions.record_mailing(self.cadre, self.election, **kwargs)
                self.assertEqual(list(caught.exception.fields), [field])
        totals = {
            row["kind"]: (row["sent"], row["receipts"])
            for row in register.mailing_totals(self.election.mailings.all())
        }
        self.assertEqual(totals, {MailingKind.LETTER: (1200, 0), MailingKind.NOTICE: (1000, 790)})
