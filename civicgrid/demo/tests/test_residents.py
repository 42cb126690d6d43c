"""The demo's registry and its year of visits (demo/residents.py): a load_demo with
PER_STREET persons a street and no cases, once for the class."""

import datetime as dt
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.test import TestCase, override_settings

from civicgrid.accounts.models import User
from civicgrid.core import clock, personal, profile
from civicgrid.core.choices import Action
from civicgrid.core.models import Event
from civicgrid.demo import volume
from civicgrid.demo.builder import build_plan
from civicgrid.demo.cases import street_infos
from civicgrid.demo.residents import SH, Planner, load_registry
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area, Building
from civicgrid.residents import care, exams, idcard
from civicgrid.residents.choices import CareKind, ExamStatus, FlatUse, Relation, RoundKind, VisitStatus
from civicgrid.residents.models import CareTag, ExamRound, Flat, Household, LocalCareKind, Person, Visit

from . import parts

PER_STREET = 1200
STREETS = {
    "pingliang": "平凉路街道",
    "wujiaochang": "五角场街道",
    "tianping": "天平路街道",
    "lujiazui": "陆家嘴街道",
}
KEYS = list(STREETS)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class DemoRegistryTests(TestCase):
    load_day: dt.date

    @classmethod
    def setUpTestData(cls) -> None:
        cls.load_day = clock.today()
        call_command(
            "load_demo", "--quiet", "--cases-per-street", "0", "--residents-per-street", str(PER_STREET)
        )
        parts.settle()

    def street(self, key: str) -> Area:
        return Area.objects.get(kind=AreaKind.STREET, name=STREETS[key])

    @staticmethod
    def planned_by_sensors() -> list[int]:
        """The door visits the sensors' demo plans (an unanswered care alert escalated): no
        visitor yet, still planned — apart from the registry's year of done visits."""
        return list(
            Event.objects.filter(
                app="residents", object_type="visit", action="plan", actor_id__isnull=True
            ).values_list("object_id", flat=True)
        )

    # --- size and shares ----------------------------------------------------------------

    def test_each_street_has_a_registry_of_the_asked_size_across_its_buildings(self):
        for key in KEYS:
            street = self.street(key)
            persons = Person.objects.filter(street=street).count()
            assert 0.8 * PER_STREET <= persons <= 1.1 * PER_STREET, (key, persons)
            # Every building has flats; every household a head who lives in it, 1–5 persons.
            buildings = Building.objects.filter(street=street)
            assert not buildings.exclude(pk__in=Flat.objects.values("building_id")).exists()
            sizes = Counter(
                Household.objects.filter(street=street)
                .annotate(n=Count("members"))
                .values_list("n", flat=True)
            )
            assert set(sizes) == {1, 2, 3, 4, 5}, (key, sizes)
            households = Household.objects.filter(street=street)
            assert not households.filter(head__isnull=True).exists()
            assert not households.exclude(head__household=F("pk")).exists()

    def test_an_old_population_and_plausible_uses_and_statuses(self):
        persons = Person.objects.all()
        n = persons.count()
        old = persons.filter(birth_date__lte=care.born_on_or_before(60, self.load_day)).count()
        assert 0.30 <= old / n <= 0.42, old / n
        uses = Counter(Flat.objects.values_list("use", flat=True))
        assert set(uses) == set(FlatUse.values)
        assert uses[FlatUse.OWNER] > uses[FlatUse.RENTED] > uses[FlatUse.GROUP_RENTED]
        # Shops only on a ground floor; nobody lives in a shop or an empty flat.
        assert not Flat.objects.filter(use=FlatUse.COMMERCIAL).exclude(floor=1).exists()
        empty = Flat.objects.filter(use__in=[FlatUse.COMMERCIAL, FlatUse.VACANT])
        assert not Household.objects.filter(flat__in=empty).exists()
        statuses = Counter(persons.values_list("residence", flat=True))
        assert statuses.most_common(1)[0][0] == "registered"
        assert statuses["migrant"] > 0.1 * n and statuses["living_unregistered"] > 0.05 * n
        relations = set(persons.values_list("relation", flat=True))
        assert {Relation.HEAD, Relation.SPOUSE, Relation.CHILD, Relation.PARENT} <= relations
        # Employment by age: the small children are not at work, most of the old retired.
        kids = persons.filter(birth_date__gt=care.born_on_or_before(6, self.load_day))
        assert set(kids.values_list("employment", flat=True)) == {"preschool"}
        seniors = persons.filter(birth_date__lte=care.born_on_or_before(65, self.load_day))
        assert seniors.filter(employment="retired").count() > 0.9 * seniors.count()

    def test_care_tags_in_plausible_shares(self):
        n = Person.objects.count()
        kinds = Counter(CareTag.objects.values_list("kind", flat=True))
        assert 0.008 <= kinds[CareKind.MINIMUM_INCOME] / n <= 0.03
        assert 0.015 <= kinds[CareKind.DISABILITY] / n <= 0.045
        assert 0.003 <= kinds[CareKind.ILLNESS] / n <= 0.02
        assert kinds[CareKind.MARTYR] < 0.005 * n
        grades = set(
            CareTag.objects.filter(kind=CareKind.DISABILITY).values_list("disability_grade", flat=True)
        )
        assert grades <= {1, 2, 3, 4} and len(grades) >= 3
        for key in KEYS:
            street = self.street(key)
            mine = CareTag.objects.filter(street=street)
            assert mine.filter(kind=CareKind.CORRECTION).count() == volume.CORRECTION_PER_STREET
            assert mine.filter(kind=CareKind.RELEASED).count() == volume.RELEASED_PER_STREET
            local = LocalCareKind.objects.get(street=street)
            assert local.name == "失独家庭" and local.visit_interval_days
            assert mine.filter(local_kind=local).exists()

    def test_elderly_living_alone_are_the_single_person_households_of_70_plus(self):
        seventy = care.born_on_or_before(70, self.load_day)
        alone = CareTag.objects.filter(kind=CareKind.ALONE)
        assert alone.count() > 0.02 * Person.objects.count()
        single_old = Household.objects.annotate(n=Count("members")).filter(n=1, head__birth_date__lte=seventy)
        tagged = set(alone.values_list("person__household_id", flat=True))
        # Nearly all single households of 70+ are tagged (a tenant of 70+ would not be planned).
        assert len(tagged & set(single_old.values_list("pk", flat=True))) == len(tagged)
        assert len(tagged) >= 0.95 * single_old.count()

    # --- personal data ------------------------------------------------------------------

    def test_id_numbers_are_valid_fictitious_unique_and_agree_with_the_person(self):
        seen = set()
        for number, birth, sex in Person.objects.values_list("id_number", "birth_date", "sex"):
            plain = personal.unmasked(number)
            assert idcard.problem(plain) is None, plain
            assert plain.startswith("310000")  # the city's own code: on no real card
            assert idcard.birth_date(plain) == birth and idcard.sex(plain) == sex
            seen.add(plain)
        assert len(seen) == Person.objects.count()

    def test_no_column_holds_a_plain_id_number_or_phone(self):
        plain = {
            pk: (personal.unmasked(i), personal.unmasked(p))
            for pk, i, p in Person.objects.values_list("pk", "id_number", "phone")
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, id_number, phone, id_number_hash, phone_hash FROM residents_person")
            rows = cursor.fetchall()
            cursor.execute("SELECT owner_phone FROM residents_flat WHERE owner_phone <> ''")
            owners = [r[0] for r in cursor.fetchall()]
        assert len(rows) == len(plain) and owners
        phones = 0
        for pk, id_raw, phone_raw, id_hash, phone_hash in rows:
            number, phone = plain[pk]
            assert number not in id_raw and id_raw.startswith("gAAAAA")
            assert id_hash == personal.digest("id_number", number)
            if phone:
                phones += 1
                assert re.fullmatch(r"13900\d{6}", phone)
                assert phone not in phone_raw and phone_hash == personal.digest("phone", phone)
        assert phones > 0.6 * len(rows)
        assert not any(re.search(r"1390\d{7}", raw) for raw in owners)
        # Found again by the keyed hash, as an import finds a person.
        person = Person.objects.first()
        assert person is not None
        assert (
            Person.objects.filter(personal.matching(Person, "id_number", plain[person.pk][0])).get() == person
        )

    # --- visits -------------------------------------------------------------------------

    def test_a_year_of_done_visits_by_the_streets_cadre_or_grid_worker(self):
        now = clock.now()
        planned = Visit.objects.filter(pk__in=self.planned_by_sensors())
        assert planned.exists() and not planned.exclude(status=VisitStatus.PLANNED).exists()
        visits = Visit.objects.exclude(pk__in=planned)
        assert visits.count() > 0 and not visits.exclude(status=VisitStatus.DONE).exists()
        assert not visits.filter(visited_at__gt=now).exists()
        assert not visits.filter(visited_at__lt=now - dt.timedelta(days=367)).exists()
        for key in KEYS:
            street = self.street(key)
            accounts = set(
                User.objects.filter(username__in=[f"{key}-cadre", f"{key}-gridworker"]).values_list(
                    "pk", flat=True
                )
            )
            used = set(visits.filter(street=street).values_list("visitor_id", flat=True))
            assert used == accounts, key
        # Weekly visits to the elderly living alone: dozens a year each.
        alone = CareTag.objects.filter(
            kind=CareKind.ALONE, starts_on__lte=self.load_day - dt.timedelta(days=365)
        )
        counts = (
            Visit.objects.filter(household__members__care_tags__in=alone)
            .values("household")
            .annotate(n=Count("id"))
        )
        assert sorted(c["n"] for c in counts)[len(counts) // 2] >= 35
        # The recent door visits were recorded on the phone form, checked in near the building.
        recent = visits.filter(
            method="door", visited_at__gte=now - dt.timedelta(days=volume.CHECKIN_DAYS - 1)
        )
        assert recent.exists() and not recent.filter(distance_m__isnull=True).exists()
        assert not recent.filter(distance_m__gt=volume.CHECKIN_METRES[1]).exists()
        assert not visits.exclude(method="door").filter(lat__isnull=False).exists()
        assert not visits.filter(
            visited_at__lt=now - dt.timedelta(days=volume.CHECKIN_DAYS + 2), lat__isnull=False
        ).exists()
        # A visit's reasons never name a sensitive kind (every visitor reads them).
        reasons = {r for rs in visits.values_list("reasons", flat=True) for r in rs}
        assert "alone" in reasons and not reasons & set(care.SENSITIVE)

    def test_one_event_per_household_and_per_visit(self):
        assert (
            Event.objects.filter(app="residents", object_type="household").count()
            == Household.objects.count()
        )
        logged = Event.objects.filter(app="residents", object_type="visit", action="record")
        recorded = Visit.objects.exclude(pk__in=self.planned_by_sensors())
        assert logged.count() == recorded.count()
        visit = recorded.order_by("pk").first()
        assert visit is not None
        event = logged.get(object_id=visit.pk)
        assert event.at == visit.visited_at and event.actor_id == visit.visitor_id
        payloads = Event.objects.filter(app="residents").values_list("payload", flat=True)
        assert not any(k in str(p) for p in payloads for k in care.SENSITIVE)

    def test_the_lujiazui_cadre_has_elderly_living_alone_overdue_for_a_visit(self):
        cadre = User.objects.get(username="lujiazui-cadre")
        street = self.street("lujiazui")
        interval = profile.value("residents.visit_interval_days", street.pk)["alone"]
        mine = (
            Household.objects.restrict(cadre, Action.VIEW)
            .filter(members__care_tags__kind=CareKind.ALONE)
            .annotate(last=Max("visits__visited_at", filter=Q(visits__status=VisitStatus.DONE)))
        )
        due_before = dt.datetime.combine(self.load_day, dt.time(), SH) - dt.timedelta(days=interval)
        overdue = [h for h in mine if h.last is None or h.last < due_before]
        assert len(overdue) >= 3, len(overdue)
        assert len(overdue) < mine.count()

    def test_most_households_visited_are_not_overdue(self):
        street = self.street("pingliang")
        intervals = profile.value("residents.visit_interval_days", street.pk)
        alone = Household.objects.filter(street=street, members__care_tags__kind=CareKind.ALONE).annotate(
            last=Max("visits__visited_at")
        )
        due_before = dt.datetime.combine(self.load_day, dt.time(), SH) - dt.timedelta(days=intervals["alone"])
        late = sum(1 for h in alone if h.last is None or h.last < due_before)
        assert 0 < late < 0.3 * alone.count()

    # --- 知情考试 ---------------------------------------------------------------------------

    def test_two_examination_rounds_drawn_answered_and_graded(self):
        first_day = self.load_day - dt.timedelta(days=volume.EXAM_FIRST_DAYS_AGO)
        rechecked = 0
        for key in KEYS:
            rounds = list(ExamRound.objects.filter(street=self.street(key)).order_by("held_on"))
            first = rounds[0]
            assert first.kind == RoundKind.FIRST and first.held_on == first_day
            [exam] = first.exams.all()
            assert exam.cadre.username == f"{key}-cadre" and exam.status == ExamStatus.GRADED
            assert exam.items.count() == min(first.sample_size, exam.population) and exam.total > 0
            # The draw can be redone from its recorded seed.
            assert exams.redraw(exam) == list(
                exam.items.order_by("position").values_list("household_id", flat=True)
            )
            assert exam.grade == exams.suggested_grade(exam.matched, exam.total)
            if exam.grade == 1:
                [recheck] = rounds[1:]
                assert recheck.kind == RoundKind.RECHECK and recheck.parent_id == first.pk
                assert recheck.exams.get().status == ExamStatus.GRADED
                rechecked += 1
            else:
                assert rounds[1:] == []
        assert 0 < rechecked < len(KEYS)

    # --- reloads ------------------------------------------------------------------------

    def test_a_second_load_adds_nothing(self):
        before = (Person.objects.count(), Visit.objects.count(), Event.objects.count())
        report = load_registry(build_plan(), PER_STREET)
        assert report.created == 0 and report.streets == 0
        assert (Person.objects.count(), Visit.objects.count(), Event.objects.count()) == before

    def test_the_plan_is_deterministic(self):
        info = next(i for i in street_infos(build_plan()) if i.spec.key == "tianping")
        buildings = list(Building.objects.filter(street__code=info.code).order_by("grid__code", "pk"))

        def names() -> list[tuple[str, str, str]]:
            flats = Planner(info, self.load_day).flats(buildings, PER_STREET)
            return [(f.room, p.name, p.id_number) for f in flats for h in f.households for p in h.persons]

        assert names() == names()


@pytest.mark.django_db
def test_a_negative_size_is_refused():
    with pytest.raises(CommandError, match="--residents-per-street"):
        call_command("load_demo", "--quiet", "--residents-per-street", "-1", stdout=StringIO())
    assert not Area.objects.filter(kind=AreaKind.STREET).exists()
