"""The service centre's pages: who opens which (the permission matrix), the catalogue showing
today's responsible with the B badge when A is on leave (and a constant number of queries), a
resident booking a slot from the booking page and cancelling it, the desk's queue (call, finish,
the htmx fragment), the leave page, and a 上门办 request scheduled from its page appearing on
the assignee's "我的上门任务" and closed there with an outcome."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.community.actions.service import create_item, record_leave, walk_in
from civicgrid.community.choices import HomeServiceStatus
from civicgrid.community.models import Appointment, HomeService, ServiceCentre, ServiceItem, ServiceSlot
from civicgrid.core.choices import Role
from civicgrid.testing.community import build_community
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)  # a Friday
MONDAY = datetime(2027, 10, 18, 10, 0, tzinfo=SHANGHAI)
EVERYONE = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200, Role.RESIDENT: 200, Role.HANDLER: 404}


class PagesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_community(cls.world.east, at=NOW - timedelta(days=30), mark="甲")
        cls.west = build_community(cls.world.west, at=NOW - timedelta(days=30), mark="乙")
        cls.users = cls.world.east.users
        cls.admin, cls.resident = cls.users[Role.ADMIN], cls.users[Role.RESIDENT]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class AccessTests(PagesBase):
    def test_every_page_for_each_role(self) -> None:
        e = self.east
        for url in (
            reverse("community:service"),
            reverse("community:item", args=[e.item.pk]),
            reverse("community:book", args=[e.item.pk]),
            reverse("community:appointment", args=[e.appointment.pk]),
            reverse("community:home_services"),
        ):
            with self.subTest(url=url):
                expected = {**EVERYONE}
                if "book" in url:
                    expected[Role.LEADER] = 404
                if "appointments" in url:  # the resident's booking: a cadre sees only theirs
                    expected[Role.CADRE] = 404
                assert_matrix(self.client, url, expected, self.users)
        desk = {Role.ADMIN: 200, Role.LEADER: 404, Role.CADRE: 404, Role.RESIDENT: 404}
        for name in ("queue", "home_tasks", "service_figures", "leave"):
            with self.subTest(name=name):
                assert_matrix(self.client, reverse(f"community:{name}"), desk, self.users)
        # The cadre asked for this 上门办 in the second residential area, outside their own.
        assert_matrix(
            self.client,
            reverse("community:home_service", args=[e.home_service.pk]),
            {Role.ADMIN: 200, Role.CADRE: 404, Role.RESIDENT: 404},
            self.users,
        )
        assert_matrix(
            self.client,
            reverse("community:home_service_new"),
            {Role.ADMIN: 200, Role.CADRE: 200, Role.RESIDENT: 200, Role.LEADER: 404},
            self.users,
        )
        # Another street's rows are not found.
        self.client.force_login(self.admin)
        for url in (
            reverse("community:item", args=[self.west.item.pk]),
            reverse("community:appointment", args=[self.west.appointment.pk]),
            reverse("community:home_service", args=[self.west.home_service.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404)


class CatalogueTests(PagesBase):
    def test_the_b_badge_when_a_is_on_leave_and_constant_queries(self) -> None:
        self.client.force_login(self.resident)
        page = self.client.get(reverse("community:service")).content.decode()
        self.assertIn(self.east.item.name, page)
        self.assertNotIn(self.west.item.name, page)
        self.assertNotIn("A角请假，由B角办理", page)
        record_leave(
            self.admin,
            user=self.admin,
            kind="annual",
            starts_at=NOW - timedelta(hours=1),
            ends_at=NOW + timedelta(hours=8),
        )
        page = self.client.get(reverse("community:service")).content.decode()
        self.assertIn("A角请假，由B角办理", page)
        # Staff names only for the desk (who may see the accounts); a resident reads the role.
        self.assertNotIn(self.east.b_staff.full_name, page)
        self.client.force_login(self.admin)
        self.assertIn(
            self.east.b_staff.full_name, self.client.get(reverse("community:service")).content.decode()
        )
        self.client.force_login(self.resident)
        detail = self.client.get(reverse("community:item", args=[self.east.item.pk])).content.decode()
        self.assertIn("A角请假，由B角办理", detail)
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("community:service"))
        for n in range(3):
            create_item(
                self.admin,
                self.east.centre,
                code=f"T{n}",
                name=f"事项{n}",
                category="health",
                a_staff=self.admin,
                b_staff=self.east.b_staff,
            )
        with CaptureQueriesContext(connection) as more:
            self.client.get(reverse("community:service"))
        self.assertEqual(len(more), len(few))


class CentrePagesTests(PagesBase):
    """The street office keeps its centre: windows, new items with their A and B, an item's
    documents and time limit. Only the office opens these pages, and only for its street."""

    def test_who_opens_the_centres_pages(self) -> None:
        office = {Role.ADMIN: 200, Role.LEADER: 404, Role.CADRE: 404, Role.RESIDENT: 404, Role.HANDLER: 404}
        for url in (reverse("community:centre"), reverse("community:item_new", args=[self.east.centre.pk])):
            with self.subTest(url=url):
                assert_matrix(self.client, url, office, self.users)
        self.client.force_login(self.admin)
        self.assertEqual(
            self.client.get(reverse("community:item_new", args=[self.west.centre.pk])).status_code, 404
        )
        page = self.client.get(reverse("community:centre")).content.decode()
        self.assertIn(self.east.window.name, page)
        self.assertIn(self.east.item.name, page)
        self.assertNotIn(self.west.item.name, page)
        self.assertNotIn("开设服务中心", page)  # the street has its centre already

    def test_a_window_is_added_once_per_number(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("community:window_new", args=[self.east.centre.pk])
        self.assertRedirects(
            self.client.post(url, {"number": 7, "name": "老年窗口"}), reverse("community:centre")
        )
        self.assertTrue(self.east.centre.windows.filter(number=7, name="老年窗口").exists())
        response = self.client.post(url, {"number": 7, "name": "又一个"}, follow=True)
        self.assertContains(response, "窗口号已存在")
        self.assertEqual(self.east.centre.windows.filter(number=7).count(), 1)
        self.assertEqual(
            self.client.post(
                reverse("community:window_new", args=[self.west.centre.pk]), {"number": 8, "name": "x"}
            ).status_code,
            404,
        )

    def test_a_new_item_with_its_a_and_b(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("community:item_new", args=[self.east.centre.pk])
        self.assertContains(self.client.get(url), self.east.b_staff.full_name)
        data = {
            "code": "SB-09",
            "name": "居民医保参保登记",
            "category": "social_security",
            "a_staff": self.east.b_staff.pk,
            "b_staff": self.east.b_staff.pk,
            "documents": "身份证\n户口簿",
            "time_limit_days": 3,
            "window": self.east.window.pk,
            "per_slot": 2,
            "bookable": "on",
        }
        refused = self.client.post(url, data)
        self.assertContains(refused, "A角与B角不能是同一人")
        self.assertFalse(ServiceItem.objects.filter(code="SB-09").exists())
        response = self.client.post(url, {**data, "a_staff": self.admin.pk})
        made = ServiceItem.objects.get(code="SB-09", street=self.world.east.street)
        self.assertRedirects(response, made.get_absolute_url())
        self.assertEqual(
            (made.a_staff, made.b_staff, made.window), (self.admin, self.east.b_staff, self.east.window)
        )
        self.assertEqual(
            (made.document_list, made.time_limit_days, made.per_slot), (["身份证", "户口簿"], 3, 2)
        )
        self.assertContains(self.client.get(reverse("community:service")), "居民医保参保登记")

    def test_an_items_documents_and_time_limit_are_edited_on_its_page(self) -> None:
        item = self.east.item
        self.client.force_login(self.admin)
        self.assertContains(self.client.get(item.get_absolute_url()), "修改事项")
        url = reverse("community:item_edit", args=[item.pk])
        data = {
            "version": item.version,
            "name": item.name,
            "category": item.category,
            "documents": "身份证\n退休证\n银行卡",
            "description": "",
            "time_limit_days": 7,
            "window": "",
            "per_slot": item.per_slot,
            "bookable": "on",
        }
        self.assertRedirects(self.client.post(url, data), item.get_absolute_url())
        edited = ServiceItem.objects.get(pk=item.pk)
        self.assertEqual((edited.document_list, edited.time_limit_days), (["身份证", "退休证", "银行卡"], 7))
        self.assertEqual((edited.window, edited.version, edited.code), (None, item.version + 1, item.code))
        page = self.client.get(item.get_absolute_url()).content.decode()
        self.assertIn("退休证", page)
        self.assertIn("7 个工作日", page)
        stale = self.client.post(url, {**data, "time_limit_days": 1}, follow=True)
        self.assertContains(stale, "服务事项已被他人更新")
        self.assertEqual(ServiceItem.objects.get(pk=item.pk).time_limit_days, 7)
        self.client.force_login(self.users[Role.CADRE])
        self.assertEqual(self.client.post(url, {**data, "version": edited.version}).status_code, 404)
        self.assertNotContains(self.client.get(item.get_absolute_url()), "修改事项")


class CentreOpeningTests(TestCase):
    def test_a_street_without_a_centre_opens_one(self) -> None:
        world = build_world()
        admin = world.east.users[Role.ADMIN]
        self.client.force_login(admin)
        self.assertContains(self.client.get(reverse("community:centre")), "开设服务中心")
        data = {
            "street": world.east.street.pk,
            "name": "东街道社区事务受理服务中心",
            "opens": "09:00",
            "closes": "08:00",
        }
        self.assertContains(self.client.post(reverse("community:centre"), data), "办理时间不正确")
        self.assertFalse(ServiceCentre.objects.exists())
        response = self.client.post(reverse("community:centre"), {**data, "closes": "17:00"})
        self.assertRedirects(response, reverse("community:centre"))
        made = ServiceCentre.objects.get(street=world.east.street)
        self.assertEqual((made.name, made.closes.hour), ("东街道社区事务受理服务中心", 17))
        # Another street's id is not among the choices: refused by the form, nothing made.
        self.client.post(
            reverse("community:centre"), {**data, "street": world.west.street.pk, "closes": "17:00"}
        )
        self.assertFalse(ServiceCentre.objects.filter(street=world.west.street).exists())


class BookingPageTests(PagesBase):
    def test_a_resident_books_a_slot_and_cancels(self) -> None:
        self.client.force_login(self.resident)
        url = reverse("community:book", args=[self.east.item.pk])
        page = self.client.get(url, {"day": "2027-10-18"}).content.decode()
        self.assertIn("10:00–10:30", page)
        response = self.client.post(url, {"starts_at": "2027-10-18 10:00"})
        made = Appointment.objects.get(user=self.resident, slot__starts_at=MONDAY)
        self.assertRedirects(response, made.get_absolute_url())
        self.assertEqual(ServiceSlot.objects.get(item=self.east.item, starts_at=MONDAY).booked, 1)
        self.client.post(
            reverse("community:appointment_act", args=[made.pk, "cancel"]), {"version": made.version}
        )
        made.refresh_from_db()
        self.assertEqual(made.status, "cancelled")
        self.assertEqual(ServiceSlot.objects.get(item=self.east.item, starts_at=MONDAY).booked, 0)


class QueueTests(PagesBase):
    def test_the_desk_calls_and_finishes(self) -> None:
        came = walk_in(self.admin, self.east.item, name="赵先生")
        self.client.force_login(self.admin)
        with time_machine.travel(NOW + timedelta(minutes=12), tick=False):
            fragment = self.client.get(reverse("community:queue"), {"part": 1}).content.decode()
        self.assertIn(came.ticket, fragment)
        self.assertIn("已等 12 分钟", fragment)
        act = reverse("community:appointment_act", args=[came.pk, "call"])
        self.assertRedirects(
            self.client.post(act, {"back": "queue", "version": came.version}), reverse("community:queue")
        )
        came.refresh_from_db()
        self.assertEqual((came.status, came.handled_by), ("serving", self.admin))
        act = reverse("community:appointment_act", args=[came.pk, "finish"])
        self.client.post(act, {"back": "queue", "version": came.version})
        came.refresh_from_db()
        self.assertEqual(came.status, "done")


class HomeTaskTests(PagesBase):
    def test_a_request_becomes_the_assignees_task_and_closes_there(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("community:home_service_new"),
            {
                "item": self.east.item.pk,
                "reason": "alone_elderly",
                "name": "孙阿婆",
                "address": "梧桐路 9 弄",
                "phone": "13911112222",
            },
        )
        made = HomeService.objects.get(name="孙阿婆")
        self.assertRedirects(response, made.get_absolute_url())
        self.assertNotIn("13911112222", self.client.get(made.get_absolute_url()).content.decode())
        self.client.post(
            reverse("community:home_service_act", args=[made.pk, "schedule"]),
            {"visit_at": "2027-10-18T14:00", "assignee": self.east.b_staff.pk, "version": made.version},
        )
        made.refresh_from_db()
        self.assertEqual((made.status, made.assignee), (HomeServiceStatus.SCHEDULED, self.east.b_staff))
        self.client.force_login(self.east.b_staff)
        tasks = self.client.get(reverse("community:home_tasks")).content.decode()
        self.assertIn(made.item.name, tasks)
        self.client.post(
            reverse("community:home_service_act", args=[made.pk, "complete"]),
            {"outcome": "已上门收取材料", "back": "tasks", "version": made.version},
        )
        made.refresh_from_db()
        self.assertEqual((made.status, made.outcome), (HomeServiceStatus.DONE, "已上门收取材料"))
        self.assertNotIn(
            made.item.name + "</a>", self.client.get(reverse("community:home_tasks")).content.decode()
        )


class RolesPageTests(PagesBase):
    def test_the_street_office_changes_an_items_a_and_b(self) -> None:
        item = self.east.item
        url = reverse("community:item_roles", args=[item.pk])
        swap = {"version": item.version, "a_staff": item.b_staff_id, "b_staff": item.a_staff_id}
        self.client.force_login(self.users[Role.CADRE])
        self.client.post(url, swap)
        item.refresh_from_db()
        self.assertEqual((item.a_staff_id, item.b_staff_id), (self.admin.pk, self.east.b_staff.pk))
        self.client.force_login(self.admin)
        page = self.client.get(reverse("community:item", args=[item.pk]))
        self.assertContains(page, "调整A角与B角")
        self.assertRedirects(
            self.client.post(url, swap), item.get_absolute_url(), fetch_redirect_response=False
        )
        item.refresh_from_db()
        self.assertEqual((item.a_staff_id, item.b_staff_id), (self.east.b_staff.pk, self.admin.pk))
        # The same person twice is refused on the field, and nothing changes.
        same = {"version": item.version, "a_staff": self.admin.pk, "b_staff": self.admin.pk}
        self.client.post(url, same)
        item.refresh_from_db()
        self.assertEqual(item.a_staff_id, self.east.b_staff.pk)
