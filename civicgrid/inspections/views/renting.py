"""Pages of inspections: renting (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
