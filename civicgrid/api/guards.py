"""What the REST API refuses before any handler runs, with the API's error body and a 4xx:

- a body larger than the limit (413 `body_too_large`): `CIVICGRID_API_MAX_BODY_BYTES` for JSON,
  the photo limit (plus form overhead) for multipart uploads, checked on Content-Length before
  anything is read (and Django's own DATA_UPLOAD_MAX_MEMORY_SIZE, should it be lower);
- a body that is not JSON (or multipart/form-data where an upload is accepted) (415
  `unsupported_media_type`);
- a JSON body that is not UTF-8 (400 `invalid_encoding`), or not JSON at all (400 `invalid_json`),
  or nested deeper than MAX_JSON_DEPTH (400 `invalid_json`, counted before parsing: the parser
  recurses and would overflow Python's stack);
- a NUL character in a query parameter, a form field or any string of a JSON body, names
  included (400 `invalid`, the fields named; core.inputs: one rule for SQLite and PostgreSQL).

The checks run as middleware on the API's path prefix only, so the web pages keep Django's
own handling. Open311 (its own error shapes) does its own checks.
"""

import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError

from civicgrid.core.inputs import NUL, nul_fields

from .errors import error_body

API_PREFIX = "/api/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = frozenset({"application/json"})
MULTIPART = "multipart/form-data"
# Room for the form's boundaries and other fields around one photo.
MULTIPART_OVERHEAD = 64 * 1024
# No request of ours nests more than a few levels; json.loads recurses once per level.
MAX_JSON_DEPTH = 32
# What decides the depth: escapes (so \" does not end a string), quotes and brackets.
_JSON_TOKEN = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def _refuse(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, **headers: str
) -> HttpResponse:
    response = JsonResponse(
        error_body(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False}
    )
    for name, value in headers.items():
        response[name] = value
    return response


def json_limit() -> int:
    return int(getattr(settings, "CIVICGRID_API_MAX_BODY_BYTES", 1024 * 1024))


def multipart_limit() -> int:
    return int(settings.CIVICGRID_PHOTO_MAX_BYTES) + MULTIPART_OVERHEAD


class ApiRequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            refused = _refuse_nul(_nul_params(request.GET))
            if refused is None and request.method in BODY_METHODS:
                refused = self.check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def check(self, request: HttpRequest) -> HttpResponse | None:
        media_type = (request.content_type or "").lower()
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(400, "invalid", "Content-Length 无效")
        if declared == 0:
            # No body (actions without parameters). Django reads no more than Content-Length,
            # so a chunked body without one arrives empty, too.
            return None
        limit = multipart_limit() if media_type == MULTIPART else json_limit()
        if declared > limit:
            return _refuse(413, "body_too_large", f"请求体过大：{declared} 字节，上限 {limit} 字节")
        if media_type == MULTIPART:
            # Parsed under Django's own limits; handlers validate the files, NUL the fields.
            try:
                fields = request.POST
            except (MultiPartParserError, RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent) as exc:
                return _refuse(400, "invalid", f"multipart/form-data 请求体无效：{exc}")
            return _refuse_nul(_nul_params(fields))
        if media_type not in JSON_TYPES:
            shown = media_type or "（未声明）"
            return _refuse(
                415,
                "unsupported_media_type",
                f"不支持的请求体类型 {shown}，请使用 application/json",
                Accept="application/json",
            )
        try:
            raw = request.body
        except RequestDataTooBig:
            return _refuse(413, "body_too_large", f"请求体过大，上限 {limit} 字节")
        if len(raw) > limit:
            return _refuse(413, "body_too_large", f"请求体过大：{len(raw)} 字节，上限 {limit} 字节")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _refuse(400, "invalid_encoding", f"请求体不是有效的 UTF-8（第 {exc.start} 字节起）")
        if text.strip():
            if too_deep(text, MAX_JSON_DEPTH):
                return _refuse(400, "invalid_json", f"请求体的 JSON 嵌套超过 {MAX_JSON_DEPTH} 层")
            try:
                data = json.loads(text)
            except ValueError as exc:
                return _refuse(400, "invalid_json", f"请求体不是有效的 JSON：{_reason(exc)}")
            return _refuse_nul(nul_fields(data))
        return None


def _nul_params(params: QueryDict) -> list[str]:
    return sorted(
        name.replace(NUL, "\\0")
        for name, values in params.lists()
        if NUL in name or any(NUL in v for v in values)
    )


def _refuse_nul(fields: list[str]) -> HttpResponse | None:
    if not fields:
        return None
    return _refuse(
        400,
        "invalid",
        f"{'、'.join(fields)} 含有非法字符（NUL）",
        fields=dict.fromkeys(fields, "null_character"),
    )


def too_deep(text: str, limit: int) -> bool:
    """Whether the arrays and objects of `text` nest deeper than `limit`: one linear pass, no
    recursion, brackets inside strings not counted (for text that is not JSON at all the
    parser says what is wrong)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, without a loop in Python
    depth = 0
    in_string = False
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char == '"':
            in_string = not in_string
        elif in_string or len(char) > 1:
            continue
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _reason(exc: Any) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}"
    return str(exc)
