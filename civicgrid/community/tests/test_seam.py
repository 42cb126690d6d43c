"""The community seam: who sees which rows (street staff their street; a committee's cadre its
own residential area and the street-wide rows; a resident the published activities, venues,
catalogue and newsletters of their street and otherwise only their own rows), personal fields
masked, and the machines' tables."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import TestCase

from civicgrid.community.choices import ActivityAction, ActivityStatus, NewsletterStatus
from civicgrid.community.models import (
    Activity,
    Appointment,
    Article,
    HomeService,
    HoursEntry,
    Newsletter,
    ServiceItem,
    SignUp,
    StaffLeave,
    Team,
    Venue,
    Volunteer,
)
from civicgrid.community.workflow import ACTIVITY_MACHINE
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world

AT = datetime(2027, 3, 8, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
STAFF_TABLES = (
    Venue,
    Activity,
    SignUp,
    Volunteer,
    HoursEntry,
    ServiceItem,
    StaffLeave,
    Appointment,
    HomeService,
)


class ScopeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")

    def test_street_staff_see_their_street_only(self) -> None:
        for role in (Role.ADMIN, Role.LEADER, Role.DISPATCHER):
            user = self.w.user("east", role)
            for model in STAFF_TABLES:
                with self.subTest(role=role, model=model.__name__):
                    rows = model.objects.restrict(user, "view")
                    self.assertTrue(rows.exists())
                    self.assertFalse(rows.filter(street=self.w.west.street).exists())

    def test_a_cadre_sees_their_committee_and_the_street_wide_rows(self) -> None:
        cadre = self.w.user("east", Role.CADRE)
        # The venue, activity, sign-ups and 上门办 belong to the other committee.
        for model in (Venue, Activity, SignUp, HomeService):
            with self.subTest(model=model.__name__):
                self.assertFalse(model.objects.restrict(cadre, "view").exists())
        moved = Activity.objects.filter(pk=self.east.activity.pk)
        moved.update(area=self.w.east.residential[0])
        self.assertEqual(list(Activity.objects.restrict(cadre, "view")), [self.east.activity])
        self.assertEqual(SignUp.objects.restrict(cadre, "view").count(), 2)
        moved.update(area=None)  # street-wide
        self.assertTrue(Activity.objects.restrict(cadre, "view").exists())
        # Appointments: only those the cadre made for a caller.
        self.assertFalse(Appointment.objects.restrict(cadre, "view").exists())
        Appointment.objects.filter(pk=self.east.appointment.pk).update(created_by=cadre)
        self.assertEqual(list(Appointment.objects.restrict(cadre, "view")), [self.east.appointment])
        # Rows without an area are the street's: volunteers, the catalogue, leave.
        for model in (Volunteer, ServiceItem, StaffLeave):
            self.assertTrue(model.objects.restrict(cadre, "view").exists(), model.__name__)

    def test_a_resident_sees_what_is_public_and_their_own(self) -> None:
        resident = self.w.user("east", Role.RESIDENT)
        self.assertEqual(list(Activity.objects.restrict(resident, "view")), [self.east.activity])
        self.assertEqual(list(SignUp.objects.restrict(resident, "view")), [self.east.resident_sign_up])
        self.assertEqual(list(Appointment.objects.restrict(resident, "view")), [self.east.appointment])
        self.assertEqual(list(Venue.objects.restrict(resident, "view")), [self.east.venue])
        self.assertEqual(list(ServiceItem.objects.restrict(resident, "view")), [self.east.item])
        for model in (HomeService, Team, Volunteer, HoursEntry, StaffLeave, Newsletter, Article):
            with self.subTest(model=model.__name__):
                self.assertFalse(model.objects.restrict(resident, "view").exists())
        # A draft activity is not shown; a published newsletter is, with its articles.
        Activity.objects.filter(pk=self.east.activity.pk).update(status=ActivityStatus.DRAFT)
        self.assertFalse(Activity.objects.restrict(resident, "view").exists())
        Newsletter.objects.filter(pk=self.east.newsletter.pk).update(status=NewsletterStatus.PUBLISHED)
        self.assertEqual(list(Article.objects.restrict(resident, "view")), [self.east.article])
        # Nothing of the other street.
        west_resident = self.w.user("west", Role.RESIDENT)
        self.assertFalse(
            SignUp.objects.restrict(west_resident, "view").filter(street=self.w.east.street).exists()
        )

    def test_personal_fields_are_masked(self) -> None:
        sign_up = SignUp.objects.get(pk=self.east.phone_sign_up.pk)
        self.assertNotIn("13700001111", str(sign_up.phone))
        home = HomeService.objects.get(pk=self.east.home_service.pk)
        self.assertNotIn("8 弄 3 号", str(home.address))


class MachineTests(TestCase):
    def test_the_activity_table_offers_sign_up_only_while_open(self) -> None:
        opened = {t.action for t in ACTIVITY_MACHINE.transitions.values() if ActivityStatus.OPEN in t.sources}
        self.assertIn(ActivityAction.SIGN_UP, opened)
        closed = {
            t.action for t in ACTIVITY_MACHINE.transitions.values() if ActivityStatus.CLOSED in t.sources
        }
        self.assertNotIn(ActivityAction.SIGN_UP, closed)
        self.assertIn(ActivityAction.CHECK_IN, closed)
