"""A small checker of JSON answers against openapi.json (the subset of JSON Schema it uses), so
the tests prove the description matches what the views really send."""

import json
from pathlib import Path
from typing import Any

SPEC = json.loads((Path(__file__).resolve().parent.parent / "openapi.json").read_text("utf-8"))
TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def check(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    schema = _resolve(schema)
    if value is None:
        assert schema.get("nullable"), f"{where}: null not allowed"
        return
    kind = schema.get("type")
    if kind:
        assert isinstance(value, TYPES[kind]), f"{where}: {value!r} is not {kind}"
        assert not (kind in ("integer", "number") and isinstance(value, bool)), f"{where}: bool for {kind}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        props = schema.get("properties", {})
        for name, inner in value.items():
            assert name in props, f"{where}: undocumented field {name}"
            check(inner, props[name], f"{where}.{name}")
    if kind == "array":
        assert len(value) >= schema.get("minItems", 0), f"{where}: too few items"
        assert len(value) <= schema.get("maxItems", len(value)), f"{where}: too many items"
        for i, inner in enumerate(value):
            check(inner, schema["items"], f"{where}[{i}]")


def conforms(response: Any, path: str, method: str = "get") -> None:
    """`path` as in openapi.json (e.g. "/requests.json"); the status must be documented and
    a JSON body must match its schema."""
    operation = SPEC["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method.upper()} {path}: status {response.status_code} undocumented"
    media = response["Content-Type"].split(";")[0]
    assert media in documented["content"], f"{path}: {media} undocumented for {response.status_code}"
    if media == "application/json":
        check(json.loads(response.content), documented["content"][media]["schema"])
