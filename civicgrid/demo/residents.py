"""The demo's registry (实有房屋、实有人口、关爱对象) and a year of visits (走访), per street.

Planned in Python from the shares in volume.py (deterministic: each flat from its own seed,
relative to the load day), then written in a few `bulk_create` calls per street: the demo's
documented exception to "writes go through residents.actions", as `cases.bulk` is for cases —
the actions lock, check and log person by person, minutes for a street of thousands. The
personal fields are encrypted all the same (`PersonalDataField.get_prep_value` runs for bulk
rows) and their search hashes filled (`SearchHashField.pre_save` too). No AuditLog rows (the
registry is loaded, not edited); one `core.events` row per household (`household_add`, with
its counts, never a sensitive kind) and one per visit (`record`, at its time, by its visitor).

The visits are written as done `Visit` rows directly (the visit machine's actions are not what
a history replays); the visitor is the street's cadre account — it stands for every committee's
cadres, as the handler account acts for every unit — or, in the grid worker's grids, the grid
worker; the recent door visits carry the phone form's GPS check-in. ID numbers are made with
region code 310000, the city's own code, which no card carries: valid checksums, obviously
fictitious; phones are 13900xxxxxx. The two 知情 examination rounds come after the registry
(load_demo), from the exams part.
"""

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction

from civicgrid.accounts.models import User
from civicgrid.core import clock, events, profile
from civicgrid.core.models import Event
from civicgrid.geo.models import Area, Building
from civicgrid.residents import care, idcard
from civicgrid.residents.choices import (
    CareKind,
    Employment,
    FlatUse,
    Relation,
    ResidenceStatus,
    Tenure,
    VisitAction,
    VisitMethod,
    VisitStatus,
)
from civicgrid.residents.models import CareTag, Flat, Household, LocalCareKind, Person, Residence, Visit

from . import data, volume
from .cases import StreetInfo, offset, street_infos

SH = ZoneInfo("Asia/Shanghai")
BATCH = 2000
# The registry is dated this many days before loading: before the first visit of the demo's year.
REGISTERED_DAYS_AGO = 367
REGION = "310000"  # the city's own code: on no real identity card

SURNAMES = "张王陈李徐朱周沈陆顾吴黄杨钱孙胡金施蒋邵姚郑唐曹许范严袁俞倪龚汤宋韩冯谢潘赵刘马蔡"
# Given names by the decade of birth (the names of a generation), male then female.
GIVEN: tuple[tuple[int, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        1945,
        ("福根", "阿大", "根宝", "国华", "德明", "金生", "荣生", "宝林", "志成", "兴发"),
        ("秀英", "桂英", "玉兰", "凤英", "阿妹", "月娥", "素珍", "金娣", "美华", "杏芳"),
    ),
    (
        1960,
        ("建国", "国强", "建华", "卫东", "志强", "明华", "跃进", "立新", "永康", "振华"),
        ("秀珍", "丽华", "美英", "红英", "建英", "淑芬", "惠敏", "萍", "玲娣", "海燕"),
    ),
    (
        1975,
        ("伟", "勇", "军", "斌", "健", "卫国", "海涛", "晓东", "俊", "红兵"),
        ("红", "敏", "丽", "静", "燕", "琳", "晓红", "海英", "莉", "雯"),
    ),
    (
        1990,
        ("磊", "杰", "俊杰", "晓峰", "浩", "超", "鹏", "伟杰", "佳俊", "文杰"),
        ("婷", "佳", "倩", "晓燕", "雯婷", "洁", "颖", "丹", "琼", "佳怡"),
    ),
    (
        2005,
        ("浩然", "宇轩", "子豪", "天佑", "俊熙", "博文", "一鸣", "子轩", "皓轩", "思远"),
        ("欣怡", "诗涵", "梓涵", "语嫣", "子琪", "雨桐", "可馨", "思彤", "佳琪", "一诺"),
    ),
    (
        2100,
        ("沐宸", "梓睿", "奕辰", "宇泽", "浩宇", "一航", "承泽", "子墨", "睿泽", "辰逸"),
        ("若汐", "一诺", "沐瑶", "梓萱", "语桐", "安然", "可欣", "芊芊", "星妍", "知夏"),
    ),
)
# What a visitor finds, per the visit's main reason ("" for any), and what follows up.
FOUND: dict[str, tuple[str, ...]] = {
    "alone": (
        "老人身体状况良好，精神不错，家中整洁。",
        "老人独自在家，子女每周来探望一次，生活能自理。",
        "检查燃气、用电安全，未发现隐患，提醒老人出门关好门窗。",
        "老人反映近期腿脚不便，已提醒注意防滑，楼道扶手完好。",
        "电话问候，老人表示一切安好，近日按时服药。",
        "老人午睡中，与邻居确认老人今日状况正常。",
    ),
    "disability": (
        "了解康复情况，辅具使用正常。",
        "家属反映护理压力较大，已介绍居家照护服务。",
        "残疾人补贴已按时发放，家庭生活稳定。",
    ),
    "minimum_income": (
        "核实家庭收入和就业情况，无变化。",
        "家庭生活基本稳定，提醒按时参加低保年审。",
        "了解子女就学情况，已告知助学政策。",
    ),
    "": (
        "家中一切正常，无特殊需求。",
        "了解近况，身体和生活状况良好。",
        "宣传防诈骗和夏季防暑知识。",
        "居民对社区服务表示满意，无其他诉求。",
        "提醒关注天气变化，注意保暖。",
    ),
}
FOLLOW_UP = (
    "联系社区卫生服务中心家庭医生上门随访。",
    "协助申请长护险评估。",
    "反映楼道灯不亮，已告知物业维修。",
    "协助联系助餐点，安排送餐上门。",
    "老人希望安装紧急呼叫设备，已登记。",
    "下次走访时协助办理补贴材料。",
)
NOTES_ALONE = ("子女在外地，每月回来一次", "患有高血压，需定期服药", "子女在国外，紧急联系人为邻居")
# The street's own kind of care tag (LocalCareKind): code, name, English name, visit interval.
LOCAL_KINDS = (("shidu", "失独家庭", "Bereaved parents (only child lost)", 30),)


def seeded(*parts: object) -> random.Random:
    # A str seed is hashed with SHA-512 by random, so PYTHONHASHSEED does not matter.
    return random.Random("civicgrid-demo-residents:" + ":".join(str(p) for p in parts))


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def born(rng: random.Random, age: int, today: date) -> date:
    """A birth date of someone `age` years old on `today`."""
    return care.born_on_or_before(age, today) - timedelta(days=rng.randrange(365))


def years_after(day: date, years: int) -> date:
    return care.born_on_or_before(-years, day)  # the same arithmetic, forwards


def given_name(rng: random.Random, sex: str, birth: date) -> str:
    for until, male, female in GIVEN:
        if birth.year < until:
            return rng.choice(male if sex == "M" else female)
    raise AssertionError("GIVEN ends after every year")  # pragma: no cover


def employment(rng: random.Random, age: int, sex: str) -> str:
    if age < 6:
        return Employment.PRESCHOOL
    if age < 19 or (age < 23 and rng.random() < 0.6):
        return Employment.STUDENT
    if age >= (60 if sex == "M" else 55):
        return Employment.RETIRED
    return pick(rng, {"employed": 80, "self_employed": 8, "unemployed": 6, "other": 4, "unable": 2})


# ---------------------------------------------------------------------------- the plan


@dataclass
class PersonPlan:
    sex: str
    birth: date
    relation: str
    surname: str = ""
    residence: str = ResidenceStatus.REGISTERED
    name: str = ""
    id_number: str = ""
    phone: str = ""
    employment: str = ""
    notes: str = ""
    tags: list[tuple[str, date, date | None, int | None]] = field(default_factory=list)


@dataclass
class HouseholdPlan:
    kind: str
    tenure: str
    moved_in: date
    persons: list[PersonPlan]


@dataclass
class FlatPlan:
    building: Building
    room: str
    floor: int
    use: str
    area_m2: float
    owner_name: str = ""
    owner_phone: str = ""
    households: list[HouseholdPlan] = field(default_factory=list)


class Planner:
    """Plans one street's registry on `today`."""

    def __init__(self, info: StreetInfo, today: date) -> None:
        self.info, self.today = info, today
        self.key = info.spec.key
        self.street_no = [s.key for s in data.STREETS].index(self.key)
        self.phones = 0
        self.used_ids: set[tuple[date, int]] = set()

    def flats(self, buildings: list[Building], per_street: int) -> list[FlatPlan]:
        """Every flat of every building, then a share of them (each building keeps at least
        one) when they hold more persons than `per_street`."""
        by_building = [list(self._building(b)) for b in buildings]
        total = sum(len(h.persons) for own in by_building for f in own for h in f.households)
        if total > per_street:
            share = per_street / total
            kept = []
            for own in by_building:
                rng = seeded(self.key, own[0].building.address, "kept")
                kept.append([f for f in own if rng.random() < share] or own[:1])
            by_building = kept
        flats = [f for own in by_building for f in own]
        for f in flats:
            for h in f.households:
                for p in h.persons:
                    self._identity(f, p)
            if f.use == FlatUse.OWNER:
                f.owner_name = f.households[0].persons[0].name
        return flats

    def _building(self, b: Building) -> Iterator[FlatPlan]:
        floors = b.floors or 6
        per_floor = max(1, (b.households or floors * 4) // floors)
        rng = seeded(self.key, b.address)
        shops = rng.random() < volume.SHOP_BUILDINGS
        for floor in range(1, floors + 1):
            for k in range(1, per_floor + 1):
                room = f"{floor}{k:02d}"
                yield self._flat(b, room, floor, shops)

    def _flat(self, b: Building, room: str, floor: int, shops: bool) -> FlatPlan:
        rng = seeded(self.key, b.address, room)
        area = round(rng.uniform(35, 95), 2)
        shop = shops and floor == 1 and rng.random() < volume.SHOP_FLATS
        use = FlatUse.COMMERCIAL.value if shop else pick(rng, volume.FLAT_USES)
        flat = FlatPlan(b, room, floor, use, area)
        built = date(b.built_year or 1990, 7, 1)
        if use == FlatUse.OWNER:
            flat.households.append(self._owners(rng, built))
        else:
            sex = rng.choice("MF")
            birth = born(rng, rng.randint(45, 85), self.today)
            flat.owner_name = rng.choice(SURNAMES) + given_name(rng, sex, birth)
            flat.owner_phone = self._phone()
        if use == FlatUse.RENTED:
            flat.households.append(self._tenants(rng, pick(rng, volume.TENANT_HOUSEHOLDS)))
        elif use == FlatUse.GROUP_RENTED:
            flat.households += [self._tenants(rng, "group") for _ in range(rng.randint(2, 3))]
        return flat

    def _age(self, rng: random.Random, lo: int, hi: int) -> date:
        return born(rng, rng.randint(lo, hi), self.today)

    def _owners(self, rng: random.Random, built: date) -> HouseholdPlan:
        kind = pick(rng, volume.OWNER_HOUSEHOLDS)
        R = Relation
        men_first = rng.random() < 0.6
        lead_sex, other_sex = ("M", "F") if men_first else ("F", "M")
        persons: list[PersonPlan] = []

        def add(sex: str, lo: int, hi: int, relation: str) -> PersonPlan:
            p = PersonPlan(sex, self._age(rng, lo, hi), relation)
            persons.append(p)
            return p

        def couple(lo: int, hi: int) -> None:
            head = add(lead_sex, lo, hi, R.HEAD)
            gap = rng.randint(-2, 5) * (1 if lead_sex == "M" else -1)
            age = care.age_on(head.birth, self.today) or lo
            add(other_sex, max(18, age - gap), max(18, age - gap), R.SPOUSE)

        def children(n: int, lo: int, hi: int, relation: str = R.CHILD) -> None:
            for _ in range(n):
                add(rng.choice("MF"), lo, hi, relation)

        match kind:
            case "alone_old":
                add(rng.choices("MF", weights=(3, 7))[0], 70, 97, R.HEAD)
            case "single":
                add(rng.choice("MF"), 25, 69, R.HEAD)
            case "old_couple":
                couple(60, 90)
            case "couple":
                couple(25, 59)
            case "family":
                couple(30, 52)
                age = care.age_on(persons[0].birth, self.today) or 30
                children(rng.choice((1, 1, 1, 2)), 0, max(0, min(25, age - 24)))
            case "three_generations":
                couple(35, 58)
                age = care.age_on(persons[0].birth, self.today) or 35
                children(1, 0, max(0, min(25, age - 24)))
                children(rng.choice((1, 1, 2)), min(age + 22, 92), min(age + 32, 96), R.PARENT)
            case "parent_and_child":
                add(rng.choices("MF", weights=(3, 7))[0], 72, 96, R.HEAD)
                age = care.age_on(persons[0].birth, self.today) or 72
                add(rng.choice("MF"), age - 34, age - 24, R.CHILD)
            case "grandparents":
                couple(58, 80)
                children(1, 3, 15, R.GRANDCHILD)
        residence = pick(rng, volume.OWNER_RESIDENCE)
        for p in persons:
            p.residence = residence
            p.surname = rng.choice(SURNAMES)
        # The children of a couple take the father's surname, of one parent the parent's.
        father = next((p for p in persons[:2] if p.sex == "M"), persons[0])
        for p in persons:
            if p.relation in (R.CHILD, R.GRANDCHILD):
                p.surname = father.surname
        earliest = max(built, years_after(persons[0].birth, 22), date(1980, 1, 1))
        latest = self.today - timedelta(days=400)
        moved_in = earliest + timedelta(days=rng.randrange(max(1, (latest - earliest).days)))
        return HouseholdPlan(kind, Tenure.OWNER, min(moved_in, latest), persons)

    def _tenants(self, rng: random.Random, kind: str) -> HouseholdPlan:
        residence = (
            ResidenceStatus.MIGRANT
            if rng.random() < volume.TENANT_MIGRANT
            else ResidenceStatus.LIVING_UNREGISTERED
        )
        persons = [PersonPlan(rng.choice("MF"), self._age(rng, 20, 45), Relation.HEAD, residence=residence)]
        if kind == "group":
            persons[0].sex = "M"
            persons += [
                PersonPlan("M", self._age(rng, 19, 45), Relation.OTHER, residence=residence)
                for _ in range(rng.randint(0, 1))
            ]
        elif kind in ("couple", "family"):
            head = persons[0]
            age = care.age_on(head.birth, self.today) or 20
            sex = "F" if head.sex == "M" else "M"
            persons.append(PersonPlan(sex, born(rng, age + rng.randint(-3, 3), self.today), Relation.SPOUSE))
            persons[-1].residence = residence
            if kind == "family":
                persons.append(
                    PersonPlan(
                        rng.choice("MF"),
                        self._age(rng, 0, max(0, min(16, age - 22))),
                        Relation.CHILD,
                        residence=residence,
                    )
                )
        for p in persons:
            p.surname = rng.choice(SURNAMES)
        if kind == "family":
            persons[-1].surname = next(p.surname for p in persons[:2] if p.sex == "M")
        moved_in = self.today - timedelta(days=rng.randint(30, 4 * 365))
        return HouseholdPlan(kind, Tenure.TENANT, moved_in, persons)

    def _phone(self) -> str:
        self.phones += 1
        return f"13900{self.street_no}{self.phones:05d}"

    def _identity(self, flat: FlatPlan, p: PersonPlan) -> None:
        """Name, ID number (unique across the demo: each street has its own range of
        sequence numbers), phone and employment of a planned person."""
        rng = seeded(self.key, flat.building.address, flat.room, p.birth, p.relation, p.surname)
        p.name = p.surname + given_name(rng, p.sex, p.birth)
        base = self.street_no * 250
        seq = base + rng.randrange(125) * 2 + (1 if p.sex == "M" else 0)
        while (p.birth, seq) in self.used_ids:
            seq = base + (seq - base + 2) % 250
        self.used_ids.add((p.birth, seq))
        p.id_number = idcard.make(REGION, p.birth, seq)
        age = care.age_on(p.birth, self.today) or 0
        if age >= 16 and rng.random() < (0.95 if age < 75 else 0.6):
            p.phone = self._phone()
        p.employment = employment(rng, age, p.sex)


# ---------------------------------------------------------------------------- care tags


class Carer:
    """Gives planned persons their care tags, in the shares of volume.py."""

    def __init__(self, key: str, today: date) -> None:
        self.key, self.today = key, today

    def since(self, rng: random.Random, earliest: date, years: float = 6) -> date:
        first = max(earliest, self.today - timedelta(days=int(365 * years)))
        last = self.today - timedelta(days=20)
        if first >= last:
            return last
        return first + timedelta(days=rng.randrange((last - first).days))

    def tag(self, flats: list[FlatPlan]) -> None:
        adults: list[tuple[HouseholdPlan, PersonPlan]] = []
        for f in flats:
            for n, h in enumerate(f.households):
                rng = seeded(self.key, f.building.address, f.room, n, "care")
                self._household(rng, h)
                adults += [(h, p) for p in h.persons if 18 <= (care.age_on(p.birth, self.today) or 0) < 60]
        # A handful per street: community correction and released persons (sensitive).
        rng = seeded(self.key, "justice")
        picked = rng.sample(
            adults, min(len(adults), volume.CORRECTION_PER_STREET + volume.RELEASED_PER_STREET)
        )
        for k, (_h, p) in enumerate(picked):
            if k < volume.CORRECTION_PER_STREET:
                start = self.since(rng, self.today - timedelta(days=540), 2)
                p.tags.append(
                    (CareKind.CORRECTION, start, start + timedelta(days=365 * rng.randint(1, 3)), None)
                )
            else:
                start = self.since(rng, self.today - timedelta(days=3 * 365), 3)
                p.tags.append((CareKind.RELEASED, start, start + timedelta(days=5 * 365), None))

    def _household(self, rng: random.Random, h: HouseholdPlan) -> None:
        ages = [care.age_on(p.birth, self.today) or 0 for p in h.persons]
        if h.kind == "alone_old":
            p = h.persons[0]
            since = max(years_after(p.birth, 70), h.moved_in)
            p.tags.append((CareKind.ALONE, self.since(rng, since, 8), None, None))
            if rng.random() < 0.3:
                p.notes = rng.choice(NOTES_ALONE)
        low_income = rng.random() < volume.MINIMUM_INCOME
        if low_income:
            start = self.since(rng, h.moved_in)
            ended = start + timedelta(days=rng.randint(200, 900)) if rng.random() < 0.1 else None
            ends = ended if ended and ended < self.today else None
            for p in h.persons:
                p.tags.append((CareKind.MINIMUM_INCOME, start, ends, None))
        for p, age in zip(h.persons, ages, strict=True):
            band = "60+" if age >= 60 else "under60"
            if rng.random() < volume.DISABILITY[band]:
                grade = int(pick(rng, volume.DISABILITY_GRADES))
                p.tags.append((CareKind.DISABILITY, self.since(rng, p.birth, 15), None, grade))
                if grade <= 2 and 18 <= age < 60:
                    p.employment = Employment.UNABLE
            if rng.random() < volume.ILLNESS[band]:
                p.tags.append((CareKind.ILLNESS, self.since(rng, h.moved_in, 3), None, None))
            if age < 18:
                share = volume.CHILD_IN_DIFFICULTY["low_income" if low_income else "other"]
                if rng.random() < share:
                    p.tags.append((CareKind.CHILD, self.since(rng, p.birth, 4), None, None))
            elif age >= 60 and rng.random() < volume.MARTYR:
                p.tags.append((CareKind.MARTYR, self.since(rng, h.moved_in, 20), None, None))
        if h.kind == "old_couple" and rng.random() < volume.BEREAVED_PARENTS:
            start = self.since(rng, h.moved_in, 10)
            for p in h.persons:
                p.tags.append((CareKind.LOCAL, start, None, None))


# ---------------------------------------------------------------------------- writing


@dataclass
class RegistryReport:
    streets: int = 0
    flats: int = 0
    households: int = 0
    persons: int = 0
    tags: int = 0
    visits: int = 0

    @property
    def created(self) -> int:
        return self.flats + self.households + self.persons + self.tags + self.visits


def load_registry(
    plan: Any, per_street: int = volume.RESIDENTS_PER_STREET, streets: list[str] | None = None
) -> RegistryReport:
    """The registry and its year of visits for every street that has none yet (a reload
    skips a street with any flat), up to `per_street` persons each."""
    report = RegistryReport()
    now = clock.now()
    for info in street_infos(plan):
        if streets and info.spec.key not in streets:
            continue
        street = Area.objects.get(code=info.code)
        if per_street <= 0 or Flat.objects.filter(street=street).exists():
            continue
        with transaction.atomic():
            _load_street(info, street, per_street, now, report)
        report.streets += 1
    return report


def _load_street(
    info: StreetInfo, street: Area, per_street: int, now: datetime, report: RegistryReport
) -> None:
    today = now.astimezone(SH).date()
    buildings = list(
        Building.objects.filter(street=street).select_related("grid").order_by("grid__code", "pk")
    )
    flats = Planner(info, today).flats(buildings, per_street)
    Carer(info.spec.key, today).tag(flats)
    # The registry was there before the demo's year (its visits span that year): its rows and
    # their events are dated a day before it, so a draw "as the registry stood" finds them.
    registered = now - timedelta(days=REGISTERED_DAYS_AGO)
    with clock.at(registered):
        local = {
            code: LocalCareKind(street=street, code=code, name=name, name_en=en, visit_interval_days=days)
            for code, name, en, days in LOCAL_KINDS
        }
        LocalCareKind.objects.bulk_create(local.values())
        shidu = local["shidu"]

        flat_rows = [
            Flat(
                building=f.building,
                street=street,
                room=f.room,
                floor=f.floor,
                use=f.use,
                area_m2=f.area_m2,
                owner_name=f.owner_name,
                owner_phone=f.owner_phone,
            )
            for f in flats
        ]
        Flat.objects.bulk_create(flat_rows, batch_size=BATCH)
        pairs = [(f, h, row) for f, row in zip(flats, flat_rows, strict=True) for h in f.households]
        household_rows = [
            Household(flat=row, street=street, tenure=h.tenure, moved_in=h.moved_in) for _f, h, row in pairs
        ]
        Household.objects.bulk_create(household_rows, batch_size=BATCH)
        members = [
            (h, p, row) for (_f, h, _flat), row in zip(pairs, household_rows, strict=True) for p in h.persons
        ]
        person_rows = [
            Person(
                street=street,
                household=row,
                name=p.name,
                sex=p.sex,
                birth_date=p.birth,
                id_number=p.id_number,
                phone=p.phone,
                relation=p.relation,
                residence=p.residence,
                employment=p.employment,
                notes=p.notes,
            )
            for _h, p, row in members
        ]
        Person.objects.bulk_create(person_rows, batch_size=BATCH)
        for (_h, p, household), person in zip(members, person_rows, strict=True):
            if p.relation == Relation.HEAD:
                household.head = person
        Household.objects.bulk_update(household_rows, ["head"], batch_size=BATCH)
        Residence.objects.bulk_create(
            [
                Residence(
                    person=person,
                    household=household,
                    street=street,
                    relation=p.relation,
                    moved_in=max(h.moved_in, p.birth),
                )
                for (h, p, household), person in zip(members, person_rows, strict=True)
            ],
            batch_size=BATCH,
        )
        tag_rows = [
            CareTag(
                person=person,
                street=street,
                kind=kind,
                local_kind=shidu if kind == CareKind.LOCAL else None,
                disability_grade=grade,
                starts_on=start,
                ends_on=ends,
            )
            for (_h, p, _row), person in zip(members, person_rows, strict=True)
            for kind, start, ends, grade in p.tags
        ]
        CareTag.objects.bulk_create(tag_rows, batch_size=BATCH)
    visits = _visits(info, street, pairs, household_rows, today, local)
    Visit.objects.bulk_create(visits, batch_size=BATCH)

    logged = [
        Event(
            **events.row(
                "residents",
                "household",
                row.pk,
                "household_add",
                street_id=street.pk,
                version=row.version,
                at=registered,
                payload={"persons": len(h.persons), "via": "demo"},
            )
        )
        for (_f, h, _flat), row in zip(pairs, household_rows, strict=True)
    ]
    logged += [
        Event(
            **events.row(
                "residents",
                "visit",
                v.pk,
                VisitAction.RECORD,
                actor=v.visitor,
                street_id=street.pk,
                version=v.version,
                at=v.visited_at,
            )
        )
        for v in visits
    ]
    Event.objects.bulk_create(logged, batch_size=BATCH)
    events.kick_on_commit()
    report.flats += len(flat_rows)
    report.households += len(household_rows)
    report.persons += len(person_rows)
    report.tags += len(tag_rows)
    report.visits += len(visits)


# ---------------------------------------------------------------------------- visits


def _visits(
    info: StreetInfo,
    street: Area,
    pairs: list[tuple[FlatPlan, HouseholdPlan, Flat]],
    households: list[Household],
    today: date,
    local: dict[str, LocalCareKind],
) -> list[Visit]:
    """A year of done visits to each household with care needs, at about the interval of the
    street's profile for its most frequent reason."""
    key = info.spec.key
    users = {u.username: u for u in User.objects.filter(username__in=[f"{key}-cadre", f"{key}-gridworker"])}
    cadre, gridworker = users[f"{key}-cadre"], users[f"{key}-gridworker"]
    ra_code = info.ra_codes[info.spec.cadre_area]
    gw_codes = {f"{info.ra_codes[info.spec.gridworker_area]}{g:02d}" for g in info.spec.gridworker_grids}
    intervals: dict[str, int] = dict(profile.value("residents.visit_interval_days", street.pk))
    intervals[CareKind.LOCAL] = local["shidu"].visit_interval_days or 0
    shown = 0
    out: list[Visit] = []
    for n, ((f, h, _flat), household) in enumerate(zip(pairs, households, strict=True)):
        reasons, interval, since = _reasons(h, today, intervals)
        if not interval:
            continue
        grid = f.building.grid.code if f.building.grid else ""
        rng = seeded(key, f.building.address, f.room, n, "visits")
        overdue = rng.random() < volume.VISITS_OVERDUE
        if grid.startswith(ra_code) and "alone" in reasons and shown < volume.OVERDUE_SHOWN:
            overdue, shown = True, shown + 1
        visitor = gridworker if grid in gw_codes else cadre
        phone_since = today - timedelta(days=volume.CHECKIN_DAYS)
        for when in _schedule(rng, since, interval, today, overdue):
            weekly = interval <= 7
            method = pick(rng, volume.VISIT_METHODS_WEEKLY if weekly else volume.VISIT_METHODS)
            main = next((r for r in reasons if r in FOUND), "")
            follow = rng.random() < volume.VISIT_FOLLOW_UP
            checkin: dict[str, float] = {}
            if method == VisitMethod.DOOR and when.date() >= phone_since:
                metres = round(rng.uniform(*volume.CHECKIN_METRES), 1)
                lon, lat = offset(f.building.lon, f.building.lat, metres, rng.uniform(0, 360))
                checkin = {"lon": lon, "lat": lat, "accuracy_m": rng.randint(8, 30), "distance_m": metres}
            out.append(
                Visit(
                    **checkin,
                    household=household,
                    street=street,
                    status=VisitStatus.DONE,
                    reasons=reasons,
                    visitor=visitor,
                    created_by=visitor,
                    visited_at=when,
                    method=method,
                    found=rng.choice(FOUND[main] if method == VisitMethod.DOOR else FOUND[""]),
                    follow_up=rng.choice(FOLLOW_UP) if follow else "",
                    needs_follow_up=follow,
                )
            )
    return out


def _reasons(h: HouseholdPlan, today: date, intervals: dict[str, int]) -> tuple[list[str], int, date]:
    """The household's visit reasons (its members' tags in force and high-age bands, the
    sensitive kinds left out: a visit's reasons are seen by every visitor), the shortest
    interval among all its reasons, and since when it applies."""
    found: dict[str, date] = {}
    for p in h.persons:
        for kind, start, ends, _grade in p.tags:
            if ends is None or ends >= today:
                found[kind] = min(found.get(kind, start), start)
        band = care.age_band(p.birth, today)
        if band:
            found[f"age{band}"] = min(found.get(f"age{band}", h.moved_in), h.moved_in)
    timed = [(intervals.get(k, 0), since) for k, since in found.items() if intervals.get(k, 0)]
    if not timed:
        return [], 0, today
    interval = min(i for i, _ in timed)
    since = min(s for _, s in timed)
    reasons = sorted(k for k in found if not care.is_sensitive(k))
    return reasons, interval, since


def _schedule(rng: random.Random, since: date, interval: int, today: date, overdue: bool) -> list[datetime]:
    """Visit times in the year before `today`: about every `interval` days with a missed
    one now and then; the last within the interval, or longer ago when `overdue`."""
    first = max(since, today - timedelta(days=365))
    last = today - timedelta(days=interval + rng.randint(1, max(3, interval // 2))) if overdue else today
    day = first + timedelta(days=rng.randrange(interval))
    out = []
    while day < last:
        out.append(_daytime(rng, day, weekend_moves=True))
        step = interval * rng.uniform(*volume.VISIT_STEP)
        if rng.random() < volume.VISIT_MISSED:
            step += interval * rng.randint(1, 3)
        day += timedelta(days=max(1, round(step)))
    if not overdue and (not out or out[-1].date() <= today - timedelta(days=interval)):
        # Visited within the interval: not due yet on the load day.
        out.append(_daytime(rng, today - timedelta(days=rng.randint(1, max(1, interval - 1)))))
    return out


def _daytime(rng: random.Random, day: date, weekend_moves: bool = False) -> datetime:
    """A visit in office hours; on a weekend most move to the Friday before."""
    if weekend_moves and day.weekday() >= 5 and rng.random() < 0.8:
        day -= timedelta(days=day.weekday() - 4)
    minutes = rng.randrange(9 * 60, 17 * 60 + 30)
    return datetime.combine(day, time(minutes // 60, minutes % 60), SH)
