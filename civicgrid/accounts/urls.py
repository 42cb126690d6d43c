from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("me/", views.me, name="me"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    path("integrations/new/", views.integration_create, name="integration_create"),
    path("integrations/<int:pk>/", views.integration_detail, name="integration"),
    path("integrations/<int:pk>/edit/", views.integration_edit, name="integration_edit"),
    path(
        "integrations/<int:pk>/tokens/new/", views.integration_token_create, name="integration_token_create"
    ),
]
