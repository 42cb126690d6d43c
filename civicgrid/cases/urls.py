from django.urls import path
from django.views.generic import RedirectView

from civicgrid.core import views as core_views

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("tasks/", views.task_list, name="tasks"),
    path("new/", views.desk_new, name="desk_new"),
    path("new/route/", views.desk_route, name="desk_route"),
    path("new/suggest/", views.desk_suggest, name="desk_suggest"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("metrics/", views.metrics_page, name="metrics"),
    # The inbox moved to core (/inbox/): the old page redirects for good, the old forms post on.
    path("inbox/", RedirectView.as_view(pattern_name="core:inbox", permanent=True, query_string=True)),
    path("import/", views.import_upload, name="import"),
    path("intake/", views.intake_model, name="intake_model"),
    path("export/", views.export_cases, name="export"),
    path("reports/", views.report_new, name="report_new"),
    path("inbox/read-all/", core_views.notifications_read_all),
    path("inbox/<int:pk>/read/", core_views.notification_read),
    path("m/", views.mobile_home, name="mobile"),
    path("m/report/", views.mobile_report, name="mobile_report"),
    path("m/verify/", views.mobile_verify, name="mobile_verify"),
    path("m/cases/", views.mobile_cases, name="mobile_cases"),
    path("m/patrol/start/", views.patrol_start, name="patrol_start"),
    path("m/patrol/<int:pk>/stop/", views.patrol_stop, name="patrol_stop"),
    path("m/patrol/<int:pk>/points/", views.patrol_point, name="patrol_point"),
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("categories/<str:code>/", views.category_detail, name="category"),
    path("duties/<int:pk>/", views.duty_detail, name="duty"),
    path("<str:number>/", views.case_detail, name="case"),
    path("<str:number>/reveal-phone/", views.reveal_phone, name="reveal_phone"),
    path("<str:number>/reveal-description/", views.reveal_description, name="reveal_description"),
    path("<str:number>/actions/<str:action>/", views.case_action, name="action"),
    path("<str:number>/print/<str:kind>.pdf", views.case_print, name="print"),
    path("<str:number>/photos/<int:pk>/", views.case_photo, name="photo"),
    path("<str:number>/photos/<int:pk>/thumb/", views.case_photo, {"size": "thumb"}, name="photo_thumb"),
]
