"""Pages of inspections: plans (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
