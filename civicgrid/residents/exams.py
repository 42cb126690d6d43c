"""知情考试 (seed 001): the draw, the answer's shape, the comparison with the registry and the
suggested grade. Nothing here writes (actions/exams.py does).

The draw is reproducible: the households of the area living there on the day of the draw and
already in the registry at its moment, in primary-key order, sampled by `random.Random(seed)`;
the seed and the population size are kept on the Exam, so `redraw(exam)` gives the same
households to anyone who checks.

The comparison keeps only which items agreed (`ok`), never the registry's values: no names,
and care kinds as codes that each reader's capabilities decide how to show."""

import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.core import clock
from civicgrid.core.choices import Action, Role
from civicgrid.core.errors import InvalidInput
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area

from .care import SENSITIVE, log_look, visible_sensitive_kinds
from .choices import CareKind, Employment, ResidenceStatus
from .filters import area_q
from .models import CareTag, Exam, Household, Person

# Match ratio -> suggested grade (1 = 一级, the best), the first threshold reached; else 5.
SUGGESTED = ((0.95, 1), (0.85, 2), (0.70, 3), (0.50, 4))
WORST = 5
# A re-check round asks for more ("同样的方式、更严的要求"): this many more households.
RECHECK_EXTRA = 5
# What one answered household may hold.
MAX_PEOPLE = 30
MAX_SIZE = 99
NAME_MAX = 50
NOTE_MAX = 500
LOOK_REASON = "知情考试比对"


# ---------------------------------------------------------------------------- the draw


def new_seed() -> int:
    return secrets.randbits(63)


def population(area: Area, on: date, before: datetime) -> QuerySet[Household]:
    """The households living in `area` on the day `on` that the registry held at `before`,
    in the stable order the draw samples from."""
    return (
        Household.objects.filter(area_q(area, "flat__building__"), created_at__lte=before)
        .filter(Q(moved_in__isnull=True) | Q(moved_in__lte=on))
        .filter(Q(moved_out__isnull=True) | Q(moved_out__gt=on))
        .order_by("pk")
    )


def sample(pks: list[int], size: int, seed: int) -> list[int]:
    """`size` of `pks` at random from `seed` (all of them, in order, when there are no more)."""
    if len(pks) <= size:
        return list(pks)
    return random.Random(seed).sample(pks, size)


def redraw(exam: Exam) -> list[int]:
    """The households the exam's draw gives again from its seed (to check `exam.items`)."""
    moment = exam.created_at
    pks = list(population(exam.area, timezone.localdate(moment), moment).values_list("pk", flat=True))
    return sample(pks, exam.round.sample_size, exam.seed)


def cadre_area(cadre: Any) -> Area | None:
    """The area a cadre answers for: the residential area (or grid) she is bound to."""
    for membership in cadre.memberships.select_related("area").order_by("pk"):
        area = membership.area
        if area is not None and area.kind in (AreaKind.RESIDENTIAL, AreaKind.GRID):
            return area
    return None


def area_choices(cadre: Any) -> list[Area]:
    """Where a cadre's exam may draw from: her whole area, or one grid (块) of it."""
    area = cadre_area(cadre)
    if area is None:
        return []
    grids = Area.objects.filter(path__startswith=area.path, kind=AreaKind.GRID).exclude(pk=area.pk)
    return [area, *grids.order_by("code")]


def cadres(street_id: int) -> QuerySet[User]:
    """The active cadres working in the street (who may be examined there)."""
    return (
        User.objects.filter(role=Role.CADRE, is_active=True, memberships__area__street_id=street_id)
        .distinct()
        .order_by("full_name", "username")
    )


# ---------------------------------------------------------------------------- the answer


def answer_kinds(user: Any) -> list[str]:
    """The care kinds a cadre is asked about: those she may see (the local kinds are each
    street's own and not asked)."""
    sensitive = set(visible_sensitive_kinds(user))
    return [k for k in CareKind.values if k != CareKind.LOCAL and (k not in SENSITIVE or k in sensitive)]


def _bad(position: Any, message: str) -> InvalidInput:
    return InvalidInput(
        _("第 %(n)s 户：%(problem)s") % {"n": position, "problem": message}, {"answers": "invalid"}
    )


def _int(value: Any, position: Any, low: int, high: int, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise _bad(position, _("%(field)s须为整数") % {"field": label}) from None
    if not low <= number <= high:
        raise _bad(
            position, _("%(field)s须在 %(min)s–%(max)s 之间") % {"field": label, "min": low, "max": high}
        )
    return number


def clean_answers(value: Any, user: Any) -> list[dict[str, Any]]:
    """The answers as a list of one dict per household (`position`, `size`, `people` as
    name + employment, `care` kinds, `neighbours`), checked (InvalidInput naming `answers`).
    Blank values mean "does not know" and simply count as wrong."""
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise InvalidInput(_("作答须为每户一项的列表"), {"answers": "invalid"})
    asked = set(answer_kinds(user))
    out: dict[int, dict[str, Any]] = {}
    for item in value:
        unknown = set(item) - {"position", "size", "people", "care", "neighbours"}
        if unknown:
            raise InvalidInput(
                _("未知字段：%(names)s") % {"names": "、".join(sorted(map(str, unknown)))},
                {"answers": "invalid"},
            )
        position = _int(item.get("position"), item.get("position"), 1, 999, _("序号"))
        if position is None or position in out:
            raise InvalidInput(_("每户须有唯一的序号"), {"answers": "invalid"})
        people = item.get("people") or []
        if not isinstance(people, list) or len(people) > MAX_PEOPLE:
            raise _bad(position, _("居住人员须为列表（至多 %(n)s 人）") % {"n": MAX_PEOPLE})
        named = []
        for person in people:
            if not isinstance(person, Mapping):
                raise _bad(position, _("居住人员须为姓名和就业状况"))
            name = str(person.get("name") or "").strip()
            employment = str(person.get("employment") or "")
            if len(name) > NAME_MAX:
                raise _bad(position, _("姓名不能超过 %(n)s 个字") % {"n": NAME_MAX})
            if employment and employment not in Employment.values:
                raise _bad(position, _("未知的就业状况：%(value)s") % {"value": employment})
            if name:
                named.append({"name": name, "employment": employment})
        care = item.get("care") or []
        if not isinstance(care, list) or any(kind not in asked for kind in care):
            raise _bad(position, _("未知的关爱类别"))
        neighbours = str(item.get("neighbours") or "").strip()
        if "\x00" in neighbours or any("\x00" in p["name"] for p in named):
            raise _bad(position, _("不能含有空字符"))
        if len(neighbours) > NOTE_MAX:
            raise _bad(position, _("邻里关系不能超过 %(n)s 个字") % {"n": NOTE_MAX})
        out[position] = {
            "position": position,
            "size": _int(item.get("size"), position, 0, MAX_SIZE, _("户人数")),
            "people": named,
            "care": sorted(set(care)),
            "neighbours": neighbours,
        }
    return [out[p] for p in sorted(out)]


# ---------------------------------------------------------------------------- the comparison


def same_name(a: str, b: str) -> bool:
    """A name match tolerant of spaces (half- and full-width) anywhere in either."""
    return "".join(a.split()) == "".join(b.split())


def members(household: Household) -> list[Person]:
    """Who lives in the household now, in a stable order (the comparison's member numbers)."""
    return list(
        Person.objects.filter(household=household).exclude(residence=ResidenceStatus.DECEASED).order_by("pk")
    )


def compare(
    answer: Mapping[str, Any], people: list[Person], present: set[str], asked: Iterable[str]
) -> list[dict[str, Any]]:
    """Item by item: the size; each registered member named; each named member's employment;
    each care kind (among those asked) that either side has, present or absent alike."""
    items: list[dict[str, Any]] = [{"item": "size", "ok": answer.get("size") == len(people)}]
    given = list(answer.get("people") or [])
    for n, person in enumerate(people, 1):
        found = next((g for g in given if same_name(g["name"], person.name)), None)
        items.append({"item": "member", "n": n, "ok": found is not None})
        if found is not None:
            given.remove(found)
            items.append({"item": "employment", "n": n, "ok": found["employment"] == person.employment})
    answered = set(answer.get("care") or [])
    for kind in [k for k in asked if k in answered | present]:
        items.append({"item": "care", "kind": kind, "ok": (kind in answered) == (kind in present)})
    return items


def present_kinds(user: Any, people: list[Person], on: date) -> set[str]:
    """The care kinds in force among `people` that `user` (the cadre answering) may see."""
    tags = CareTag.objects.restrict(user, Action.VIEW).active(on).filter(person__in=people)
    return set(tags.values_list("kind", flat=True))


def score(items: list[dict[str, Any]]) -> tuple[int, int]:
    return sum(1 for i in items if i["ok"]), len(items)


def suggested_grade(matched: int, total: int) -> int | None:
    if not total:
        return None
    ratio = matched / total
    return next((grade for low, grade in SUGGESTED if ratio >= low), WORST)


# ---------------------------------------------------------------------------- showing it


# What a sensitive kind's code reads as to a reader who may not see it.
HIDDEN_KIND = "sensitive"


def kind_code(kind: str, shown: set[str]) -> str:
    return HIDDEN_KIND if kind in SENSITIVE and kind not in shown else kind


def kind_label(kind: str, shown: set[str]) -> str:
    """A care kind as the reader may see it: sensitive kinds beyond their capability unnamed."""
    if kind in SENSITIVE and kind not in shown:
        return _("敏感类别（无权查看）")
    return str(CareKind(kind).label) if kind in CareKind.values else kind


def item_label(item: Mapping[str, Any], shown: set[str]) -> str:
    if item["item"] == "size":
        return _("户人数")
    if item["item"] == "member":
        return _("成员 %(n)s 的姓名") % {"n": item["n"]}
    if item["item"] == "employment":
        return _("成员 %(n)s 的就业状况") % {"n": item["n"]}
    return _("关爱类别：%(kind)s") % {"kind": kind_label(item["kind"], shown)}


def items_view(exam: Exam, user: Any, *, via: str = "web") -> list[dict[str, Any]]:
    """The exam's households as `user` may see them: address and room, the answer and the
    comparison with sensitive kinds named only for those allowed. Showing a sensitive kind the
    registry holds is a look at that tag, logged (care.log_look)."""
    shown = set(visible_sensitive_kinds(user))
    rows = list(exam.items.select_related("household__flat__building").order_by("position"))
    present: dict[int, set[str]] = {}
    for row in rows:
        for item in row.comparison:
            if item["item"] == "care" and item["kind"] in shown:
                held = (item["kind"] in row.answer.get("care", [])) == item["ok"]
                if held:
                    present.setdefault(row.household_id, set()).add(item["kind"])
    if present:
        looked = (
            CareTag.objects.restrict(user, Action.VIEW)
            .active(clock.today())
            .filter(person__household_id__in=present, kind__in=set().union(*present.values()))
            .select_related("person")
        )
        log_look(
            user, [t for t in looked if t.kind in present[t.person.household_id]], reason=LOOK_REASON, via=via
        )
    out = []
    for row in rows:
        flat = row.household.flat
        answer = dict(row.answer)
        if answer:
            answer["care_labels"] = [kind_label(k, shown) for k in answer.get("care", [])]
            answer["care"] = [kind_code(k, shown) for k in answer.get("care", [])]
            answer["people"] = [
                {**p, "employment_label": Employment(p["employment"]).label if p["employment"] else ""}
                for p in answer.get("people", [])
            ]
        out.append(
            {
                "position": row.position,
                "household": row.household_id,
                "address": flat.building.address,
                "room": flat.room,
                "answer": answer,
                "comparison": [
                    {
                        **i,
                        "label": item_label(i, shown),
                        **({"kind": kind_code(i["kind"], shown)} if "kind" in i else {}),
                    }
                    for i in row.comparison
                ],
                "matched": row.matched,
                "total": row.total,
            }
        )
    return out
