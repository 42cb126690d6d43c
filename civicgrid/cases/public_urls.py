"""The public report site, mounted at /report/ (no login)."""

from django.urls import path

from . import views

app_name = "report"
urlpatterns = [
    path("", views.report_form, name="form"),
    path("done/", views.report_done, name="done"),
    path("follow/", views.follow, name="follow"),
]
