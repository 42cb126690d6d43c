"""The shared spreadsheet reading and error report, on a sheet that is not a 12345 export."""

import datetime as dt

import pytest
from openpyxl import Workbook, load_workbook

from civicgrid.core import spreadsheets
from civicgrid.core.spreadsheets import ErrorReport, ImportFileError, RowProblem, map_columns, read_rows

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
