"""Pages of the elections app: ballots (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
