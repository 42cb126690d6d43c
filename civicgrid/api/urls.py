"""The REST API under /api/v1/: token auth on every operation, one error shape, each app's router.

The OpenAPI schema is at /api/v1/openapi.json and the interactive docs at /api/v1/docs.
"""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from civicgrid.core.rest import documented_components

from .auth import TokenAuth
from .errors import error_body, install


class Utf8JSONRenderer(JSONRenderer):
    # Chinese text as UTF-8, not \u escapes: a third of the size, and readable in a terminal.
    json_dumps_params = {"ensure_ascii": False}


class CivicgridAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        # The typed bodies of the action endpoint (core.rest.DOCUMENTED_SCHEMAS) are referenced
        # from an openapi_extra requestBody, which ninja does not collect components for.
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in documented_components().items():
            components.setdefault(name, definition)
        schema["paths"] = _name_enums(schema["paths"], components)
        return schema


def _name_enums(node: Any, components: dict[str, Any]) -> Any:
    """Every enum a parameter or form field declares inline becomes a named component (a
    generated client gets one type per enum, e.g. PhotoStage, instead of an anonymous one)."""
    if isinstance(node, list):
        return [_name_enums(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    inner = node.get("allOf")
    if isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], dict) and "enum" in inner[0]:
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **inner[0]}
    if "enum" in node and "title" in node and node.get("type") == "string":
        name = node["title"]
        components.setdefault(name, {k: node[k] for k in ("enum", "title", "type")})
        rest = {k: v for k, v in node.items() if k not in ("enum", "title", "type")}
        return {"$ref": f"#/components/schemas/{name}", **rest}
    return {key: _name_enums(value, components) for key, value in node.items()}


api = CivicgridAPI(
    renderer=Utf8JSONRenderer(),
    title="civicgrid API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
    # Paths in the description are absolute (/api/v1/…): the server is the site itself.
    servers=[{"url": "/", "description": "本站 / this installation"}],
    openapi_extra={
        "info": {"license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
    },
    description=(
        "街道治理平台接口。认证：`Authorization: Bearer <token>`"
        "（`manage.py create_api_token 用户名` 生成）。"
        '错误统一为 `{"error": {"code", "message", "fields"}}`；时间均为带 +08:00 偏移的 ISO 8601。'
    ),
)
install(api)


def _mount() -> None:
    # Imported here so that loading the URLconf is what pulls the app routers in.
    from civicgrid.cases.api import router as cases_router
    from civicgrid.community.api import router as community_router
    from civicgrid.elections.api import router as elections_router
    from civicgrid.geo.api import router as geo_router
    from civicgrid.insights.api import router as insights_router
    from civicgrid.inspections.api import router as inspections_router
    from civicgrid.orgs.api import router as orgs_router
    from civicgrid.programmes.api import router as programmes_router
    from civicgrid.residents.api import router as residents_router
    from civicgrid.sensors.api import router as sensors_router
    from civicgrid.webhooks.api import router as webhooks_router

    api.add_router("/", cases_router)
    # Areas, buildings and layer grids; units: each under its own token scope (geo:, orgs:).
    api.add_router("/", geo_router, auth=TokenAuth("geo"))
    api.add_router("/", orgs_router, auth=TokenAuth("orgs"))
    api.add_router("/insights", insights_router, auth=TokenAuth("insights"))
    api.add_router("/", webhooks_router, auth=TokenAuth("webhooks"))
    api.add_router("/residents", residents_router, auth=TokenAuth("residents"))
    api.add_router("/inspections", inspections_router, auth=TokenAuth("inspections"))
    api.add_router("/elections", elections_router, auth=TokenAuth("elections"))
    api.add_router("/programmes", programmes_router, auth=TokenAuth("programmes"))
    api.add_router("/community", community_router, auth=TokenAuth("community"))
    api.add_router("/sensors", sensors_router, auth=TokenAuth("sensors"))


_mount()


@csrf_exempt  # like the API's own views: token auth, no cookies
def unknown_path(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other path under /api/v1/ (a typo, an id of the wrong type that no route matches):
    the API's 404 body instead of Django's HTML page."""
    body = error_body("not_found", f"接口路径不存在：{request.path}")
    return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
