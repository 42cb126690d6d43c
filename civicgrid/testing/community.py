"""Community rows for tests: in a street of `build_world()`, a venue of the second residential
area (outside the cadre's, who is bound to the first) with a room and opening hours, a series
and an open activity with a phone sign-up (a caller's name and phone) and the street's resident's
own web sign-up, a volunteer team, a volunteer on a post of the activity with confirmed hours;
the service centre with a window, an item whose A is the street's administrator and B a second
administrator, B's leave, a slot, a booking by the resident and a 上门办 request a cadre asked
for; and a draft newsletter with a free article — rows written directly, each part's actions
are tested on their own. `mark` is added to every name and text, so a test can look for it in
a page."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from civicgrid.accounts.models import Membership, User
from civicgrid.community.choices import (
    ActivityCategory,
    ActivityRecurrence,
    ActivityStatus,
    Audience,
    ContactChannel,
    HomeServiceReason,
    LeaveKind,
    Responsible,
    ServiceCategory,
    Skill,
    TeamKind,
    VenueKind,
)
from civicgrid.community.models import (
    Activity,
    ActivitySeries,
    Appointment,
    Article,
    HomeService,
    HoursEntry,
    Newsletter,
    OpeningHours,
    Room,
    ServiceCentre,
    ServiceItem,
    ServiceSlot,
    SignUp,
    SlotAssignment,
    StaffLeave,
    Team,
    Venue,
    Volunteer,
    VolunteerSlot,
    Window,
)
from civicgrid.core.choices import Role

from .factories import StreetWorld, UserFactory


@dataclass
class CommunitySet:
    venue: Venue
    room: Room
    hours: OpeningHours
    series: ActivitySeries
    activity: Activity
    phone_sign_up: SignUp  # a caller: name and phone
    resident_sign_up: SignUp  # the street's resident, on the web
    team: Team
    volunteer: Volunteer
    slot: VolunteerSlot
    assignment: SlotAssignment
    entry: HoursEntry
    centre: ServiceCentre
    window: Window
    item: ServiceItem
    b_staff: User
    leave: StaffLeave
    service_slot: ServiceSlot
    appointment: Appointment
    home_service: HomeService
    newsletter: Newsletter
    article: Article


def second_admin(world: StreetWorld) -> User:
    """Another administrator of the street (an item's B)."""
    key = world.street.code
    user: User = UserFactory(username=f"{key}-admin-b", role=Role.ADMIN, full_name=f"{world.street.name}B角")  # type: ignore[assignment]
    Membership.objects.get_or_create(user=user, area=world.street)
    return user


def build_community(world: StreetWorld, *, at: datetime, mark: str = "") -> CommunitySet:
    """`at`: when the activity starts (aware); the rest is dated around it."""
    street, admin, resident = world.street, world.users[Role.ADMIN], world.users[Role.RESIDENT]
    area = world.residential[1]
    venue = Venue.objects.create(
        street=street,
        area=area,
        kind=VenueKind.NEIGHBOUR_POINT,
        name=f"梧桐院睦邻点{mark}",
        address=f"梧桐路 66 号{mark}",
        phone="021-65001234",
        accessible=True,
    )
    room = Room.objects.create(venue=venue, street=street, name=f"多功能室{mark}", capacity=30)
    hours = OpeningHours.objects.create(
        venue=venue, street=street, weekday=0, opens=time(8, 30), closes=time(17)
    )
    day = at.date()
    series = ActivitySeries.objects.create(
        street=street,
        title=f"书法班{mark}",
        recurrence=ActivityRecurrence.WEEKLY,
        weekday=day.weekday(),
        starts_at=at.timetz().replace(tzinfo=None),
        minutes=90,
        first_day=day,
        last_day=day + timedelta(weeks=8),
        created_by=admin,
    )
    team = Team.objects.create(
        street=street,
        name=f"同济大学青年志愿者协会{mark}",
        kind=TeamKind.UNIVERSITY,
        partner=f"同济大学{mark}",
        contact_name=f"周联络{mark}",
        contact_phone="13912340001",
    )
    activity = Activity.objects.create(
        street=street,
        area=area,
        venue=venue,
        room=room,
        series=series,
        title=f"重阳节书法义写{mark}",
        description=f"为老人写福字{mark}",
        category=ActivityCategory.CULTURE,
        audience=Audience.ELDERLY,
        organiser=f"居委会{mark}",
        team=team,
        starts_at=at,
        ends_at=at + timedelta(minutes=90),
        capacity=20,
        waiting_limit=5,
        status=ActivityStatus.OPEN,
        created_by=admin,
    )
    phone_sign_up = SignUp.objects.create(
        activity=activity,
        street=street,
        name=f"王阿婆{mark}",
        phone="13700001111",
        channel=ContactChannel.PHONE,
        created_by=admin,
    )
    resident_sign_up = SignUp.objects.create(
        activity=activity,
        street=street,
        user=resident,
        name=resident.full_name,
        channel=ContactChannel.WEB,
        created_by=resident,
    )
    volunteer = Volunteer.objects.create(
        street=street,
        area=area,
        code="V0001",
        name=f"陈志愿{mark}",
        phone="13600002222",
        team=team,
        skills=[Skill.ARTS, Skill.ELDER_CARE],
        availability=f"周末上午{mark}",
        joined_on=day - timedelta(days=200),
    )
    slot = VolunteerSlot.objects.create(
        activity=activity, street=street, title=f"签到引导{mark}", needed=2, hours=Decimal("3")
    )
    assignment = SlotAssignment.objects.create(slot=slot, volunteer=volunteer, street=street)
    entry = HoursEntry.objects.create(
        volunteer=volunteer,
        street=street,
        team=team,
        served_on=day - timedelta(days=30),
        hours=Decimal("2.5"),
        description=f"助老送餐{mark}",
        confirmed_by=admin,
    )
    b_staff = second_admin(world)
    centre = ServiceCentre.objects.create(
        street=street,
        name=f"{street.name}社区事务受理服务中心{mark}",
        address=f"长阳路 100 号{mark}",
        opens=time(9),
        closes=time(17),
        duty_officer=admin,
    )
    window = Window.objects.create(centre=centre, street=street, number=3, name=f"综合窗口{mark}")
    item = ServiceItem.objects.create(
        centre=centre,
        street=street,
        code="SB-001",
        name=f"高龄老人津贴申请{mark}",
        category=ServiceCategory.ELDERLY,
        documents=f"身份证原件\n户口簿{mark}",
        time_limit_days=5,
        window=window,
        a_staff=admin,
        b_staff=b_staff,
        per_slot=2,
        home_service=True,
    )
    leave = StaffLeave.objects.create(
        street=street,
        user=b_staff,
        kind=LeaveKind.TRAINING,
        starts_at=at + timedelta(days=10),
        ends_at=at + timedelta(days=11),
        note=f"业务培训{mark}",
        recorded_by=admin,
    )
    slot_start = at.replace(hour=10, minute=0) + timedelta(days=1)
    service_slot = ServiceSlot.objects.create(
        item=item,
        street=street,
        starts_at=slot_start,
        ends_at=slot_start + timedelta(minutes=30),
        capacity=2,
        booked=1,
    )
    appointment = Appointment.objects.create(
        street=street,
        item=item,
        slot=service_slot,
        channel=ContactChannel.WEB,
        user=resident,
        name=resident.full_name,
        phone="13500003333",
        responsible=Responsible.A,
        handled_by=admin,
        note=f"带齐材料{mark}",
        created_by=resident,
    )
    home_service = HomeService.objects.create(
        street=street,
        area=area,
        number=f"{day.year}-SM-0001",
        item=item,
        name=f"李阿公{mark}",
        phone="13400004444",
        address=f"梧桐路 8 弄 3 号 502 室{mark}",
        reason=HomeServiceReason.ALONE_ELDERLY,
        need=f"行动不便，需上门办理津贴{mark}",
        requested_by=world.users[Role.CADRE],
        due_on=day + timedelta(days=7),
    )
    newsletter = Newsletter.objects.create(
        street=street,
        masthead=f"{street.name}之窗{mark}",
        year=day.year,
        number=1,
        period_start=day - timedelta(days=90),
        period_end=day,
        editor=admin,
    )
    article = Article.objects.create(
        newsletter=newsletter, street=street, title=f"卷首语{mark}", body=f"这一季，我们一起走过{mark}"
    )
    return CommunitySet(
        venue=venue,
        room=room,
        hours=hours,
        series=series,
        activity=activity,
        phone_sign_up=phone_sign_up,
        resident_sign_up=resident_sign_up,
        team=team,
        volunteer=volunteer,
        slot=slot,
        assignment=assignment,
        entry=entry,
        centre=centre,
        window=window,
        item=item,
        b_staff=b_staff,
        leave=leave,
        service_slot=service_slot,
        appointment=appointment,
        home_service=home_service,
        newsletter=newsletter,
        article=article,
    )
