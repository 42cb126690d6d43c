"""The activities pages: who opens which page, the list's queries, a resident signing up on the
web and told their waiting position, a cadre signing a caller up by phone (the phone masked in
the roster), the check-in QR code valid only on its day and the resident's check-in page, the
attendance figures and the venue pages."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.test import TestCase
from django.urls import reverse

from civicgrid.community.checkin import code_for
from civicgrid.community.choices import ActivityStatus, SignUpStatus
from civicgrid.community.models import Activity, SignUp
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2027, 3, 10, 14, 0, tzinfo=SHANGHAI)  # the activity starts
NOW = AT - timedelta(days=2)


class ActivityPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.w = build_world()
        cls.east = build_community(cls.w.east, at=AT, mark="东")
        cls.west = build_community(cls.w.west, at=AT, mark="西")
        cls.users = cls.w.east.users
        # The activity belongs to the cadre's committee, so the cadre runs it.
        Activity.objects.filter(pk=cls.east.activity.pk).update(area=cls.w.east.residential[0])
        cls.venue = cls.east.venue

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def login(self, role: str = Role.CADRE) -> None:
        self.client.force_login(self.users[role])

    def test_who_opens_which_page(self) -> None:
        a, v = self.east.activity, self.venue
        everyone = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.RESIDENT: 200, Role.HANDLER: 404}
        for url in (reverse("community:activities"), reverse("community:venues"), a.get_absolute_url()):
            with self.subTest(url=url):
                assert_matrix(self.client, url, everyone, self.users)
        organisers = {Role.ADMIN: 200, Role.CADRE: 200, Role.LEADER: 404, Role.RESIDENT: 404}
        for name, args in (
            ("community:activity_new", []),
            ("community:series_new", []),
            ("community:activity_edit", [a.pk]),
            ("community:activity_checkin_code", [a.pk]),
        ):
            with self.subTest(name=name):
                assert_matrix(self.client, reverse(name, args=args), organisers, self.users)
        venue_admins = {Role.ADMIN: 200, Role.CADRE: 404, Role.RESIDENT: 404}
        for url in (reverse("community:venue_new"), reverse("community:venue_edit", args=[v.pk])):
            assert_matrix(self.client, url, venue_admins, self.users)
        figures = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.RESIDENT: 404}
        assert_matrix(self.client, reverse("community:activity_figures"), figures, self.users)
        west_admin = self.w.user("west", Role.ADMIN)
        self.client.force_login(west_admin)
        for url in (a.get_absolute_url(), v.get_absolute_url()):
            self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_list_reads_a_few_queries_and_hides_drafts_from_residents(self) -> None:
        Activity.objects.create(
            street=self.w.east.street,
            venue=self.venue,
            title="草拟的活动",
            category="culture",
            organiser="居委会",
            starts_at=AT,
            ends_at=AT + timedelta(hours=1),
            capacity=5,
        )
        self.login(Role.RESIDENT)
        with self.assertNumQueries(10):
            response = self.client.get(reverse("community:activities"))
        self.assertContains(response, "重阳节书法义写东")
        self.assertNotContains(response, "草拟的活动")
        self.assertNotContains(response, "西")
        self.login(Role.ADMIN)
        response = self.client.get(reverse("community:activities"), {"status": "draft"})
        self.assertContains(response, "草拟的活动")
        self.assertNotContains(response, "重阳节书法义写东")

    def test_a_resident_signs_up_and_sees_only_their_own(self) -> None:
        a = self.east.activity
        SignUp.objects.filter(pk=self.east.resident_sign_up.pk).delete()
        Activity.objects.filter(pk=a.pk).update(capacity=1)
        self.login(Role.RESIDENT)
        page = self.client.get(a.get_absolute_url())
        self.assertNotContains(page, "王阿婆东")  # another's sign-up
        self.assertContains(page, "报名候补")
        response = self.client.post(
            reverse("community:activity_act", args=[a.pk, "sign_up"]), {"version": a.version}, follow=True
        )
        self.assertContains(response, "候补名单第 1 位")
        mine = SignUp.objects.get(activity=a, user=self.users[Role.RESIDENT])
        self.assertEqual(mine.status, SignUpStatus.WAITING)

    def test_a_cadre_signs_up_a_caller_by_phone(self) -> None:
        a = self.east.activity
        self.login()
        response = self.client.post(
            reverse("community:activity_act", args=[a.pk, "sign_up"]),
            {"version": a.version, "name": "赵阿姨", "phone": "13911112222"},
            follow=True,
        )
        self.assertContains(response, "赵阿姨")
        self.assertNotContains(response, "13911112222")  # masked in the roster
        self.assertContains(response, "139****2222")
        self.assertEqual(SignUp.objects.get(name="赵阿姨").channel, "phone")

    def test_the_check_in_code_is_valid_only_on_its_day(self) -> None:
        a = self.east.activity
        self.login()
        code = reverse("community:activity_checkin_code", args=[a.pk])
        self.assertNotContains(self.client.get(code), "<svg")
        with time_machine.travel(AT - timedelta(minutes=15), tick=False):
            page = self.client.get(reverse("community:activity_checkin_code", args=[a.pk]))
            self.assertContains(page, "<svg")
            token = code_for(a.pk, date(2027, 3, 10))
            self.assertContains(page, f"/community/checkin/{token}/")
            self.login(Role.RESIDENT)
            url = reverse("community:checkin", args=[token])
            self.assertContains(self.client.get(url), "签到")
            self.client.post(url)
            self.assertIsNotNone(SignUp.objects.get(pk=self.east.resident_sign_up.pk).checked_in_at)
            again = self.client.post(url)
            self.assertContains(again, "已于 13:45 签到")
            stale = code_for(a.pk, date(2027, 3, 9))
            self.assertContains(self.client.get(reverse("community:checkin", args=[stale])), "当天有效")
        self.assertEqual(self.client.get(reverse("community:checkin", args=["forged"])).status_code, 404)

    def test_the_check_in_page_says_when_one_is_not_signed_up(self) -> None:
        SignUp.objects.filter(pk=self.east.resident_sign_up.pk).delete()
        self.login(Role.RESIDENT)
        with time_machine.travel(AT, tick=False):
            token = code_for(self.east.activity.pk, date(2027, 3, 10))
            self.assertContains(self.client.get(reverse("community:checkin", args=[token])), "你没有报名")

    def test_staff_check_in_from_the_roster(self) -> None:
        a = self.east.activity
        self.login()
        with time_machine.travel(AT, tick=False):
            self.client.post(
                reverse("community:activity_act", args=[a.pk, "check_in"]),
                {"version": a.version, "sign_up": self.east.phone_sign_up.pk},
            )
        self.assertIsNotNone(SignUp.objects.get(pk=self.east.phone_sign_up.pk).checked_in_at)

    def test_the_attendance_figures(self) -> None:
        a = self.east.activity
        SignUp.objects.filter(pk=self.east.phone_sign_up.pk).update(checked_in_at=AT)
        Activity.objects.filter(pk=a.pk).update(status=ActivityStatus.DONE, walk_ins=3, attendance=4)
        self.login(Role.ADMIN)
        with time_machine.travel(AT + timedelta(days=1), tick=False):
            response = self.client.get(reverse("community:activity_figures"))
        figures = response.context["figures"]
        self.assertEqual(
            (figures.total.held, figures.total.sign_ups, figures.total.check_ins, figures.total.attendance),
            (1, 2, 1, 4),
        )
        self.assertEqual(figures.total.rate, 50)
        self.assertEqual([f.label for f in figures.by_month], ["2027-03"])
        self.assertContains(response, "老年人")

    def test_a_venue_page_and_its_hours(self) -> None:
        self.login(Role.ADMIN)
        url = reverse("community:venue_edit", args=[self.venue.pk])
        self.client.post(
            url,
            {"step": "hours", "version": self.venue.version, "d2_0_opens": "09:00", "d2_0_closes": "16:30"},
        )
        page = self.client.get(self.venue.get_absolute_url())
        self.assertContains(page, "星期三")
        self.assertContains(page, "16:30")
        self.assertNotContains(page, "星期一")
        self.client.post(url, {"step": "room", "room-name": "舞蹈室", "room-capacity": "25"})
        self.assertContains(self.client.get(self.venue.get_absolute_url()), "舞蹈室")

        # A room's own form carries the venue's version: a stale one is refused with the reason.
        room = self.venue.rooms.get(name="舞蹈室")
        edit = reverse("community:room_edit", args=[room.pk])
        fresh = self.client.get(url).content.decode()
        version = fresh.split(f'{edit}" class="inline">')[1].split('name="version" value="')[1].split('"')[0]
        data = {
            "version": version,
            f"r{room.pk}-name": "舞蹈厅",
            f"r{room.pk}-capacity": "30",
            f"r{room.pk}-active": "on",
        }
        self.assertRedirects(self.client.post(edit, data), url)
        room.refresh_from_db()
        self.assertEqual((room.name, room.capacity), ("舞蹈厅", 30))
        stale = self.client.post(edit, {**data, f"r{room.pk}-name": "旧名"}, follow=True)
        self.assertContains(stale, "已被他人更新")
        room.refresh_from_db()
        self.assertEqual(room.name, "舞蹈厅")
