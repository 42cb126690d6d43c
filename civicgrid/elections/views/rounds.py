"""Pages of the elections app: rounds (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
