"""Pages of the work-order loop: staff (workbench, case page, tasks), the grid
worker's phone pages and patrols, and the public report site."""

from .desk import bulk_action, desk_new, desk_route, desk_suggest
from .jobs import export_cases, import_upload, intake_model, report_new
from .mobile import mobile_cases, mobile_home, mobile_report, mobile_verify
from .patrols import patrol_detail, patrol_list, patrol_point, patrol_start, patrol_stop
from .public import follow, report_done, report_form, track, track_photo
from .staff import (
    case_action,
    case_detail,
    case_photo,
    case_print,
    category_detail,
    duty_detail,
    metrics_page,
    reveal_description,
    reveal_phone,
    task_list,
    workbench,
)

__all__ = [
    "bulk_action",
    "desk_new",
    "desk_route",
    "desk_suggest",
    "case_action",
    "case_detail",
    "case_photo",
    "case_print",
    "category_detail",
    "duty_detail",
    "export_cases",
    "follow",
    "import_upload",
    "intake_model",
    "metrics_page",
    "mobile_cases",
    "mobile_home",
    "mobile_report",
    "mobile_verify",
    "patrol_detail",
    "patrol_list",
    "patrol_point",
    "patrol_start",
    "patrol_stop",
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
