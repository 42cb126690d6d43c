"""Personal data shown to people who need only part of it.

House rule: personal data (phones, e-mail, device ids) is masked unless a person needs it,
and every reveal is logged with its reason. The values are `core.personal.PersonalValue`s,
masked in every output by construction; the full one is handed out only by `reveal()`,
which checks the field's capability and writes a PersonalDataAccess row first. Which
fields exist is the models' business (`PersonalDataField`, listed by `personal.fields()`),
so a new app's personal field needs no change here and no core migration.
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import personal
from .capabilities import may
from .errors import Forbidden, InvalidInput

mask_phone = personal.mask_phone

# A reason longer than this is cut (a form's free text).
REASON_MAX = 500


class RevealVia(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"
    ADMIN = "admin", "管理后台"


class RevealReason(models.TextChoices):
    """The usual reasons, offered first; any other is typed as free text."""

    CALLBACK = "回访诉求人", _("回访诉求人")
    VERIFY = "核实情况", _("核实情况")
    CONTACT = "联系处置", _("联系处置")
    ACCOUNT = "账号管理", _("账号管理")


def may_reveal_phone(user: Any) -> bool:
    return may(user, "privacy.reveal_phone")


def may_reveal(user: Any, obj: models.Model, field: str) -> bool:
    """Whether `user`'s role may ask for `obj`'s `field` in full (the row must be theirs to
    see: callers load it through restrict())."""
    return may(user, personal.revealable_of(obj._meta.model, field).capability)


def reveal_url(obj: models.Model, field: str) -> str:
    """The page that reveals `obj`'s `field` (POST with a reason; core.views.reveal_personal)."""
    from django.urls import reverse

    opts = obj._meta
    return reverse("core:reveal", args=[opts.app_label, opts.model_name, obj.pk, field])


def personal_context(user: Any, obj: models.Model, field: str) -> dict[str, Any]:
    """What `core/_personal.html` shows: the masked value and, for those who may, the form."""
    value = getattr(obj, field)
    return {
        "object": obj,
        "field": field,
        "value": value,
        "url": reveal_url(obj, field),
        "may_reveal": bool(value) and may_reveal(user, obj, field),
        "reasons": RevealReason.choices,
    }


def reporter_view(name: str, phone: str, anonymous: bool, *, desk: bool) -> dict[str, Any]:
    """The reporter as a reader may see them; the phone is always masked (see reveal()).
    The desk (`desk`, privacy.reveal_phone) sees an anonymous reporter's name; anyone else
    sees nothing of an anonymous reporter."""
    if anonymous and not desk:
        return {"name": gettext("匿名"), "phone": "", "anonymous": True}
    masked = phone if isinstance(phone, personal.PersonalValue) else mask_phone(phone)
    return {"name": name, "phone": str(masked), "anonymous": anonymous}


def reveal(user: Any, obj: models.Model, field: str, *, reason: str, via: str) -> str:
    """`obj`'s `field` in full for `user`, logged (who, what, why, how) before it is handed
    out. Refused (Forbidden) to roles without the field's capability and (InvalidInput,
    naming `reason`) without a reason. An empty value reveals nothing and is not logged."""
    entry = personal.revealable_of(obj._meta.model, field)
    via = RevealVia(via)
    if not may(user, entry.capability):
        raise Forbidden(gettext("无权查看完整的个人信息"))
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise InvalidInput(gettext("请说明查看完整个人信息的事由"), {"reason": "required"})
    value = personal.unmasked(getattr(obj, field))
    if not value:
        return value
    record_look(user, obj, entry.key, reason=reason, via=via)
    return value


def record_look(user: Any, obj: models.Model, key: str, *, reason: str, via: str) -> None:
    """Log that `user` saw `obj`'s `key` in full (reveal(), and the pages that show data as
    sensitive as a field, e.g. a care tag, to those whose capability allows it)."""
    from django.contrib.contenttypes.models import ContentType

    from .models import PersonalDataAccess

    # The street scopes who may read the row (admins and leaders of that street).
    audited = getattr(obj, "audit_street_id", None)
    street_id = audited() if callable(audited) else getattr(obj, "street_id", None)
    PersonalDataAccess.objects.create(
        user=user,
        user_label=user.get_username()[:150],
        field=key,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        street_id=street_id,
        via=RevealVia(via),
        reason=(reason or "").strip()[:REASON_MAX],
    )
