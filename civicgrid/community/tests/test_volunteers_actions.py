"""Volunteers' actions: the register numbered per street, a post's capacity and one post per
volunteer per activity, the hours ledger (a post's hours confirmed once, other service, a
reversal once, the team kept as it was when a volunteer changes team), the totals per person,
team and year with the reversals, and the certificate's text without personal data."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from pypdf import PdfReader

from civicgrid.community import volunteer_hours
from civicgrid.community.actions import volunteers as actions
from civicgrid.community.actions.frames import ACTIVITY_FRAME, VOLUNTEER_FRAME
from civicgrid.community.choices import (
    ActivityAction,
    PostStatus,
    Skill,
    TeamKind,
    VolunteerAction,
    VolunteerStatus,
)
from civicgrid.community.models import HoursEntry, SlotAssignment, Volunteer, VolunteerSlot
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Event
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 5, 10, 9, 30, tzinfo=SHANGHAI)  # the activity
AFTER = AT + timedelta(days=2)  # when hours are confirmed


def pdf_text(data: bytes) -> str:
    return (
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )


class Base(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        cls.admin = cls.w.user("east", Role.ADMIN)
        cls.cadre = cls.w.user("east", Role.CADRE)

    def setUp(self) -> None:
        traveller = time_machine.travel(AFTER, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def volunteer(self, name: str, **fields: object) -> Volunteer:
        return actions.register_volunteer(self.admin, street=self.w.east.street, name=name, **fields)


class RegisterTests(Base):
    def test_numbered_per_street_and_linked(self) -> None:
        first = self.volunteer("张三", phone="13811112222", skills=[Skill.PATROL, Skill.ARTS])
        second = actions.register_volunteer(
            self.admin,
            street=self.w.east.street,
            user=self.w.user("east", Role.RESIDENT),
            team=self.east.team,
        )
        self.assertEqual((first.code, second.code), ("V0002", "V0003"))  # V0001 is the builder's
        self.assertEqual(first.skills, [Skill.ARTS, Skill.PATROL])  # the choices' order
        self.assertEqual(str(first.phone), personal.mask_phone("13811112222"))
        self.assertEqual(second.name, self.w.user("east", Role.RESIDENT).full_name)
        west = actions.register_volunteer(
            self.w.user("west", Role.ADMIN), street=self.w.west.street, name="李四"
        )
        self.assertEqual(west.code, "V0002")
        self.assertTrue(
            Event.objects.filter(app="community", object_id=first.pk, action=actions.REGISTER).exists()
        )

    def test_refusals(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            actions.register_volunteer(self.admin, street=self.w.west.street, name="越界")
        self.assertIn("street", caught.exception.fields)
        with self.assertRaises(InvalidInput) as caught:
            self.volunteer("无特长", skills=["juggling"])
        self.assertIn("skills", caught.exception.fields)
        with self.assertRaises(InvalidInput):
            self.volunteer("别队", team=self.west.team)
        with self.assertRaises(Forbidden):
            actions.register_volunteer(
                self.w.user("east", Role.RESIDENT), street=self.w.east.street, name="我"
            )
        resident = self.w.user("east", Role.RESIDENT)
        with self.assertRaises(InvalidInput) as caught:  # accounts are the street office's to see
            actions.register_volunteer(self.cadre, street=self.w.east.street, name="一号", user=resident)
        self.assertIn("user", caught.exception.fields)
        self.volunteer("一号", user=resident)
        with self.assertRaises(Conflict):
            self.volunteer("二号", user=resident)

    def test_update_keeps_the_phone_when_blank(self) -> None:
        made = self.volunteer("王五", phone="13900001111")
        changed = actions.update_volunteer(
            self.admin, made, version=made.version, name="王五五", phone="", skills=[Skill.REPAIR]
        )
        self.assertEqual((changed.name, changed.skills), ("王五五", [Skill.REPAIR]))
        self.assertEqual(personal.unmasked(Volunteer.objects.get(pk=made.pk).phone), "13900001111")
        with self.assertRaises(Conflict):
            actions.update_volunteer(self.admin, made, version=1, name="旧版本")
        with self.assertRaises(NotFound):
            actions.update_volunteer(self.admin, self.west.volunteer, name="越界")

    def test_teams(self) -> None:
        team = actions.create_team(
            self.cadre,
            street=self.w.east.street,
            name="党员志愿服务队",
            kind=TeamKind.PARTY,
            contact_phone="13512345678",
        )
        updated = actions.update_team(self.admin, team, partner="街道党工委", contact_phone="")
        self.assertEqual(updated.partner, "街道党工委")
        self.assertEqual(personal.unmasked(updated.contact_phone), "13512345678")
        with self.assertRaises(NotFound):
            actions.update_team(self.admin, self.west.team, name="越界")


class PostTests(Base):
    def add_post(self, needed: int = 1) -> VolunteerSlot:
        ACTIVITY_FRAME.run(
            self.east.activity.pk,
            ActivityAction.ADD_SLOT,
            self.admin,
            {"title": "茶水", "needed": needed, "hours": 2.5, "skill": Skill.ELDER_CARE},
        )
        return VolunteerSlot.objects.filter(activity=self.east.activity).latest("pk")

    def assign(self, slot: VolunteerSlot, volunteer: Volunteer) -> None:
        ACTIVITY_FRAME.run(
            self.east.activity.pk,
            ActivityAction.ASSIGN_VOLUNTEER,
            self.admin,
            {"slot": slot.pk, "volunteer": volunteer.pk},
        )

    def test_capacity_and_once_per_activity(self) -> None:
        slot = self.add_post(needed=1)
        self.assertEqual(slot.hours, Decimal("2.5"))
        first, second = self.volunteer("甲"), self.volunteer("乙")
        self.assign(slot, first)
        with self.assertRaises(Conflict) as caught:
            self.assign(slot, second)
        self.assertIn("茶水", caught.exception.message)
        # The builder's volunteer is already on the activity's other post.
        with self.assertRaises(Conflict) as caught:
            self.assign(self.add_post(), self.east.volunteer)
        self.assertIn(self.east.slot.title, caught.exception.message)
        # A place given back by an absentee is free again.
        assignment = SlotAssignment.objects.get(slot=slot, volunteer=first)
        ACTIVITY_FRAME.run(
            self.east.activity.pk, ActivityAction.MARK_ABSENT, self.admin, {"assignment": assignment.pk}
        )
        self.assertEqual(SlotAssignment.objects.get(pk=assignment.pk).status, PostStatus.ABSENT)
        self.assign(slot, second)

    def test_refusals(self) -> None:
        slot = self.add_post(needed=3)
        gone = self.volunteer("退出者")
        VOLUNTEER_FRAME.run(gone.pk, VolunteerAction.LEAVE, self.admin, {"note": "毕业"})
        with self.assertRaises(InvalidInput) as caught:
            self.assign(slot, gone)
        self.assertIn("volunteer", caught.exception.fields)
        with self.assertRaises(InvalidInput):  # another activity's post
            ACTIVITY_FRAME.run(
                self.east.activity.pk,
                ActivityAction.ASSIGN_VOLUNTEER,
                self.admin,
                {"slot": self.west.slot.pk, "volunteer": self.volunteer("丙").pk},
            )
        with self.assertRaises(Forbidden):
            ACTIVITY_FRAME.run(
                self.east.activity.pk,
                ActivityAction.ADD_SLOT,
                self.w.user("east", Role.RESIDENT),
                {"title": "x"},
            )


class LedgerTests(Base):
    def confirm(self, volunteer: Volunteer, **params: object) -> HoursEntry:
        VOLUNTEER_FRAME.run(volunteer.pk, VolunteerAction.CONFIRM_HOURS, self.cadre, params)
        return HoursEntry.objects.filter(volunteer=volunteer).latest("pk")

    def test_a_posts_hours_confirmed_once(self) -> None:
        e = self.east
        entry = self.confirm(e.volunteer, assignment=e.assignment.pk)
        self.assertEqual(
            (entry.hours, entry.served_on, entry.activity_id, entry.team_id, entry.confirmed_by),
            (Decimal("3.0"), AT.date(), e.activity.pk, e.team.pk, self.cadre),
        )
        self.assertEqual(SlotAssignment.objects.get(pk=e.assignment.pk).status, PostStatus.SERVED)
        with self.assertRaises(Conflict):
            self.confirm(e.volunteer, assignment=e.assignment.pk)
        self.assertEqual(HoursEntry.objects.filter(assignment=e.assignment).count(), 1)
        other = self.volunteer("他人")
        with self.assertRaises(InvalidInput) as caught:
            self.confirm(other, assignment=e.assignment.pk)
        self.assertIn("assignment", caught.exception.fields)

    def test_other_service_needs_day_hours_and_what(self) -> None:
        with self.assertRaises(InvalidInput) as caught:
            self.confirm(self.east.volunteer, hours=2)
        self.assertEqual(set(caught.exception.fields), {"served_on", "description"})
        with self.assertRaises(InvalidInput):
            self.confirm(self.east.volunteer, served_on="2027-05-20", hours=2, description="巡逻")
        entry = self.confirm(self.east.volunteer, served_on="2027-05-11", hours=1.5, description="夜间巡逻")
        self.assertEqual((entry.hours, entry.assignment_id), (Decimal("1.5"), None))

    def test_reversed_once_and_totals(self) -> None:
        e, v = self.east, self.east.volunteer
        served = self.confirm(v, assignment=e.assignment.pk)  # 3.0 on AT
        VOLUNTEER_FRAME.run(
            v.pk, VolunteerAction.REVERSE_HOURS, self.admin, {"entry": served.pk, "note": "实际未到岗"}
        )
        reversal = HoursEntry.objects.get(reverses=served)
        self.assertEqual((reversal.hours, reversal.team_id), (Decimal("-3.0"), e.team.pk))
        event = Event.objects.filter(
            app="community", object_id=v.pk, action=VolunteerAction.REVERSE_HOURS
        ).get()
        self.assertEqual(event.payload["note"], "实际未到岗")
        for entry in (served, reversal):
            with self.subTest(entry=entry.pk), self.assertRaises(Conflict):
                VOLUNTEER_FRAME.run(
                    v.pk, VolunteerAction.REVERSE_HOURS, self.admin, {"entry": entry.pk, "note": "再冲"}
                )
        with self.assertRaises(InvalidInput):  # another volunteer's entry
            VOLUNTEER_FRAME.run(
                self.volunteer("丁").pk,
                VolunteerAction.REVERSE_HOURS,
                self.admin,
                {"entry": e.entry.pk, "note": "x"},
            )
        # Totals: the builder's 2.5 (30 days before the activity) stays; 3 − 3 counts nothing.
        self.confirm(v, served_on="2026-12-30", hours=4, description="助老送餐")
        entries = HoursEntry.objects.restrict(self.admin, "view")
        totals = volunteer_hours.person_totals(v, entries)
        self.assertEqual((totals.this_year, totals.all_time), (Decimal("2.5"), Decimal("6.5")))
        self.assertEqual(totals.years, [(2027, Decimal("2.5")), (2026, Decimal("4.0"))])
        row = volunteer_hours.with_totals(Volunteer.objects.filter(pk=v.pk), entries, 2027).get()
        self.assertEqual((row.year_hours, row.all_hours), (Decimal("2.5"), Decimal("6.5")))
        self.assertEqual(
            [(y["year"], y["hours"]) for y in volunteer_hours.team_years(e.team, entries)],
            [(2027, Decimal("2.5")), (2026, Decimal("4.0"))],
        )
        months = dict(volunteer_hours.months(entries, 2027))
        self.assertEqual((months[4], months[5]), (Decimal("2.5"), Decimal("0.0")))
        running = [r for _, r in volunteer_hours.ledger(v, entries)]
        self.assertEqual(running, [Decimal("4.0"), Decimal("6.5"), Decimal("9.5"), Decimal("6.5")])

    def test_team_kept_when_a_volunteer_moves(self) -> None:
        v, old = self.east.volunteer, self.east.team
        new = actions.create_team(
            self.admin, street=self.w.east.street, name="复旦大学青年志愿者协会", kind=TeamKind.UNIVERSITY
        )
        before = self.confirm(v, served_on="2027-05-01", hours=2, description="巡逻")
        actions.update_volunteer(self.admin, v, team=new)
        after = self.confirm(v, served_on="2027-05-02", hours=1, description="巡逻")
        self.assertEqual((before.team_id, after.team_id), (old.pk, new.pk))
        entries = HoursEntry.objects.restrict(self.admin, "view")
        teams = {t["team__name"]: t["hours"] for t in volunteer_hours.top_teams(entries, 2027)}
        self.assertEqual(teams, {old.name: Decimal("4.5"), new.name: Decimal("1.0")})

    def test_confirm_served_in_one_go_and_inactive_refused(self) -> None:
        e = self.east
        made = actions.confirm_served(self.admin, [e.assignment])
        self.assertEqual([m.hours for m in made], [Decimal("3.0")])
        VOLUNTEER_FRAME.run(e.volunteer.pk, VolunteerAction.LEAVE, self.admin, {})
        self.assertEqual(Volunteer.objects.get(pk=e.volunteer.pk).status, VolunteerStatus.INACTIVE)
        with self.assertRaises(TransitionNotAllowed):
            self.confirm(e.volunteer, served_on="2027-05-01", hours=1, description="巡逻")

    def test_certificate_text(self) -> None:
        v = self.east.volunteer
        self.confirm(v, assignment=self.east.assignment.pk)
        sheet = volunteer_hours.certificate(v, 2027, HoursEntry.objects.restrict(self.admin, "view"))
        self.assertEqual(sheet.total, Decimal("5.5"))
        text = pdf_text(volunteer_hours.certificate_pdf(sheet))
        for expected in (
            "志愿服务时长证明",
            v.name,
            v.code,
            self.east.team.name,
            "5.5",
            self.w.east.street.name,
            "2027-05-12",
        ):
            self.assertIn(expected, text)
        self.assertNotIn(personal.unmasked(v.phone), text)
        self.assertNotIn(personal.mask_phone(personal.unmasked(v.phone)).replace(" ", ""), text)


class ResidentTests(Base):
    def test_a_resident_sees_only_their_own_hours(self) -> None:
        resident = self.w.user("east", Role.RESIDENT)
        mine = self.volunteer("居民本人", user=resident)
        VOLUNTEER_FRAME.run(
            mine.pk,
            VolunteerAction.CONFIRM_HOURS,
            self.admin,
            {"served_on": date(2027, 5, 1), "hours": 2, "description": "巡逻"},
        )
        self.assertEqual(list(Volunteer.objects.restrict(resident, "view")), [mine])
        self.assertEqual(
            set(HoursEntry.objects.restrict(resident, "view").values_list("volunteer", flat=True)), {mine.pk}
        )
        with self.assertRaises(Forbidden):
            VOLUNTEER_FRAME.run(
                mine.pk,
                VolunteerAction.CONFIRM_HOURS,
                resident,
                {"served_on": "2027-05-01", "hours": 2, "description": "x"},
            )
