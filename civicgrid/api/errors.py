"""One error shape for every API failure:

    {"error": {"code": "...", "message": "...", "fields": {"field": "reason", ...}}}

cases.errors map to their own http_status and code; request validation (ninja's 422) becomes
400 "invalid" naming each bad field; authentication failures are 401.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from civicgrid.cases.errors import CaseError

# Pydantic error types → our reason codes (the same codes cases.actions uses).
PYDANTIC_REASONS = {
    "missing": "required",
    "extra_forbidden": "unknown",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "less_than_equal": "too_large",
    "greater_than_equal": "too_small",
}
REASON_TEXT = {
    "required": "必填",
    "unknown": "不接受此字段",
    "invalid_choice": "取值无效",
    "invalid": "格式无效",
    "too_large": "超出上限",
    "too_small": "低于下限",
}
# Range errors name their bound: reason → (pydantic context key, word).
BOUNDS = {"too_large": ("le", "最大"), "too_small": ("ge", "最小")}
# The first element of a ninja error location says where the value came from; our single
# JSON body parameter is always called `payload`, which is not a field the client sent.
LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}
BODY_PARAM = "payload"
HTTP_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    412: "precondition_failed",
    429: "rate_limited",
}


class ApiError(HttpError):
    """An HTTP error with our code and fields (raised by the API layer itself)."""

    def __init__(self, status_code: int, code: str, message: str, fields: dict[str, Any] | None = None):
        super().__init__(status_code, message)
        self.code = code
        self.fields = fields or {}


class RateLimitError(ApiError):
    """429 with a Retry-After header (seconds)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, "rate_limited", f"请求过于频繁，请 {retry_after} 秒后重试")
        self.retry_after = retry_after


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def field_name(loc: Any) -> str:
    parts = [str(p) for p in (loc or [])]
    if parts and parts[0] in LOCATIONS:
        parts = parts[1:]
    if parts and parts[0] == BODY_PARAM:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> tuple[dict[str, str], str]:
    fields: dict[str, str] = {}
    texts: list[str] = []
    for err in errors:
        name = field_name(err.get("loc"))
        reason = PYDANTIC_REASONS.get(str(err.get("type", "")), "invalid")
        if name in fields:
            continue
        fields[name] = reason
        detail = REASON_TEXT[reason]
        if reason in ("invalid", "invalid_choice") and err.get("msg"):
            detail = f"{detail}（{err['msg']}）"
        elif reason in BOUNDS and BOUNDS[reason][0] in (err.get("ctx") or {}):
            key, word = BOUNDS[reason]
            detail = f"{detail}（{word} {err['ctx'][key]}）"
        texts.append(f"{name}：{detail}")
    return fields, "请求参数有误：" + "；".join(texts)


def install(api: NinjaAPI) -> None:
    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        response = api.create_response(request, body, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="civicgrid"'
        return response

    @api.exception_handler(CaseError)
    def case_error(request: HttpRequest, exc: CaseError) -> HttpResponse:
        return respond(request, exc.http_status, error_body(exc.code, exc.message, exc.fields))

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields, message = validation_fields(list(exc.errors))
        return respond(request, 400, error_body("invalid", message, fields))

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, ApiError):
            response = respond(request, exc.status_code, error_body(exc.code, exc.message, exc.fields))
            if isinstance(exc, RateLimitError):
                response["Retry-After"] = str(exc.retry_after)
            return response
        if isinstance(exc, AuthenticationError):
            # ninja's own refusal: no Authorization header, or not a Bearer one.
            message = "缺少 API 令牌，请使用 Authorization: Bearer <token>"
            return respond(request, 401, error_body("unauthorized", message))
        code = HTTP_CODES.get(exc.status_code, "error")
        return respond(request, exc.status_code, error_body(code, str(exc)))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", "不存在或不在你的管辖范围内"))
