"""Answers in the spec's two formats from one structure.

A document is a list of objects (JSON: a bare array; XML: a root element holding one element
per object, e.g. <services><service>…) or one object (discovery, service_definition). Object
values are str, int, float, bool, None, nested objects, or lists; a list's XML items are named
by LIST_ITEMS (the spec's "Spark convention": <formats><format>…</format></formats> ↔
"formats": [...]). None is JSON null and an empty XML element. XML is built with ElementTree.
"""

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from .choices import Format

CONTENT_TYPES = {Format.XML: "text/xml; charset=utf-8", Format.JSON: "application/json; charset=utf-8"}
LIST_ITEMS = {
    "endpoints": "endpoint",
    "jurisdictions": "jurisdiction",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates,
# U+FFFE/U+FFFF): dropped from text, or the document would not parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def w3(value: datetime | None) -> str | None:
    """A W3C/ISO 8601 datetime with the offset, in the site's time zone (+08:00)."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(element, name)
    if value is None:
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _fill(child, key, inner)
    elif isinstance(value, (list, tuple)):
        item = LIST_ITEMS.get(name, "item")
        for inner in value:
            _fill(child, item, inner)
    else:
        child.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    element = ET.Element(root)
    if item is None:
        for key, value in data.items():
            _fill(element, key, value)
    else:
        for obj in data:
            _fill(element, item, obj)
    # ElementTree writes the declaration with single quotes; XML allows either.
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)  # lazy translations


def render(
    fmt: str, root: str, item: str | None, data: Sequence[Any] | Mapping[str, Any], status: int = 200
) -> HttpResponse:
    if fmt == Format.JSON:
        body = json.dumps(_jsonable(data), ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(root, item, data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[Format(fmt)])


def render_errors(fmt: str, status: int, errors: list[tuple[int, str]]) -> HttpResponse:
    """The spec's error document: <errors><error><code/><description/></error></errors>
    or [{"code": …, "description": …}]."""
    data = [{"code": code, "description": description} for code, description in errors]
    return render(fmt, "errors", "error", data, status=status)
