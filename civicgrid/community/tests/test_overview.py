"""/community/, the overview: every role with community.view opens it (a handler does not); staff
read each part's figures for their street, a resident their own sign-ups, bookings and requests
and the activities open to them — never another resident's; its queries do not grow with rows."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.community.choices import NewsletterStatus
from civicgrid.community.models import Activity, Newsletter, SignUp
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

AT = datetime(2027, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
BEFORE = datetime(2027, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class OverviewTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        Newsletter.objects.filter(pk=cls.east.newsletter.pk).update(status=NewsletterStatus.PUBLISHED)

    def setUp(self) -> None:
        traveller = time_machine.travel(BEFORE, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def test_who_opens_it_and_what_each_reads(self) -> None:
        url = reverse("community:index")
        expected = dict.fromkeys(Role.values, 200)
        expected[Role.HANDLER] = 404

        def check(response, role: str) -> None:
            if response.status_code != 200:
                return
            body = response.content.decode()
            self.assertNotIn("西", body.replace("西街道", ""), role)  # nothing of the other street
            if role == Role.RESIDENT:
                self.assertIn("我的社区", body)
                self.assertIn("重阳节书法义写东", body)  # open to them, and they signed up
                self.assertIn("高龄老人津贴申请东", body)  # their booking
                self.assertNotIn("王阿婆", body)  # another resident's sign-up
                self.assertNotIn("李阿公", body)  # a 上门办 asked for someone else
            else:
                self.assertIn("社区生活与为民服务", body)
            if role in (Role.ADMIN, Role.LEADER, Role.DISPATCHER):
                self.assertIn("重阳节书法义写东", body)  # the coming activity
                self.assertIn("东之窗东", body)  # the published issue

        assert_matrix(self.client, url, expected, self.w.east.users, check=check)

    def test_queries_do_not_grow_with_rows(self) -> None:
        url = reverse("community:index")
        for role in (Role.ADMIN, Role.RESIDENT):
            self.client.force_login(self.w.user("east", role))
            with CaptureQueriesContext(connection) as before:
                self.client.get(url)
            for n in range(3):  # more activities, sign-ups and bookings of the resident
                activity = Activity.objects.get(pk=self.east.activity.pk)
                activity.pk, activity.title = None, f"又一场活动{role}{n}"
                activity.save()
                SignUp.objects.create(
                    activity=activity,
                    street=activity.street,
                    user=self.w.user("east", Role.RESIDENT),
                    name="居民",
                )
            with CaptureQueriesContext(connection) as after:
                self.client.get(url)
            self.assertEqual(len(after), len(before), role)
