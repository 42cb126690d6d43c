"""Pages of the work-order loop: staff (workbench, case page, tasks), the grid
worker's phone pages and the public report site."""

from .jobs import export_cases, import_upload, report_new
from .mobile import mobile_home, mobile_report, mobile_verify
from .public import follow, report_done, report_form, track, track_photo
from .staff import (
    case_action,
    case_detail,
    case_photo,
    category_detail,
    duty_detail,
    metrics_page,
    reveal_description,
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
    "metrics_page",
    "mobile_home",
    "mobile_report",
    "mobile_verify",
    "report_done",
    "report_form",
    "report_new",
    "reveal_description",
    "reveal_phone",
    "task_list",
    "track",
    "track_photo",
    "workbench",
]
