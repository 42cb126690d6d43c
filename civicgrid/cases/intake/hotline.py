"""Import of 12345 hotline work orders from .xlsx or .csv exports.

`import_file()` streams the rows (openpyxl read-only mode, csv reader), parses and checks
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

import codecs
import csv
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation
from django.utils.dateparse import parse_datetime

from civicgrid.core.audit import acting_as

from .. import actions, bulk
from ..actions import CaseInput
from ..choices import Channel, RequestType
from ..errors import CaseError
from ..models import Case, Category

SOURCE = "12345"
TZ = ZoneInfo("Asia/Shanghai")
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
}
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
OPTIONAL = ("lon", "lat")
REPORT_EXTRA = ("行号", "错误列", "原因")


def _request_type_lookup() -> dict[str, str]:
    # The sheets are Chinese whatever language the importing request runs in.
    with translation.override(settings.LANGUAGE_CODE):
        return {
            **{str(label): value for value, label in RequestType.choices},
            **{value: value for value in RequestType.values},
        }


_REQUEST_TYPES: dict[str, str] = _request_type_lookup()
_LENGTHS = {
    name: Case._meta.get_field(name).max_length  # type: ignore[union-attr]
    for name in ("external_id", "address", "reporter_name", "reporter_phone")
}
_WS = re.compile(r"\s+")
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*(?:[:：分]\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?)?$"
)
_INTEGRAL_TEXT = re.compile(r"^\d+\.0+$")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (type, encoding, headers): nothing was written."""


class RowProblem(ValueError):
    """One cell's value is unusable; `field` is the logical field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    row: int
    columns: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 [{'、'.join(self.columns)}]: {self.reason}"


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


def _clean_header(value: Any) -> str:
    return _WS.sub("", str(value or "")).replace("\ufeff", "")


def resolve_headers(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Logical field → header: defaults, then the setting, then `overrides`. Keys may be the
    logical names (external_id) or the default headers (工单编号)."""
    by_default_header = {header: name for name, header in DEFAULT_HEADERS.items()}
    headers = dict(DEFAULT_HEADERS)
    configured = getattr(settings, "CIVICGRID_HOTLINE_HEADERS", DEFAULT_HEADERS) or {}
    for layer in (configured, overrides or {}):
        for key, header in layer.items():
            name = key if key in DEFAULT_HEADERS else by_default_header.get(_clean_header(key))
            if name is None:
                known = "、".join(DEFAULT_HEADERS)
                raise ImportFileError(f"未知的列配置“{key}”，可用：{known}")
            if not isinstance(header, str) or not _clean_header(header):
                raise ImportFileError(f"列“{key}”的表头名称无效")
            headers[name] = header
    return headers


@dataclass(frozen=True)
class _Columns:
    index: dict[str, int]  # logical field → column position
    names: dict[str, str]  # logical field → header as configured
    header_row: tuple[str, ...]  # the file's header row, for the report

    def label(self, name: str) -> str:
        return self.names.get(name, name)


def _map_columns(header_row: Sequence[Any], headers: dict[str, str]) -> _Columns:
    position: dict[str, int] = {}
    for i, cell in enumerate(header_row):
        position.setdefault(_clean_header(cell), i)
    position.pop("", None)
    index: dict[str, int] = {}
    missing = []
    for name in (*REQUIRED, *OPTIONAL):
        pos = position.get(_clean_header(headers[name]))
        if pos is not None:
            index[name] = pos
        elif name in REQUIRED:
            missing.append(headers[name])
    if missing:
        raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}（表头须在第 1 行）")
    return _Columns(index, headers, tuple("" if c is None else str(c) for c in header_row))


def check_header(header_row: Sequence[Any] | None, headers: dict[str, str] | None = None) -> _Columns:
    """The file's first row as columns; ImportFileError when it is missing or lacks a required
    column (the upload page checks this before starting a job, import_file before reading on)."""
    if header_row is None or all(_is_blank(c) for c in header_row):
        raise ImportFileError("文件为空或第 1 行不是表头")
    return _map_columns(header_row, headers or resolve_headers())


# ---------------------------------------------------------------------------- reading


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030.
    Decoded incrementally so a large file is never held in memory."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError("无法识别文件编码（应为 UTF-8 或 GB18030）")


def _csv_rows(path: Path) -> Iterator[Sequence[Any]]:
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        yield from csv.reader(fh)


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet XML row by row instead of building the whole sheet.
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException alike
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        ws = wb.worksheets[0]
        yield from ws.iter_rows(values_only=True)
    finally:
        wb.close()


def read_rows(path: Path) -> Iterator[Sequence[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path)
    raise ImportFileError(f"不支持的文件类型“{path.suffix}”，请使用 .xlsx 或 .csv")


# ---------------------------------------------------------------------------- values


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str:
    """Cell → text. Excel turns long digit strings (phones, ids) into floats: 13800000000.0 →
    "13800000000"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def parse_code(value: Any) -> str:
    """Ids and phone numbers: also "13800000000.0" as text (a float that went through CSV)."""
    text = parse_text(value)
    return text.split(".")[0] if _INTEGRAL_TEXT.match(text) else text


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=TZ) if value.tzinfo is None else value


def parse_time(value: Any) -> datetime:
    """Excel datetimes, Excel serial numbers, and text like "2026-10-09 14:30",
    "2026/10/09 14:30:00", "2026年10月9日 14:30"; naive times are Asia/Shanghai."""
    if _is_blank(value):
        raise RowProblem("received_at", "受理时间为空")
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=TZ)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        # An unformatted date cell: days since 1899-12-30; 20000 ≈ 1954, 80000 ≈ 2119.
        if 20000 <= value <= 80000:
            return _aware(from_excel(value))
        raise RowProblem("received_at", f"无法识别的受理时间“{value}”")
    text = str(value).strip()
    match = _DATETIME.match(text)
    try:
        if match:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            return datetime(y, mo, d, h, mi, s, tzinfo=TZ)
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowProblem(
            "received_at", f"无法识别的受理时间“{text}”，应如 2026-10-09 14:30 或 2026年10月9日 14:30"
        )
    return _aware(parsed)


def parse_coordinate(value: Any, name: str, label: str) -> float | None:
    if _is_blank(value):
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise RowProblem(name, f"{label}“{value}”不是数字")
    return number


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
                self._by_name.setdefault(_clean_header(name), []).append(code)
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
            raise RowProblem("category", "问题分类为空")
        code = self._code(text)
        if code:
            return code
        head, _, rest = text.partition(" ")
        if rest and (code := self._code(head)):
            return code
        parts = [_clean_header(p) for p in re.split(r"[/／>＞]", text) if _clean_header(p)]
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
            if parent is None or _clean_header(self._nodes[parent][0]) != name:
                return False
            parent = self._nodes[parent][1]
        return True


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
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


def _parse_row(number: int, raw: Sequence[Any], cols: _Columns, categories: CategoryLookup) -> _Row:
    row = _Row(number, raw)

    def cell(name: str) -> Any:
        pos = cols.index.get(name)
        return raw[pos] if pos is not None and pos < len(raw) else None

    def attempt(parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except RowProblem as problem:
            row.problems.append(((problem.field,), problem.reason))
            return None

    def text(name: str, required: str = "", parse: Callable[[Any], str] = parse_text) -> str:
        value = parse(cell(name))
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
    address = text("address")
    reporter_name = text("reporter_name")
    reporter_phone = text("reporter_phone", parse=parse_code)
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
        return [(("address",), reason)]
    return [(fields, exc.message)]


# ---------------------------------------------------------------------------- report


class _Report:
    """Failed rows written as they come (write-only workbook: constant memory)."""

    def __init__(self, path: Path, header_row: Sequence[str]) -> None:
        from openpyxl import Workbook

        self.path = path
        self.width = len(header_row)
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet("失败行")
        self.ws.append([*header_row, *REPORT_EXTRA])

    def add(self, raw: Sequence[Any], number: int, columns: str, reason: str) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        values = [*list(raw)[: self.width], *[None] * (self.width - len(raw))]
        cleaned = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        self.ws.append([*cleaned, number, columns, reason])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(self.path)


# ---------------------------------------------------------------------------- the run


class _Run:
    def __init__(
        self,
        cols: _Columns,
        result: ImportResult,
        report: _Report | None,
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
            else:
                self.handle(row, row.data, existing)

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
                actions.validate_input(data)
                outcome = "updated" if ext in existing else "created"
            elif ext not in existing:
                pk = actions.create_case(
                    data, self.actor, fingerprint=row.fingerprint, via="import", find_duplicates=False
                ).pk
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
        out = _Report(Path(report), cols.header_row) if report else None
        run = _Run(cols, result, out, on_error, actor)
        categories = CategoryLookup()
        with acting_as(actor, "import"):
            chunk: list[_Row] = []
            for number, raw in enumerate(rows, start=2):
                if all(_is_blank(c) for c in raw):
                    continue  # trailing empty rows are common in Excel exports
                chunk.append(_parse_row(number, raw, cols, categories))
                if len(chunk) >= CHUNK_SIZE:
                    run.process(chunk)
                    chunk = []
                    if on_progress:
                        on_progress(result)
            if chunk:
                run.process(chunk)
            if on_progress:
                on_progress(result)
        if out:
            out.save()
    finally:
        close = getattr(rows, "close", None)
        if close:
            close()
    return result
