"""The JSON a subscriber receives. No personal data: no reporter, no description, title,
address or coordinates (residents write names and phone numbers into them), no timeline
note and no staff name. Times are ISO 8601 with the +08:00 offset, as in the API.

An inspections event (an order, a group-rent entry, a task) carries its object's type, id,
number, status, the place's kind (never its name, address or responsible person), the
street, the severity and deadline, and the event: no finding, clue or note (free text).

A programmes event (a practical project, a milestone, a welfare project, a claim, a proposal,
an evaluation) carries its object's type, id, status, street and dates, figures and numbers:
no title, need, proposal text, answer or note (free text), no person's name."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from civicgrid.cases.models import Case, CaseEvent
from civicgrid.core.models import Event
from civicgrid.geo.models import Area
from civicgrid.inspections.models import Order, RentEntry, Task
from civicgrid.programmes.models import Claim, Evaluation, Project, ProjectMilestone, Proposal, WelfareProject

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


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _order(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "severity": order.severity,
        "due_at": iso(order.due_at),
        "is_overdue": order.is_overdue,
        "escalation": order.escalation,
        "closed_at": iso(order.closed_at),
        "place_kind": order.place.kind,
    }


def _rent_entry(entry: RentEntry) -> dict[str, Any]:
    return {
        "number": "",
        "clean_checks": entry.clean_checks,
        "next_check_on": _day(entry.next_check_on),
        "closed_at": iso(entry.closed_at),
        "place_kind": entry.place.kind,
    }


def _task(task: Task) -> dict[str, Any]:
    return {
        "number": "",
        "purpose": task.purpose,
        "due_on": task.due_on.isoformat(),
        "place_kind": task.place.kind,
    }


def _project(project: Project) -> dict[str, Any]:
    return {
        "number": "",
        "year": project.year,
        "category": project.category,
        "parent_id": project.parent_id,
        "progress": float(project.progress),
        "starts_on": _day(project.starts_on),
        "ends_on": _day(project.ends_on),
    }


def _milestone(milestone: ProjectMilestone) -> dict[str, Any]:
    return {
        "number": "",
        "project_id": milestone.project_id,
        "due_on": _day(milestone.due_on),
        "done_on": _day(milestone.done_on),
        "supervisions": milestone.supervisions,
    }


def _welfare(project: WelfareProject) -> dict[str, Any]:
    return {"number": "", "year": project.year, "deadline": _day(project.deadline)}


def _claim(claim: Claim) -> dict[str, Any]:
    return {
        "number": claim.number,
        "welfare_project_id": claim.project_id,
        "ask_kind": claim.ask.kind,
        "quantity": float(claim.quantity),
        "unit": claim.ask.unit,
        "delivered_quantity": None if claim.delivered_quantity is None else float(claim.delivered_quantity),
        "member_unit": claim.member.name,
    }


def _proposal(proposal: Proposal) -> dict[str, Any]:
    return {
        "number": str(proposal.number),
        "session_id": proposal.session_id,
        "merged_into_id": proposal.merged_into_id,
        "deadline": _day(proposal.deadline),
        "answered_on": _day(proposal.answered_on),
        "rating": proposal.rating,
    }


def _evaluation(evaluation: Evaluation) -> dict[str, Any]:
    return {"number": "", "session_id": evaluation.session_id, "ballots": evaluation.ballots}


@dataclass(frozen=True)
class Payload:
    """How an object of another app becomes a payload: its model, its own fields and the
    relations those read (one query per type of object)."""

    model: Any
    fields: Callable[[Any], dict[str, Any]]
    related: tuple[str, ...] = ("street",)


# The objects of other apps that have a payload, by (app, model name).
OBJECTS: dict[tuple[str, str], Payload] = {
    ("inspections", "order"): Payload(Order, _order, ("street", "place")),
    ("inspections", "rententry"): Payload(RentEntry, _rent_entry, ("street", "place")),
    ("inspections", "task"): Payload(Task, _task, ("street", "place")),
    ("programmes", "project"): Payload(Project, _project),
    ("programmes", "projectmilestone"): Payload(ProjectMilestone, _milestone),
    ("programmes", "welfareproject"): Payload(WelfareProject, _welfare),
    ("programmes", "claim"): Payload(Claim, _claim, ("street", "ask", "member")),
    ("programmes", "proposal"): Payload(Proposal, _proposal),
    ("programmes", "evaluation"): Payload(Evaluation, _evaluation),
}


def object_body(obj: Any) -> dict[str, Any]:
    payload = OBJECTS[(obj._meta.app_label, obj._meta.model_name)]
    return {
        "type": obj._meta.model_name,
        "id": obj.pk,
        **payload.fields(obj),
        "status": obj.status,
        "status_label": str(obj.get_status_display()),
        "version": obj.version,
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
