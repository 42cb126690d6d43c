"""The public report site, mounted at /report/ (no login)."""

from django.urls import path

from . import views

app_name = "report"
urlpatterns = [
    path("", views.report_form, name="form"),
    path("done/", views.report_done, name="done"),
    path("follow/", views.follow, name="follow"),
    path("t/<str:token>/", views.track, name="track"),
    path("t/<str:token>/photos/<int:pk>/", views.track_photo, name="track_photo"),
    path(
        "t/<str:token>/photos/<int:pk>/thumb/", views.track_photo, {"size": "thumb"}, name="track_photo_thumb"
    ),
]
