"""Helpers to make cases and drive them through the loop in tests."""

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases import actions
from civicgrid.cases.actions import CaseInput
from civicgrid.cases.choices import CaseStatus
from civicgrid.cases.models import Case, Category, DutyRule

# The path to each state, as (action, role, params).
PATH: list[tuple[str, str, dict[str, Any]]] = [
    ("file", "dispatcher", {}),
    ("dispatch", "dispatcher", {}),
    ("sign", "handler", {}),
    ("report_back", "handler", {"feedback": "已整改完毕"}),
    ("verify_pass", "gridworker", {}),
    ("close", "dispatcher", {}),
]
REACHED_BY = {
    CaseStatus.NEW: 0,
    CaseStatus.FILED: 1,
    CaseStatus.DISPATCHED: 2,
    CaseStatus.IN_PROGRESS: 3,
    CaseStatus.HANDLED: 4,
    CaseStatus.VERIFIED: 5,
    CaseStatus.CLOSED: 6,
}


def duty(world: Any, street: str = "east", code: str = "E21") -> DutyRule:
    sw = getattr(world, street)
    rule, _ = DutyRule.objects.get_or_create(
        category=Category.objects.get(code=code), area=sw.street, defaults={"lead_unit": sw.unit}
    )
    return rule


def make_case(
    world: Any, street: str = "east", grid: int = 0, actor_role: str = "dispatcher", **overrides: Any
) -> Case:
    sw = getattr(world, street)
    shape = sw.grids[grid].shape
    fields: dict[str, Any] = {
        "request_type": "complaint",
        "category": "E2105",
        "description": "楼上夜间噪声扰民，影响休息",
        "channel": "hotline",
        "lon": shape.centroid.x,
        "lat": shape.centroid.y,
        "reporter_name": "王先生",
        "reporter_phone": "13812345678",
    }
    fields.update(overrides)
    return actions.create_case(CaseInput(**fields), world.user(street, actor_role))


def advance(world: Any, case: Case, status: str, street: str = "east") -> Case:
    """Drive a case along the main path until it reaches `status`."""
    for action, role, params in PATH[REACHED_BY[case.status] : REACHED_BY[status]]:
        case = actions.run_action(case.pk, action, world.user(street, role), params)
    assert case.status == status
    return case


def jpeg(name: str = "p.jpg") -> SimpleUploadedFile:
    """A small valid photo to upload."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")
