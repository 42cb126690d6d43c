"""Pages of the work-order loop: staff (workbench, case page, tasks, inbox), the grid
worker's phone pages and the public report site."""

from .jobs import export_cases, import_upload, report_new
from .mobile import mobile_home, mobile_report, mobile_verify
from .public import follow, report_done, report_form
from .staff import (
    case_action,
    case_detail,
    case_photo,
    category_detail,
    duty_detail,
    inbox,
    metrics_page,
    notification_read,
    notifications_read_all,
    reveal_phone,
    task_list,
    workbench,
)

__all__ = [
    "case_action",
    "case_detail",
    "case_photo",
    "category_detail",
    "duty_detail",
    "export_cases",
    "follow",
    "import_upload",
    "inbox",
    "metrics_page",
    "mobile_home",
    "mobile_report",
    "mobile_verify",
    "notification_read",
    "notifications_read_all",
    "report_done",
    "report_form",
    "report_new",
    "reveal_phone",
    "task_list",
    "workbench",
]
