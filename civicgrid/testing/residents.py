"""A small registry for tests: in the first building of a street (the cadre's and the grid
worker's area), three flats, three households and their people, with care tags of every
sensitivity; in the street's last building (another area) one more household."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from civicgrid.residents import idcard
from civicgrid.residents.choices import CareKind, FlatUse, Relation, Tenure
from civicgrid.residents.models import CareTag, Flat, Household, Person, Residence

from .factories import StreetWorld


@dataclass
class Registry:
    flats: list[Flat] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    persons: dict[str, Person] = field(default_factory=dict)
    tags: dict[str, CareTag] = field(default_factory=dict)
    other_household: Household | None = None


def _person(household: Household, name: str, born: date, seq: int, **extra: Any) -> Person:
    extra.setdefault("relation", Relation.HEAD)
    number = idcard.make("310000", born, seq)
    person = Person.objects.create(
        street_id=household.street_id,
        household=household,
        name=name,
        birth_date=born,
        sex=idcard.sex(number),
        id_number=number,
        phone=f"1380000{seq:04d}",
        **extra,
    )
    Residence.objects.create(
        person=person,
        household=household,
        street_id=household.street_id,
        relation=person.relation,
        moved_in=date(2015, 1, 1),
    )
    if person.relation == Relation.HEAD:
        Household.objects.filter(pk=household.pk).update(head=person)
    return person


def build_registry(world: StreetWorld) -> Registry:
    reg = Registry()
    building, other = world.buildings[0], world.buildings[-1]
    assert building.street_id is not None and other.street_id is not None
    for room, use in (("101", FlatUse.OWNER), ("102", FlatUse.RENTED), ("201", FlatUse.GROUP_RENTED)):
        flat = Flat.objects.create(
            building=building, street_id=building.street_id, room=room, floor=int(room[0]), use=use
        )
        reg.flats.append(flat)
        reg.households.append(
            Household.objects.create(
                flat=flat,
                street_id=flat.street_id,
                tenure=Tenure.OWNER if use == FlatUse.OWNER else Tenure.TENANT,
                moved_in=date(2015, 1, 1),
            )
        )
    h1, h2, h3 = reg.households
    reg.persons["alone"] = _person(h1, "王秀英", date(1938, 5, 12), 902, notes="子女在外地")
    reg.persons["head2"] = _person(h2, "李建国", date(1970, 3, 8), 911)
    reg.persons["spouse2"] = _person(h2, "张丽", date(1972, 9, 1), 922, relation=Relation.SPOUSE)
    reg.persons["tenant3"] = _person(h3, "赵强", date(1990, 1, 20), 933)
    start = date(2024, 1, 1)
    for key, person, kind in (
        ("alone", reg.persons["alone"], CareKind.ALONE),
        ("income", reg.persons["head2"], CareKind.MINIMUM_INCOME),
        ("illness", reg.persons["spouse2"], CareKind.ILLNESS),
        ("correction", reg.persons["tenant3"], CareKind.CORRECTION),
    ):
        reg.tags[key] = CareTag.objects.create(
            person=person, street_id=person.street_id, kind=kind, starts_on=start
        )
    far = Flat.objects.create(building=other, street_id=other.street_id, room="301", floor=3)
    reg.other_household = Household.objects.create(
        flat=far, street_id=far.street_id, moved_in=date(2015, 1, 1)
    )
    reg.persons["other"] = _person(reg.other_household, "孙伟", date(1980, 6, 6), 944)
    for household in reg.households:
        household.refresh_from_db()
    return reg
