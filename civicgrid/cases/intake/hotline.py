"""Import of 12345 hotline work orders from .xlsx or .csv exports.

`import_file()` streams the rows (core.spreadsheets.read_rows), parses and checks
each one, and hands it to cases.bulk.create_cases_bulk for the new 工单编号 of a chunk
(cases.actions.create_case when a chunk has only a few),
`update_from_source` when the row's fingerprint differs from the one stored on the case,
nothing at all when it is the same, so re-importing a file is a no-op. Rows are handled in
chunks so that one query finds the existing cases of a whole chunk; new cases are written
BULK_SIZE per transaction, updates each in its own, and a bad row never affects the others
(rows are validated before anything is written).
The management command `import_12345` is a thin wrapper; a Celery task or a benchmark can
call `import_file()` directly.
"""

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DataError
from django.utils import translation

from civicgrid.core import spreadsheets
from civicgrid.core.audit import acting_as
from civicgrid.core.inputs import date_problem
from civicgrid.core.querysets import user_scope
from civicgrid.core.spreadsheets import (
    TZ,
    Columns,
    ErrorReport,
    ImportFileError,
    RowError,
    RowProblem,
    clean_header,
    is_blank,
    map_columns,
    parse_code,
    parse_coordinate,
    parse_text,
    read_rows,
)
from civicgrid.geo.choices import AreaKind
from civicgrid.geo.models import Area
from civicgrid.geo.services import PlaceRef

from .. import actions, bulk
from ..actions import CaseInput
from ..choices import Channel, RequestType
from ..errors import CaseError
from ..models import Case, Category, IntakeHint
from . import suggest

SOURCE = "12345"
# Rows per batch: one query fetches the existing cases of a batch, and its new rows are
# created together (cases.bulk), BULK_SIZE per transaction. Large enough that the fixed
# cost per transaction (number reservation, COMMIT) is small per row; small enough to keep
# memory flat on a million-row file. A batch with fewer new rows than BULK_MIN_ROWS goes
# row by row (the bulk path has a fixed cost of about ten queries per transaction).
CHUNK_SIZE = settings.CIVICGRID_IMPORT_BATCH_ROWS
BULK_SIZE = settings.CIVICGRID_IMPORT_BATCH_ROWS
BULK_MIN_ROWS = 10
# Errors kept on the result (all of them still go to `on_error` and the report).
MAX_KEPT_ERRORS = 10_000

# Logical field → column header in the 12345 export.
DEFAULT_HEADERS: dict[str, str] = {
    "external_id": "工单编号",
    "received_at": "受理时间",
    "request_type": "诉求类型",
    "category": "问题分类",
    "description": "诉求内容",
    "address": "事发地址",
    "reporter_name": "联系人",
    "reporter_phone": "联系电话",
    "lon": "经度",
    "lat": "纬度",
    "street": "街道",
}
# The street column goes by either name in the exports (the configured one first).
STREET_HEADERS = ("街道", "所属街道")
REQUIRED = (
    "external_id",
    "received_at",
    "request_type",
    "category",
    "description",
    "address",
    "reporter_name",
    "reporter_phone",
)
OPTIONAL = ("lon", "lat", "street")
EMPTY_CATEGORY = "问题分类为空"


def _request_type_lookup() -> dict[str, str]:
    # The sheets are Chinese whatever language the importing request runs in.
    with translation.override(settings.LANGUAGE_CODE):
        return {
            **{str(label): value for value, label in RequestType.choices},
            **{value: value for value in RequestType.values},
        }


_REQUEST_TYPES: dict[str, str] = _request_type_lookup()
# Each text column's own limit; 诉求内容 (a TextField) has the reader's, an Excel cell's.
_LENGTHS = {
    name: Case._meta.get_field(name).max_length  # type: ignore[union-attr]
    for name in ("external_id", "address", "reporter_name", "reporter_phone")
}


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.failed

    def summary(self) -> str:
        return (
            f"created={self.created} updated={self.updated} unchanged={self.unchanged} failed={self.failed}"
        )


# ---------------------------------------------------------------------------- headers


def resolve_headers(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Logical field → header: defaults, then the setting, then `overrides`. Keys may be the
    logical names (external_id) or the default headers (工单编号)."""
    by_default_header = {header: name for name, header in DEFAULT_HEADERS.items()}
    headers = dict(DEFAULT_HEADERS)
    configured = getattr(settings, "CIVICGRID_HOTLINE_HEADERS", DEFAULT_HEADERS) or {}
    for layer in (configured, overrides or {}):
        for key, header in layer.items():
            name = key if key in DEFAULT_HEADERS else by_default_header.get(clean_header(key))
            if name is None:
                known = "、".join(DEFAULT_HEADERS)
                raise ImportFileError(f"未知的列配置“{key}”，可用：{known}")
            if not isinstance(header, str) or not clean_header(header):
                raise ImportFileError(f"列“{key}”的表头名称无效")
            headers[name] = header
    return headers


def check_header(header_row: Sequence[Any] | None, headers: dict[str, str] | None = None) -> Columns:
    """The file's first row as columns; ImportFileError when it is missing or lacks a required
    column (the upload page checks this before starting a job, import_file before reading on)."""
    names = dict(headers or resolve_headers())
    if names["street"] == DEFAULT_HEADERS["street"] and header_row:
        present = {clean_header(c) for c in header_row if not is_blank(c)}
        names["street"] = next((h for h in STREET_HEADERS if h in present), names["street"])
    return map_columns(header_row, names, REQUIRED, OPTIONAL)


# ---------------------------------------------------------------------------- values


def parse_time(value: Any) -> datetime:
    moment = spreadsheets.parse_time(value, "received_at", "受理时间")
    if problem := date_problem(moment):  # before the fingerprint converts it
        raise RowProblem("received_at", f"受理时间{problem}")
    return moment


def parse_request_type(value: Any) -> str:
    text = parse_text(value)
    found = _REQUEST_TYPES.get(text) or _REQUEST_TYPES.get(text.lower())
    if not found:
        if not text:
            raise RowProblem("request_type", "诉求类型为空")
        allowed = "、".join(str(label) for label in RequestType.labels)
        raise RowProblem("request_type", f"未知的诉求类型“{text}”，可选：{allowed}")
    return found


class CategoryLookup:
    """Category code from a code (E2105), "E2105 噪声扰民", an exact name (噪声扰民) or a path
    (扩展事件/噪声扰民). Loads the tree once and remembers every answer for the run."""

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[str, str | None, bool]] = {}  # code → (name, parent, active)
        self._by_name: dict[str, list[str]] = {}
        for code, name, parent, active in Category.objects.values_list(
            "code", "name", "parent__code", "is_active"
        ):
            self._nodes[code] = (name, parent, active)
            if active:
                self._by_name.setdefault(clean_header(name), []).append(code)
        self._cache: dict[str, str | RowProblem] = {}
        self._objects: dict[str, Category] | None = None

    def instance(self, code: str) -> Category:
        """The Category with its parent chain already attached, so deadlines and routing
        walk the tree without a query per row."""
        if self._objects is None:
            rows = Category.objects.all().linked()
            self._objects = {c.code: c for c in rows}
        return self._objects[code]

    def resolve(self, value: Any) -> str:
        text = parse_text(value)
        answer = self._cache.get(text)
        if answer is None:
            try:
                answer = self._resolve(text)
            except RowProblem as problem:
                answer = problem
            self._cache[text] = answer
        if isinstance(answer, RowProblem):
            raise answer
        return answer

    def _code(self, text: str) -> str | None:
        node = self._nodes.get(text.upper())
        if node is None:
            return None
        if not node[2]:
            raise RowProblem("category", f"问题分类“{text}”已停用")
        return text.upper()

    def _resolve(self, text: str) -> str:
        if not text:
            raise RowProblem("category", EMPTY_CATEGORY)
        code = self._code(text)
        if code:
            return code
        head, _, rest = text.partition(" ")
        if rest and (code := self._code(head)):
            return code
        parts = [clean_header(p) for p in re.split(r"[/／>＞]", text) if clean_header(p)]
        if not parts:  # only separators, such as "/"
            raise RowProblem("category", f"未知的问题分类“{text}”")
        matches = [c for c in self._by_name.get(parts[-1], []) if self._path_matches(c, parts[:-1])]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise RowProblem("category", f"未知的问题分类“{text}”")
        raise RowProblem(
            "category",
            f"问题分类“{text}”不唯一（{'、'.join(sorted(matches))}），请填写编码或“大类/小类”",
        )

    def _path_matches(self, code: str, ancestors: list[str]) -> bool:
        parent = self._nodes[code][1]
        for name in reversed(ancestors):
            if parent is None or clean_header(self._nodes[parent][0]) != name:
                return False
            parent = self._nodes[parent][1]
        return True


class StreetLookup:
    """The 街道 column: a street by code or name, among the uploader's streets (any street
    for the system). An order nothing locates is registered in it, to be located."""

    def __init__(self, actor: Any) -> None:
        scope = user_scope(actor)
        streets = Area.objects.filter(kind=AreaKind.STREET)
        if scope is not None and not scope.is_global:
            streets = streets.filter(pk__in=scope.street_ids)
        self._refs: dict[str, PlaceRef] = {}
        for area in streets:
            ref = PlaceRef.of(area)
            self._refs.setdefault(clean_header(area.name), ref)
            self._refs[area.code] = ref

    def resolve(self, value: Any) -> PlaceRef | None:
        text = parse_text(value)
        if not text:
            return None
        found = self._refs.get(text) or self._refs.get(clean_header(text))
        if found is None:
            raise RowProblem("street", f"未知的街道“{text}”，或不在你管辖的街道内")
        return found


class CategoryHints:
    """A row without 问题分类 fails like any incomplete row, its reason carrying the street's
    intake suggestion (cases.intake.suggest) when it has a model: the desk reviews the error
    report, fills the column in (the suggestion or its own choice) and imports the rows again.
    The suggestion is kept (actions.remember_hints) until then, when the case records whether the
    desk kept or corrected it (actions.record_hinted): training data, as at the desk."""

    def __init__(self, actor: Any, *, keep: bool = True) -> None:
        self._actor = actor
        self._sole = actions.sole_street(user_scope(actor))
        self._keep = keep  # a dry run keeps no suggestion
        self._areas: dict[int, Area | None] = {}
        self.pending: dict[str, tuple[int, suggest.Suggestion]] = {}

    def __call__(
        self, description: str, street: PlaceRef | None, external_id: str = "", address: str = ""
    ) -> str:
        if not description:
            return ""
        ref = street or self._sole
        if ref is None:  # a desk of several streets, the row's 街道 empty: as on the desk form
            area = suggest.for_desk(self._actor, description, address)[1]
        else:
            if ref.id not in self._areas:
                self._areas[ref.id] = Area.objects.filter(pk=ref.id).first()
            area = self._areas[ref.id]
        found = suggest.offered(description, area)
        if found is not None and area is not None and external_id and self._keep:
            self.pending[external_id] = (area.pk, found)
        return suggest.describe(found)

    def remember(self) -> None:
        """Keep the chunk's suggestions."""
        actions.remember_hints(SOURCE, self.pending)
        self.pending = {}


# ---------------------------------------------------------------------------- rows


@dataclass
class _Row:
    number: int
    raw: Sequence[Any]
    data: CaseInput | None = None
    fingerprint: str = ""
    problems: list[tuple[tuple[str, ...], str]] = field(default_factory=list)  # (fields, reason)


def fingerprint(data: CaseInput) -> str:
    """sha256 of the row's normalised values: same content, whatever its spelling in the file
    (category by name or code, time as text or Excel date), gives the same fingerprint."""
    received = data.received_at.astimezone(TZ).isoformat() if data.received_at else ""
    values = [
        data.external_id,
        received,
        data.request_type,
        getattr(data.category, "code", data.category),
        data.description,
        data.address,
        data.reporter_name,
        data.reporter_phone,
        data.lon,
        data.lat,
    ]
    if data.street is not None:  # only then: the fingerprints of files without the column stay
        values.append(data.street.code)
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


def _parse_row(
    number: int,
    raw: Sequence[Any],
    cols: Columns,
    categories: CategoryLookup,
    streets: StreetLookup,
    hints: CategoryHints | None = None,
) -> _Row:
    row = _Row(number, raw)

    def cell(name: str) -> Any:
        return cols.value(raw, name)

    def attempt(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except RowProblem as problem:
            row.problems.append(((problem.field,), problem.reason))
            return None

    def text(name: str, required: str = "", parse: Callable[[Any], str] = parse_text) -> str:
        value = attempt(lambda: parse(cell(name)))
        if value is None:
            return ""
        if required and not value:
            row.problems.append(((name,), required))
        limit = _LENGTHS.get(name)
        if limit and len(value) > limit:
            row.problems.append(((name,), f"超过 {limit} 个字符"))
        return value

    external_id = text("external_id", "工单编号为空", parse_code)
    received_at = attempt(lambda: parse_time(cell("received_at")))
    request_type = attempt(lambda: parse_request_type(cell("request_type")))
    category = attempt(lambda: categories.resolve(cell("category")))
    description = text("description", "诉求内容为空").replace("\r\n", "\n")
    lon = attempt(lambda: parse_coordinate(cell("lon"), "lon", cols.label("lon")))
    lat = attempt(lambda: parse_coordinate(cell("lat"), "lat", cols.label("lat")))
    street = attempt(lambda: streets.resolve(cell("street")))
    address = text("address")
    reporter_name = text("reporter_name")
    reporter_phone = text("reporter_phone", parse=parse_code)
    empty = (("category",), EMPTY_CATEGORY)
    if (
        hints is not None
        and empty in row.problems
        and (found := hints(description, street, external_id, address))
    ):
        row.problems = [(f, f"{r}（{found}）") if (f, r) == empty else (f, r) for f, r in row.problems]
    if row.problems:
        return row
    row.data = CaseInput(
        request_type=request_type,
        category=categories.instance(category),
        description=description,
        channel=Channel.HOTLINE,
        lon=lon,
        lat=lat,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        source=SOURCE,
        external_id=external_id,
        received_at=received_at,
        street=street,
    )
    row.fingerprint = fingerprint(row.data)
    return row


def _problems_from(exc: CaseError, data: CaseInput) -> list[tuple[tuple[str, ...], str]]:
    """An action's error, pointed at the columns it concerns (InvalidInput.fields keys are the
    CaseInput names, which are our logical fields)."""
    fields = tuple(exc.fields) or ("external_id",)
    if exc.fields.get("address") == "not_located":
        # The action's message covers both causes; say which one this row has.
        if data.lon is not None and data.lat is not None:
            reason = "坐标不在任何街道内" + ("，地址也未找到" if data.address else "")
            return [(("lon", "lat"), reason)]
        reason = "地址未找到且没有坐标" if data.address else "事发地址为空且没有坐标"
        return [(("address",), reason + "，也无法确定所属街道：请填写“街道”列")]
    return [(fields, exc.message)]


# ---------------------------------------------------------------------------- the run


class _Run:
    def __init__(
        self,
        cols: Columns,
        result: ImportResult,
        report: ErrorReport | None,
        on_error: Callable[[RowError], None] | None,
        actor: Any = None,
    ) -> None:
        self.cols = cols
        self.result = result
        self.report = report
        self.on_error = on_error
        # 工单编号 → (64 bits of the fingerprint << 32 | row number) of its first row in this
        # file: packed into one int to keep a million-row file's memory small.
        self.seen: dict[str, int] = {}
        self.intake = bulk.Intake()
        self.actor = actor
        # Cases made from rows that came before without a category: looked up only when an
        # import left such rows behind (no query per chunk otherwise).
        self.hinted = not result.dry_run and IntakeHint.objects.filter(source=SOURCE).exists()
        self.created: dict[str, int] = {}  # this chunk's new cases: external id → id

    def fail(self, row: _Row, problems: list[tuple[tuple[str, ...], str]]) -> None:
        self.result.failed += 1
        labels = []
        for fields, reason in problems:
            error = RowError(row.number, tuple(self.cols.label(f) for f in fields), reason)
            labels.append(error.columns)
            if len(self.result.errors) < MAX_KEPT_ERRORS:
                self.result.errors.append(error)
            if self.on_error:
                self.on_error(error)
        if self.report:
            columns = "、".join(dict.fromkeys(c for cols in labels for c in cols))
            self.report.add(row.raw, row.number, columns, "；".join(reason for _, reason in problems))

    def process(self, chunk: list[_Row]) -> None:
        ids = [row.data.external_id for row in chunk if row.data]
        existing: dict[str, tuple[int | None, str]] = {
            str(ext): (pk, fp)
            for ext, pk, fp in Case.objects.filter(source=SOURCE, external_id__in=ids).values_list(
                "external_id", "pk", "source_fingerprint"
            )
        }
        created = self.create_new(chunk, existing)
        for row in chunk:
            if row.data is None:
                self.fail(row, row.problems)
            elif row.number in created:
                outcome = created[row.number]
                if isinstance(outcome, CaseError):
                    self.fail(row, _problems_from(outcome, row.data))
                else:
                    self.result.created += 1
                    existing[row.data.external_id or ""] = (outcome.pk, row.fingerprint)
                    self.created[row.data.external_id or ""] = outcome.pk
            else:
                self.handle(row, row.data, existing)
        if self.hinted and self.created:
            actions.record_hinted(SOURCE, self.created, self.actor)
        self.created = {}

    def create_new(
        self, chunk: list[_Row], existing: dict[str, tuple[int | None, str]]
    ) -> dict[int, "bulk.Outcome"]:
        """The chunk's new 工单编号 (first row of each), created through the bulk path; row
        number → Case or error. Every other row (updates, repeats, refusals) is left to handle()."""
        if self.result.dry_run:
            return {}
        new: dict[str, _Row] = {}
        for row in chunk:
            if row.data is None:
                continue
            ext = row.data.external_id or ""
            packed = (int(row.fingerprint[:16], 16) << 32) | row.number
            if self.seen.setdefault(ext, packed) == packed and ext not in existing and ext not in new:
                new[ext] = row
        rows = list(new.values())
        if len(rows) < BULK_MIN_ROWS:
            return {}  # a handful of rows: the per-row path costs no more
        out: dict[int, bulk.Outcome] = {}
        for start in range(0, len(rows), BULK_SIZE):
            part = rows[start : start + BULK_SIZE]
            items = [(r.data, r.fingerprint) for r in part if r.data is not None]
            created = bulk.create_cases_bulk(items, via="import", intake=self.intake, actor=self.actor)
            for r, outcome in zip(part, created, strict=True):
                out[r.number] = outcome
        return out

    def handle(self, row: _Row, data: CaseInput, existing: dict[str, tuple[int | None, str]]) -> None:
        ext = data.external_id or ""
        packed = (int(row.fingerprint[:16], 16) << 32) | row.number
        first = self.seen.setdefault(ext, packed)
        if first >> 32 != packed >> 32:
            reason = f"工单编号与第 {first & 0xFFFFFFFF} 行重复且内容不同"
            self.fail(row, [(("external_id",), reason)])
            return
        pk, stored = existing.get(ext, (None, ""))
        if ext in existing and stored == row.fingerprint:
            self.result.unchanged += 1
            return
        try:
            if self.result.dry_run:
                scope = user_scope(self.actor)
                actions.validate_input(data, lambda: self.intake.sole_street(scope))
                outcome = "updated" if ext in existing else "created"
            elif ext not in existing:
                pk = actions.create_case(
                    data,
                    self.actor,
                    fingerprint=row.fingerprint,
                    via="import",
                    find_duplicates=False,
                    in_own_street=True,
                    tell_reporter=False,  # as the bulk path, which never tells
                ).pk
                self.created[ext] = pk
                outcome = "created"
            else:
                case = Case.objects.get(pk=int(pk or 0))
                _case, changed = actions.update_from_source(case, data, row.fingerprint, self.actor)
                # A new fingerprint with no field changed (e.g. a stored fingerprint from
                # an older format) only refreshes the fingerprint.
                outcome = "updated" if changed else "unchanged"
        except CaseError as exc:
            self.fail(row, _problems_from(exc, data))
            return
        except DataError as exc:
            self.fail(row, _problems_from(bulk.refused(exc), data))
            return
        setattr(self.result, outcome, getattr(self.result, outcome) + 1)
        # A later row with the same 工单编号 and content is then "unchanged".
        existing[ext] = (pk, row.fingerprint)


def import_file(
    path: str | Path,
    headers: Mapping[str, str] | None = None,
    report: str | Path | None = None,
    *,
    dry_run: bool = False,
    on_error: Callable[[RowError], None] | None = None,
    on_progress: Callable[[ImportResult], None] | None = None,
    actor: Any = None,
) -> ImportResult:
    """Import a 12345 export. Raises ImportFileError (before writing anything) when the file
    cannot be read or lacks a required column; bad rows are counted, reported through
    `on_error`, kept on the result and written to `report` (.xlsx) if given. `on_progress`
    gets the running result after every chunk (a background job shows it). `actor` is who
    uploaded the file: the cases are registered by them and rows outside their streets are
    refused; without one (the command line) it is the system, for every street."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"文件不存在：{path}")
    names = resolve_headers(headers)
    rows = read_rows(path)
    result = ImportResult(dry_run=dry_run)
    try:
        cols = check_header(next(rows, None), names)
        out = ErrorReport(Path(report), cols.header_row) if report else None
        run = _Run(cols, result, out, on_error, actor)
        categories = CategoryLookup()
        streets = StreetLookup(actor)
        hints = CategoryHints(actor, keep=not dry_run)
        with acting_as(actor, "import"):
            chunk: list[_Row] = []
            number = 1
            try:
                for number, raw in enumerate(rows, start=2):
                    if all(is_blank(c) for c in raw):
                        continue  # trailing empty rows are common in Excel exports
                    chunk.append(_parse_row(number, raw, cols, categories, streets, hints))
                    if len(chunk) >= CHUNK_SIZE:
                        run.process(chunk)
                        hints.remember()
                        chunk = []
                        if on_progress:
                            on_progress(result)
            except ImportFileError as exc:
                # Damaged from here on: the rows read so far still import (each row stands
                # alone, and importing the mended file again leaves them unchanged).
                reason = f"{exc}。从此行起未导入，此前的行已处理；修正文件后可重新导入整个文件"
                chunk.append(_Row(number + 1, (), problems=[((), reason)]))
            if chunk:
                run.process(chunk)
            hints.remember()
            if on_progress:
                on_progress(result)
        if out:
            out.save()
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()
    return result
