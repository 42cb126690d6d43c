"""Visits (走访): the due list from the street's intervals, the visit machine, the GPS
check-in, photos, the pages and the home panels."""

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from civicgrid.cases.models import Case
from civicgrid.core import panels
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Attachment, Event, PersonalDataAccess
from civicgrid.profiles.actions import save_profile
from civicgrid.residents import due
from civicgrid.residents.actions import visits as actions
from civicgrid.residents.choices import CareKind, VisitStatus
from civicgrid.residents.models import CareTag, LocalCareKind, Person, Visit
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.residents import build_registry

MOMENT = datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TODAY = MOMENT.date()


def jpeg(name: str = "visit.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


class VisitTestCase(TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.enterClassContext(time_machine.travel(MOMENT, tick=False))
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.reg = build_registry(cls.world.east)
        cls.h1, cls.h2, cls.h3 = cls.reg.households

    def user(self, role: str, street: str = "east") -> Any:
        return self.world.user(street, role)

    def done_visit(self, household: Any, days_ago: int) -> Visit:
        return Visit.objects.create(
            household=household,
            street_id=household.street_id,
            status=VisitStatus.DONE,
            visited_at=MOMENT - timedelta(days=days_ago),
        )

    def due_ids(self, user: Any, **kw: Any) -> dict[int, Any]:
        return {row.household.pk: row for row in due.due_list(user, **kw)}


class DueListTests(VisitTestCase):
    def test_each_reader_gets_the_households_of_their_scope(self) -> None:
        cadre = self.due_ids(self.user(Role.CADRE))
        self.assertEqual(set(cadre), {self.h1.pk, self.h2.pk, self.h3.pk})
        # The grid worker does not see the sensitive tags: 赵强's 社区矫正 is no reason for them.
        worker = self.due_ids(self.user(Role.GRID_WORKER))
        self.assertEqual(set(worker), {self.h1.pk, self.h2.pk})
        self.assertEqual({r.code for r in worker[self.h2.pk].reasons}, {CareKind.MINIMUM_INCOME})
        self.assertEqual(self.due_ids(self.user(Role.CADRE, "west")), {})
        self.assertEqual(self.due_ids(self.user(Role.DISPATCHER)), {})
        # Nobody visited since the tags began (2024-01-01): every household is overdue.
        self.assertTrue(all(row.overdue for row in cadre.values()))

    def test_a_few_queries_whatever_the_number_of_people(self) -> None:
        cadre = self.user(Role.CADRE)
        due.due_list(cadre)  # warm the profile cache
        with CaptureQueriesContext(connection) as few:
            due.due_list(cadre)
        for i in range(12):
            person = Person.objects.create(
                street_id=self.h2.street_id, household=self.h2, name=f"老人{i}", birth_date=date(1930, 1, 1)
            )
            CareTag.objects.create(
                person=person, street_id=person.street_id, kind=CareKind.ALONE, starts_on=date(2025, 1, 1)
            )
        self.done_visit(self.h1, 3)
        with CaptureQueriesContext(connection) as many:
            rows = due.due_list(cadre)
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(many), 8)
        self.assertEqual(sum(len(row.reasons) for row in rows), 5 + 24)

    def test_intervals_come_from_the_street_profile(self) -> None:
        cadre, admin = self.user(Role.CADRE), self.user(Role.ADMIN)
        self.done_visit(self.h1, 10)
        row = self.due_ids(cadre)[self.h1.pk]
        # 独居老人 weekly by default: due 3 days ago. 王秀英 (88) is also due 90 days after the visit.
        self.assertEqual(row.due_on, TODAY - timedelta(days=3))
        self.assertEqual(row.overdue_days, 3)
        self.assertEqual(row.last_visit, TODAY - timedelta(days=10))
        self.assertIn(self.h1.pk, self.due_ids(cadre, overdue=True, care=CareKind.ALONE))

        save_profile(self.world.east.street, admin, {"residents.visit_interval_days": {"alone": 14}})
        row = self.due_ids(cadre)[self.h1.pk]
        self.assertEqual((row.due_on, row.overdue), (TODAY + timedelta(days=4), False))
        self.assertNotIn(self.h1.pk, self.due_ids(cadre, overdue=True))

        # 0: no scheduled visits for that kind; only the age band (in 80 days) is left.
        save_profile(self.world.east.street, admin, {"residents.visit_interval_days": {"alone": 0}})
        self.assertNotIn(self.h1.pk, self.due_ids(cadre))
        row = self.due_ids(cadre, within=None)[self.h1.pk]
        self.assertEqual([r.code for r in row.reasons], ["age80"])
        self.assertEqual(row.due_on, TODAY + timedelta(days=80))
        # Another street's profile changes nothing here.
        save_profile(
            self.world.west.street, self.user(Role.ADMIN, "west"), {"residents.visit_interval_days": {}}
        )
        self.assertNotIn(self.h1.pk, self.due_ids(cadre))

    def test_high_age_bands(self) -> None:
        cadre = self.user(Role.CADRE)
        alone = self.reg.persons["alone"]
        for born, code, interval in (
            (date(1938, 5, 12), "age80", 90),
            (date(1936, 6, 16), "age80", 90),  # 90 tomorrow
            (date(1936, 6, 15), "age90", 30),  # 90 today
            (date(1925, 1, 1), "age100", 7),
        ):
            Person.objects.filter(pk=alone.pk).update(birth_date=born)
            rows = self.due_ids(cadre, care=code, within=None)
            self.assertIn(self.h1.pk, rows, (born, code))
            reasons = rows[self.h1.pk].reasons
            self.assertEqual([(r.code, r.interval) for r in reasons], [(code, interval)], born)
        # 90 today: the band began today, so the first visit is due in 30 days.
        Person.objects.filter(pk=alone.pk).update(birth_date=date(1936, 6, 15))
        row = self.due_ids(cadre, care="age90", within=None)[self.h1.pk]
        self.assertEqual(row.due_on, TODAY + timedelta(days=30))
        Person.objects.filter(pk=alone.pk).update(birth_date=date(1970, 1, 1))
        self.assertEqual(self.due_ids(cadre, care="age80"), {})

    def test_tag_start_and_end_dates(self) -> None:
        cadre = self.user(Role.CADRE)
        tag = self.reg.tags["alone"]
        CareTag.objects.filter(pk=tag.pk).update(ends_on=TODAY - timedelta(days=1))
        self.assertNotIn(self.h1.pk, self.due_ids(cadre, care=CareKind.ALONE))
        CareTag.objects.filter(pk=tag.pk).update(ends_on=None, starts_on=TODAY + timedelta(days=1))
        self.assertNotIn(self.h1.pk, self.due_ids(cadre, care=CareKind.ALONE))
        # Begun three days ago, weekly: due in four days, on the list, not overdue.
        CareTag.objects.filter(pk=tag.pk).update(starts_on=TODAY - timedelta(days=3))
        row = self.due_ids(cadre, care=CareKind.ALONE)[self.h1.pk]
        self.assertEqual((row.due_on, row.overdue), (TODAY + timedelta(days=4), False))

    def test_a_street_kind_uses_its_own_interval(self) -> None:
        cadre = self.user(Role.CADRE)
        kind = LocalCareKind.objects.create(
            street=self.world.east.street, code="shidu", name="失独家庭", visit_interval_days=60
        )
        CareTag.objects.create(
            person=self.reg.persons["tenant3"],
            street=self.world.east.street,
            kind=CareKind.LOCAL,
            local_kind=kind,
            starts_on=TODAY - timedelta(days=59),
        )
        row = self.due_ids(cadre, care="local")[self.h3.pk]
        self.assertEqual([(r.label, r.interval) for r in row.reasons], [("失独家庭", 60)])
        LocalCareKind.objects.filter(pk=kind.pk).update(visit_interval_days=None)
        self.assertEqual(self.due_ids(cadre, care="local"), {})


class MachineTests(VisitTestCase):
    def test_record_a_planned_visit(self) -> None:
        cadre = self.user(Role.CADRE)
        planned = actions.plan_visit(cadre, self.h1, planned_for=TODAY + timedelta(days=1))
        self.assertEqual(sorted(planned.reasons), ["age80", "alone"])
        self.assertTrue(Event.objects.filter(object_id=planned.pk, action="plan").exists())
        visit = actions.run_action(
            planned.pk, "record", cadre, {"found": "身体尚好", "needs_follow_up": "1", "follow_up": "修水管"}
        )
        self.assertEqual(visit.status, VisitStatus.DONE)
        self.assertEqual((visit.visitor, visit.visited_at, visit.version), (cadre, MOMENT, 2))
        self.assertTrue(visit.needs_follow_up)
        self.assertTrue(Event.objects.filter(object_id=visit.pk, action="record").exists())
        with self.assertRaises(TransitionNotAllowed):
            actions.run_action(visit.pk, "cancel", cadre, {"reason": "重复"})
        # The household drops off the due list: visited today.
        self.assertNotIn(self.h1.pk, self.due_ids(cadre))

    def test_stale_version_wrong_role_and_scope(self) -> None:
        cadre = self.user(Role.CADRE)
        planned = actions.plan_visit(cadre, self.h2, planned_for=TODAY)
        with self.assertRaises(Conflict):
            actions.run_action(planned.pk, "record", cadre, {"found": "x", "version": 7})
        with self.assertRaises(Forbidden):  # leaders read visits, they do not record them
            actions.run_action(planned.pk, "record", self.user(Role.LEADER), {"found": "x"})
        with self.assertRaises(NotFound):
            actions.run_action(planned.pk, "record", self.user(Role.CADRE, "west"), {"found": "x"})
        with self.assertRaises(NotFound):
            actions.plan_visit(cadre, self.reg.other_household, planned_for=TODAY)
        with self.assertRaises(Forbidden):
            actions.plan_visit(self.user(Role.LEADER), self.h2, planned_for=TODAY)
        with self.assertRaises(InvalidInput) as past:
            actions.plan_visit(cadre, self.h2, planned_for=TODAY - timedelta(days=1))
        self.assertEqual(past.exception.fields, {"planned_for": "past"})
        cancelled = actions.run_action(planned.pk, "cancel", cadre, {"reason": "住户外出", "version": 1})
        self.assertEqual(cancelled.status, VisitStatus.CANCELLED)

    def test_record_now_writes_nothing_when_refused(self) -> None:
        cadre = self.user(Role.CADRE)
        with self.assertRaises(InvalidInput) as missing:
            actions.record_visit_now(cadre, self.h1, {"found": " "})
        self.assertIn("found", missing.exception.fields)
        with self.assertRaises(InvalidInput) as half:
            actions.record_visit_now(cadre, self.h1, {"found": "好", "checkin_lon": 121.05})
        self.assertIn("checkin_lat", half.exception.fields)
        self.assertFalse(Visit.objects.exists())
        visit = actions.record_visit_now(self.user(Role.GRID_WORKER), self.h1.pk, {"found": "好"})
        self.assertEqual((visit.status, visit.planned_for), (VisitStatus.DONE, TODAY))
        self.assertEqual(sorted(visit.reasons), ["age80", "alone"])

    def test_open_a_case_from_a_visit(self) -> None:
        worker = self.user(Role.GRID_WORKER)
        visit = actions.record_visit_now(worker, self.h1, {"found": "厨房漏水", "needs_follow_up": True})
        visit = actions.run_action(
            visit.pk, "open_case", worker, {"category": "E2105", "description": "厨房漏水"}
        )
        case = Case.objects.get(pk=visit.case_id)
        building = self.h1.flat.building
        self.assertEqual(
            (case.channel, case.building_id, case.street_id), ("door_to_door", building.pk, self.h1.street_id)
        )
        self.assertEqual(visit.status, VisitStatus.DONE)
        with self.assertRaises(TransitionNotAllowed):
            actions.run_action(visit.pk, "open_case", worker, {"category": "E2105", "description": "again"})
        with self.assertRaises(InvalidInput) as bad:
            planned = actions.record_visit_now(worker, self.h2, {"found": "好"})
            actions.run_action(planned.pk, "open_case", worker, {"category": "nope", "description": "x"})
        self.assertEqual(bad.exception.fields, {"category": "unknown"})

    def test_checkin_distance_from_the_building(self) -> None:
        cadre = self.user(Role.CADRE)
        building = self.h1.flat.building
        near = actions.record_visit_now(
            cadre,
            self.h1,
            {
                "found": "好",
                "checkin_lon": building.lon + 0.0005,
                "checkin_lat": building.lat,
                "checkin_accuracy": 12,
            },
        )
        self.assertAlmostEqual(near.distance_m, 48, delta=2)
        self.assertEqual(near.accuracy_m, 12)
        self.assertFalse(actions.is_far(near))
        far = actions.record_visit_now(
            cadre, self.h2, {"found": "好", "checkin_lon": building.lon + 0.01, "checkin_lat": building.lat}
        )
        self.assertGreater(far.distance_m, 900)
        self.assertTrue(actions.is_far(far))
        self.assertTrue(Event.objects.get(object_id=far.pk, action="record").payload["checkin"]["far"])
        save_profile(self.world.east.street, self.user(Role.ADMIN), {"residents.visit_checkin_far_m": 2000})
        self.assertFalse(actions.is_far(far))


class PageTests(VisitTestCase):
    def test_due_page_matrix_and_queries(self) -> None:
        url = reverse("residents:due")
        users = {r: self.user(r) for r in Role.values}
        expected = {Role.CADRE: 200, Role.GRID_WORKER: 200, Role.LEADER: 200, Role.ADMIN: 200}
        expected |= {Role.DISPATCHER: 404, Role.HANDLER: 404, Role.RESIDENT: 404}
        assert_matrix(self.client, url, expected, users)
        self.client.force_login(self.user(Role.CADRE))
        with CaptureQueriesContext(connection) as queries:
            page = self.client.get(url, {"care": "alone", "overdue": "on"}).content.decode()
        self.assertLessEqual(len(queries), 12)
        self.assertIn("王秀英", page)
        self.assertNotIn("李建国", page)
        bad = self.client.get(url, {"care": "nope"})
        self.assertEqual(bad.status_code, 200)
        self.assertIn("nope", bad.content.decode())

    def test_sensitive_reasons_shown_to_the_cadre_are_logged(self) -> None:
        self.client.force_login(self.user(Role.CADRE))
        page = self.client.get(reverse("residents:due")).content.decode()
        self.assertIn("社区矫正", page)
        looks = PersonalDataAccess.objects.filter(user=self.user(Role.CADRE))
        self.assertEqual(looks.count(), 2)  # 大病 and 社区矫正
        self.client.force_login(self.user(Role.GRID_WORKER))
        page = self.client.get(reverse("residents:due")).content.decode()
        self.assertNotIn("社区矫正", page)
        self.assertNotIn("赵强", page)

    def test_phone_form_records_a_visit_with_photo_and_checkin(self) -> None:
        cadre = self.user(Role.CADRE)
        url = reverse("residents:mobile_visit", args=[self.h1.pk])
        users = {"cadre": cadre, "worker": self.user(Role.GRID_WORKER), "leader": self.user(Role.LEADER)}
        users |= {"west": self.user(Role.CADRE, "west")}
        assert_matrix(self.client, url, {"cadre": 200, "worker": 200, "leader": 404, "west": 404}, users)
        self.client.force_login(cadre)
        form = self.client.get(url).content.decode()
        self.assertIn('capture="environment"', form)
        self.assertIn("data-checkin", form)
        building = self.h1.flat.building
        data = {"method": "door", "found": "老人精神好", "version": 1, "photos": jpeg()}
        data |= {"checkin_lon": building.lon, "checkin_lat": building.lat, "checkin_accuracy": 8}
        response = self.client.post(url, data)
        visit = Visit.objects.get()
        self.assertRedirects(response, reverse("residents:mobile_visit_done", args=[visit.pk]))
        self.assertEqual((visit.status, visit.distance_m), (VisitStatus.DONE, 0))
        photo = Attachment.objects.get(object_id=visit.pk)
        self.assertEqual((photo.stage, photo.street_id), ("visit", self.h1.street_id))
        self.assertEqual(photo.event_id, Event.objects.get(object_id=visit.pk, action="record").pk)
        self.assertEqual(self.client.get(reverse("core:attachment", args=[photo.pk])).status_code, 200)
        page = self.client.get(visit.get_absolute_url()).content.decode()
        self.assertIn("老人精神好", page)
        self.client.force_login(self.user(Role.CADRE, "west"))
        self.assertEqual(self.client.get(reverse("core:attachment", args=[photo.pk])).status_code, 404)
        self.assertEqual(self.client.get(visit.get_absolute_url()).status_code, 404)

    def test_phone_form_errors_name_the_field(self) -> None:
        self.client.force_login(self.user(Role.CADRE))
        url = reverse("residents:mobile_visit", args=[self.h1.pk])
        response = self.client.post(url, {"method": "door", "found": "", "version": 1})
        self.assertEqual(response.status_code, 200)
        self.assertIn("found", response.context["form"].errors)
        response = self.client.post(
            url, {"method": "door", "found": "好", "version": 1, "checkin_lon": 121.0}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Visit.objects.exists())

    def test_visit_page_actions(self) -> None:
        cadre = self.user(Role.CADRE)
        planned = actions.plan_visit(cadre, self.h2, planned_for=TODAY)
        self.client.force_login(cadre)
        page = self.client.get(planned.get_absolute_url()).content.decode()
        self.assertIn(reverse("residents:visit_action", args=[planned.pk, "cancel"]), page)
        stale = self.client.post(
            reverse("residents:visit_action", args=[planned.pk, "cancel"]), {"reason": "x", "version": 9}
        )
        self.assertRedirects(stale, planned.get_absolute_url())
        self.client.post(
            reverse("residents:visit_action", args=[planned.pk, "cancel"]), {"reason": "外出", "version": 1}
        )
        self.assertEqual(Visit.objects.get(pk=planned.pk).status, VisitStatus.CANCELLED)
        self.assertEqual(
            self.client.get(reverse("residents:visit_action", args=[planned.pk, "cancel"])).status_code, 405
        )
        listing = self.client.get(reverse("residents:household_visits", args=[self.h2.pk]))
        self.assertContains(listing, "已取消")
        response = self.client.post(
            reverse("residents:visit_plan", args=[self.h2.pk]), {"planned_for": "2026-06-20"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Visit.objects.filter(household=self.h2, planned_for=date(2026, 6, 20)).exists())
        self.client.force_login(self.user(Role.CADRE, "west"))
        self.assertEqual(
            self.client.get(reverse("residents:household_visits", args=[self.h2.pk])).status_code, 404
        )

    def test_home_panels(self) -> None:
        cadre = self.user(Role.CADRE)
        self.client.force_login(cadre)
        home = self.client.get(reverse("home")).content.decode()
        self.assertIn("待走访 3 户，其中逾期 3 户", home)
        actions.record_visit_now(cadre, self.h1, {"found": "好"})
        home = self.client.get(reverse("home")).content.decode()
        self.assertIn("待走访 2 户，其中逾期 2 户", home)
        self.assertIn(reverse("residents:visit", args=[Visit.objects.get().pk]), home)
        self.client.force_login(self.user(Role.GRID_WORKER))
        mobile = self.client.get(reverse("cases:mobile")).content.decode()
        self.assertIn("待走访 1 户，其中逾期 1 户", mobile)
        self.client.force_login(self.user(Role.DISPATCHER))
        self.assertNotIn("待走访", self.client.get(reverse("home")).content.decode())

    def test_pages_in_english(self) -> None:
        cadre = self.user(Role.CADRE)
        visit = actions.record_visit_now(cadre, self.h1, {"found": "好", "needs_follow_up": True})
        self.client.force_login(cadre)
        self.client.cookies["django_language"] = "en"
        pages = {
            reverse("home"): (["households to visit", "Visits recorded today"], ["待走访", "今天记录的走访"]),
            reverse("residents:due"): (["Visits due", "Overdue only", "days overdue"], ["仅看逾期", "逾期"]),
            reverse("residents:mobile_visit", args=[self.h2.pk]): (
                ["Record a visit", "What was found", "Submit the visit"],
                ["走访情况", "提交走访记录"],
            ),
            visit.get_absolute_url(): (
                ["Reasons for the visit", "Needs follow-up"],
                ["走访事由", "需要跟进"],
            ),
            reverse("residents:household_visits", args=[self.h1.pk]): (["Plan a visit"], ["计划走访"]),
        }
        for url, (present, absent) in pages.items():
            html = self.client.get(url).content.decode()
            self.assertIn('<html lang="en">', html, url)
            for text in present:
                self.assertIn(text, html, url)
            for text in absent:
                self.assertNotIn(text, html, url)

    def test_open_a_case_from_the_visit_page(self) -> None:
        worker = self.user(Role.GRID_WORKER)
        visit = actions.record_visit_now(worker, self.h1, {"found": "楼道堆物"})
        self.client.force_login(worker)
        page = self.client.get(visit.get_absolute_url()).content.decode()
        url = reverse("residents:visit_action", args=[visit.pk, "open_case"])
        self.assertIn(url, page)
        missing = self.client.post(url, {"version": visit.version, "category": "E2105"}, follow=True)
        self.assertContains(missing, "诉求内容")
        self.assertIsNone(Visit.objects.get(pk=visit.pk).case_id)
        self.client.post(url, {"version": visit.version, "category": "E2105", "description": "楼道堆物"})
        case = Visit.objects.get(pk=visit.pk).case
        assert case is not None
        page = self.client.get(visit.get_absolute_url()).content.decode()
        self.assertIn(case.number, page)
        self.assertNotIn(url, page)  # once only

    def test_household_panel(self) -> None:
        cadre = self.user(Role.CADRE)
        actions.record_visit_now(cadre, self.h1, {"found": "好", "needs_follow_up": True})
        request = RequestFactory().get("/")
        request.user = cadre
        html = panels.render(request, self.h1)
        self.assertIn(reverse("residents:household_visits", args=[self.h1.pk]), html)
        self.assertIn(reverse("residents:mobile_visit", args=[self.h1.pk]), html)
        self.assertIn("需要跟进", html)
        request.user = self.user(Role.DISPATCHER)
        self.assertEqual(panels.render(request, self.h1), "")
