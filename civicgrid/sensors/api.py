"""/api/v1/sensors/ (mounted by civicgrid.api, token scope `sensors`): a gateway posts a batch
of readings (the JSON of ingest.py's docstring), answered with what was stored and what was
refused by reason; the devices and the alerts are read like the pages. A device outside the
token's streets is an unknown device: the answer does not say whether it exists."""

from typing import Any

from ninja import Field, Router, Schema

from civicgrid.core import capabilities
from civicgrid.core.capabilities import require
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden
from civicgrid.core.pagination import DEFAULT_PAGE_SIZE, PageNumber, PageOut, PageSize, paginate
from civicgrid.core.rest import READ_ERRORS, WRITE_ERRORS, LocalDateTime

from .choices import AlertStatus, Condition
from .ingest import ingest
from .models import Alert, Device

router = Router(tags=["sensors"])
MAX_READINGS = 5000


class ReadingsIn(Schema):
    readings: list[Any] = Field(
        min_length=1, max_length=MAX_READINGS, description="读数（格式见 docs/sensors.md），每批至多 5000 条"
    )


class IngestOut(Schema):
    stored: int
    rejected: dict[str, int] = Field(
        description="未入库的条数，按原因：malformed / unknown_device / skew / duplicate"
    )


class DeviceOut(Schema):
    id: int
    type: str
    vendor_id: str
    street: str
    place: str
    last_seen_at: LocalDateTime | None
    last_value: float | None


class DevicePage(PageOut):
    results: list[DeviceOut]


class SensorAlertOut(Schema):
    id: int
    device: str
    type: str
    condition: Condition
    status: AlertStatus
    opened_at: LocalDateTime
    last_at: LocalDateTime
    repeats: int
    case: str | None


class SensorAlertPage(PageOut):
    results: list[SensorAlertOut]


@router.post(
    "/readings",
    response={200: IngestOut, **WRITE_ERRORS},
    summary="网关批量上报读数",
    operation_id="sensors_post_readings",
)
def post_readings(request: Any, body: ReadingsIn) -> dict[str, Any]:
    if not capabilities.may(request.auth, "sensors.ingest"):
        raise Forbidden("你的角色不能上报设备读数")
    return ingest(body.readings, devices=Device.objects.restrict(request.auth, Action.VIEW)).as_dict()


@router.get(
    "/devices", response={200: DevicePage, **READ_ERRORS}, summary="物联设备", operation_id="sensors_devices"
)
def list_devices(
    request: Any, page: PageNumber = 1, page_size: PageSize = DEFAULT_PAGE_SIZE, type: str | None = None
) -> dict[str, Any]:
    require(request.auth, "sensors.view")
    rows = Device.objects.restrict(request.auth, Action.VIEW).select_related(
        "type", "street", "building", "flat"
    )
    if type:
        rows = rows.filter(type__code=type)
    return paginate(
        rows.order_by("pk"),
        page,
        page_size,
        lambda d: {
            "id": d.pk,
            "type": d.type.code,
            "vendor_id": d.vendor_id,
            "street": d.street.code,
            "place": d.where,
            "last_seen_at": d.last_seen_at,
            "last_value": d.last_value,
        },
    )


@router.get(
    "/alerts",
    response={200: SensorAlertPage, **READ_ERRORS},
    summary="物联报警",
    operation_id="sensors_alerts",
)
def list_alerts(
    request: Any,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
    status: AlertStatus | None = None,
    condition: Condition | None = None,
) -> dict[str, Any]:
    require(request.auth, "sensors.view")
    rows = Alert.objects.restrict(request.auth, Action.VIEW).select_related("device", "device__type", "case")
    if status:
        rows = rows.filter(status=status)
    if condition:
        rows = rows.filter(condition=condition)
    return paginate(
        rows.order_by("-opened_at", "-id"),
        page,
        page_size,
        lambda a: {
            "id": a.pk,
            "device": a.device.vendor_id,
            "type": a.device.type.code,
            "condition": a.condition,
            "status": a.status,
            "opened_at": a.opened_at,
            "last_at": a.last_at,
            "repeats": a.repeats,
            "case": a.case.number if a.case else None,
        },
    )
