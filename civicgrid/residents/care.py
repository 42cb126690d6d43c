"""Care tags (关爱对象): which kinds are sensitive and who may see them, and the high-age bands
computed from a birth date. The queryset hides the sensitive kinds from roles without their
capability; a page that shows one to a role with it logs the look (`log_look`)."""

from datetime import date
from typing import Any

from civicgrid.core import privacy
from civicgrid.core.capabilities import grants, may
from civicgrid.core.scope import Scope, user_scope

from .choices import AgeBand, CareKind

# A sensitive kind -> the capability that sees it. Everyone else sees at most that a household
# "has care needs".
SENSITIVE: dict[str, str] = {
    CareKind.CORRECTION: "residents.tags_justice",
    CareKind.RELEASED: "residents.tags_justice",
    CareKind.ILLNESS: "residents.tags_health",
}
# The log key of a look at a sensitive tag (core.PersonalDataAccess.field).
LOOK_KEY = "residents.caretag.kind"


def is_sensitive(kind: str) -> bool:
    return kind in SENSITIVE


def hidden_kinds(scope: Scope | None) -> list[str]:
    """The sensitive kinds `scope` may not see (the queryset leaves their rows out)."""
    return [kind for kind, cap in SENSITIVE.items() if not grants(scope, cap)]


def visible_sensitive_kinds(user: Any) -> list[str]:
    return [kind for kind, cap in SENSITIVE.items() if may(user, cap)]


def log_look(user: Any, tags: Any, *, reason: str, via: str = "web") -> int:
    """Log each sensitive tag among `tags` that `user` is about to see; returns how many."""
    scope = user_scope(user)
    seen = 0
    for tag in tags:
        if tag.kind in SENSITIVE and grants(scope, SENSITIVE[tag.kind]):
            privacy.record_look(user, tag, LOOK_KEY, reason=reason, via=via)
            seen += 1
    return seen


def age_on(birth: date | None, day: date) -> int | None:
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(birth: date | None, day: date) -> str | None:
    """80+, 90+ or 100+ on `day` (高龄), else None."""
    age = age_on(birth, day)
    if age is None or age < 80:
        return None
    if age >= 100:
        return AgeBand.HUNDRED
    return AgeBand.NINETY if age >= 90 else AgeBand.EIGHTY


def born_on_or_before(years: int, day: date) -> date:
    """The last birth date of a person `years` old or older on `day` (for queries by age)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def has_hidden_needs(user: Any, household_ids: Any) -> set[int]:
    """The households among `household_ids` with a tag in force that `user` may not see (a
    sensitive kind without its capability, any kind without residents.care_tags): the pages
    say "有关爱需求" for them and no more. Counted unrestricted, on purpose, and only here."""
    from civicgrid.core import clock

    from .models import CareTag

    tags = CareTag.objects.active(clock.today()).filter(person__household_id__in=list(household_ids))  # type: ignore[attr-defined]
    if may(user, "residents.care_tags"):
        hidden = hidden_kinds(user_scope(user))
        if not hidden:
            return set()
        tags = tags.filter(kind__in=hidden)
    return set(tags.values_list("person__household_id", flat=True).distinct())
