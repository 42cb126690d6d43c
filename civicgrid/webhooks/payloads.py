"""The JSON a subscriber receives. No personal data: no reporter, no description, title,
address or coordinates (residents write names and phone numbers into them), no timeline
note and no staff name. Times are ISO 8601 with the +08:00 offset, as in the API.

An inspections event (an order, a group-rent entry, a task) carries its object's type, id,
number, status, the place's kind (never its name, address or responsible person), the
street, the severity and deadline, and the event: no finding, clue or note (free text)."""

import json
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.models import Event
from civicgrid.geo.models import Area
from civicgrid.inspections.models import Order, RentEntry, Task

CASE_RELATED = ("category", "street", "residential_area", "grid", "lead_unit", "master")


def iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value is not None else None


def _area(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def case_body(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "version": case.version,
        "request_type": case.request_type,
        "category": {"code": case.category.code, "name": case.category.name},
        "channel": case.channel,
        "urgency": case.urgency,
        "street": _area(case.street),
        "residential_area": _area(case.residential_area),
        "grid": _area(case.grid),
        "lead_unit": {"id": case.lead_unit.pk, "name": case.lead_unit.name} if case.lead_unit else None,
        "master": case.master.number if case.master else None,
        "received_at": iso(case.received_at),
        "response_due_at": iso(case.response_due_at),
        "handling_due_at": iso(case.handling_due_at),
        "responded_at": iso(case.responded_at),
        "handled_at": iso(case.handled_at),
        "closed_at": iso(case.closed_at),
        "is_overdue": case.is_overdue,
        "source": case.source,
        "external_id": case.external_id,
    }


def event_body(event: CaseEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "action": event.action,
        "action_label": str(event.get_action_display()),
        "from_status": event.from_status,
        "to_status": event.to_status,
        "unit": {"id": event.unit.pk, "name": event.unit.name} if event.unit else None,
        "at": iso(event.at),
    }


def build(delivery_id: str, kind: str, event: CaseEvent, case: Case) -> dict[str, Any]:
    """The body of one delivery. `case` is read after the event's commit: its state then."""
    with translation.override(settings.LANGUAGE_CODE):  # labels in the site's language
        return {
            "id": delivery_id,
            "event": kind,
            "occurred_at": iso(event.at),
            "case": case_body(case),
            "case_event": event_body(event),
        }


def _order(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "severity": order.severity,
        "due_at": iso(order.due_at),
        "is_overdue": order.is_overdue,
        "escalation": order.escalation,
        "closed_at": iso(order.closed_at),
    }


def _rent_entry(entry: RentEntry) -> dict[str, Any]:
    return {
        "number": "",
        "clean_checks": entry.clean_checks,
        "next_check_on": entry.next_check_on.isoformat() if entry.next_check_on else None,
        "closed_at": iso(entry.closed_at),
    }


def _task(task: Task) -> dict[str, Any]:
    return {"number": "", "purpose": task.purpose, "due_on": task.due_on.isoformat()}


# The objects of other apps that have a payload: (app, model name) → model and its own fields.
OBJECTS: dict[tuple[str, str], tuple[Any, Any]] = {
    ("inspections", "order"): (Order, _order),
    ("inspections", "rententry"): (RentEntry, _rent_entry),
    ("inspections", "task"): (Task, _task),
}
OBJECT_RELATED = ("street", "place")


def object_body(obj: Any) -> dict[str, Any]:
    _model, fields = OBJECTS[(obj._meta.app_label, obj._meta.model_name)]
    return {
        "type": obj._meta.model_name,
        "id": obj.pk,
        **fields(obj),
        "status": obj.status,
        "status_label": str(obj.get_status_display()),
        "version": obj.version,
        "place_kind": obj.place.kind,
        "street": _area(obj.street),
    }


def build_object(delivery_id: str, kind: str, event: Event, obj: Any) -> dict[str, Any]:
    """The body of one delivery of another app's object, read after the event's commit."""
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "id": delivery_id,
            "event": kind,
            "occurred_at": iso(event.at),
            "object": object_body(obj),
            "object_event": {"id": event.pk, "action": event.action, "at": iso(event.at)},
        }


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
