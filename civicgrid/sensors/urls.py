"""The pages of sensors under /sensors/ (views.py)."""

from .views import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
