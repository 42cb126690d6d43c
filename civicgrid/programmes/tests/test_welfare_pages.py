"""The welfare pages: who sees which (the permission matrix), the board's bars and queues with a
constant number of queries, a project made, published and claimed from its page (over-claiming
refused with the remaining quantity shown), a claim confirmed and its confirmation letter, the
member register (masked phone, the logged reveal), and the PDFs' text (names and figures in,
no phone)."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from civicgrid.core import personal
from civicgrid.core.choices import Role
from civicgrid.core.models import PersonalDataAccess
from civicgrid.programmes.actions.frames import CLAIM_FRAME, WELFARE_FRAME
from civicgrid.programmes.actions.welfare import claim, create_welfare, register_member
from civicgrid.programmes.choices import ClaimAction, ClaimStatus, MemberKind, WelfareStatus
from civicgrid.programmes.models import Claim, MemberUnit, WelfareProject
from civicgrid.testing.factories import build_world
from civicgrid.testing.permissions import assert_matrix
from civicgrid.testing.programmes import build_programmes

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)
STREET_STAFF = {Role.ADMIN: 200, Role.LEADER: 200, Role.CADRE: 200}
NO_ROLE = {Role.GRID_WORKER: 404, Role.RESIDENT: 404}


def pdf_text(data: bytes) -> str:
    return (
        "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        .replace(" ", "")
        .replace("\n", "")
    )


class PagesBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = build_programmes(cls.world.east, mark="甲")
        cls.west = build_programmes(cls.world.west, mark="乙")
        cls.users = cls.world.east.users
        cls.admin, cls.cadre = cls.users[Role.ADMIN], cls.users[Role.CADRE]

    def setUp(self) -> None:
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)


class AccessTests(PagesBase):
    def test_every_page_for_each_role(self) -> None:
        e = self.east
        confirmed = CLAIM_FRAME.run(e.claim.pk, ClaimAction.CONFIRM, self.admin)
        lists = [reverse("programmes:welfare_board"), reverse("programmes:members")]
        objects = [
            reverse("programmes:welfare", args=[e.welfare.pk]),
            reverse("programmes:claim", args=[confirmed.pk]),
            reverse("programmes:claim_pdf", args=[confirmed.pk]),
            reverse("programmes:member", args=[e.member.pk]),
            reverse("programmes:member_statement", args=[e.member.pk, 2027]),
            reverse("programmes:member_statement_pdf", args=[e.member.pk, 2027]),
        ]
        # A handling unit's staff see only their unit's rows: none of the welfare.
        for url in lists:
            with self.subTest(url=url):
                assert_matrix(
                    self.client,
                    url,
                    {**STREET_STAFF, Role.DISPATCHER: 200, Role.HANDLER: 200, **NO_ROLE},
                    self.users,
                )
        for url in objects:
            with self.subTest(url=url):
                assert_matrix(self.client, url, {**STREET_STAFF, Role.HANDLER: 404, **NO_ROLE}, self.users)

    def test_another_street_finds_nothing(self) -> None:
        self.client.force_login(self.world.west.users[Role.ADMIN])
        for url in (
            reverse("programmes:welfare", args=[self.east.welfare.pk]),
            reverse("programmes:claim", args=[self.east.claim.pk]),
            reverse("programmes:member", args=[self.east.member.pk]),
            reverse("programmes:member_statement", args=[self.east.member.pk, 2027]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404, url)
        board = self.client.get(reverse("programmes:welfare_board") + "?year=2027")
        self.assertContains(board, self.west.welfare.title)
        self.assertNotContains(board, self.east.welfare.title)
        self.assertNotContains(self.client.get(reverse("programmes:members")), self.east.member.name)

    def test_the_unconfirmed_claim_has_no_letter(self) -> None:
        self.client.force_login(self.admin)
        self.assertEqual(
            self.client.get(reverse("programmes:claim_pdf", args=[self.east.claim.pk])).status_code, 404
        )
        self.assertNotContains(
            self.client.get(reverse("programmes:claim", args=[self.east.claim.pk])),
            reverse("programmes:claim_pdf", args=[self.east.claim.pk]),
        )

    def test_bad_statement_year_is_404(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:member_statement", args=[self.east.member.pk, 1900])
        self.assertEqual(self.client.get(url).status_code, 404)


class BoardTests(PagesBase):
    def test_board_shows_bars_and_queues_in_constant_queries(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:welfare_board") + "?year=2027"
        self.client.get(url)
        with CaptureQueriesContext(connection) as first:
            page = self.client.get(url)
        self.assertContains(page, self.east.welfare.title)
        self.assertContains(page, "需 30人次 · 已认领 10 · 已交付 0 · 剩余 20")
        self.assertContains(page, "width: 33%")
        self.assertContains(page, self.east.member.name)  # the claim awaiting confirmation
        for n in range(3):
            made = create_welfare(
                self.admin,
                street=self.world.east.street,
                year=2027,
                title=f"助学{n}",
                need="n",
                asks=[{"kind": "money", "item": "助学金", "unit": "元", "quantity": 100}],
            )
            Claim.objects.create(
                ask=made.asks.get(),
                project=made,
                street=made.street,
                member=self.east.member,
                quantity=Decimal(10),
                claimed_on=date(2027, 10, 1),
            )
        with CaptureQueriesContext(connection) as more:
            self.client.get(url)
        self.assertEqual(len(more), len(first))
        filtered = self.client.get(url + "&status=draft")
        self.assertContains(filtered, "助学0")
        self.assertNotContains(filtered, "剩余 20")

    def test_members_list_in_constant_queries_with_search(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:members")
        self.client.get(url)
        with CaptureQueriesContext(connection) as first:
            self.client.get(url)
        for n in range(4):
            register_member(
                self.admin, name=f"企业{n}", kind=MemberKind.COMPANY, streets=[self.world.east.street]
            )
        with self.assertNumQueries(len(first)):
            page = self.client.get(url)
        self.assertContains(page, "企业3")
        found = self.client.get(url + "?q=企业1&kind=company")
        self.assertContains(found, "企业1")
        self.assertNotContains(found, self.east.member.name)


class FlowTests(PagesBase):
    def test_create_publish_and_claim_from_the_pages(self) -> None:
        self.client.force_login(self.admin)
        data = {
            "street": self.world.east.street.pk,
            "year": 2027,
            "title": "环境美化",
            "need": "楼道清洁与绿化补种",
            "kind": "volunteers",
            "item": "志愿者",
            "unit": "人次",
            "quantity": "20",
        }
        response = self.client.post(reverse("programmes:welfare_board"), data)
        made = WelfareProject.objects.get(title="环境美化")
        self.assertRedirects(response, made.get_absolute_url())
        page = self.client.get(made.get_absolute_url())
        self.assertContains(page, reverse("programmes:welfare_ask_add", args=[made.pk]))
        self.client.post(
            reverse("programmes:welfare_ask_add", args=[made.pk]),
            {"ask-kind": "materials", "ask-item": "绿植", "ask-unit": "盆", "ask-quantity": "50"},
        )
        self.assertEqual(made.asks.count(), 2)
        self.client.post(
            reverse("programmes:welfare_act", args=[made.pk, "publish"]), {"version": made.version + 1}
        )
        made.refresh_from_db()
        self.assertEqual(made.status, WelfareStatus.OPEN)
        volunteers = made.asks.get(item="志愿者")
        page = self.client.get(made.get_absolute_url())
        self.assertContains(page, "志愿者（还可认领 20 人次）")
        url = reverse("programmes:welfare_claim", args=[made.pk])
        claim_data = {"claim-member": self.east.member.pk, "claim-ask": volunteers.pk, "claim-quantity": "15"}
        self.client.post(url, claim_data)
        over = self.client.post(url, {**claim_data, "claim-quantity": "6"}, follow=True)
        self.assertContains(over, "超出剩余需求：还可认领 5 人次")
        self.assertEqual(Claim.objects.filter(ask=volunteers).count(), 1)
        # The cadre records claims too, without the confirm/deliver steps.
        self.client.force_login(self.cadre)
        done = self.client.post(url, {**claim_data, "claim-quantity": "5"}, follow=True)
        self.assertContains(done, "待街道确认")
        held = Claim.objects.filter(ask=volunteers).latest("pk")
        cadre_view = self.client.get(held.get_absolute_url())
        self.assertNotContains(cadre_view, reverse("programmes:claim_act", args=[held.pk, "confirm"]))
        self.assertContains(cadre_view, reverse("programmes:claim_act", args=[held.pk, "withdraw"]))

    def test_confirm_from_the_claim_page_then_print(self) -> None:
        self.client.force_login(self.admin)
        url = reverse("programmes:claim", args=[self.east.claim.pk])
        self.assertContains(
            self.client.get(url), reverse("programmes:claim_act", args=[self.east.claim.pk, "confirm"])
        )
        self.client.post(
            reverse("programmes:claim_act", args=[self.east.claim.pk, "confirm"]),
            {"note": "同意", "version": 1},
        )
        self.east.claim.refresh_from_db()
        self.assertEqual(self.east.claim.status, ClaimStatus.CONFIRMED)
        page = self.client.get(url)
        self.assertContains(page, "2027-GY-0001")
        self.assertContains(page, "同意")
        letter = self.client.get(reverse("programmes:claim_pdf", args=[self.east.claim.pk]))
        self.assertEqual(letter["Content-Type"], "application/pdf")
        text = pdf_text(letter.content)
        for expected in (
            "公益项目认领确认书",
            "2027-GY-0001",
            "联合医院甲",
            "独居老人冬季关爱甲",
            "上门体检医生甲",
            "10人次",
        ):
            self.assertIn(expected, text)
        self.assertIn(self.world.east.street.name.replace(" ", ""), text)
        self.assertNotIn("13912345678", text)
        self.assertNotIn("5678", text)

    def test_register_a_member_and_reveal_its_phone(self) -> None:
        self.client.force_login(self.admin)
        response = self.client.post(
            reverse("programmes:members"),
            {
                "name": "复旦大学附属中学",
                "kind": "school",
                "streets": [self.world.east.street.pk],
                "contact_name": "陈老师",
                "contact_phone": "13987654321",
            },
        )
        member = MemberUnit.objects.get(name="复旦大学附属中学")
        self.assertRedirects(response, member.get_absolute_url())
        page = self.client.get(member.get_absolute_url())
        self.assertNotContains(page, "13987654321")
        self.assertContains(page, "139****4321")
        reveal = reverse("core:reveal", args=["programmes", "memberunit", member.pk, "contact_phone"])
        self.assertContains(page, reveal)
        self.assertContains(self.client.post(reveal, {"reason": "联系认领事宜"}), "13987654321")
        self.assertEqual(PersonalDataAccess.objects.filter(object_id=str(member.pk)).count(), 1)
        # The leader sees the masked phone and no way to reveal it.
        self.client.force_login(self.users[Role.LEADER])
        page = self.client.get(member.get_absolute_url())
        self.assertContains(page, "139****4321")
        self.assertNotContains(page, reveal)
        self.assertEqual(self.client.post(reveal, {"reason": "x"}).status_code, 404)

    def test_edit_keeps_the_phone_and_deactivate(self) -> None:
        self.client.force_login(self.admin)
        member = self.east.member
        self.client.post(
            reverse("programmes:member_edit", args=[member.pk]),
            {
                "edit-name": "联合医院（新）",
                "edit-kind": "hospital",
                "edit-streets": [self.world.east.street.pk],
                "edit-contact_phone": "",
                "version": member.version,
            },
        )
        member.refresh_from_db()
        self.assertEqual(member.name, "联合医院（新）")
        self.assertEqual(personal.unmasked(member.contact_phone), "13912345678")
        self.client.post(
            reverse("programmes:member_deactivate", args=[member.pk]), {"version": member.version}
        )
        member.refresh_from_db()
        self.assertFalse(member.active)

    def test_statement_page_and_pdf(self) -> None:
        e = self.east
        CLAIM_FRAME.run(e.claim.pk, ClaimAction.CONFIRM, self.admin)
        CLAIM_FRAME.run(e.claim.pk, ClaimAction.DELIVER, self.admin, {"delivered_quantity": 8})
        money = create_welfare(
            self.admin,
            street=self.world.east.street,
            year=2027,
            title="助学圆梦",
            need="n",
            asks=[{"kind": "money", "item": "助学金", "unit": "元", "quantity": 5000}],
        )
        WELFARE_FRAME.run(money.pk, "publish", self.admin)
        rejected = claim(self.admin, ask=money.asks.get(), member=e.member, quantity=3000)
        CLAIM_FRAME.run(rejected.pk, ClaimAction.REJECT, self.admin, {"note": "重复"})
        claim(self.admin, ask=money.asks.get(), member=e.member, quantity=2000)
        self.client.force_login(self.users[Role.LEADER])
        page = self.client.get(reverse("programmes:member_statement", args=[e.member.pk, 2027]))
        self.assertContains(page, "联合医院甲 2027 年度公益认领清单")
        self.assertContains(page, "不予确认")
        self.assertContains(page, "<td>志愿服务</td><td>10人次</td><td>8人次</td>", html=False)
        self.assertContains(page, "<td>资金</td><td>2000元</td><td>0元</td>", html=False)
        sheet = self.client.get(
            reverse("programmes:member_statement", args=[e.member.pk, 2027]) + "?format=pdf"
        )
        text = pdf_text(sheet.content)
        for expected in ("2027年度公益认领清单", "联合医院甲", "助学圆梦", "2000元", "2027-GY-0001", "8人次"):
            self.assertIn(expected, text)
        self.assertNotIn("13912345678", text)
        self.assertEqual(
            self.client.get(reverse("programmes:member_statement_pdf", args=[e.member.pk, 2027]))[
                "Content-Type"
            ],
            "application/pdf",
        )
