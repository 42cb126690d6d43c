from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("new/", views.subscription_create, name="create"),
    path("<int:pk>/", views.subscription_detail, name="detail"),
    path("<int:pk>/edit/", views.subscription_edit, name="edit"),
    path("<int:pk>/active/", views.subscription_set_active, name="set_active"),
    path("<int:pk>/secret/", views.subscription_rotate_secret, name="rotate_secret"),
    path("deliveries/<uuid:pk>/resend/", views.delivery_resend, name="resend"),
]
