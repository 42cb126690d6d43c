"""Pages of inspections: places (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
