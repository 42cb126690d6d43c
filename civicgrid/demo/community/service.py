"""The demo's service centre, per street: the centre with five windows, five service-centre staff
accounts (`<street key>-service-1`…, administrators of the street, the demo password) as the
items' A and B, 24 catalogue items, leave (one covering the load day, so B routing shows), three
months of appointments (done with realistic waits, no-shows, cancelled) and booked ones for the
next two weeks, walk-ins, and 上门办 for elderly people living alone (done on time, late,
scheduled, requested). Everything through the actions inside `clock.at()`, dated from the load
day and seeded per street."""

from datetime import date, datetime, time, timedelta
from typing import Any

from civicgrid.accounts.models import Membership, User
from civicgrid.community.actions import service as actions
from civicgrid.community.actions.frames import APPOINTMENT_FRAME, HOME_SERVICE_FRAME
from civicgrid.community.choices import (
    AppointmentAction,
    HomeServiceAction,
    HomeServiceReason,
    LeaveKind,
    ServiceCategory,
)
from civicgrid.community.models import ServiceItem
from civicgrid.core import clock, workdays
from civicgrid.core.choices import Role
from civicgrid.core.errors import ActionError
from civicgrid.demo.data import DEMO_PASSWORD
from civicgrid.residents.choices import CareKind
from civicgrid.residents.models import Person

from .. import community as street_plans

C = ServiceCategory
STAFF = ("周敏", "吴婷", "郑磊", "王芳", "冯军")
WINDOWS = ("社保医保窗口", "民政救助窗口", "养老助残窗口", "户籍居住证窗口", "综合受理窗口")
# (name, category, documents, working days, per slot, window, 上门办)
ITEMS = (
    ("高龄老人综合津贴申请", C.ELDERLY, "身份证\n户口簿\n银行卡", 5, 3, 2, True),
    ("敬老卡办理", C.ELDERLY, "身份证\n一寸照片", 7, 3, 2, True),
    ("老年综合评估申请", C.ELDERLY, "身份证\n医保卡", 10, 2, 2, True),
    ("长护险申请", C.ELDERLY, "身份证\n医保卡\n病历资料", 10, 2, 0, True),
    ("养老服务补贴申请", C.ELDERLY, "身份证\n户口簿\n收入证明", 10, 2, 2, True),
    ("居住证办理", C.HOUSEHOLD, "身份证\n租赁合同\n一寸照片", 7, 4, 3, False),
    ("居住证签注", C.HOUSEHOLD, "居住证\n身份证", 0, 4, 3, False),
    ("户籍证明开具", C.HOUSEHOLD, "身份证\n户口簿", 0, 4, 3, False),
    ("医保卡申领", C.SOCIAL_SECURITY, "身份证\n一寸照片", 5, 4, 0, True),
    ("城乡居民医保参保登记", C.SOCIAL_SECURITY, "身份证\n户口簿", 0, 4, 0, False),
    ("灵活就业人员社保登记", C.SOCIAL_SECURITY, "身份证\n就业失业登记证", 0, 3, 0, False),
    ("残疾人证申领", C.DISABILITY, "身份证\n户口簿\n近期照片", 15, 2, 2, True),
    ("残疾人康复补贴申请", C.DISABILITY, "残疾人证\n身份证", 10, 2, 2, True),
    ("失业登记", C.EMPLOYMENT, "身份证\n退工证明", 0, 3, 4, False),
    ("就业困难人员认定", C.EMPLOYMENT, "身份证\n失业登记证明", 10, 2, 4, False),
    ("创业担保贷款申请", C.EMPLOYMENT, "身份证\n营业执照\n创业计划书", 15, 2, 4, False),
    ("低保申请", C.CIVIL_AFFAIRS, "身份证\n户口簿\n家庭收入证明", 30, 2, 1, True),
    ("临时救助申请", C.CIVIL_AFFAIRS, "身份证\n困难情况说明", 10, 2, 1, True),
    ("特困人员供养申请", C.CIVIL_AFFAIRS, "身份证\n户口簿", 20, 2, 1, True),
    ("独生子女父母奖励", C.FAMILY, "身份证\n独生子女父母光荣证", 10, 3, 4, False),
    ("生育登记", C.FAMILY, "夫妻双方身份证\n结婚证", 0, 3, 4, False),
    ("计划生育特别扶助申请", C.FAMILY, "身份证\n户口簿\n独生子女证", 20, 2, 4, True),
    ("预防接种证补办", C.HEALTH, "身份证\n出生医学证明", 0, 3, 4, False),
    ("家庭医生签约", C.HEALTH, "身份证\n医保卡", 0, 4, 4, True),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = (
    "建国",
    "秀英",
    "玉兰",
    "志强",
    "桂芳",
    "国华",
    "美玲",
    "德明",
    "凤英",
    "海燕",
    "伟",
    "静",
    "敏",
    "勇",
)
OUTCOMES = (
    "已上门核验身份并收取申请材料，代为提交",
    "已上门拍照采集信息，证件办好后送达",
    "已上门完成评估，结果将电话告知",
)


def _staff(plan: Any, key: str) -> list[User]:
    """The street's service-centre accounts (administrators of the street), made once."""
    out = []
    for n, name in enumerate(STAFF, start=1):
        user, made = User.objects.get_or_create(
            username=f"{key}-service-{n}", defaults={"role": Role.ADMIN, "full_name": f"{name}"}
        )
        if made:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(user=user, area=plan.street)
        out.append(user)
    return out


def _working_days(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if workdays.is_working_day(d)]


def _name(rng: Any) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: Any) -> str:
    return f"139{rng.randrange(10**8):08d}"


def load(plan: Any) -> int:
    admin = plan.users[Role.ADMIN]
    key = admin.username.rsplit("-", 1)[0]
    rng = plan.rng("service")
    today = plan.today
    made = 0
    staff = _staff(plan, key)
    with clock.at(street_plans.at(today - timedelta(days=120), 8)):
        centre = actions.create_centre(
            admin,
            street=plan.street,
            name=f"{plan.street.name}社区事务受理服务中心",
            address=f"{plan.street.name}综合服务大楼一楼",
            phone="021-12345",
            opens=time(9),
            closes=time(16, 30),
            duty_officer=staff[0],
        )
        windows = [
            actions.add_window(admin, centre, number=n, name=w) for n, w in enumerate(WINDOWS, start=1)
        ]
        items: list[ServiceItem] = []
        for n, (name, category, documents, days, per_slot, window, home) in enumerate(ITEMS):
            a = staff[1 + n % 4]
            b = staff[1 + (n + 1) % 4]
            items.append(
                actions.create_item(
                    admin,
                    centre,
                    code=f"SQ-{n + 1:03d}",
                    name=name,
                    category=category,
                    documents=documents,
                    time_limit_days=days,
                    window=windows[window],
                    a_staff=a,
                    b_staff=b,
                    per_slot=per_slot,
                    home_service=home,
                )
            )
        made += 1 + len(windows) + len(items)
    # Leave: one covering the load day (B routing visible today), one past, one cancelled.
    with clock.at(street_plans.at(today - timedelta(days=100), 8)):
        actions.record_leave(
            admin,
            user=staff[1],
            kind=LeaveKind.ANNUAL,
            starts_at=street_plans.at(today - timedelta(days=60), 8),
            ends_at=street_plans.at(today - timedelta(days=56), 18),
        )
        cancelled = actions.record_leave(
            admin,
            user=staff[3],
            kind=LeaveKind.TRAINING,
            starts_at=street_plans.at(today - timedelta(days=30), 8),
            ends_at=street_plans.at(today - timedelta(days=30), 18),
        )
        actions.cancel_leave(admin, cancelled)
    with clock.at(street_plans.at(today - timedelta(days=3), 8)):
        actions.record_leave(
            admin,
            user=staff[1],
            kind=LeaveKind.SICK,
            starts_at=street_plans.at(today - timedelta(days=1), 8),
            ends_at=street_plans.at(today + timedelta(days=2), 18),
            note="病假",
        )
    made += 3
    made += _appointments(plan, rng, staff, items)
    made += _home_services(plan, rng, staff, items)
    return made


def _slot_time(rng: Any, day: date) -> datetime:
    return street_plans.at(day, rng.choice((9, 10, 11, 13, 14, 15)), rng.choice((0, 30)))


def _appointments(plan: Any, rng: Any, staff: list[User], items: list[ServiceItem]) -> int:
    """Three months past (booked two days ahead, then arrived, waited, called, done — or not
    there, or cancelled), walk-ins, and bookings for the next two weeks."""
    today, made = plan.today, 0
    desk = staff[4]
    resident = plan.users.get(Role.RESIDENT)
    for day in _working_days(today - timedelta(days=90), today - timedelta(days=1)):
        for _n in range(rng.randint(2, 4)):
            item = rng.choice(items)
            starts = _slot_time(rng, day)
            with clock.at(starts - timedelta(days=2, hours=1)):
                try:
                    booked = actions.book_appointment(
                        desk, item, starts, name=_name(rng), phone=_phone(rng), channel="phone"
                    )
                except ActionError:
                    continue
            made += 1
            fate = rng.random()
            if fate < 0.08:
                with clock.at(starts - timedelta(days=1)):
                    APPOINTMENT_FRAME.run(booked.pk, AppointmentAction.CANCEL, desk, {"note": "居民来电取消"})
                continue
            if fate < 0.18:
                with clock.at(starts + timedelta(hours=1)):
                    APPOINTMENT_FRAME.run(booked.pk, AppointmentAction.NO_SHOW, desk)
                continue
            _serve(booked.pk, starts - timedelta(minutes=rng.randint(0, 15)), rng, staff)
        for _n in range(rng.randint(1, 3)):
            came_at = street_plans.at(day, rng.choice((9, 10, 14, 15)), rng.randrange(60))
            with clock.at(came_at):
                came = actions.walk_in(desk, rng.choice(items), name=_name(rng))
            made += 1
            _serve(came.pk, came_at, rng, staff, booked=False)
    for day in _working_days(today + timedelta(days=1), today + timedelta(days=14)):
        for n in range(rng.randint(2, 5)):
            item, starts = rng.choice(items), _slot_time(rng, day)
            with clock.at(street_plans.at(today, 8)):
                try:
                    if n == 0 and resident is not None:
                        actions.book_appointment(resident, item, starts, phone=_phone(rng))
                    else:
                        actions.book_appointment(desk, item, starts, name=_name(rng), phone=_phone(rng))
                except ActionError:
                    continue
            made += 1
    return made


def _serve(pk: int, arrived: datetime, rng: Any, staff: list[User], *, booked: bool = True) -> None:
    """Arrived (a ticket; a walk-in has one), called after a realistic wait (mostly under 20
    minutes), done."""
    wait = min(rng.expovariate(1 / 12), 75)
    called = arrived + timedelta(minutes=wait)
    clerk = rng.choice(staff[1:])
    if booked:
        with clock.at(arrived):
            APPOINTMENT_FRAME.run(pk, AppointmentAction.ARRIVE, clerk)
    with clock.at(called):
        APPOINTMENT_FRAME.run(pk, AppointmentAction.CALL, clerk)
    with clock.at(called + timedelta(minutes=rng.randint(5, 25))):
        APPOINTMENT_FRAME.run(pk, AppointmentAction.FINISH, clerk)


def _home_services(plan: Any, rng: Any, staff: list[User], items: list[ServiceItem]) -> int:
    """20–40 上门办, for elderly people living alone where the registry has them."""
    today, admin = plan.today, plan.users[Role.ADMIN]
    homely = [i for i in items if i.home_service]
    people = list(
        Person.objects.filter(street=plan.street, care_tags__kind=CareKind.ALONE, household__isnull=False)
        .distinct()
        .order_by("pk")[:40]
    )
    total = rng.randint(20, 40)
    made = 0
    for n in range(total):
        person = people[n % len(people)] if people else None
        # The last three were asked in the past two days and wait to be scheduled; the two before
        # them too, and are scheduled for the next working day.
        waiting_one = n >= total - 3
        ahead = total - 5 <= n < total - 3
        ago = rng.randint(1, 2) if waiting_one or ahead else rng.randint(3, 80)
        asked = street_plans.at(today - timedelta(days=ago), 9, rng.randrange(60))
        item = rng.choice(homely)
        with clock.at(asked):
            request = actions.request_home_service(
                admin,
                item,
                reason=HomeServiceReason.ALONE_ELDERLY if person else HomeServiceReason.DISABLED,
                person=person,
                name="" if person else _name(rng),
                address="" if person else f"{plan.street.name}某小区 {rng.randint(1, 30)} 号",
                need=f"行动不便，需上门办理{item.name}",
            )
        made += 1
        if waiting_one:
            continue
        late = rng.random() < 0.15
        if ahead:
            visit = street_plans.at(workdays.add_working_days(today, 1), 14)
        else:
            visit = street_plans.at(
                workdays.add_working_days(request.due_on, 2)
                if late
                else workdays.add_working_days(asked.date(), 2),
                14,
            )
        with clock.at(asked + timedelta(hours=3)):
            HOME_SERVICE_FRAME.run(request.pk, HomeServiceAction.SCHEDULE, admin, {"visit_at": visit})
        if visit >= clock.now():
            continue  # the visit is ahead: scheduled
        request.refresh_from_db()
        with clock.at(visit + timedelta(hours=1)):
            HOME_SERVICE_FRAME.run(
                request.pk, HomeServiceAction.COMPLETE, request.assignee, {"outcome": rng.choice(OUTCOMES)}
            )
    return made
