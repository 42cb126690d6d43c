"""Mounts each app's ninja router under /api/v1/ (filled in by the API work)."""

from ninja import NinjaAPI

api = NinjaAPI(title="civicgrid API", version="1", urls_namespace="api")
