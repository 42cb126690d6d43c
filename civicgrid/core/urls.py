from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("<str:app_label>/<str:model_name>/<str:pk>/", views.object_history, name="object_history"),
]
