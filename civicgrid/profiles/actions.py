"""The only writer of street and district profiles. The audit trail (before/after of the
overrides) comes from AuditedModel's signals, with the actor set here."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from civicgrid.core import profile
from civicgrid.core.audit import acting_as, current_actor
from civicgrid.core.choices import Action
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .models import AreaProfile

PROFILE_KINDS = (AreaKind.STREET, AreaKind.DISTRICT)


def editable_areas(user: Any) -> Any:
    """The districts and streets whose profile `user` may change (street administrators:
    their streets; superusers: every street and district)."""
    return Area.objects.restrict(user, Action.CHANGE).filter(kind__in=PROFILE_KINDS)


def save_profile(area: Area, actor: Any, overrides: Mapping[str, Any]) -> AreaProfile:
    """Replace what `area` overrides by `overrides` (setting key → value; a key left out
    inherits again). Every value is checked against its declaration; the errors name the
    setting (ValidationError keyed by setting). Outside the actor's areas: Area.DoesNotExist."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for key, value in overrides.items():
        try:
            cleaned[key] = profile.get(key).clean(value)
        except profile.UnknownSetting:
            errors[key] = [f"未知的设置：{key}"]
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    # The audit row names the actor even outside a request; a request keeps its "via".
    with transaction.atomic(), acting_as(actor, current_actor()[1]):
        if not editable_areas(actor).filter(pk=area.pk).exists():
            raise Area.DoesNotExist(f"{area} is no district or street the actor may change")
        row = AreaProfile.objects.select_for_update().filter(area=area).first()
        if row is None:
            row = AreaProfile(area=area, street_id=area.pk if area.kind == AreaKind.STREET else None)
        if row.pk is None or row.values != cleaned:
            row.values = cleaned
            row.save()
        profile.changed()
    return row


def reset_setting(area: Area, actor: Any, key: str) -> AreaProfile:
    """Use the default for one setting: `area` inherits it again (the page's reset)."""
    own = {k: v for k, v in profile.for_area(area.pk).own.items() if k != key}
    return save_profile(area, actor, own)
