"""Every spreadsheet the project reads or writes goes through here.

Reading (`read_rows`): the .xlsx and .csv exports of other systems that people upload — what
every import shares (12345 orders today, the residents registry next). Streams rows (the
sheet XML row by row, the csv reader) so a large file is never held in memory. What a file
says about itself is not trusted: an .xlsx's recorded size (`<dimension>`) is ignored and every
row that is there is read; a cell that holds no usable value — a formula without a saved
result, an error value such as #REF!, text longer than an Excel cell (`CELL_MAX_CHARS`, also
in a CSV) — is read as a `BadCell`, which is its row's error naming the column
(`Columns.value`), so one bad cell never stops the file. Cells are parsed leniently (Excel's
floats for phone numbers, its serial dates, Chinese date text) and a bad cell is a
`RowProblem` naming its logical field.

Writing (`XlsxWriter`, and `ErrorReport` on it): every cell written from text stays text — a
string starting with = + - @ tab or CR (OWASP's CSV-injection list) is written as a text cell
with Excel's quote prefix, so neither Excel nor LibreOffice evaluates it, not even after the
cell is edited, and the visible text is unchanged; numbers and dates stay typed.
"""

import codecs
import csv
import functools
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_datetime

TZ = ZoneInfo("Asia/Shanghai")
# Columns the error report adds after the file's own.
ERROR_COLUMNS = ("行号", "错误列", "原因")
_WS = re.compile(r"\s+")
_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*(?:[:：分]\s*(?:(\d{1,2})(?:\.\d+)?\s*秒?)?)?)?$"
)
_INTEGRAL_TEXT = re.compile(r"^\d+\.0+$")
# The most characters an Excel cell holds: a longer cell cannot come from a real export, and
# could not be written back into the error report.
CELL_MAX_CHARS = 32_767
# OWASP's CSV-injection rule: a cell starting with one of these may be read as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NO_RESULT = "是公式，文件中没有它的计算结果（请在 Excel 中复制后“粘贴为数值”再导入）"


class ImportFileError(ValueError):
    """The file cannot be read: its type, encoding or header (before any row is read: nothing
    is written), or a damaged part met while reading its rows (the import says where)."""


class RowProblem(ValueError):
    """One cell's value is unusable; `field` is the logical field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BadCell:
    """A cell the reader took no value from; `shown` is what the error report writes."""

    reason: str  # follows the column's name: "联系电话" + "是公式…"
    shown: str


@dataclass(frozen=True)
class RowError:
    row: int
    columns: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        if not self.columns:
            return f"第 {self.row} 行: {self.reason}"
        return f"第 {self.row} 行 [{'、'.join(self.columns)}]: {self.reason}"


def clean_header(value: Any) -> str:
    return _WS.sub("", str(value or "")).replace("\ufeff", "")


@dataclass(frozen=True)
class Columns:
    index: dict[str, int]  # logical field → column position
    names: dict[str, str]  # logical field → header as configured
    header_row: tuple[str, ...]  # the file's header row, for the report

    def label(self, name: str) -> str:
        return self.names.get(name, name)

    def value(self, raw: Sequence[Any], name: str) -> Any:
        """The row's cell for a logical field (None when the column is absent or the row is
        short); RowProblem naming the field for a cell the reader could not read."""
        pos = self.index.get(name)
        cell = raw[pos] if pos is not None and pos < len(raw) else None
        if isinstance(cell, BadCell):
            raise RowProblem(name, f"{self.label(name)}{cell.reason}")
        return cell


def map_columns(
    header_row: Sequence[Any] | None,
    headers: dict[str, str],
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> Columns:
    """Where each logical field is in the file (`headers`: field → header text; headers are
    compared without white space); ImportFileError naming the missing required columns."""
    if header_row is None or all(is_blank(c) for c in header_row):
        raise ImportFileError("文件为空或第 1 行不是表头")
    position: dict[str, int] = {}
    for i, cell in enumerate(header_row):
        position.setdefault(clean_header(cell), i)
    position.pop("", None)
    index: dict[str, int] = {}
    missing = []
    for name in (*required, *optional):
        pos = position.get(clean_header(headers[name]))
        if pos is not None:
            index[name] = pos
        elif name in required:
            missing.append(headers[name])
    if missing:
        raise ImportFileError(f"缺少必需的列：{'、'.join(missing)}（表头须在第 1 行）")
    return Columns(index, headers, tuple("" if c is None else str(c) for c in header_row))


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


def _checked(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if len(value) > CELL_MAX_CHARS:
        return BadCell(f"超过 {CELL_MAX_CHARS} 个字符（{len(value)} 个）", value[: CELL_MAX_CHARS - 1] + "…")
    if "\x00" in value:
        # No one types it, and PostgreSQL stores no text that holds it.
        return BadCell("含有空字符（\\0）", value.replace("\x00", ""))
    return value


def _csv_rows(path: Path) -> Iterator[Sequence[Any]]:
    encoding = _detect_encoding(path)
    # The csv module refuses a field over its limit (128 KiB) with an error that ends the
    # whole file; no field is longer than the file, and a long one is its row's error.
    csv.field_size_limit(max(csv.field_size_limit(), path.stat().st_size))
    with path.open(encoding=encoding, newline="") as fh:
        try:
            for row in csv.reader(fh):
                yield [_checked(v) for v in row]
        except csv.Error as exc:
            raise ImportFileError(f"无法读取 CSV 文件：{exc}") from exc


@functools.cache
def _cell_parser() -> type:
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class CachedValues(WorkSheetParser):  # type: ignore[misc]
        """openpyxl's own sheet parser (data_only: a formula's saved result) that also says
        which cells are formulas without a saved result or errors, which it reads as empty
        cells and as text."""

        def parse_cell(self, element: Any) -> dict[str, Any]:
            cell = super().parse_cell(element)
            value = cell["value"]
            formula = element.find(FORMULA_TAG)
            if value is None and formula is not None:
                shown = f"={formula.text}" if formula.text else "="
                cell["value"] = BadCell(_NO_RESULT, shown)
            elif cell["data_type"] == "e":
                cell["value"] = BadCell(f"是错误值 {value}", str(value))
            else:
                cell["value"] = _checked(value)
            return cell

    return CachedValues


def _parsed(parser: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    # A damaged archive or sheet XML shows only when the parser gets there.
    try:
        yield from parser.parse()
    except Exception as exc:  # zipfile, zlib, XML and openpyxl's own errors alike
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        # read_only streams the sheet XML row by row instead of building the whole sheet.
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
    except Exception as exc:  # openpyxl raises zipfile/KeyError/InvalidFileException alike
        raise ImportFileError(f"无法读取 Excel 文件：{exc}") from exc
    try:
        # The rows as the sheet XML has them: openpyxl's read-only iteration stops at the
        # recorded <dimension>, which other programs write wrong or not at all.
        with ws._get_source() as source:
            parser = _cell_parser()(
                source,
                ws._shared_strings,
                data_only=True,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            expected = 1
            for number, cells in _parsed(parser):
                for _ in range(expected, number):  # rows the XML leaves out are empty
                    yield ()
                expected = max(expected, number + 1)
                row: list[Any] = [None] * max((c["column"] for c in cells), default=0)
                for cell in cells:
                    row[cell["column"] - 1] = cell["value"]
                yield row
    finally:
        wb.close()


def count_rows(path: Path) -> int:
    """Data rows in the file, cheaply, for a progress bar: newlines of a CSV (a quoted
    newline counts twice), the recorded size of an .xlsx (which may be wrong or absent:
    then the rows are counted). Only an estimate — the import reads every row there is."""
    if path.suffix.lower() == ".csv":
        lines, last = 0, b"\n"
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        lines += last != b"\n"  # no newline after the last row
        return max(0, lines - 1)
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        rows = wb.worksheets[0].max_row
    finally:
        wb.close()
    if rows is None:  # no recorded dimension: count by streaming
        rows = sum(1 for _ in read_rows(path))
    return max(0, int(rows) - 1)


def read_rows(path: Path) -> Iterator[Sequence[Any]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt"):
        return _csv_rows(path)
    raise ImportFileError(f"不支持的文件类型“{path.suffix}”，请使用 .xlsx 或 .csv")


# ---------------------------------------------------------------------------- values


def is_blank(value: Any) -> bool:
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


def parse_time(value: Any, field: str, label: str) -> datetime:
    """Excel datetimes, Excel serial numbers, and text like "2026-10-09 14:30",
    "2026/10/09 14:30:00", "2026年10月9日 14:30"; naive times are Asia/Shanghai. A problem
    names `field` (the logical field) and says `label` (its column)."""
    if is_blank(value):
        raise RowProblem(field, f"{label}为空")
    if isinstance(value, datetime):
        return _aware(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=TZ)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        # An unformatted date cell: days since 1899-12-30; 20000 ≈ 1954, 80000 ≈ 2119.
        if 20000 <= value <= 80000:
            return _aware(from_excel(value))
        raise RowProblem(field, f"无法识别的{label}“{value}”")
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
        raise RowProblem(field, f"无法识别的{label}“{text}”，应如 2026-10-09 14:30 或 2026年10月9日 14:30")
    return _aware(parsed)


def parse_coordinate(value: Any, name: str, label: str) -> float | None:
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise RowProblem(name, f"{label}“{value}”不是数字")
    return number


# ---------------------------------------------------------------------------- writing


def _illegal_characters() -> re.Pattern[str]:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE


class Sheet:
    """One sheet of an XlsxWriter; `append()` writes a row."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self._illegal = _illegal_characters()

    def append(self, row: Iterable[Any]) -> None:
        self.ws.append([self._cell(v) for v in row])

    def _cell(self, value: Any) -> Any:
        if isinstance(value, BadCell):
            value = value.shown
        if not isinstance(value, str):
            return value  # numbers, dates, None: typed as they are
        # Control characters XML cannot hold are dropped; Excel opens no cell longer than this.
        text = self._illegal.sub("", value)[:CELL_MAX_CHARS]
        if not text.startswith(FORMULA_TRIGGERS):
            return text
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.ws, text)
        # openpyxl took a leading "=" for a formula: a text cell, and the quote prefix keeps
        # it text when someone edits it in Excel.
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell


class XlsxWriter:
    """An .xlsx written row by row (write-only workbook: constant memory for any number of
    rows) in which every string is text, never a formula (see the module's docstring).
    The one way the project writes a spreadsheet."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb = Workbook(write_only=True)

    def sheet(self, title: str) -> Sheet:
        return Sheet(self.wb.create_sheet(title))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(path)


class ErrorReport:
    """The failed rows of an import, as they come, with the row number, the columns and the
    reason after the file's own columns."""

    def __init__(self, path: Path, header_row: Sequence[str], sheet_title: str = "失败行") -> None:
        self.path = path
        self.width = len(header_row)
        self.writer = XlsxWriter()
        self.ws = self.writer.sheet(sheet_title)
        self.ws.append([*header_row, *ERROR_COLUMNS])

    def add(self, raw: Sequence[Any], number: int, columns: str, reason: str) -> None:
        values = [*list(raw)[: self.width], *[None] * (self.width - len(raw))]
        self.ws.append([*values, number, columns, reason])

    def save(self) -> None:
        self.writer.save(self.path)
