"""What the REST API refuses before any handler runs, with the API's error body and a 4xx:

- a body larger than the limit (413 `body_too_large`): `CIVICGRID_API_MAX_BODY_BYTES` for JSON,
  the photo limit (plus form overhead) for multipart uploads, checked on Content-Length before
  anything is read (and Django's own DATA_UPLOAD_MAX_MEMORY_SIZE, should it be lower);
- a body that is not JSON (or multipart/form-data where an upload is accepted) (415
  `unsupported_media_type`);
- a JSON body that is not UTF-8 (400 `invalid_encoding`), or not JSON at all (400 `invalid_json`).

The checks run as middleware on the API's path prefix only, so the web pages keep Django's
own handling. Open311 (its own error shapes) does its own checks.
"""

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import error_body

API_PREFIX = "/api/v1/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = frozenset({"application/json"})
MULTIPART = "multipart/form-data"
# Room for the form's boundaries and other fields around one photo.
MULTIPART_OVERHEAD = 64 * 1024


def _refuse(status: int, code: str, message: str, **headers: str) -> HttpResponse:
    response = JsonResponse(
        error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False}
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
        if request.path.startswith(API_PREFIX) and request.method in BODY_METHODS:
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
            return None  # Django parses it lazily under its own limits; handlers validate files
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
            try:
                json.loads(text)
            except ValueError as exc:
                return _refuse(400, "invalid_json", f"请求体不是有效的 JSON：{_reason(exc)}")
        return None


def _reason(exc: Any) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"第 {exc.lineno} 行第 {exc.colno} 列 {exc.msg}"
    return str(exc)
