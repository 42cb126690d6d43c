"""The register from the residents registry: age on election day (周岁, 29 February), residence
status, moved-out and deceased persons, an idempotent rebuild that strikes with reasons and
keeps additions, groups by building, household and group representatives and the electorate
each method counts."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from civicgrid.core.models import Event
from civicgrid.elections import register
from civicgrid.elections.actions import voters as actions
from civicgrid.elections.actions.elections import ELECTION_FRAME
from civicgrid.elections.actions.rounds import create_round
from civicgrid.elections.checks import electorate
from civicgrid.elections.choices import Basis, ElectionAction, Method, VoterSource, VoterStatus
from civicgrid.elections.models import Election, Voter
from civicgrid.residents.choices import Relation, ResidenceStatus
from civicgrid.residents.models import Household, Person
from civicgrid.testing.factories import build_world
from civicgrid.testing.residents import build_registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = date(2026, 8, 20)


def advance(election: Election, user, *actions_: str) -> Election:  # type: ignore[no-untyped-def]
    for action in actions_:
        election = ELECTION_FRAME.run(election.pk, action, user, {})
    return election


class AgeTests(TestCase):
    def test_full_years_on_the_day(self) -> None:
        self.assertEqual(register.age_on(date(2008, 8, 20), DAY), 18)
        self.assertEqual(register.age_on(date(2008, 8, 21), DAY), 17)
        self.assertEqual(register.latest_birth_date(DAY, 18), date(2008, 8, 20))

    def test_a_29_february_birthday_is_reached_on_1_march(self) -> None:
        born = date(2008, 2, 29)
        self.assertEqual(register.age_on(born, date(2026, 2, 28)), 17)
        self.assertEqual(register.age_on(born, date(2026, 3, 1)), 18)
        self.assertGreater(born, register.latest_birth_date(date(2026, 2, 28), 18))
        self.assertLessEqual(born, register.latest_birth_date(date(2026, 3, 1), 18))
        # An election on 29 February: those born up to 28 February 18 years before are of age.
        self.assertEqual(register.latest_birth_date(date(2028, 2, 29), 18), date(2010, 2, 28))
        self.assertEqual(register.latest_birth_date(date(2028, 2, 29), 20), date(2008, 2, 29))


@time_machine.travel(NOW, tick=False)
class RegisterTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        east = cls.world.east
        cls.reg = build_registry(east)
        cls.admin, cls.cadre = east.users[Role.ADMIN], east.users[Role.CADRE]
        with time_machine.travel(NOW, tick=False):
            cls.round = create_round(
                cls.admin, street=east.street, name="2026 换届", year=2026, election_day=DAY
            )
        cls.election = cls.round.elections.get(area=east.residential[0])
        h1, h2, h3 = cls.reg.households
        eighteen = register.latest_birth_date(DAY, 18)

        def person(household: Household, name: str, born: date, **extra) -> Person:  # type: ignore[no-untyped-def]
            return Person.objects.create(
                street_id=household.street_id,
                household=household,
                name=name,
                birth_date=born,
                sex="F",
                relation=Relation.CHILD,
                **extra,
            )

        cls.p = {
            "day_before": person(h2, "李前日", eighteen - timedelta(days=1)),
            "on_day": person(h2, "李当日", eighteen),
            "day_after": person(h2, "李后日", eighteen + timedelta(days=1)),
            "resident": person(h3, "常住者", date(1988, 1, 1), residence=ResidenceStatus.RESIDENT),
            "away": person(h3, "户在人不在", date(1985, 1, 1), residence=ResidenceStatus.REGISTERED_AWAY),
            "migrant": person(h3, "流动者", date(1995, 1, 1), residence=ResidenceStatus.MIGRANT),
            "unregistered": person(
                h3, "人在户不在", date(1995, 1, 1), residence=ResidenceStatus.LIVING_UNREGISTERED
            ),
            "dead": person(h3, "已故者", date(1940, 1, 1), residence=ResidenceStatus.DECEASED),
        }
        # A household that moved out keeps its members' rows: not listed.
        gone = Household.objects.create(
            flat=cls.reg.flats[0], street_id=h1.street_id, moved_out=date(2025, 1, 1)
        )
        cls.p["moved_out"] = person(gone, "已迁出", date(1980, 1, 1))

    def start(self, method: str = Method.DIRECT) -> Election:
        Election.objects.filter(pk=self.election.pk).update(method=method)
        election = advance(self.election, self.cadre, ElectionAction.FORM_COMMITTEE)
        buildings = self.world.east.buildings
        self.group1 = actions.create_group(self.cadre, election, number=1, buildings=str(buildings[0].pk))
        self.group2 = actions.create_group(self.cadre, election, number=2, buildings=[buildings[1].pk])
        return advance(election, self.cadre, ElectionAction.DIVIDE_GROUPS)

    def listed_names(self) -> set[str]:
        return set(
            Voter.objects.filter(election=self.election, status=VoterStatus.LISTED).values_list(
                "name", flat=True
            )
        )

    def test_register_from_the_registry(self) -> None:
        election = self.start()
        result = actions.build_register(self.cadre, election)
        expected = {"王秀英", "李建国", "张丽", "赵强", "李前日", "李当日", "常住者", "户在人不在"}
        self.assertEqual(self.listed_names(), expected)
        self.assertEqual(result, {"added": len(expected), "kept": 0, "struck": 0})
        voters = {v.name: v for v in Voter.objects.filter(election=election)}
        self.assertEqual(voters["常住者"].basis, Basis.RESIDENT)
        self.assertEqual(voters["户在人不在"].basis, Basis.REGISTERED)
        self.assertEqual(voters["李当日"].basis, Basis.REGISTERED)
        self.assertEqual({v.group_id for v in voters.values()}, {self.group1.pk})
        self.assertEqual(voters["李当日"].household_id, self.reg.households[1].pk)
        self.assertNotIn("孙伟", voters)  # the other committee's area
        event = Event.objects.get(app="elections", action="build_register", object_id=election.pk)
        self.assertEqual(event.payload["added"], len(expected))

    def test_rebuild_is_idempotent_strikes_and_keeps_additions(self) -> None:
        election = self.start()
        first = actions.build_register(self.cadre, election)
        added = actions.add_voter(
            self.cadre, election, name="补登者", sex="M", birth_date=date(1990, 5, 5), basis=Basis.RESIDENT
        )
        again = actions.build_register(self.cadre, election)
        self.assertEqual(again, {"added": 0, "kept": first["added"] + 1, "struck": 0})
        # 李建国 moves out, 张丽 dies, 赵强 becomes a migrant: struck, each with the reason.
        Person.objects.filter(pk=self.reg.persons["head2"].pk).update(household=None)
        Person.objects.filter(pk=self.reg.persons["spouse2"].pk).update(residence=ResidenceStatus.DECEASED)
        Person.objects.filter(pk=self.reg.persons["tenant3"].pk).update(residence=ResidenceStatus.MIGRANT)
        third = actions.build_register(self.cadre, election)
        self.assertEqual(third["struck"], 3)
        reasons = dict(
            Voter.objects.filter(election=election, status=VoterStatus.STRUCK).values_list(
                "name", "struck_reason"
            )
        )
        self.assertEqual(reasons["李建国"], "已迁出")
        self.assertEqual(reasons["张丽"], "已死亡")
        self.assertIn("流动人口", reasons["赵强"])
        self.assertIn("补登者", self.listed_names())
        self.assertEqual(Voter.objects.get(pk=added.pk).source, VoterSource.ADDITION)
        self.assertEqual(actions.build_register(self.cadre, election), {"added": 0, "kept": 6, "struck": 0})
        # A strike stands on the next build; an addition from the registry lists the person again.
        actions.add_voter(
            self.cadre, election, name="", person=self.reg.persons["tenant3"], basis=Basis.OTHER
        )
        self.assertIn("赵强", self.listed_names())

    def test_build_takes_a_fixed_number_of_queries(self) -> None:
        election = self.start()
        actions.build_register(self.cadre, election)  # caches (content types, the profile) warm
        Voter.objects.filter(election=election).delete()
        with CaptureQueriesContext(connection) as first:
            actions.build_register(self.cadre, election)
        for i in range(6):
            Person.objects.create(
                street_id=self.world.east.street.pk,
                household=self.reg.households[0],
                name=f"新居民{i}",
                birth_date=date(1990, 1, 1),
                relation=Relation.CHILD,
            )
        Voter.objects.filter(election=election).delete()
        with CaptureQueriesContext(connection) as second:
            actions.build_register(self.cadre, election)
        self.assertEqual(len(first), len(second))

    def test_build_only_while_registering(self) -> None:
        with self.assertRaises(Conflict):
            actions.build_register(self.cadre, self.election)
        election = self.start()
        actions.build_register(self.cadre, election)
        election = advance(election, self.cadre, ElectionAction.OPEN_REGISTRATION)
        actions.build_register(self.cadre, election)
        election = advance(election, self.cadre, ElectionAction.CLOSE_REGISTRATION)
        with self.assertRaises(Conflict) as caught:
            actions.build_register(self.cadre, election)
        self.assertIn("选民登记结束", caught.exception.message)

    def test_who_may_build(self) -> None:
        election = self.start()
        with self.assertRaises(Forbidden):
            actions.build_register(self.world.east.users[Role.LEADER], election)
        with self.assertRaises(NotFound):
            actions.build_register(self.world.west.users[Role.ADMIN], election)
        other = self.round.elections.get(area=self.world.east.residential[1])
        with self.assertRaises(NotFound):
            actions.build_register(self.cadre, other)

    def test_additions_and_strikes(self) -> None:
        election = self.start()
        with self.assertRaises(InvalidInput) as caught:
            actions.add_voter(self.cadre, election, name="未成年", birth_date=date(2008, 8, 21))
        self.assertEqual(caught.exception.fields, {"birth_date": "under_age"})
        with self.assertRaises(InvalidInput) as caught:
            actions.add_voter(self.cadre, election, name=" ")
        self.assertEqual(caught.exception.fields, {"name": "required"})
        with self.assertRaises(InvalidInput) as caught:
            actions.add_voter(self.cadre, election, name="某人", group=999999)
        self.assertEqual(caught.exception.fields, {"group": "invalid"})
        voter = actions.add_voter(
            self.cadre, election, name="外来务工者", birth_date=date(2008, 8, 20), group=self.group2
        )
        self.assertEqual(
            (voter.source, voter.basis, voter.group), (VoterSource.ADDITION, Basis.RESIDENT, self.group2)
        )
        with self.assertRaises(Conflict):
            actions.add_voter(self.cadre, election, name="外来务工者", birth_date=date(2008, 8, 20))
        with self.assertRaises(InvalidInput) as caught:
            actions.strike_voter(self.cadre, voter, reason="")
        self.assertEqual(caught.exception.fields, {"reason": "required"})
        struck = actions.strike_voter(self.cadre, voter, reason="本人申请在户籍地登记")
        self.assertEqual((struck.status, struck.struck_reason), (VoterStatus.STRUCK, "本人申请在户籍地登记"))
        with self.assertRaises(Conflict):
            actions.strike_voter(self.cadre, voter, reason="再次")

    def test_groups_by_building(self) -> None:
        election = advance(self.election, self.cadre, ElectionAction.FORM_COMMITTEE)
        buildings = self.world.east.buildings
        actions.create_group(self.cadre, election, number=1, name="一组", buildings=f"{buildings[0].pk}")
        for kwargs, field in (
            ({"number": 1, "buildings": ""}, "number"),
            ({"number": 2, "buildings": str(buildings[0].pk)}, "buildings"),
            ({"number": 2, "buildings": str(buildings[2].pk)}, "buildings"),  # another area
            ({"number": 2, "buildings": "一号楼"}, "buildings"),
            ({"number": "x", "buildings": ""}, "number"),
        ):
            with self.subTest(kwargs=kwargs), self.assertRaises((InvalidInput, Conflict)) as caught:
                actions.create_group(self.cadre, election, **kwargs)
            self.assertEqual(list(caught.exception.fields), [field])

    def test_household_method_marks_heads_or_the_oldest(self) -> None:
        election = self.start(Method.HOUSEHOLD)
        # Household 3's head 赵强 is not eligible any more: its oldest listed member represents it.
        Person.objects.filter(pk=self.reg.persons["tenant3"].pk).update(residence=ResidenceStatus.MIGRANT)
        actions.build_register(self.cadre, election)
        reps = set(electorate(election).values_list("name", flat=True))
        self.assertEqual(reps, {"王秀英", "李建国", "户在人不在"})
        # Run again: nothing changes; a second representative of one household is refused.
        actions.build_register(self.cadre, election)
        self.assertEqual(set(electorate(election).values_list("name", flat=True)), reps)
        spouse = Voter.objects.get(election=election, name="张丽")
        with self.assertRaises(Conflict) as caught:
            actions.set_representative(self.cadre, spouse, household=True)
        self.assertIn("李建国", caught.exception.message)
        head = Voter.objects.get(election=election, name="李建国")
        actions.set_representative(self.cadre, head, household=False)
        actions.set_representative(self.cadre, spouse, household=True)
        self.assertIn("张丽", set(electorate(election).values_list("name", flat=True)))

    def test_group_representatives_and_the_electorate_per_method(self) -> None:
        election = self.start(Method.REPRESENTATIVE)
        actions.build_register(self.cadre, election)
        voters = list(Voter.objects.filter(election=election, group=self.group1).order_by("id"))
        for voter in voters[:3]:
            actions.set_representative(self.cadre, voter, group=True)
        with self.assertRaises(Conflict) as caught:
            actions.set_representative(self.cadre, voters[3], group=True)
        self.assertEqual(caught.exception.fields, {"group": "limit"})
        self.assertIn("3", caught.exception.message)
        self.assertEqual(electorate(election).count(), 3)
        Election.objects.filter(pk=election.pk).update(method=Method.DIRECT)
        self.assertEqual(electorate(Election.objects.get(pk=election.pk)).count(), len(voters))
        counts = register.counts(Election.objects.get(pk=election.pk))
        self.assertEqual((counts["listed"], counts["group_reps"], counts["electorate"]), (8, 3, 8))
        loose = actions.add_voter(self.cadre, election, name="无组者")
        with self.assertRaises(InvalidInput) as caught:
            actions.set_representative(self.cadre, loose, group=True)
        self.assertEqual(caught.exception.fields, {"group": "none"})
