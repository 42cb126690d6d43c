from django.urls import path

from . import views

app_name = "profiles"
urlpatterns = [
    path("<str:code>/", views.profile_edit, name="edit"),
]
