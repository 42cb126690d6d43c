"""Volunteers (志愿者) and their teams (a partner university, a company, the residents' own),
the volunteer posts of an activity and who fills them, and the ledger of confirmed hours:
an entry is written once, by the person who confirmed it, and corrected only by a reversing
entry — totals per person, team and year are sums of the ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from civicgrid.core.fields import ClockDateTimeField
from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.geo.models import Area

from ..choices import PostStatus, Skill, TeamKind, VolunteerStatus
from ..querysets import ActivityPartQuerySet, TeamQuerySet, VolunteerPartQuerySet, VolunteerQuerySet
from .activities import AT_LEAST_ONE, REVEAL, Activity


class Team(AuditedModel):
    """A volunteer team or partner organisation (同济大学青年志愿者协会)."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("团队名称"), max_length=80)
    kind = models.CharField(_("类型"), max_length=12, choices=TeamKind.choices)
    partner = models.CharField(_("合作单位"), max_length=80, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = PersonalDataField(
        _("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability=REVEAL
    )
    contact_phone_hash = SearchHashField(of="contact_phone")
    active = models.BooleanField(_("有效"), default=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿团队")
        verbose_name_plural = _("志愿团队")
        ordering = ["street_id", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("community:team", args=[self.pk])


class Volunteer(AuditedModel):
    """A registered volunteer: a registry person or account where they are one, a team, skills
    (Skill values) and when they are free. `code` is the street's register number."""

    street = models.ForeignKey(Area, verbose_name=_("街道"), on_delete=models.PROTECT, related_name="+")
    area = models.ForeignKey(
        Area, verbose_name=_("居民区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("志愿者编号"), max_length=20)
    name = models.CharField(_("姓名"), max_length=50)
    phone = PersonalDataField(_("联系电话"), max_length=30, blank=True, kind=Kind.PHONE, capability=REVEAL)
    phone_hash = SearchHashField(of="phone")
    person = models.ForeignKey(
        "residents.Person",
        verbose_name=_("居民"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("所属团队"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    skills = models.JSONField(_("特长"), default=list, blank=True)
    availability = models.CharField(_("可服务时间"), max_length=80, blank=True)
    joined_on = models.DateField(_("登记日期"))
    status = models.CharField(
        _("状态"), max_length=10, choices=VolunteerStatus.choices, default=VolunteerStatus.ACTIVE
    )
    version = models.PositiveIntegerField(default=1)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["street_id", "code", "id"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="community_volunteer_code")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def get_absolute_url(self) -> str:
        return reverse("community:volunteer", args=[self.pk])

    @property
    def skill_labels(self) -> list[str]:
        labels = dict(Skill.choices)
        return [str(labels.get(value, value)) for value in self.skills]


class VolunteerSlot(AuditedModel):
    """A volunteer post at an activity (签到引导 ×2, 3 hours each)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="slots")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("岗位"), max_length=40)
    needed = models.PositiveSmallIntegerField(_("需要人数"), validators=[AT_LEAST_ONE])
    hours = models.DecimalField(
        _("服务时长（小时）"), max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))]
    )
    skill = models.CharField(_("所需特长"), max_length=16, choices=Skill.choices, blank=True)

    objects = ActivityPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿岗位")
        verbose_name_plural = _("志愿岗位")
        ordering = ["activity_id", "id"]

    def __str__(self) -> str:
        return f"{self.activity} · {self.title}"


class SlotAssignment(AuditedModel):
    """A volunteer on a post; once served, its hours are confirmed into the ledger (once)."""

    slot = models.ForeignKey(VolunteerSlot, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="assignments")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("状态"), max_length=10, choices=PostStatus.choices, default=PostStatus.ASSIGNED
    )

    objects = ActivityPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("岗位安排")
        verbose_name_plural = _("岗位安排")
        ordering = ["slot_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "volunteer"], name="community_assignment_once")
        ]


class HoursEntry(AuditedModel):
    """One line of the hours ledger. Never updated or deleted: a mistake is corrected by a
    reversing entry (`reverses`, negative hours, a reason), each entry reversed at most once.
    `team` is the volunteer's team when the hours were confirmed, so a team's year stays
    what it was when a member moves on."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="hours")
    street = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignment = models.ForeignKey(
        SlotAssignment, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    served_on = models.DateField(_("服务日期"), db_index=True)
    hours = models.DecimalField(_("时长（小时）"), max_digits=5, decimal_places=1)
    description = models.CharField(_("服务内容"), max_length=200)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = ClockDateTimeField(_("确认时间"), auto_now_add=True)

    objects = VolunteerPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        ordering = ["volunteer_id", "served_on", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(hours=0), name="community_hours_not_zero"),
            # An assignment's hours are confirmed once (its reversal carries no assignment).
            models.UniqueConstraint(
                fields=["assignment"], condition=Q(assignment__isnull=False), name="community_hours_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.served_on} {self.hours}"
