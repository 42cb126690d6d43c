"""Reading spreadsheets people upload (.xlsx and .csv exports of other systems) and writing the
error report of an import: what every import shares (12345 orders today, the residents
registry next). Streams rows (openpyxl read-only mode, csv reader) so a large file is never
held in memory; cells are parsed leniently (Excel's floats for phone numbers, its serial
dates, Chinese date text) and a bad cell is a `RowProblem` naming its logical field.
"""

import codecs
import csv
import math
import re
from collections.abc import Iterator, Sequence
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


def clean_header(value: Any) -> str:
    return _WS.sub("", str(value or "")).replace("\ufeff", "")


@dataclass(frozen=True)
class Columns:
    index: dict[str, int]  # logical field → column position
    names: dict[str, str]  # logical field → header as configured
    header_row: tuple[str, ...]  # the file's header row, for the report

    def label(self, name: str) -> str:
        return self.names.get(name, name)


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


# ---------------------------------------------------------------------------- report


class ErrorReport:
    """The failed rows of an import, as they come, with the row number, the columns and the
    reason after the file's own columns (write-only workbook: constant memory)."""

    def __init__(self, path: Path, header_row: Sequence[str], sheet_title: str = "失败行") -> None:
        from openpyxl import Workbook

        self.path = path
        self.width = len(header_row)
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(sheet_title)
        self.ws.append([*header_row, *ERROR_COLUMNS])

    def add(self, raw: Sequence[Any], number: int, columns: str, reason: str) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        values = [*list(raw)[: self.width], *[None] * (self.width - len(raw))]
        cleaned = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        self.ws.append([*cleaned, number, columns, reason])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.wb.save(self.path)
