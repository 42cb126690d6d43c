"""Venues (邻里汇、睦邻点、长者食堂、服务站) with their rooms and opening hours, and the activities
held there: capacity, a waiting list, residents' sign-ups (on the web, by phone, at the desk),
check-in on the day and the attendance figures (seeds 001–003)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import (
    ActivityCategory,
    ActivityRecurrence,
    ActivityStatus,
    Audience,
    ContactChannel,
    SignUpStatus,
    VenueKind,
    Weekday,
)
from ..querysets import (
    ActivityPartQuerySet,
    ActivityQuerySet,
    SignUpQuerySet,
    VenuePartQuerySet,
    VenueQuerySet,
)

REVEAL = "community.reveal_contact"
# A sign-up that still holds (or waits for) a place.
LIVE = ~Q(status=SignUpStatus.CANCELLED)
AT_LEAST_ONE = MinValueValidator(1)


class Venue(AuditedModel):
    """A place residents come to. `area` is the residential area whose committee runs it
    (blank: the street's own, such as the 邻里汇 hub); `phone` is the venue's public number."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=VenueKind.choices)
    name = models.CharField(_("名称"), max_length=80)
    address = models.CharField(_("地址"), max_length=120, blank=True)
    building = models.ForeignKey(
        "geo.Building",
        verbose_name=_("所在楼栋"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("场所电话"), max_length=30, blank=True)
    description = models.TextField(_("简介"), blank=True)
    accessible = models.BooleanField(_("无障碍设施"), default=False)
    active = models.BooleanField(_("开放中"), default=True)
    version = models.PositiveIntegerField(default=1)

    objects = VenueQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动场所")
        verbose_name_plural = _("活动场所")
        ordering = ["street_id", "kind", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:venue", args=[self.pk])


class Room(AuditedModel):
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="rooms")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("房间"), max_length=40)
    capacity = models.PositiveSmallIntegerField(_("容纳人数"), validators=[AT_LEAST_ONE])
    active = models.BooleanField(_("可用"), default=True)

    objects = VenuePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动室")
        verbose_name_plural = _("活动室")
        ordering = ["venue_id", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["venue", "name"], name="community_room_name")]

    def __str__(self) -> str:
        return f"{self.venue.name} · {self.name}"


class OpeningHours(AuditedModel):
    """One opening of a venue on a weekday (a venue open morning and afternoon has two)."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="hours")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    opens = models.TimeField(_("开放时间"))
    closes = models.TimeField(_("关闭时间"))

    objects = VenuePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("开放时间")
        verbose_name_plural = _("开放时间")
        ordering = ["venue_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="community_hours_order"),
            models.UniqueConstraint(fields=["venue", "weekday", "opens"], name="community_hours_unique"),
        ]


class ActivitySeries(AuditedModel):
    """A recurring activity (每周二上午的书法班): the pattern its activities were planned from.
    Each occurrence is an `Activity` of its own, so one can be moved or cancelled alone."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("活动名称"), max_length=100)
    recurrence = models.CharField(_("重复方式"), max_length=12, choices=ActivityRecurrence.choices)
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    starts_at = models.TimeField(_("开始时间"))
    minutes = models.PositiveSmallIntegerField(_("时长（分钟）"), validators=[AT_LEAST_ONE])
    first_day = models.DateField(_("首次日期"))
    last_day = models.DateField(_("截止日期"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ActivityPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("周期活动")
        verbose_name_plural = _("周期活动")
        ordering = ["street_id", "-first_day", "id"]

    def __str__(self) -> str:
        return self.title


class Activity(AuditedModel):
    """An activity on a day: who it is for, how many it takes and who signed up. The sign-ups
    are counted under the activity's row lock (the frame's), so capacity is never exceeded;
    `attendance` is the check-ins plus the walk-ins counted when it finishes."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    # The venue's residential area, copied so a committee's cadre sees its own activities.
    area = models.ForeignKey(
        Area, verbose_name=_("居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    venue = models.ForeignKey(
        Venue,
        verbose_name=_("场所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    room = models.ForeignKey(
        Room, verbose_name=_("活动室"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    place = models.CharField(_("其他地点"), max_length=120, blank=True)
    series = models.ForeignKey(
        ActivitySeries,
        verbose_name=_("周期活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    title = models.CharField(_("活动名称"), max_length=100)
    description = models.TextField(_("活动内容"), blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=ActivityCategory.choices)
    audience = models.CharField(
        _("面向对象"), max_length=12, choices=Audience.choices, default=Audience.EVERYONE
    )
    organiser = models.CharField(_("主办方"), max_length=80)
    unit = models.ForeignKey(
        "orgs.Unit",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        "community.Team",
        verbose_name=_("合作志愿团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
    )
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveIntegerField(_("名额"), validators=[AT_LEAST_ONE])
    # How many may wait for a place once it is full (0: no waiting list).
    waiting_limit = models.PositiveIntegerField(_("候补名额"), default=0)
    sign_up_closes_at = models.DateTimeField(_("报名截止"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    walk_ins = models.PositiveIntegerField(_("现场参加（未报名）"), default=0)
    attendance = models.PositiveIntegerField(_("实到人数"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("社区活动")
        verbose_name_plural = _("社区活动")
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["street", "starts_at"], name="community_activity_day")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="community_activity_order"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("community:activity", args=[self.pk])

    @property
    def where(self) -> str:
        if self.venue_id and self.venue:
            return f"{self.venue.name} {self.room.name}" if self.room_id and self.room else self.venue.name
        return self.place


class SignUp(AuditedModel):
    """A resident's place (or place on the waiting list) at an activity. Exactly one of
    `user` (signed up on the web with their account), `person` (a registry person a cadre
    signed up) or a name and phone (a caller) says who; one live sign-up per person each.
    Checked in once: `checked_in_at` is set once and never moved."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sign_ups")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability=REVEAL)
    phone_hash = SearchHashField(of="phone")
    channel = models.CharField(
        _("报名方式"), max_length=8, choices=ContactChannel.choices, default=ContactChannel.WEB
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=SignUpStatus.choices, default=SignUpStatus.CONFIRMED
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SignUpQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动报名")
        verbose_name_plural = _("活动报名")
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "user"],
                condition=LIVE & Q(user__isnull=False),
                name="community_signup_user",
            ),
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=LIVE & Q(person__isnull=False),
                name="community_signup_person",
            ),
            models.UniqueConstraint(
                fields=["activity", "phone_hash"],
                condition=LIVE & ~Q(phone_hash=""),
                name="community_signup_phone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.name}"
