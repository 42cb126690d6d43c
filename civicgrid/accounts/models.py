from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.core import capabilities, clock
from civicgrid.core.choices import Action, Role
from civicgrid.core.models import AuditedModel
from civicgrid.core.personal import Kind, PersonalDataField, SearchHashField
from civicgrid.core.querysets import RestrictedQuerySet
from civicgrid.core.scope import Scope, user_scope
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .choices import DEFAULT_SCOPES, ApiScope, ScopeError, normalize_scopes
from .querysets import CivicUserManager, MembershipQuerySet


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = PersonalDataField(
        _("手机号"), max_length=20, blank=True, kind=Kind.PHONE, capability="accounts.reveal_phone"
    )
    phone_hash = SearchHashField(of="phone")
    # AbstractUser's e-mail, encrypted like every e-mail the platform stores (docs/security.md).
    email = PersonalDataField(
        _("电子邮箱"), max_length=254, blank=True, kind=Kind.EMAIL, capability="accounts.reveal_phone"
    )
    email_hash = SearchHashField(of="email")
    # The language of the e-mails and text messages the account receives (the site's own
    # language is the switch's cookie): blank is Chinese.
    language = models.CharField(
        _("通知语言"), max_length=8, choices=settings.LANGUAGES, blank=True, db_default=""
    )
    # The account an integration (ApiClient) acts as through its API tokens. It has no
    # password and cannot sign in to the web UI (backends.CivicModelBackend).
    # db_default: rows written by code that predates the column (a rolling deploy) stay valid.
    is_service_account = models.BooleanField(_("服务账号"), default=False, db_default=False, editable=False)

    objects = CivicUserManager()  # type: ignore[misc]

    class Meta(AbstractUser.Meta):
        # The stubs type AbstractUser.Meta's names as str; Django itself uses lazy strings here.
        verbose_name = _("用户")  # type: ignore[assignment]
        verbose_name_plural = _("用户")  # type: ignore[assignment]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(is_service_account=False) | models.Q(is_staff=False, is_superuser=False),
                name="service_account_not_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}（{self.username}）" if self.full_name else self.username

    def get_absolute_url(self) -> str:
        return reverse("accounts:user", args=[self.pk])

    def get_scope(self) -> Scope:
        if self.is_superuser:
            return Scope(role=Role.ADMIN, is_global=True, user_id=self.pk)
        memberships = list(self.memberships.select_related("area", "unit"))
        areas = [m.area for m in memberships if m.area is not None]
        units = [m.unit for m in memberships if m.unit is not None]
        street_ids: set[int] = set()
        district_ids: set[int] = set()
        ancestor_ids: set[int] = set()
        for area in areas:
            if area.kind == AreaKind.DISTRICT:
                district_ids.add(area.pk)
                street_ids.update(
                    Area.objects.filter(parent=area, kind=AreaKind.STREET).values_list("pk", flat=True)
                )
            else:
                street_ids.add(area.street_id)  # type: ignore[arg-type]
                ancestor_ids.update(a.pk for a in area.ancestors())
        for unit in units:
            district_ids.add(unit.district_id)
            if unit.street_id:
                street_ids.add(unit.street_id)
            else:
                street_ids.update(s for s in unit.jurisdiction.values_list("street_id", flat=True) if s)
        district_ids.update(
            Area.objects.filter(pk__in=street_ids).exclude(parent=None).values_list("parent_id", flat=True)
        )
        # roles(), not may(): may() asks for the scope being built here.
        narrow = self.role in capabilities.roles("accounts.area_scope") and bool(areas)
        return Scope(
            role=self.role,
            street_ids=frozenset(street_ids),
            area_paths=tuple(a.path for a in areas) if narrow else None,
            ancestor_ids=frozenset(ancestor_ids) if narrow else frozenset(district_ids),
            district_ids=frozenset(district_ids),
            unit_ids=frozenset(u.pk for u in units),
            user_id=self.pk,
        )

    @property
    def scope(self) -> Scope:
        # No cache of its own: user_scope() keeps the one cached scope of this user object.
        return user_scope(self) or Scope(role=self.role)

    def audit_street_id(self) -> int | None:
        """The street whose administrators and leaders read the reveals of this account's
        phone (core.privacy.reveal())."""
        ids = sorted(self.scope.street_ids)
        return ids[0] if ids else None

    @property
    def home_street(self) -> Area | None:
        ids = sorted(self.scope.street_ids)
        return Area.objects.filter(pk=ids[0]).first() if ids else None


class Membership(AuditedModel):
    """Binds a user to an area (street, residential area or grid) and/or a handling unit."""

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="memberships"
    )
    area = models.ForeignKey(
        Area,
        verbose_name=pgettext_lazy("singular", "区域"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("单位"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("singular", "任职")
        verbose_name_plural = _("任职")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(area__isnull=False) | models.Q(unit__isnull=False),
                name="membership_area_or_unit",
            ),
        ]

    def __str__(self) -> str:
        where = " / ".join(str(x) for x in (self.area, self.unit) if x)
        return f"{self.user} @ {where}"

    def get_absolute_url(self) -> str:
        return self.user.get_absolute_url()

    def clean(self) -> None:
        if self.area_id is None and self.unit_id is None:
            raise ValidationError("任职必须关联区域或单位")

    def audit_street_id(self) -> int | None:
        if self.area_id:
            return self.area.street_id  # type: ignore[union-attr]
        return self.unit.street_id if self.unit_id else None  # type: ignore[union-attr]


class ApiClientQuerySet(RestrictedQuerySet):
    """Street administrators manage the integrations of their streets; changing one needs
    every street it acts in to be theirs (as for user accounts)."""

    permissions = dict.fromkeys(Action.values, "accounts.integrations")

    def scope_q(self, scope: Scope, action: str) -> models.Q:
        through = ApiClient.streets.through.objects
        inside = through.filter(area_id__in=scope.street_ids).values("apiclient_id")
        q = models.Q(pk__in=inside)
        if action != Action.VIEW:
            outside = through.exclude(area_id__in=scope.street_ids).values("apiclient_id")
            q &= ~models.Q(pk__in=outside)
        return q

    def named(self, name: str, streets: Any) -> "ApiClientQuerySet":
        """Integrations called `name` in any of `streets`: names are unique per street, so
        another street's integrations are never an obstacle, nor revealed by one."""
        return self.filter(name=name, streets__in=streets).distinct()


class ApiClient(AuditedModel):
    """An integration (e.g. the 12345 hotline platform) that calls the API with its own tokens.

    It acts through its service account: permissions keep going through the account's role
    and memberships, and every token's user is that account (docs/decisions/0004)."""

    # Unique per street (accounts.actions.check_name), not across streets.
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    active = models.BooleanField(_("启用"), default=True)
    streets = models.ManyToManyField(
        Area,
        verbose_name=_("所属街道"),
        related_name="api_clients",
        limit_choices_to={"kind": AreaKind.STREET},
    )
    service_account = models.OneToOneField(
        User,
        verbose_name=_("服务账号"),
        on_delete=models.PROTECT,
        related_name="api_client",
        limit_choices_to={"is_service_account": True},
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("外部系统接入")
        verbose_name_plural = _("外部系统接入")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:integration", args=[self.pk])

    def audit_street_id(self) -> int | None:
        ids = sorted(self.service_account.scope.street_ids)
        return ids[0] if ids else None


def default_scopes() -> list[str]:
    return list(DEFAULT_SCOPES)


def validate_scopes(value: object) -> None:
    try:
        normalize_scopes(value)
    except ScopeError as exc:
        raise ValidationError(str(exc)) from None


class ApiTokenQuerySet(RestrictedQuerySet):
    """Staff see only their own tokens; street administrators also the tokens of the
    integrations they manage (superusers see all, via restrict())."""

    permissions = {Action.VIEW: "accounts.api_tokens", Action.CHANGE: "accounts.api_tokens"}

    def scope_q(self, scope: Scope, action: str) -> models.Q:
        q = models.Q(user_id=scope.user_id) if scope.user_id else models.Q(pk__in=[])
        if scope.role == Role.ADMIN and scope.street_ids:
            clients = ApiClient.objects.all().filter(ApiClient.objects.scope_q(scope, action))
            q |= models.Q(user__api_client__in=clients.values("pk"))
        return q


class ApiToken(AuditedModel):
    """A bearer token for the REST API. Only its SHA-256 is stored: a leaked database does not
    leak usable tokens, and the token itself is shown once, when it is created."""

    # Never written to the audit log: the hash is a credential, the last use is noise.
    audit_exclude = ("created_at", "updated_at", "key_hash", "last_used_at")

    user = models.ForeignKey(
        User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100, blank=True)
    key_hash = models.CharField(_("令牌摘要（SHA-256）"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("令牌前缀"), max_length=8, editable=False)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    scopes = models.JSONField(
        _("权限范围"),
        default=default_scopes,
        validators=[validate_scopes],
        help_text=_('如 ["read"]、["cases:write", "geo:read"]；写权限包含读权限'),
    )
    rate_limit = models.PositiveIntegerField(
        _("每分钟请求上限"),
        null=True,
        blank=True,
        help_text=_("留空则使用系统默认值（CIVICGRID_API_RATE_LIMIT）"),
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name or self.user.username}"

    def audit_street_id(self) -> int | None:
        ids = sorted(self.user.scope.street_ids)
        return ids[0] if ids else None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= clock.now()

    @property
    def status_label(self) -> str:
        if self.revoked_at is not None:
            return str(_("已撤销"))
        return str(_("已过期")) if self.is_expired else str(_("有效"))

    def scope_labels(self) -> list[str]:
        labels = dict(ApiScope.choices)
        return [str(labels.get(s, s)) for s in self.scopes or ()]

    @property
    def reads_personal_data(self) -> bool:
        """The explicit `personal:read` scope (no other scope implies it)."""
        return ApiScope.PERSONAL_READ in (self.scopes or ())

    def allows(self, app: str, write: bool) -> bool:
        """Whether the scopes grant `app` reading (or writing, if `write`). Write implies read."""
        granted = set(self.scopes or ())
        wanted = ["write", f"{app}:write"]
        if not write:
            wanted += ["read", f"{app}:read"]
        return any(s in granted for s in wanted)
