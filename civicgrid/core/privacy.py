"""Personal data shown to people who need only part of it.

House rule: personal data (phones, ID numbers, care tags) is masked unless the role needs
it, and every reveal is logged. Pages and API responses therefore always carry the masked
value; the full one is handed out only by `reveal()`, which writes a PersonalDataAccess row
first. Which roles may ask is the capability `privacy.reveal_phone` (core.capabilities).
"""

from typing import Any

from django.db import models
from django.utils.translation import gettext

from .capabilities import may


class PersonalField(models.TextChoices):
    """The personal fields whose reveals are logged."""

    REPORTER_PHONE = "reporter_phone", "诉求人电话"
    # Phones, ID numbers and plates residents type into it (core.redact).
    DESCRIPTION = "description", "诉求内容"


class RevealVia(models.TextChoices):
    WEB = "web", "网页"
    API = "api", "接口"


def may_reveal_phone(user: Any) -> bool:
    return may(user, "privacy.reveal_phone")


def mask_phone(phone: str) -> str:
    """13800000000 → 138****0000: enough to recognise a number, not to call it."""
    digits = (phone or "").strip()
    if not digits:
        return ""
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def reporter_view(name: str, phone: str, anonymous: bool, *, desk: bool) -> dict[str, Any]:
    """The reporter as a reader may see them; the phone is always masked (see reveal()).
    The desk (`desk`, privacy.reveal_phone) sees an anonymous reporter's name; anyone else
    sees nothing of an anonymous reporter."""
    if anonymous and not desk:
        return {"name": gettext("匿名"), "phone": "", "anonymous": True}
    return {"name": name, "phone": mask_phone(phone), "anonymous": anonymous}


def reveal(user: Any, obj: models.Model, field: str, value: str, via: str, reason: str = "") -> str:
    """Log that `user` was shown `obj`'s `field` in full, then return `value`.

    Callers check the role first (may_reveal_phone()); this only records. An empty value
    reveals nothing and is not logged."""
    from django.contrib.contenttypes.models import ContentType

    from .models import PersonalDataAccess

    if not value:
        return value
    # The street scopes who may read the row (admins and leaders of that street).
    audited = getattr(obj, "audit_street_id", None)
    street_id = audited() if callable(audited) else getattr(obj, "street_id", None)
    PersonalDataAccess.objects.create(
        user=user,
        user_label=user.get_username()[:150],
        field=PersonalField(field),
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        street_id=street_id,
        via=RevealVia(via),
        reason=(reason or "").strip(),
    )
    return value
