"""spreadsheet-writes-guarded: cells of a workbook or CSV file are written only in
civicgrid/core/spreadsheets.py, which neutralises formulas in text from users (OWASP's CSV
injection rule). Reading (`load_workbook(read_only=True)`, `csv.reader`) is anyone's."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from .base import Example, Module, Rule, dotted

GUARD = "civicgrid/core/spreadsheets.py"
# Calls that start writing a file of cells, whatever the receiver is called.
_WRITERS = frozenset({"Workbook", "writer", "DictWriter"})
_CSV_ROWS = frozenset({"writerow", "writerows"})
# What a name bound from a workbook may write through: sheets, rows, cells.
_SHEET_FROM = frozenset(
    {"active", "create_sheet", "worksheets", "get_sheet_by_name", "copy_worksheet", "cell"}
)


def _imported_writers(module: Module) -> dict[str, str]:
    """Local name → `openpyxl.Workbook` / `csv.writer` …, for `from … import` and `import …`."""
    names: dict[str, str] = {}
    for node in module.nodes:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.split(".")[0] in {"openpyxl", "csv"}
        ):
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in {"openpyxl", "csv"}:
                    names[alias.asname or alias.name] = alias.name
    return names


def _origin(node: ast.AST | None, imported: dict[str, str]) -> str | None:
    """The full name (`openpyxl.Workbook`, `openpyxl.load_workbook`, `csv.writer` …) a call
    refers to, through the module's imports."""
    name = dotted(node) if node is not None else None
    if not name:
        return None
    head, _, rest = name.partition(".")
    if head in imported:
        return f"{imported[head]}.{rest}" if rest else imported[head]
    return None


MADE, LOADED = "made", "loaded"


def _source(value: ast.AST, imported: dict[str, str], tracked: dict[str, str]) -> str | None:
    """MADE for a workbook, sheet, cell or CSV writer this module creates (flagged where it is
    created, so what is written through it is not flagged again), LOADED for one of a workbook it
    loads with openpyxl, None for anything else."""
    while isinstance(value, ast.Call | ast.Subscript | ast.Attribute):
        if isinstance(value, ast.Call):
            origin = _origin(value.func, imported) or ""
            if origin.split(".")[0] in {"openpyxl", "csv"} and origin.rsplit(".", 1)[-1] in _WRITERS:
                return MADE
            if origin.startswith("openpyxl") and origin.endswith("load_workbook"):
                return LOADED
            value = value.func
        elif isinstance(value, ast.Subscript):
            value = value.value
        else:
            if (name := dotted(value)) in tracked:
                return tracked[name]
            if value.attr not in _SHEET_FROM:
                return None
            value = value.value
    return tracked.get(dotted(value) or "")


def _written_into(target: ast.AST) -> ast.AST | None:
    """What an assignment writes into: `ws` of `ws["A1"] = …`, `ws["A1"]` of `ws["A1"].value = …`,
    `ws.cell(1, 1)` or `cell` of `….value = …`."""
    if isinstance(target, ast.Subscript) or isinstance(target, ast.Attribute) and target.attr == "value":
        return target.value
    return None


def check(module: Module) -> Iterator[tuple[ast.stmt | ast.expr, str]]:
    imported = _imported_writers(module)
    tracked: dict[
        str, str
    ] = {}  # names (`wb`, `self.ws`) bound to workbooks, sheets, writers, in source order
    nodes = sorted(
        (n for n in module.nodes if isinstance(n, ast.Call | ast.Assign)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in nodes:
        if isinstance(node, ast.Assign):
            if source := _source(node.value, imported, tracked):
                tracked.update((name, source) for target in node.targets if (name := dotted(target)))
            for target in node.targets:
                into = _written_into(target)
                if into is not None and _source(into, imported, tracked) == LOADED:
                    yield node, "writes a cell outside core/spreadsheets.py (formula injection guard)"
            continue
        origin = _origin(node.func, imported) or ""
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        receiver = (
            _source(node.func.value, imported, tracked) if isinstance(node.func, ast.Attribute) else None
        )
        if origin.split(".")[0] in {"openpyxl", "csv"} and origin.rsplit(".", 1)[-1] in _WRITERS:
            yield node, f"{origin}() outside core/spreadsheets.py: write through its guarded writer"
        elif method in _CSV_ROWS and receiver != MADE:
            yield node, f".{method}() outside core/spreadsheets.py: write through its guarded writer"
        elif (
            method in {"append", "cell"}
            and receiver == LOADED
            and (method == "append" or len(node.args) > 2 or any(k.arg == "value" for k in node.keywords))
        ):
            yield (
                node,
                f"sheet.{method}() writes cells outside core/spreadsheets.py (formula injection guard)",
            )


RULE = Rule(
    id="spreadsheet-writes-guarded",
    waiver="allow-spreadsheet",
    applies=lambda module: module.app is not None and not module.is_test and module.path != GUARD,
    check=check,
    good=(
        Example(
            "civicgrid/core/spreadsheets.py",
            "from openpyxl import Workbook\n\nWorkbook(write_only=True).create_sheet().append([1])\n",
        ),
        Example(
            "civicgrid/cases/jobs.py",
            """\
import csv

from openpyxl import load_workbook

from civicgrid.core import spreadsheets


def count(path, out):
    wb = load_workbook(path, read_only=True)
    rows = wb.worksheets[0].max_row
    first = wb.active["A1"].value
    for row in csv.reader(out):
        rows.append(row)
    names = []
    names.append("x")
    report = spreadsheets.ErrorReport(path, ["a"])
    report.add(["=cmd"], 2, "a", "bad")
    return first
""",
        ),
        Example(
            "civicgrid/core/tests/test_spreadsheets.py",
            "from openpyxl import Workbook\n\nWorkbook().save('x')\n",
        ),
    ),
    bad=(
        Example(
            "civicgrid/cases/jobs.py",
            """\
import csv
import openpyxl
from openpyxl import Workbook, load_workbook


def export(path, out, rows):
    wb = Workbook(write_only=True)  # <-
    ws = wb.create_sheet("x")
    ws.append(["=HYPERLINK()"])  # written through the workbook flagged above
    other = openpyxl.Workbook()  # <-
    other.active["A1"] = "=1+1"
    writer = csv.writer(out)  # <-
    writer.writerow(["=cmd"])
    csv.DictWriter(out, ["a"]).writerows(rows)  # <-
    loaded = load_workbook(path)
    sheet = loaded.worksheets[0]
    sheet["B2"].value = "@x"  # <-
    sheet.cell(2, 2).value = "+y"  # <-
    cell = sheet.cell(3, 3)
    cell.value = "-z"  # <-
    loaded.active["A1"] = "=1"  # <-
    loaded.active.cell(1, 2, "=2")  # <-
    loaded.active.cell(row=1, column=3, value="=3")  # <-
    sheet.append(["=4"])  # <-
    loaded.save(path)


def add(report_writer, row):
    report_writer.writerow(row)  # <-
""",
        ),
        Example(
            "civicgrid/insights/report.py",
            """\
from csv import writer as csv_writer


class Report:
    def __init__(self, path):
        from openpyxl import Workbook

        self.wb = Workbook()  # <-
        self.ws = self.wb.active
        self.out = csv_writer(path.open("w"))  # <-

    def add(self, row):
        self.ws.append(row)
        self.out.writerows([row])
""",
        ),
    ),
)
