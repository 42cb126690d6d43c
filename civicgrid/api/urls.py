"""The REST API under /api/v1/: token auth on every operation, one error shape, each app's router.

The OpenAPI schema is at /api/v1/openapi.json and the interactive docs at /api/v1/docs.
"""

from ninja import NinjaAPI

from .auth import TokenAuth
from .errors import install

api = NinjaAPI(
    title="civicgrid API",
    version="1",
    urls_namespace="api",
    auth=TokenAuth(),
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
    from civicgrid.insights.api import router as insights_router

    api.add_router("/", cases_router)
    api.add_router("/insights", insights_router)


_mount()
