from django.urls import path

from . import views

app_name = "profiles"
urlpatterns = [
    path("", views.profile_index, name="index"),
    path("<str:code>/", views.profile_edit, name="edit"),
]
