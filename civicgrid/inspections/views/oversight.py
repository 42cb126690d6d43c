"""Pages of inspections: oversight (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
