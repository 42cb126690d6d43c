"""What every app's REST router (/api/v1/) shares: the error schema and the error statuses it
documents, local-time serialisation, and conditional requests (ETag, If-None-Match, If-Match).

The API root (civicgrid.api) turns errors into the ErrorOut body; apps cannot import it (it
imports them), so the pieces they need to declare and raise live here, in core.

Conditional requests:
- every detail GET answers with a strong `ETag` computed from the version / `updated_at` of
  each row its body is made of (plus whatever else changes the body: the reader, options), and
  with `Cache-Control: private, no-cache` so clients revalidate instead of guessing;
- `If-None-Match` with that tag (or `*`) → 304 without a body;
- writes honour `If-Match` (strong comparison, RFC 9110): a tag that is no longer current → 412
  `precondition_failed`. Versions still travel in bodies too; a change between the check and the
  write is the write's own 409 `conflict`.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_etags
from ninja import Schema, Status
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, PlainSerializer, WithJsonSchema, create_model

from .errors import InvalidInput
from .inputs import MAX_ID
from .params import Kind, Param


def _local_iso(value: datetime) -> str:
    # The database hands back UTC; clients get the local offset, as the brief asks.
    return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()


# Described as what it is (`format: date-time`), whatever the serialiser returns.
LocalDateTime = Annotated[
    datetime,
    PlainSerializer(_local_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class ErrorDetail(Schema):
    code: str = Field(
        description=(
            "机器可读的错误码，如 invalid、not_found、conflict、precondition_failed、transition_not_allowed"
        )
    )
    message: str = Field(description="给人看的说明（中文）")
    fields: dict[str, Any] = Field(default_factory=dict, description="出错的字段 → 原因码")


class ErrorOut(Schema):
    error: ErrorDetail


class AreaRef(Schema):
    """An area as other objects name it: the code is the stable key filters take."""

    code: str
    name: str


# Documented error statuses (every error has the ErrorOut shape). 403 and 429 can come from
# the token itself (missing scope, rate limit) on any operation.
READ_ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 429}): ErrorOut}
WRITE_ERRORS: dict[Any, Any] = {frozenset({400, 401, 403, 404, 409, 412, 429}): ErrorOut}
# Detail reads also answer 304 (no body) to a matching If-None-Match.
NOT_MODIFIED: dict[Any, Any] = {304: None}


def get_by_id[M: models.Model](qs: models.QuerySet[M], pk: int) -> M:
    """The row of `qs` (already restrict()ed) with this id, else 404 — for ids out of range too."""
    found = qs.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise Http404
    return found


# Part of every tag: bump it when an output shape changes, so no client keeps an old body.
ETAG_FORMAT = "1"
CACHE_CONTROL = "private, no-cache"


def stamp(obj: models.Model | None) -> str:
    """A row's contribution to a tag: its identity plus its version and/or update time."""
    if obj is None:
        return "-"
    version = getattr(obj, "version", "")
    updated = getattr(obj, "updated_at", None)
    return f"{obj._meta.label_lower}:{obj.pk}:{version}:{updated.isoformat() if updated else ''}"


def make_etag(*parts: Any) -> str:
    """A strong tag from rows (stamped) and plain values (the reader, query options…)."""
    text = "\x1f".join(
        [ETAG_FORMAT, *(stamp(p) if isinstance(p, models.Model) or p is None else repr(p) for p in parts)]
    )
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    return tag.removeprefix("W/")


def not_modified(request: HttpRequest, response: HttpResponse, tag: str) -> bool:
    """Put the tag on the response; True if the client's If-None-Match says it already has
    this body (weak comparison, as RFC 9110 asks for If-None-Match) and 304 will do."""
    response["ETag"] = tag
    response["Cache-Control"] = CACHE_CONTROL
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    tags = parse_etags(header)
    return tags == ["*"] or any(_opaque(t) == _opaque(tag) for t in tags)


def check_if_match(request: HttpRequest, tag: str) -> None:
    """412 unless If-Match is absent, `*`, or names the current tag (strong comparison)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = parse_etags(header)
    if tags == ["*"] or tag in tags:
        return
    raise HttpError(412, "资源已被他人修改（If-Match 与当前 ETag 不符），请重新读取后再试")


# ---------------------------------------------------------------------------- action bodies


class StrictBody(Schema):
    """A request body that refuses fields it does not declare (a misspelt field is a 422, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class JobStarted(Schema):
    """A job started in the background (core.jobs): follow its progress page."""

    job_id: int
    job_url: str = Field(description="任务进度页面")
    status: str


def job_started(job: Any) -> Status[dict[str, Any]]:
    """The 202 answer of an endpoint that started `job`."""
    return Status(
        202, {"job_id": job.pk, "job_url": reverse("jobs:detail", args=[job.pk]), "status": job.status}
    )


def _annotation(param: Param) -> Any:
    """The JSON type of a parameter: a named enum schema for TextChoices, ids for rows."""
    if param.kind is Kind.CHOICE and param.enum is not None:
        return param.enum
    return {
        Kind.INT: int,
        Kind.FLOAT: float,
        Kind.BOOL: bool,
        Kind.REF: int,
        Kind.REFS: list[int],
        Kind.DATE: date,
        Kind.DATETIME: datetime,
    }.get(param.kind, str)


# Request bodies a handler parses itself (so that its errors name fields as the API always
# has) but that the description must still show, typed: name -> model. civicgrid.api adds
# them to the OpenAPI components.
DOCUMENTED_SCHEMAS: dict[str, type[Schema]] = {}


def documented_components() -> dict[str, Any]:
    """The JSON schemas of DOCUMENTED_SCHEMAS and the enums they name, as OpenAPI components."""
    out: dict[str, Any] = {}
    for name, model in DOCUMENTED_SCHEMAS.items():
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[name] = schema
    return out


def params_schema(name: str, params: tuple[Param, ...], version_help: str) -> type[Schema]:
    """The request body of one action, from its declared parameters (core.params): typed,
    required where the declaration says so, unknown fields refused; files are not part of a
    JSON body. `version` is the object version the client read (a stale one is a 409)."""
    fields: dict[str, Any] = {"version": (int | None, Field(default=None, description=version_help))}
    for param in params:
        if param.kind is Kind.FILES:
            continue
        annotation = _annotation(param)
        extra: dict[str, Any] = {"description": " ".join(str(t) for t in (param.label, param.help) if t)}
        if param.kind in (Kind.INT, Kind.FLOAT) and param.min_value is not None:
            extra["ge"] = param.min_value
        if param.kind is Kind.FLOAT and isinstance(param.max_value, int):
            extra["le"] = param.max_value
        if param.max_length is not None:
            extra["max_length"] = param.max_length
        if param.required:
            fields[param.name] = (annotation, Field(..., **extra))
        else:
            default = param.default if param.kind is not Kind.REFS else None
            fields[param.name] = (annotation | None, Field(default=default, **extra))
    model = create_model(name, __base__=StrictBody, **fields)
    DOCUMENTED_SCHEMAS[name] = model
    return model


def action_bodies(frame: Any, prefix: str, version_help: str) -> dict[str, type[Schema]]:
    """The typed request body of every action a frame implements (from its machine's
    declarations), named `<prefix><Action>Params`: what an app's action endpoint takes."""
    bodies = {
        action: params_schema(
            prefix + "".join(part.capitalize() for part in action.split("_")) + "Params",
            frame.machine[action].params,
            version_help,
        )
        for action in frame.bodies
    }
    return bodies


def action_request_body(bodies: dict[str, type[Schema]], example: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI request body of an action endpoint: one of the actions' typed bodies."""
    return {
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": f"#/components/schemas/{model.__name__}"} for model in bodies.values()
                        ],
                        "description": "该操作的参数（每个操作一个类型），可带 version",
                    },
                    "example": example,
                }
            },
        }
    }


def json_object(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object (an empty body: no parameters)."""
    raw = request.body or b""
    if not raw.strip():
        return {}
    data = json.loads(raw)  # api.guards has refused bodies that are not UTF-8 JSON (400)
    if not isinstance(data, dict):
        raise InvalidInput("请求体须为 JSON 对象（参数名 → 值）", {"body": "invalid"})
    return data


def run_json_action(
    request: Any, frame: Any, ref: Any, action: str, current: Callable[[], Any], etag: Callable[[Any], str]
) -> Any:
    """An action endpoint's work: the JSON body as the action's parameters (files are the
    pages' business), the `If-Match` ETag checked against `current()` (412) and turned into the
    version the frame checks again in its transaction (409), run as the token's user."""
    from .audit import acting_as

    params = json_object(request)
    if "photos" in params:
        raise InvalidInput("操作参数不能带照片", {"photos": "unsupported"})
    if "If-Match" in request.headers:
        obj = current()
        check_if_match(request, etag(obj))
        params.setdefault("version", obj.version)
    with acting_as(request.auth, "api"):
        return frame.run(ref, action, request.auth, params)


def action_endpoint(
    request: Any, response: Any, frame: Any, action: str, fetch: Callable[[], Any], etag: Callable[[Any], str]
) -> Any:
    """The whole of an object's action endpoint: the object (`fetch`: in the caller's scope,
    else a 404), the action run on it (run_json_action), the object read again with its new
    ETag on the response — for the endpoint to render."""
    current = fetch()
    run_json_action(request, frame, current.pk, action, lambda: current, etag)
    after = fetch()
    response["ETag"] = etag(after)
    return after
