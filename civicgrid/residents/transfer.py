"""The registry in and out of Excel, in the layout committees keep: one row per person, the
household found by the building's address and the room (室号).

Import (`import_file`): rows are read only through core.spreadsheets; each is parsed and
checked (`_parse`), then planned against the registry and the rows before it in the file
(`_Planner.plan`: add, change, unchanged or an error naming the row and the column), and, when
applying, written through actions.registry in one transaction per row, so a bad row writes
nothing and never stops the others. A person is found again by the keyed hash of the ID
number, else by name + birth date in the household; a row that matches what the registry
holds writes nothing at all, so importing the same file twice changes nothing. The preview
is the same run without writing. Blank optional cells leave what the registry holds; the
import adds care tags but ends none, and removes nobody the file leaves out.

Export (`export_rows`): the persons `filters.persons` gives the user, every personal field as
it prints (masked), the care tags the user may see (a look at a sensitive one is logged).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from civicgrid.core import clock, personal
from civicgrid.core.audit import acting_as
from civicgrid.core.choices import Action
from civicgrid.core.errors import ActionError
from civicgrid.core.scope import user_scope
from civicgrid.core.spreadsheets import (
    Columns,
    ErrorReport,
    ImportFileError,
    RowError,
    RowProblem,
    clean_header,
    is_blank,
    map_columns,
    parse_code,
    parse_text,
    parse_time,
    read_rows,
)
from civicgrid.geo.models import Building
from civicgrid.geo.services import find_building

from . import care, filters
from .actions import registry
from .choices import CareKind, DocumentType, Employment, FlatUse, Relation, ResidenceStatus, Sex, Tenure
from .models import CareTag, Flat, Household, LocalCareKind, Person

# Logical field → the headers committees use for it (the first is the one the export writes).
HEADERS: dict[str, tuple[str, ...]] = {
    "address": ("地址", "楼栋地址", "房屋地址", "住址"),
    "room": ("室号", "房号", "门牌室号"),
    "use": ("房屋用途", "房屋类型", "用途"),
    "head_name": ("户主姓名", "户主"),
    "relation": ("与户主关系", "关系"),
    "name": ("姓名",),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月日", "生日"),
    "id_type": ("证件类型",),
    "id_number": ("证件号码", "身份证号码", "身份证号", "公民身份号码"),
    "phone": ("联系电话", "电话", "手机号码", "手机"),
    "residence": ("居住状态", "人口类型", "人户状态"),
    "employment": ("就业状况", "就业情况"),
    "employer": ("工作单位", "工作单位或就读学校", "就读学校"),
    "care": ("关爱类别", "关爱对象类别", "特殊人群"),
    "disability_grade": ("残疾等级",),
    "notes": ("备注",),
}
REQUIRED = ("address", "room", "name")
OPTIONAL = tuple(name for name in HEADERS if name not in REQUIRED)
IMPORT_SUFFIXES = (".xlsx", ".csv")
KEPT_ERRORS = 20  # error lines kept on the job (all of them are in the report file)
CARE_SEPARATORS = str.maketrans(dict.fromkeys("，,;；/ ", "、"))
GRADES = {"一": 1, "二": 2, "三": 3, "四": 4}
# Spellings the ledgers use besides the choices' labels.
ALIASES: dict[str, dict[str, str]] = {
    "sex": {"M": Sex.MALE, "F": Sex.FEMALE, "男性": Sex.MALE, "女性": Sex.FEMALE},
    "use": {"自有": FlatUse.OWNER, "租赁": FlatUse.RENTED, "闲置": FlatUse.VACANT},
    "id_type": {"身份证": DocumentType.ID_CARD},
    "relation": {
        "本人": Relation.HEAD,
        "妻": Relation.SPOUSE,
        "夫": Relation.SPOUSE,
        "妻子": Relation.SPOUSE,
        "丈夫": Relation.SPOUSE,
        "子": Relation.CHILD,
        "女": Relation.CHILD,
        "儿子": Relation.CHILD,
        "女儿": Relation.CHILD,
        "父亲": Relation.PARENT,
        "母亲": Relation.PARENT,
    },
    "residence": {
        "户籍": ResidenceStatus.REGISTERED,
        "户籍人口": ResidenceStatus.REGISTERED,
        "常住人口": ResidenceStatus.RESIDENT,
        "户在人不在": ResidenceStatus.REGISTERED_AWAY,
        "人在户不在": ResidenceStatus.LIVING_UNREGISTERED,
        "流动": ResidenceStatus.MIGRANT,
        "已故": ResidenceStatus.DECEASED,
    },
    "employment": {"无业": Employment.UNEMPLOYED, "学生": Employment.STUDENT},
    "care": {
        "独居": CareKind.ALONE,
        "残疾人": CareKind.DISABILITY,
        "低保户": CareKind.MINIMUM_INCOME,
        "矫正": CareKind.CORRECTION,
        "安置帮教对象": CareKind.RELEASED,
    },
}


def _choices(name: str, choices: Any) -> dict[str, str]:
    # The ledgers are Chinese whatever language the job runs in.
    with translation.override(settings.LANGUAGE_CODE):
        labels = {clean_header(str(label)): value for value, label in choices}
    return {**labels, **{v: v for v, _label in choices}, **ALIASES.get(name, {})}


CHOICES: dict[str, dict[str, str]] = {
    "use": _choices("use", FlatUse.choices),
    "sex": _choices("sex", Sex.choices),
    "id_type": _choices("id_type", DocumentType.choices),
    "relation": _choices("relation", Relation.choices),
    "residence": _choices("residence", ResidenceStatus.choices),
    "employment": _choices("employment", Employment.choices),
    "care": _choices("care", [(k, v) for k, v in CareKind.choices if k != CareKind.LOCAL]),
}


def check_header(header_row: Sequence[Any] | None) -> Columns:
    """The file's first row as columns (each field under whichever of its headers the file
    uses); ImportFileError naming what is missing."""
    present = {clean_header(c) for c in header_row or () if not is_blank(c)}
    names = {f: next((h for h in heads if h in present), heads[0]) for f, heads in HEADERS.items()}
    cols = map_columns(header_row, names, REQUIRED, OPTIONAL)
    if "head_name" not in cols.index and "relation" not in cols.index:
        raise ImportFileError(_("缺少“户主姓名”或“与户主关系”列（表头须在第 1 行）"))
    return cols


# ---------------------------------------------------------------------------- the context


class Context:
    """What one run looks up once: the importer's scope, buildings by address, whether each
    may take flats from the importer, and the street-defined care kinds."""

    def __init__(self, actor: Any) -> None:
        self.actor = actor
        scope = user_scope(actor)
        self.street_id = (
            next(iter(scope.street_ids))
            if scope is not None and not scope.is_global and len(scope.street_ids) == 1
            else None
        )
        self.hidden = set(care.hidden_kinds(scope))
        self._buildings: dict[str, Building | None] = {}
        self._importable: dict[int, bool] = {}
        self._local: dict[int, dict[str, LocalCareKind]] = {}
        # The buildings where the importer may add a flat: a flat's scope is its building's.
        qs = Building.objects.all()
        if scope is None or not Flat.objects.allows(actor, Action.ADD):
            qs = qs.none()
        elif not scope.is_global:
            qs = qs.filter(qs.scope_q(scope, Action.ADD))  # type: ignore[attr-defined]
        self.buildings_in_scope = qs

    def building(self, address: str) -> Building:
        if address not in self._buildings:
            self._buildings[address] = find_building(address, self.street_id)
        found = self._buildings[address]
        if found is None:
            raise RowProblem("address", _("未找到楼栋“%(address)s”") % {"address": address})
        if found.pk not in self._importable:
            self._importable[found.pk] = self.buildings_in_scope.filter(pk=found.pk).exists()
        if not self._importable[found.pk]:
            raise RowProblem("address", _("楼栋“%(address)s”不在你的管辖范围内") % {"address": address})
        return found

    def local_kinds(self, street_id: int) -> dict[str, LocalCareKind]:
        if street_id not in self._local:
            kinds = LocalCareKind.objects.filter(street_id=street_id, is_active=True)
            self._local[street_id] = {clean_header(k.name): k for k in kinds}
        return self._local[street_id]


# ---------------------------------------------------------------------------- rows


@dataclass
class Row:
    number: int
    raw: Sequence[Any]
    problems: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    building: Building | None = None
    room: str = ""
    use: str = ""
    relation: str = ""  # "" when the row does not say
    fields: dict[str, Any] = field(default_factory=dict)  # the person's fields the row gives
    care: list[tuple[str, LocalCareKind | None]] = field(default_factory=list)
    grade: int | None = None

    @property
    def key(self) -> tuple[int, str]:
        assert self.building is not None
        return (self.building.pk, self.room)


def _choice(name: str, label: str, value: Any) -> str:
    text = parse_text(value)
    if not text:
        return ""
    found = CHOICES[name].get(clean_header(text)) or CHOICES[name].get(text.lower())
    if found is None:
        raise RowProblem(name, _("未知的%(label)s“%(value)s”") % {"label": label, "value": text})
    return found


def _birth(value: Any, label: str) -> date | None:
    if is_blank(value):
        return None
    born = parse_time(value, "birth_date", label).date()
    if born > clock.today() or born.year < 1880:
        raise RowProblem("birth_date", _("%(label)s“%(value)s”不可能") % {"label": label, "value": born})
    return born


def _grade(value: Any) -> int | None:
    text = parse_code(value).removesuffix("级")
    if not text:
        return None
    grade = GRADES.get(text) or (int(text) if text.isdigit() else 0)
    if not 1 <= grade <= 4:
        raise RowProblem("disability_grade", _("残疾等级应为1至4级"))
    return grade


def _parse(number: int, raw: Sequence[Any], cols: Columns, ctx: Context) -> Row:
    row = Row(number, raw)

    def attempt(parse: Callable[[], Any], default: Any = "") -> Any:
        try:
            return parse()
        except RowProblem as problem:
            row.problems.append(((problem.field,), problem.reason))
            return default

    def cell(name: str) -> Any:
        return cols.value(raw, name)

    def text(name: str, parse: Callable[[Any], str] = parse_text) -> str:
        return str(attempt(lambda: parse(cell(name))))

    def choice(name: str) -> str:
        return str(attempt(lambda: _choice(name, cols.label(name), cell(name))))

    address, row.room, name = text("address"), text("room", parse_code), text("name")
    for required, value in (("address", address), ("room", row.room), ("name", name)):
        if not value:
            row.problems.append(((required,), _("%(label)s为空") % {"label": cols.label(required)}))
    if address:
        row.building = attempt(lambda: ctx.building(address), None)
    row.use = choice("use")
    relation = choice("relation")
    head = text("head_name")
    row.relation = Relation.HEAD if head and head == name else relation
    given: dict[str, Any] = {
        "name": name,
        "sex": choice("sex"),
        "birth_date": attempt(lambda: _birth(cell("birth_date"), cols.label("birth_date")), None),
        "id_type": choice("id_type"),
        "id_number": text("id_number", parse_code),
        "phone": text("phone", parse_code),
        "residence": choice("residence"),
        "employment": choice("employment"),
        "employer": text("employer"),
        "notes": text("notes"),
    }
    if row.relation:
        given["relation"] = row.relation
    row.grade = attempt(lambda: _grade(cell("disability_grade")), None)
    # The care kinds are the building's street's (its own kinds too): read once it is known.
    read = row.building is not None and attempt(lambda: _care(row, text("care"), ctx), False) is None
    if read and row.grade is not None and not any(kind == CareKind.DISABILITY for kind, _l in row.care):
        row.problems.append((("disability_grade",), _("填写了残疾等级，但关爱类别中没有“残疾”")))
    # Blank cells leave what the registry holds (an id type without a number means nothing).
    row.fields = {k: v for k, v in given.items() if v not in ("", None)}
    if "id_number" not in row.fields:
        row.fields.pop("id_type", None)
        unreadable = any("birth_date" in fields for fields, _r in row.problems)
        if name and "birth_date" not in row.fields and not unreadable:
            message = _("没有证件号码时须填写出生日期（用于识别同一人）")
            row.problems.append((("birth_date",), message))
    if row.problems:
        return row
    try:
        row.fields = registry.clean_person(row.fields)
    except ActionError as exc:
        row.problems.append((_columns_of(exc), exc.message))
    return row


def _care(row: Row, text: str, ctx: Context) -> None:
    assert row.building is not None and row.building.street_id is not None
    local = ctx.local_kinds(row.building.street_id)
    for part in text.translate(CARE_SEPARATORS).split("、"):
        label = clean_header(part)
        if not label:
            continue
        kind = CHOICES["care"].get(label)
        if kind is None and label in local:
            row.care.append((CareKind.LOCAL, local[label]))
            continue
        if kind is None:
            raise RowProblem("care", _("未知的关爱类别“%(value)s”") % {"value": part})
        if kind in ctx.hidden:
            raise RowProblem("care", _("你无权登记关爱类别“%(value)s”") % {"value": part})
        if all(k != kind for k, _l in row.care):
            row.care.append((kind, None))


# ---------------------------------------------------------------------------- planning


@dataclass
class Plan:
    """What a row asks of the registry: None for what does not exist yet."""

    outcome: str  # "add", "change", "unchanged"
    flat: Flat | None
    household: Household | None
    person: Person | None
    use_change: bool = False
    move: bool = False
    changes: dict[str, Any] = field(default_factory=dict)
    tags: list[tuple[str, LocalCareKind | None]] = field(default_factory=list)


@dataclass
class Result:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged + self.failed

    def count(self, outcome: str) -> None:
        name = {"add": "added", "change": "changed"}.get(outcome, outcome)
        setattr(self, name, getattr(self, name) + 1)

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "failed": self.failed,
        }


class _Planner:
    """The registry as the file's rows so far leave it: the flats and households found or
    written (when previewing, those still to be created), and who each row was."""

    def __init__(self, ctx: Context, write: bool) -> None:
        self.ctx = ctx
        self.write = write
        self.today = clock.today()
        self.flats: dict[tuple[int, str], Flat | None] = {}
        self.households: dict[tuple[int, str], Household | None] = {}
        self.people: dict[str, tuple[int, tuple[int, str]]] = {}  # who → (row, flat key)
        self.matched: dict[int, int] = {}  # person pk → row

    def _flat(self, row: Row) -> Flat | None:
        if row.key not in self.flats:
            assert row.building is not None
            self.flats[row.key] = Flat.objects.filter(building=row.building, room=row.room).first()
        return self.flats[row.key]

    def _household(self, row: Row, flat: Flat | None) -> Household | None:
        if row.key not in self.households:
            current = flat.households.filter(moved_out__isnull=True).order_by("id").first() if flat else None
            self.households[row.key] = current
        return self.households[row.key]

    def _who(self, row: Row) -> str:
        number = row.fields.get("id_number")
        if number:
            return "id:" + personal.digest(personal.Kind.ID_NUMBER, number)
        return f"{row.fields['name']}|{row.fields.get('birth_date')}|{row.key}"

    def _match(self, row: Row, household: Household | None) -> Person | None:
        number = row.fields.get("id_number", "")
        assert row.building is not None and row.building.street_id is not None
        person = registry.find_by_id_number(row.building.street_id, number) if number else None
        if person is None and household is not None:
            person = Person.objects.filter(
                household=household, name=row.fields["name"], birth_date=row.fields.get("birth_date")
            ).first()
        return person

    def plan(self, row: Row) -> Plan:
        """The row's plan, or RowProblem naming the column that stops it."""
        who = self._who(row)
        if who in self.people:
            first, key = self.people[who]
            if key != row.key:
                reason = _("与第 %(row)s 行为同一人，但住户不同") % {"row": first}
            else:
                reason = _("与第 %(row)s 行为同一人，重复") % {"row": first}
            raise RowProblem("id_number" if who.startswith("id:") else "name", reason)
        flat = self._flat(row)
        household = self._household(row, flat)
        person = self._match(row, household)
        if person is not None:
            if person.pk in self.matched:
                raise RowProblem(
                    "name", _("与第 %(row)s 行为同一人，重复") % {"row": self.matched[person.pk]}
                )
            if not Person.objects.restrict(self.ctx.actor, Action.CHANGE).filter(pk=person.pk).exists():
                raise RowProblem("id_number", _("该证件号码已登记在你管辖范围以外的住户中"))
        self.people[who] = (row.number, row.key)
        plan = Plan("add", flat, household, person)
        plan.use_change = bool(flat and row.use and flat.use != row.use)
        if plan.use_change and not self.write:
            # The preview's later rows of the flat see it changed, as the apply's will (never saved).
            flat.use = row.use  # type: ignore[union-attr]
        plan.tags = list(row.care)
        if person is not None:
            self.matched[person.pk] = row.number
            plan.changes = {k: v for k, v in row.fields.items() if getattr(person, k) != v}
            plan.move = household is None or person.household_id != household.pk
            if plan.move:
                plan.changes.pop("relation", None)  # the move sets it
            active = CareTag.objects.filter(person=person).active(self.today)
            have = set(active.values_list("kind", "local_kind_id"))
            plan.tags = [(k, lk) for k, lk in row.care if (k, lk.pk if lk else None) not in have]
            changed = flat is None or plan.use_change or plan.move or plan.changes or plan.tags
            plan.outcome = "change" if changed else "unchanged"
        return plan

    def apply(self, row: Row, plan: Plan) -> None:
        """Write the plan through the registry's actions, all or nothing."""
        assert row.building is not None
        actor = self.ctx.actor
        with transaction.atomic():
            flat = plan.flat
            if flat is None:
                flat = registry.save_flat(
                    actor, building=row.building, room=row.room, use=row.use or FlatUse.OWNER
                )
            elif plan.use_change:
                flat = registry.save_flat(actor, building=row.building, room=row.room, flat=flat, use=row.use)
            household = plan.household or registry.register_household(
                actor,
                flat=flat,
                tenure=Tenure.TENANT if flat.use in (FlatUse.RENTED, FlatUse.GROUP_RENTED) else Tenure.OWNER,
            )
            person = plan.person
            if person is None:
                fields = {"relation": Relation.OTHER, **row.fields}
                person = registry.save_person(actor, household=household, **fields)
            else:
                if plan.move:
                    relation = row.relation or person.relation
                    person = registry.move_in(actor, person, household, relation=relation, on=self.today)
                if plan.changes:
                    person = registry.save_person(actor, person=person, **plan.changes)
            for kind, local in plan.tags:
                grade = row.grade if kind == CareKind.DISABILITY else None
                registry.add_care_tag(
                    actor, person, kind=kind, starts_on=self.today, disability_grade=grade, local_kind=local
                )
        self.flats[row.key] = flat
        self.households[row.key] = household


# ---------------------------------------------------------------------------- the run

# An action's field → the column it comes from; an error naming none is the person's.
ACTION_FIELDS = {"kind": "care", "local_kind": "care", "household": "room", "building": "address"}


def _columns_of(exc: ActionError) -> tuple[str, ...]:
    columns = [ACTION_FIELDS.get(f, f) for f in exc.fields]
    return tuple(c for c in columns if c in HEADERS) or ("name",)


def import_file(
    path: str | Path,
    actor: Any,
    *,
    write: bool,
    report: Path | None = None,
    on_progress: Callable[[Result], None] | None = None,
) -> Result:
    """Check every row of the file and, when `write`, apply those that pass. Raises
    ImportFileError (before anything is written) when the file cannot be read or lacks a
    required column; bad rows are counted, kept (the first KEPT_ERRORS) and written to `report`."""
    path = Path(path)
    rows = read_rows(path)
    result = Result()
    try:
        cols = check_header(next(rows, None))
        out = ErrorReport(report, cols.header_row) if report else None
        ctx = Context(actor)
        planner = _Planner(ctx, write)

        def fail(row: Row, problems: list[tuple[tuple[str, ...], str]]) -> None:
            result.failed += 1
            errors = [
                RowError(row.number, tuple(cols.label(f) for f in fs), reason) for fs, reason in problems
            ]
            result.errors.extend(errors[: max(0, KEPT_ERRORS - len(result.errors))])
            if out:
                columns = "、".join(dict.fromkeys(c for e in errors for c in e.columns))
                out.add(row.raw, row.number, columns, "；".join(e.reason for e in errors))

        with acting_as(actor, "import"):
            number = 1
            try:
                for number, raw in enumerate(rows, start=2):
                    if all(is_blank(c) for c in raw):
                        continue
                    row = _parse(number, raw, cols, ctx)
                    if not row.problems:
                        try:
                            plan = planner.plan(row)
                            if write and plan.outcome != "unchanged":
                                planner.apply(row, plan)
                        except RowProblem as problem:
                            row.problems.append(((problem.field,), problem.reason))
                        except ActionError as exc:
                            row.problems.append((_columns_of(exc), exc.message))
                    if row.problems:
                        fail(row, row.problems)
                    else:
                        result.count(plan.outcome)
                    if on_progress and result.total % 200 == 0:
                        on_progress(result)
            except ImportFileError as exc:
                reason = _("%(error)s。从此行起未读取，此前的行已处理") % {"error": exc}
                fail(Row(number + 1, ()), [((), reason)])
        if out:
            out.save()
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()
    if on_progress:
        on_progress(result)
    return result


# ---------------------------------------------------------------------------- export


def export_persons(user: Any, params: Any) -> QuerySet[Person]:
    """The persons of the list page's filter, with what their rows read; the care tags are
    those the user may see (CareTagQuerySet leaves the others out)."""
    tags = CareTag.objects.restrict(user, Action.VIEW).active(clock.today()).select_related("local_kind")
    return (
        filters.persons(user, params)
        .select_related("household__flat__building", "household__head")
        .prefetch_related(Prefetch("care_tags", queryset=tags, to_attr="visible_tags"))
        .order_by("household__flat__building_id", "household__flat__room", "household_id", "id")
    )


def export_header() -> list[str]:
    return [HEADERS[name][0] for name in HEADERS if name != "disability_grade"]


def export_rows(user: Any, persons: Iterable[Person]) -> Iterator[list[Any]]:
    """One row per person, in the import's layout; every personal field as it prints, masked."""
    for person in persons:
        household = person.household
        flat = household.flat if household else None
        tags = person.visible_tags  # type: ignore[attr-defined]
        care.log_look(user, tags, reason=_("导出实有人口"))
        yield [
            flat.building.address if flat else "",
            flat.room if flat else "",
            flat.get_use_display() if flat else "",
            household.head.name if household and household.head else "",
            person.get_relation_display(),
            person.name,
            person.get_sex_display(),
            person.birth_date,
            person.get_id_type_display(),
            str(person.id_number),  # a PersonalValue prints masked
            str(person.phone),
            person.get_residence_display(),
            person.get_employment_display(),
            person.employer,
            "、".join(t.label for t in tags),
            str(person.notes),
        ]
