"""(seam) The rootcauses pages of insights: filled in by its part."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
