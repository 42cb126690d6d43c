"""Pages of the elections app: statistics (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
