"""The welfare actions: the member register (encrypted phone, scoped streets), a welfare project
and its asks, partial claims covering a need exactly (the project covered), over-claiming
refused naming the remaining quantity, a claim refused on a closed/expired project or by a unit
of another street, reject/withdraw releasing the quantity and reopening the project, confirm
with its number, deliver with evidence and close, cancel withdrawing the open claims, and two
concurrent claims of the last units (exactly one wins)."""

import io
import tempfile
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase, TransactionTestCase
from PIL import Image

from civicgrid.core.choices import Role
from civicgrid.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TransitionNotAllowed
from civicgrid.core.models import Attachment, Event, Notification
from civicgrid.programmes.actions.frames import CLAIM_FRAME, WELFARE_FRAME
from civicgrid.programmes.actions.welfare import (
    add_ask,
    claim,
    create_welfare,
    deactivate_member,
    register_member,
    remove_ask,
    update_ask,
    update_member,
    update_welfare,
)
from civicgrid.programmes.choices import (
    AskKind,
    ClaimAction,
    ClaimStatus,
    MemberKind,
    WelfareAction,
    WelfareStatus,
)
from civicgrid.programmes.models import Ask, Claim, MemberUnit, WelfareProject
from civicgrid.testing.factories import build_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 10, 15, 10, 0, tzinfo=SHANGHAI)


def _photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, format="JPEG")
    return SimpleUploadedFile("evidence.jpg", buf.getvalue(), content_type="image/jpeg")


def _open_project(world, admin, *, quantities=(30, 2000), deadline=None) -> WelfareProject:  # type: ignore[no-untyped-def]
    project = create_welfare(
        admin,
        street=world.street,
        year=2027,
        title="冬令送温暖",
        need="为困难家庭送冬衣和慰问金",
        place="社区事务受理中心",
        beneficiaries="困难家庭",
        beneficiary_count=80,
        deadline=deadline,
        asks=[
            {"kind": AskKind.VOLUNTEERS, "item": "志愿者", "unit": "人次", "quantity": quantities[0]},
            {"kind": AskKind.MONEY, "item": "慰问金", "unit": "元", "quantity": quantities[1]},
        ],
    )
    return WELFARE_FRAME.run(project.pk, WelfareAction.PUBLISH, admin)


@time_machine.travel(NOW, tick=False)
class WelfareBase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.world = build_world()
        cls.east = cls.world.east
        cls.admin = cls.east.users[Role.ADMIN]
        cls.cadre = cls.east.users[Role.CADRE]
        with time_machine.travel(NOW, tick=False):
            cls.school = register_member(
                cls.admin,
                name="上海理工大学",
                kind=MemberKind.SCHOOL,
                streets=[cls.east.street],
                contact_name="王老师",
                contact_phone="13912345678",
            )
            cls.hospital = register_member(
                cls.admin, name="杨浦区中心医院", kind=MemberKind.HOSPITAL, streets=[cls.east.street.pk]
            )

    def asks(self, project: WelfareProject) -> tuple[Ask, Ask]:
        volunteers, money = project.asks.order_by("order")
        return volunteers, money


class MemberTests(WelfareBase):
    def test_phone_is_stored_encrypted_and_shown_masked(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT contact_phone FROM programmes_memberunit WHERE id = %s", [self.school.pk])
            stored = cursor.fetchone()[0]
        self.assertNotIn("13912345678", stored)
        member = MemberUnit.objects.get(pk=self.school.pk)
        self.assertNotIn("12345678", str(member.contact_phone))
        self.assertTrue(str(member.contact_phone).startswith("139"))

    def test_streets_outside_the_scope_are_refused_and_kept(self) -> None:
        west = self.world.west.street
        with self.assertRaises(InvalidInput) as err:
            register_member(self.admin, name="外街道单位", kind=MemberKind.COMPANY, streets=[west])
        self.assertEqual(err.exception.fields, {"streets": "not_found"})
        with self.assertRaises(InvalidInput):
            register_member(self.admin, name="无街道", kind=MemberKind.COMPANY, streets=[])
        # A unit serving both streets: the east office changes its name; the west street stays.
        both = register_member(
            self.world.west.users[Role.ADMIN], name="联合企业", kind="company", streets=[west]
        )
        both.streets.add(self.east.street)
        changed = update_member(self.admin, both, version=1, name="联合企业集团", streets=[self.east.street])
        self.assertEqual(changed.name, "联合企业集团")
        self.assertEqual(set(changed.streets.all()), {west, self.east.street})
        with self.assertRaises(Conflict):
            update_member(self.admin, both, version=1, note="过期")
        self.assertTrue(
            Event.objects.filter(object_type="memberunit", object_id=both.pk, action="update_member")
        )

    def test_roles_without_the_capability_are_forbidden(self) -> None:
        with self.assertRaises(Forbidden):
            register_member(
                self.east.users[Role.LEADER], name="x", kind="company", streets=[self.east.street]
            )
        with self.assertRaises(NotFound):
            update_member(self.world.west.users[Role.ADMIN], self.school, name="x")

    def test_an_inactive_unit_cannot_claim(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, _money = self.asks(project)
        deactivate_member(self.admin, self.hospital)
        with self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=volunteers, member=self.hospital, quantity=1)
        self.assertEqual(err.exception.fields, {"member": "inactive"})


class ProjectTests(WelfareBase):
    def test_asks_change_freely_while_draft_then_only_their_quantity(self) -> None:
        project = create_welfare(
            self.admin, street=self.east.street, year=2027, title="助学", need="结对助学", asks=[]
        )
        with self.assertRaises(TransitionNotAllowed):
            WELFARE_FRAME.run(project.pk, WelfareAction.PUBLISH, self.admin)
        ask = add_ask(self.admin, project, kind=AskKind.MATERIALS, item="学习用品", unit="套", quantity="50")
        extra = add_ask(self.admin, project, kind=AskKind.OTHER, item="其他", unit="项", quantity=1)
        remove_ask(self.admin, extra)
        update_ask(self.admin, ask, item="文具套装")
        WELFARE_FRAME.run(project.pk, WelfareAction.PUBLISH, self.admin)
        project.refresh_from_db()
        self.assertEqual(project.published_on, date(2027, 10, 15))
        with self.assertRaises(Conflict):
            update_ask(self.admin, ask, item="书包")
        with self.assertRaises(Conflict):
            remove_ask(self.admin, ask)
        claim(self.admin, ask=ask, member=self.school, quantity=20)
        with self.assertRaises(InvalidInput) as err:
            update_ask(self.admin, ask, quantity=10)
        self.assertIn("20套", err.exception.message)
        # Lowered to what is claimed: the project is covered; raised again: open again.
        update_ask(self.admin, ask, quantity=20)
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.COVERED)
        update_ask(self.admin, ask, quantity=60)
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.OPEN)
        updated = update_welfare(self.admin, project, version=project.version, place="睦邻中心")
        self.assertEqual(updated.place, "睦邻中心")

    def test_bad_input_names_its_field(self) -> None:
        cases = [
            ({"asks": [{"kind": "gold", "item": "x", "unit": "件", "quantity": 1}]}, "asks.0.kind"),
            ({"asks": [{"kind": "money", "item": "x", "unit": "元", "quantity": "-3"}]}, "asks.0.quantity"),
            ({"asks": [{"kind": "money", "item": "x", "unit": "元", "quantity": "abc"}]}, "asks.0.quantity"),
            ({"title": ""}, "title"),
            ({"area": self.world.west.residential[0].pk}, "area"),
        ]
        for extra, field in cases:
            with self.subTest(field=field), self.assertRaises(InvalidInput) as err:
                create_welfare(
                    self.admin,
                    **{"street": self.east.street, "year": 2027, "title": "t", "need": "n", **extra},
                )
            self.assertIn(field, err.exception.fields)

    def test_cancel_withdraws_the_open_claims(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, _money = self.asks(project)
        made = claim(self.cadre, ask=volunteers, member=self.school, quantity=5)
        WELFARE_FRAME.run(project.pk, WelfareAction.CANCEL, self.admin, {"note": "活动取消"})
        made.refresh_from_db()
        volunteers.refresh_from_db()
        self.assertEqual(made.status, ClaimStatus.WITHDRAWN)
        self.assertEqual(volunteers.claimed, 0)
        self.assertTrue(Event.objects.filter(object_type="claim", object_id=made.pk, action="withdraw"))


class ClaimTests(WelfareBase):
    def test_partial_claims_cover_the_need_exactly(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, money = self.asks(project)
        claim(self.cadre, ask=volunteers, member=self.school, quantity=12)
        claim(self.admin, ask=volunteers, member=self.hospital, quantity="18")
        claim(self.admin, ask=money, member=self.school, quantity="1500.50")
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.OPEN)
        claim(self.admin, ask=money, member=self.hospital, quantity="499.50")
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.COVERED)
        volunteers.refresh_from_db()
        money.refresh_from_db()
        self.assertEqual((volunteers.claimed, money.claimed), (Decimal(30), Decimal(2000)))
        self.assertTrue(
            Event.objects.filter(object_type="welfareproject", object_id=project.pk, action="mark_covered")
        )
        # Covered: any more is over the need.
        with self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=volunteers, member=self.school, quantity=1)
        self.assertEqual(err.exception.fields, {"quantity": "over_claimed"})

    def test_over_claiming_is_refused_naming_what_remains(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, _money = self.asks(project)
        claim(self.admin, ask=volunteers, member=self.school, quantity=26)
        with self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=volunteers, member=self.hospital, quantity=5)
        self.assertEqual(err.exception.fields, {"quantity": "over_claimed"})
        self.assertEqual(err.exception.message, "超出剩余需求：还可认领 4 人次")
        volunteers.refresh_from_db()
        self.assertEqual(volunteers.claimed, 26)
        self.assertEqual(Claim.objects.filter(ask=volunteers).count(), 1)

    def test_refusals_before_taking_anything(self) -> None:
        draft = create_welfare(
            self.admin,
            street=self.east.street,
            year=2027,
            title="草稿",
            need="n",
            asks=[{"kind": "money", "item": "资金", "unit": "元", "quantity": 10}],
        )
        with self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=draft.asks.get(), member=self.school, quantity=1)
        self.assertEqual(err.exception.fields, {"ask": "not_open"})
        late = _open_project(self.east, self.admin, deadline=date(2027, 10, 20))
        volunteers, _money = self.asks(late)
        later = time_machine.travel(datetime(2027, 10, 21, 9, tzinfo=SHANGHAI), tick=False)
        with later, self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=volunteers, member=self.school, quantity=1)
        self.assertEqual(err.exception.fields, {"ask": "past_deadline"})
        west_unit = register_member(
            self.world.west.users[Role.ADMIN],
            name="西街道企业",
            kind="company",
            streets=[self.world.west.street],
        )
        with self.assertRaises(InvalidInput) as err:
            claim(self.admin, ask=volunteers, member=west_unit, quantity=1)
        self.assertEqual(err.exception.fields, {"member": "not_found"})
        west_unit.streets.add(self.east.street)  # it serves the east street too now
        claim(self.admin, ask=volunteers, member=west_unit, quantity=1)
        with self.assertRaises(InvalidInput) as err:
            claim(self.world.west.users[Role.ADMIN], ask=volunteers, member=west_unit, quantity=1)
        self.assertEqual(err.exception.fields, {"ask": "not_found"})
        with self.assertRaises(Forbidden):
            claim(self.east.users[Role.LEADER], ask=volunteers, member=self.school, quantity=1)

    def test_claim_notifies_the_street_office(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, _money = self.asks(project)
        with self.captureOnCommitCallbacks(execute=True):
            made = claim(self.cadre, ask=volunteers, member=self.school, quantity=3)
        notice = Notification.objects.get(user=self.admin, kind="programmes.claim")
        self.assertIn("上海理工大学 认领了“冬令送温暖”的 3人次 志愿者", notice.message)
        self.assertEqual(made.recorded_by, self.cadre)

    def test_reject_and_withdraw_release_the_quantity_and_reopen(self) -> None:
        project = _open_project(self.east, self.admin, quantities=(10, 100))
        volunteers, money = self.asks(project)
        first = claim(self.admin, ask=volunteers, member=self.school, quantity=10)
        second = claim(self.admin, ask=money, member=self.hospital, quantity=100)
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.COVERED)
        with self.assertRaises(InvalidInput):
            CLAIM_FRAME.run(first.pk, ClaimAction.REJECT, self.admin, {})  # the reason is required
        CLAIM_FRAME.run(first.pk, ClaimAction.REJECT, self.admin, {"note": "重复认领"})
        volunteers.refresh_from_db()
        project.refresh_from_db()
        self.assertEqual((volunteers.claimed, project.status), (0, WelfareStatus.OPEN))
        CLAIM_FRAME.run(second.pk, ClaimAction.CONFIRM, self.admin)
        CLAIM_FRAME.run(second.pk, ClaimAction.WITHDRAW, self.cadre, {"note": "单位预算调整"})
        money.refresh_from_db()
        self.assertEqual(money.claimed, 0)
        event = Event.objects.get(object_type="claim", object_id=second.pk, action="withdraw")
        self.assertEqual(event.payload["released"], "100")
        self.assertEqual(event.payload["note"], "单位预算调整")
        # The cadre may record and withdraw claims, not confirm them.
        third = claim(self.cadre, ask=money, member=self.school, quantity=40)
        with self.assertRaises(Forbidden):
            CLAIM_FRAME.run(third.pk, ClaimAction.CONFIRM, self.cadre)

    def test_confirm_numbers_deliver_with_evidence_and_close(self) -> None:
        project = _open_project(self.east, self.admin)
        volunteers, money = self.asks(project)
        a = claim(self.admin, ask=volunteers, member=self.school, quantity=10)
        b = claim(self.admin, ask=money, member=self.hospital, quantity=500)
        CLAIM_FRAME.run(b.pk, ClaimAction.CONFIRM, self.admin)
        CLAIM_FRAME.run(a.pk, ClaimAction.CONFIRM, self.admin)
        a.refresh_from_db()
        b.refresh_from_db()
        self.assertEqual((b.number, a.number), ("2027-GY-0001", "2027-GY-0002"))
        self.assertEqual(a.confirmed_on, date(2027, 10, 15))
        with self.assertRaises(InvalidInput) as err:
            CLAIM_FRAME.run(a.pk, ClaimAction.DELIVER, self.admin, {"delivered_quantity": 11})
        self.assertEqual(err.exception.fields, {"delivered_quantity": "over_claimed"})
        with self.assertRaises(InvalidInput):
            CLAIM_FRAME.run(
                a.pk, ClaimAction.DELIVER, self.admin, {"delivered_quantity": 8, "delivered_on": "2027-11-01"}
            )
        self.enterContext(self.settings(MEDIA_ROOT=self.enterContext(tempfile.TemporaryDirectory())))
        CLAIM_FRAME.run(
            a.pk,
            ClaimAction.DELIVER,
            self.admin,
            {"delivered_quantity": 8, "note": "实到 8 人次", "photos": [_photo()]},
        )
        a.refresh_from_db()
        volunteers.refresh_from_db()
        self.assertEqual(
            (a.status, a.delivered_quantity, a.delivered_on), ("delivered", 8, date(2027, 10, 15))
        )
        self.assertEqual(volunteers.delivered, 8)
        self.assertEqual(Attachment.objects.filter(object_id=a.pk, stage="evidence").count(), 1)
        # The project cannot close while a claim is undelivered.
        with self.assertRaises(TransitionNotAllowed):
            WELFARE_FRAME.run(project.pk, WelfareAction.CLOSE, self.admin)
        CLAIM_FRAME.run(b.pk, ClaimAction.DELIVER, self.admin, {"delivered_quantity": 500})
        CLAIM_FRAME.run(a.pk, ClaimAction.CLOSE, self.admin)
        a.refresh_from_db()
        self.assertEqual((a.status, a.closed_on), (ClaimStatus.CLOSED, date(2027, 10, 15)))
        WELFARE_FRAME.run(project.pk, WelfareAction.CLOSE, self.admin, {"note": "圆满完成"})
        project.refresh_from_db()
        self.assertEqual(project.status, WelfareStatus.CLOSED)


@time_machine.travel(NOW, tick=False)
class RaceTests(TransactionTestCase):
    def test_two_claims_of_the_last_units_exactly_one_wins(self) -> None:
        world = build_world()
        admin = world.east.users[Role.ADMIN]
        project = _open_project(world.east, admin, quantities=(10, 100))
        volunteers = project.asks.get(item="志愿者")
        claim(admin, ask=volunteers, member=_member(world, admin, "甲"), quantity=6)
        members = [_member(world, admin, name) for name in ("乙", "丙")]
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def attempt(member: MemberUnit) -> None:
            try:
                barrier.wait()
                claim(admin, ask=volunteers.pk, member=member.pk, quantity=4)
                outcomes.append("ok")
            except InvalidInput as exc:
                outcomes.append(exc.message)
            except Exception as exc:  # anything else is a bug: record it so the assertion shows it
                outcomes.append(repr(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(m,)) for m in members]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(outcomes), ["ok", "超出剩余需求：还可认领 0 人次"])
        volunteers.refresh_from_db()
        self.assertEqual(volunteers.claimed, 10)
        self.assertEqual(Claim.objects.filter(ask=volunteers).count(), 2)


def _member(world, admin, name: str) -> MemberUnit:  # type: ignore[no-untyped-def]
    return register_member(admin, name=f"{name}公司", kind="company", streets=[world.east.street])
