"""The kernel's pages for every app, mounted at the site's root: an object's audit history
(/audit/…), the inbox (/inbox/), the files attached to any object (/attachments/<pk>/) and
the logged reveal of a personal field (/reveal/…)."""

from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("audit/<str:app_label>/<str:model_name>/<str:pk>/", views.object_history, name="object_history"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.notifications_read_all, name="inbox_read_all"),
    path("inbox/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path(
        "reveal/<str:app_label>/<str:model_name>/<str:pk>/<str:field>/", views.reveal_personal, name="reveal"
    ),
    path("attachments/<int:pk>/thumb/", views.attachment_file, {"size": "thumb"}, name="attachment_thumb"),
]
