"""Pages of the elections app: voters (filled by its part)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
