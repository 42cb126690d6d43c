"""Pages of inspections: records (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
