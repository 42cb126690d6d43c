"""The volunteer pages: who sees which (the permission matrix), the register's list and a team
with a constant number of queries, a volunteer registered, edited, given other service hours
and one reversed from the page (the phone masked), an activity's posts (add, assign, confirm
the served in one go), the certificate and a resident's own page with only their hours."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.community.actions import volunteers as actions
from civicgrid.community.choices import PostStatus, Skill
from civicgrid.community.models import HoursEntry, SlotAssignment, Volunteer, VolunteerSlot
from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 5, 10, 9, 30, tzinfo=SHANGHAI)
NOW = AT + timedelta(days=2)
STAFF = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.DISPATCHER: 200, Role.GRID_WORKER: 200}
NOBODY = {Role.HANDLER: 404, Role.RESIDENT: 404}


class PagesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        cls.users = cls.w.east.users
        cls.admin, cls.cadre = cls.users[Role.ADMIN], cls.users[Role.CADRE]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class AccessTests(PagesBase):
    def test_every_page_for_each_role(self) -> None:
        e = self.east
        for url in (
            reverse("community:volunteers"),
            reverse("community:volunteer", args=[e.volunteer.pk]),
            reverse("community:volunteer_certificate", args=[e.volunteer.pk]) + "?year=2027",
            reverse("community:teams"),
            reverse("community:team", args=[e.team.pk]),
        ):
            with self.subTest(url=url):
                assert_matrix(self.client, url, {**STAFF, **NOBODY}, self.users)
        # The activity is the second committee's: not the cadre's nor the grid worker's.
        assert_matrix(
            self.client,
            reverse("community:activity_posts", args=[e.activity.pk]),
            {**STAFF, Role.CADRE: 404, Role.GRID_WORKER: 404, **NOBODY},
            self.users,
        )
        assert_matrix(
            self.client,
            reverse("community:my_volunteering"),
            {**STAFF, Role.RESIDENT: 200, Role.HANDLER: 404},
            self.users,
        )

    def test_another_street_finds_nothing(self) -> None:
        self.client.force_login(self.w.west.users[Role.ADMIN])
        e = self.east
        for url in (
            reverse("community:volunteer", args=[e.volunteer.pk]),
            reverse("community:volunteer_certificate", args=[e.volunteer.pk]) + "?year=2027",
            reverse("community:team", args=[e.team.pk]),
            reverse("community:activity_posts", args=[e.activity.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404, url)
        listing = self.client.get(reverse("community:volunteers"))
        self.assertContains(listing, self.west.volunteer.name)
        self.assertNotContains(listing, e.volunteer.name)
        self.assertNotContains(self.client.get(reverse("community:teams")), e.team.name)
        # Another street's team as a filter is a bad parameter, not a way in.
        self.assertNotContains(
            self.client.get(reverse("community:volunteers") + f"?team={e.team.pk}"), e.volunteer.name
        )


class ListTests(PagesBase):
    def test_list_and_team_in_constant_queries(self) -> None:
        self.client.force_login(self.admin)
        urls = [
            reverse("community:volunteers"),
            reverse("community:team", args=[self.east.team.pk]),
            reverse("community:teams"),
        ]
        counts = []
        for url in urls:
            self.client.get(url)
            with CaptureQueriesContext(connection) as before:
                self.client.get(url)
            counts.append(len(before))
        for n in range(4):
            made = actions.register_volunteer(
                self.admin, street=self.w.east.street, name=f"新人{n}", team=self.east.team
            )
            HoursEntry.objects.create(
                volunteer=made,
                street=made.street,
                team=self.east.team,
                served_on=AT.date(),
                hours=Decimal(2),
                description="巡逻",
                confirmed_by=self.admin,
            )
        for url, count in zip(urls, counts, strict=True):
            with self.subTest(url=url), CaptureQueriesContext(connection) as after:
                page = self.client.get(url)
            self.assertEqual(len(after), count, url)
            if url != urls[2]:
                self.assertContains(page, "新人3")

    def test_filters_and_totals(self) -> None:
        self.client.force_login(self.cadre)
        actions.register_volunteer(
            self.admin, street=self.w.east.street, name="修理工", skills=[Skill.REPAIR]
        )
        page = self.client.get(reverse("community:volunteers"), {"skill": Skill.REPAIR})
        self.assertContains(page, "修理工")
        self.assertNotContains(page, self.east.volunteer.name)
        page = self.client.get(reverse("community:volunteers"), {"q": "V0001"})
        self.assertContains(page, self.east.volunteer.name)
        self.assertContains(page, "<td>2.5</td>", html=True)
        page = self.client.get(
            reverse("community:volunteers"), {"team": self.east.team.pk, "status": "active"}
        )
        self.assertNotContains(page, "修理工")


class VolunteerPageTests(PagesBase):
    def test_register_edit_confirm_and_reverse(self) -> None:
        self.client.force_login(self.cadre)
        response = self.client.post(
            reverse("community:volunteers"),
            {
                "street": self.w.east.street.pk,
                "name": "赵六",
                "phone": "13812345678",
                "skills": [Skill.PATROL],
                "team": self.east.team.pk,
            },
        )
        made = Volunteer.objects.get(name="赵六")
        self.assertRedirects(response, made.get_absolute_url())
        page = self.client.get(made.get_absolute_url())
        self.assertContains(page, personal.mask_phone("13812345678"))
        self.assertNotContains(page, "13812345678")
        self.client.post(
            reverse("community:volunteer_edit", args=[made.pk]),
            {"edit-name": "赵六六", "edit-phone": "", "edit-skills": [Skill.ARTS], "version": made.version},
        )
        made.refresh_from_db()
        self.assertEqual((made.name, made.skills, made.team_id), ("赵六六", [Skill.ARTS], None))
        self.assertEqual(personal.unmasked(made.phone), "13812345678")
        self.client.post(
            reverse("community:volunteer_act", args=[made.pk, "confirm_hours"]),
            {"version": made.version, "served_on": "2027-05-11", "hours": "2", "description": "夜间巡逻"},
        )
        entry = HoursEntry.objects.get(volunteer=made)
        self.assertEqual((entry.hours, entry.confirmed_by), (Decimal("2.0"), self.cadre))
        made.refresh_from_db()
        self.client.post(
            reverse("community:volunteer_act", args=[made.pk, "reverse_hours"]),
            {"version": made.version, "entry": entry.pk, "note": "重复登记"},
        )
        self.assertEqual(HoursEntry.objects.get(reverses=entry).hours, Decimal("-2.0"))
        page = self.client.get(made.get_absolute_url())
        self.assertContains(page, "重复登记")  # the reason, in the trail
        self.assertNotContains(page, 'name="entry"')  # nothing left to reverse

    def test_certificate_is_a_pdf(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.get(
            reverse("community:volunteer_certificate", args=[self.east.volunteer.pk]) + "?year=2027"
        )
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF"))
        self.assertEqual(
            self.client.get(
                reverse("community:volunteer_certificate", args=[self.east.volunteer.pk]) + "?year=1999"
            ).status_code,
            404,
        )


class PostsPageTests(PagesBase):
    def test_add_assign_and_confirm_in_one_go(self) -> None:
        e = self.east
        self.client.force_login(self.admin)
        url = reverse("community:activity_posts", args=[e.activity.pk])
        page = self.client.get(url)
        self.assertContains(page, e.slot.title)
        self.assertContains(page, e.volunteer.name)
        act = "community:activity_posts_act"
        response = self.client.post(
            reverse(act, args=[e.activity.pk, "add_slot"]),
            {"version": e.activity.version, "title": "摄影", "needed": 1, "hours": "1.5"},
        )
        self.assertRedirects(response, url)
        slot = VolunteerSlot.objects.get(title="摄影")
        other = actions.register_volunteer(self.admin, street=self.w.east.street, name="摄影师")
        e.activity.refresh_from_db()
        self.client.post(
            reverse(act, args=[e.activity.pk, "assign_volunteer"]),
            {"version": e.activity.version, "slot": slot.pk, "volunteer": other.pk},
        )
        served = SlotAssignment.objects.get(slot=slot)
        response = self.client.post(
            reverse("community:activity_posts_confirm", args=[e.activity.pk]),
            {"assignment": [served.pk, e.assignment.pk]},
        )
        self.assertRedirects(response, url)
        self.assertEqual(
            set(HoursEntry.objects.filter(activity=e.activity).values_list("hours", flat=True)),
            {Decimal("1.5"), Decimal("3.0")},
        )
        self.assertEqual(SlotAssignment.objects.get(pk=served.pk).status, PostStatus.SERVED)
        self.assertNotContains(self.client.get(url), 'name="assignment" value')  # all confirmed
        self.assertEqual(self.client.post(reverse(act, args=[e.activity.pk, "cancel"])).status_code, 404)


class ResidentPageTests(PagesBase):
    def test_a_resident_sees_only_their_own_hours(self) -> None:
        resident = self.users[Role.RESIDENT]
        mine = actions.register_volunteer(self.admin, street=self.w.east.street, user=resident, name="我自己")
        HoursEntry.objects.create(
            volunteer=mine,
            street=mine.street,
            served_on=AT.date(),
            hours=Decimal("3.5"),
            description="我的巡逻",
            confirmed_by=self.admin,
        )
        self.client.force_login(resident)
        page = self.client.get(reverse("community:my_volunteering"))
        self.assertContains(page, "我的巡逻")
        self.assertContains(page, reverse("community:volunteer_certificate", args=[mine.pk]) + "?year=2027")
        self.assertNotContains(page, self.east.entry.description)
        self.assertNotContains(page, 'name="entry"')
        self.assertEqual(
            self.client.get(
                reverse("community:volunteer_certificate", args=[mine.pk]) + "?year=2027"
            ).status_code,
            200,
        )
        self.assertEqual(
            self.client.get(
                reverse("community:volunteer_certificate", args=[self.east.volunteer.pk]) + "?year=2027"
            ).status_code,
            404,
        )
        self.client.force_login(self.cadre)
        self.assertContains(self.client.get(reverse("community:my_volunteering")), "你还没有登记为志愿者")
