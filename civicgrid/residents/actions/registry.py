"""Flats, households, persons, moves and care tags."""

from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _

from civicgrid.core import clock, events, personal
from civicgrid.core.choices import Action
from civicgrid.core.errors import Conflict, InvalidInput, NotFound
from civicgrid.geo.models import Building

from .. import idcard
from ..care import is_sensitive
from ..choices import CareKind, DocumentType, Relation, ResidenceStatus
from ..models import CareTag, Flat, Household, LocalCareKind, Person, Residence

# What save_person() takes; anything else is refused naming the field.
PERSON_FIELDS = frozenset(
    {
        "name",
        "sex",
        "birth_date",
        "id_type",
        "id_number",
        "phone",
        "relation",
        "residence",
        "employment",
        "employer",
        "notes",
    }
)


def ensure_in_scope[M: models.Model](actor: Any, obj: M, action: str = Action.CHANGE) -> M:
    """Refuse (and so roll back) a write that leaves `obj` outside what `actor` may change:
    a row of another street or area is answered as if it did not exist."""
    model = type(obj)
    if not model._default_manager.restrict(actor, action).filter(pk=obj.pk).exists():  # type: ignore[attr-defined]
        raise NotFound(_("%(noun)s不存在") % {"noun": model._meta.verbose_name})
    return obj


def lock[M: models.Model](
    actor: Any, model: type[M], pk: Any, version: Any = None, action: str = Action.CHANGE
) -> M:
    """Load `model` #pk in the actor's scope, locked; refuse a stale `version` (Conflict)."""
    obj = model._default_manager.restrict(actor, action).select_for_update().filter(pk=pk).first()  # type: ignore[attr-defined]
    if obj is None:
        raise NotFound(_("%(noun)s不存在") % {"noun": model._meta.verbose_name})
    if version not in (None, "") and int(version) != obj.version:  # type: ignore[attr-defined]
        raise Conflict(_("%(noun)s已被他人修改，请刷新后重试") % {"noun": model._meta.verbose_name})
    return obj


def bump(obj: Any, fields: list[str]) -> None:
    """Save `fields` with the version bumped, conditional on the version read: one of two
    concurrent writers wins."""
    read = obj.version
    obj.version = read + 1
    values = {f: getattr(obj, f) for f in fields}
    updated = type(obj)._default_manager.filter(pk=obj.pk, version=read).update(version=read + 1, **values)
    if not updated:
        raise Conflict(_("%(noun)s已被他人修改，请刷新后重试") % {"noun": obj._meta.verbose_name})
    obj.save(update_fields=[*fields, "version", "updated_at"])  # the audit row and updated_at


# ---------------------------------------------------------------------------- flats, households


def save_flat(
    actor: Any, *, building: Building, room: str, flat: Flat | None = None, version: Any = None, **fields: Any
) -> Flat:
    """Add a flat to `building` or change `flat` (room, floor, use, area, owner, note)."""
    room = (room or "").strip()
    if not room:
        raise InvalidInput(_("请填写室号"), {"room": "required"})
    if building.street_id is None:
        raise InvalidInput(_("该楼栋不在任何街道内"), {"building": "invalid"})
    with transaction.atomic():
        if flat is None:
            if Flat.objects.filter(building=building, room=room).exists():
                raise Conflict(_("该楼栋已有此室号"), {"room": "duplicate"})
            flat = Flat.objects.create(building=building, street_id=building.street_id, room=room, **fields)
            ensure_in_scope(actor, flat, Action.ADD)
            events.log(flat, "flat_add", actor)
            return flat
        flat = lock(actor, Flat, flat.pk, version)
        if room != flat.room and Flat.objects.filter(building_id=flat.building_id, room=room).exists():
            raise Conflict(_("该楼栋已有此室号"), {"room": "duplicate"})
        flat.room = room
        for name, value in fields.items():
            setattr(flat, name, value)
        bump(flat, ["room", *fields])
        events.log(flat, "flat_change", actor)
        return flat


def register_household(
    actor: Any, *, flat: Flat, tenure: str, moved_in: date | None = None, note: str = ""
) -> Household:
    with transaction.atomic():
        ensure_in_scope(actor, flat, Action.CHANGE)
        household = Household.objects.create(
            flat=flat, street_id=flat.street_id, tenure=tenure, moved_in=moved_in or clock.today(), note=note
        )
        events.log(household, "household_add", actor)
        return household


# ---------------------------------------------------------------------------- persons


def clean_person(fields: dict[str, Any]) -> dict[str, Any]:
    """Check a person's fields (InvalidInput naming the field): an identity card's number must
    pass its checksum; the birth date and sex it carries fill those left blank and must agree
    with those given."""
    unknown = set(fields) - PERSON_FIELDS
    if unknown:
        raise InvalidInput(
            _("未知字段：%(names)s") % {"names": "、".join(sorted(unknown))},
            dict.fromkeys(unknown, "unknown"),
        )
    out = dict(fields)
    if "name" in out:
        out["name"] = (out["name"] or "").strip()
        if not out["name"]:
            raise InvalidInput(_("请填写姓名"), {"name": "required"})
    number = personal.unmasked(out.get("id_number", "")) if "id_number" in out else ""
    if number:
        number = (
            idcard.normalise(number)
            if out.get("id_type", DocumentType.ID_CARD) == DocumentType.ID_CARD
            else number.strip()
        )
        out["id_number"] = number
    if number and out.get("id_type", DocumentType.ID_CARD) == DocumentType.ID_CARD:
        problem = idcard.problem(number)
        if problem:
            raise InvalidInput(problem, {"id_number": "invalid"})
        born = idcard.birth_date(number)
        if out.get("birth_date") and out["birth_date"] != born:
            raise InvalidInput(_("出生日期与身份证号码不一致"), {"birth_date": "mismatch"})
        out.setdefault("birth_date", born)
        out["birth_date"] = out["birth_date"] or born
        if not out.get("sex"):
            out["sex"] = idcard.sex(number)
    return out


def find_by_id_number(street_id: int, number: str) -> Person | None:
    """The person of the street with this document number (by its keyed hash, never decrypting)."""
    if not number:
        return None
    return Person.objects.filter(personal.matching(Person, "id_number", number), street_id=street_id).first()


def save_person(
    actor: Any,
    *,
    household: Household | None = None,
    person: Person | None = None,
    version: Any = None,
    moved_in: date | None = None,
    **fields: Any,
) -> Person:
    """Add a person to `household` (with their residence from `moved_in`) or change `person`."""
    fields = clean_person(fields)
    with transaction.atomic():
        if person is None:
            if household is None:
                raise InvalidInput(_("请选择住户"), {"household": "required"})
            household = lock(actor, Household, household.pk)
            number = fields.get("id_number", "")
            if number and find_by_id_number(household.street_id, number) is not None:
                raise Conflict(_("该证件号码已登记"), {"id_number": "duplicate"})
            person = Person.objects.create(street_id=household.street_id, household=household, **fields)
            Residence.objects.create(
                person=person,
                household=household,
                street_id=household.street_id,
                relation=person.relation,
                moved_in=moved_in or household.moved_in or clock.today(),
            )
            if person.relation == Relation.HEAD and household.head_id is None:
                household.head = person
                bump(household, ["head"])
            events.log(person, "person_add", actor)
            return person
        person = lock(actor, Person, person.pk, version)
        number = fields.get("id_number", "")
        if number and number != person.id_number:
            other = find_by_id_number(person.street_id, number)
            if other is not None and other.pk != person.pk:
                raise Conflict(_("该证件号码已登记"), {"id_number": "duplicate"})
        for name, value in fields.items():
            setattr(person, name, value)
        bump(person, list(fields))
        events.log(person, "person_change", actor, payload={"fields": sorted(fields)})
        return person


def move_in(
    actor: Any, person: Person, household: Household, *, relation: str, on: date, reason: str = ""
) -> Person:
    """`person` moves into `household` (leaving their present one on the same day)."""
    with transaction.atomic():
        person = lock(actor, Person, person.pk)
        household = lock(actor, Household, household.pk)
        if person.household_id == household.pk:
            raise Conflict(_("此人已在该住户中"))
        if person.residence == ResidenceStatus.DECEASED:
            raise InvalidInput(_("已登记死亡的人员不能迁入"), {"person": "deceased"})
        _leave(actor, person, on, reason)
        Residence.objects.create(
            person=person,
            household=household,
            street_id=household.street_id,
            relation=relation,
            moved_in=on,
            reason=reason,
        )
        person.household, person.relation = household, relation
        bump(person, ["household", "relation"])
        if relation == Relation.HEAD:
            household.head = person
            bump(household, ["head"])
        events.log(person, "move_in", actor, payload={"household": household.pk})
        return person


def move_out(actor: Any, person: Person, *, on: date, reason: str = "", deceased: bool = False) -> Person:
    """`person` leaves their household (or died); a household left empty is closed that day."""
    with transaction.atomic():
        person = lock(actor, Person, person.pk)
        if person.household_id is None:
            raise Conflict(_("此人当前不在任何住户中"))
        left = person.household_id
        _leave(actor, person, on, reason)
        person.household = None
        fields = ["household"]
        if deceased:
            person.residence = ResidenceStatus.DECEASED
            fields.append("residence")
        bump(person, fields)
        events.log(person, "move_out", actor, payload={"household": left, "deceased": deceased})
        return person


def _leave(actor: Any, person: Person, on: date, reason: str) -> None:
    """Close `person`'s stay in their present household (if any); the household loses its
    head if it was them, and is closed that day when nobody is left."""
    if person.household_id is None:
        return
    household = lock(actor, Household, person.household_id)
    Residence.objects.filter(person=person, household=household, moved_out__isnull=True).update(
        moved_out=on, reason=reason
    )
    changed = []
    if household.head_id == person.pk:
        household.head = None
        changed.append("head")
    if not Person.objects.filter(household=household).exclude(pk=person.pk).exists():
        household.moved_out = on
        changed.append("moved_out")
    if changed:
        bump(household, changed)


# ---------------------------------------------------------------------------- care tags


def add_care_tag(
    actor: Any,
    person: Person,
    *,
    kind: str,
    starts_on: date,
    ends_on: date | None = None,
    disability_grade: int | None = None,
    local_kind: LocalCareKind | None = None,
    note: str = "",
) -> CareTag:
    if kind not in CareKind.values:
        raise InvalidInput(_("未知的关爱类别"), {"kind": "invalid"})
    if (kind == CareKind.LOCAL) != (local_kind is not None):
        raise InvalidInput(_("请选择街道自定义类别"), {"local_kind": "required"})
    if local_kind is not None and local_kind.street_id != person.street_id:
        raise InvalidInput(_("自定义类别不属于该街道"), {"local_kind": "invalid"})
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(_("结束日期不能早于开始日期"), {"ends_on": "invalid"})
    if disability_grade is not None and (kind != CareKind.DISABILITY or not 1 <= disability_grade <= 4):
        raise InvalidInput(_("残疾等级为1至4级，仅用于残疾类别"), {"disability_grade": "invalid"})
    with transaction.atomic():
        person = lock(actor, Person, person.pk)
        tag = CareTag.objects.create(
            person=person,
            street_id=person.street_id,
            kind=kind,
            local_kind=local_kind,
            disability_grade=disability_grade,
            starts_on=starts_on,
            ends_on=ends_on,
            note=note,
        )
        # A tag the actor could not see is refused as if the person did not exist.
        ensure_in_scope(actor, tag, Action.ADD)
        # The event names a sensitive kind by nothing: consumers (webhooks…) must not learn it.
        events.log(tag, "care_tag_add", actor, payload={} if is_sensitive(kind) else {"kind": kind})
        return tag


def end_care_tag(actor: Any, tag: CareTag, *, ends_on: date, version: Any = None) -> CareTag:
    with transaction.atomic():
        tag = lock(actor, CareTag, tag.pk, version)
        if ends_on < tag.starts_on:
            raise InvalidInput(_("结束日期不能早于开始日期"), {"ends_on": "invalid"})
        tag.ends_on = ends_on
        bump(tag, ["ends_on"])
        events.log(tag, "care_tag_end", actor)
        return tag
