"""Spreadsheets as other programs write them, for the tests of the readers: openpyxl saves what
it is given, so the odd parts (a wrong <dimension>, a formula's saved result, a damaged sheet)
are written into the sheet XML afterwards."""

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"


def edit_sheet_xml(path: Path, edit: Callable[[str], str]) -> Path:
    """Rewrite the first sheet's XML of a saved .xlsx with `edit`; every other part is kept."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in parts:
            if info.filename == SHEET:
                data = edit(data.decode()).encode()
            target.writestr(info, data)
    return path


def set_dimension(xml: str, ref: str | None) -> str:
    """The recorded size of the sheet: `ref` such as "A1:J2", or None to leave it out."""
    element = f'<dimension ref="{ref}" />' if ref else ""
    return re.sub(r"<dimension [^>]*/>", element, xml)


def save_result(xml: str, coordinate: str, value: str, *, text: bool = False) -> str:
    """Give the formula at `coordinate` (as openpyxl wrote it: no result) a saved result, as
    Excel does on saving."""
    kind = ' t="str"' if text else ""
    pattern = rf'<c r="{coordinate}"([^>]*)><f>(.*?)</f><v\s*/>'
    return re.sub(pattern, rf'<c r="{coordinate}"\1{kind}><f>\2</f><v>{value}</v>', xml)
