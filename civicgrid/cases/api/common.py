"""What the resource modules share: the case's output shapes, the visible cases and the
look-up by id or number, and the operation ids."""

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from civicgrid.core import privacy
from civicgrid.core.choices import Action
from civicgrid.core.inputs import as_id
from civicgrid.core.redact import redact
from civicgrid.core.rest import make_etag
from civicgrid.geo.models import Area
from civicgrid.orgs.models import Unit

from .. import actions, workflow
from ..actions import actor_label
from ..choices import CaseAction
from ..errors import NotFound
from ..models import (
    Assignment,
    Callback,
    Case,
    CaseEvent,
    ExtensionRequest,
    Photo,
    Supervision,
)
from ..public import PublicCase, PublicStep, reads_public_view

CASE_RELATED = ("category", "street", "residential_area", "grid", "lead_unit", "master")
# Parameters the JSON body of an action cannot carry: files go through POST /cases/{ref}/photos.
UNSUPPORTED_PARAMETERS = frozenset({"photos"})


def op(name: str) -> str:
    """An endpoint's operationId. Generated clients name their methods after it, so it stays
    what it was when every endpoint lived in the one module civicgrid/cases/api.py."""
    return f"civicgrid_cases_api_{name}"


def local_time(value: datetime) -> datetime:
    # A time without an offset is Beijing time: that is what every source in the street means.
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def area_ref(area: Area | None) -> dict[str, str] | None:
    return {"code": area.code, "name": area.name} if area is not None else None


def case_out(case: Case, user: Any) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "version": case.version,
        "request_type": case.request_type,
        "category": {"code": case.category.code, "name": case.category.label},
        "channel": case.channel,
        "urgency": case.urgency,
        # Masked for everyone; the full text only through GET /cases/{ref}?reveal=description.
        "title": redact(case.title),
        "description": redact(case.description),
        "address": case.address,
        "lon": case.lon,
        "lat": case.lat,
        "street": area_ref(case.street),
        "residential_area": area_ref(case.residential_area),
        "grid": area_ref(case.grid),
        "place_status": case.place_status,
        "grid_conflict": case.grid_conflict,
        "lead_unit": {"id": case.lead_unit.pk, "name": case.lead_unit.name} if case.lead_unit else None,
        "master": case.master.number if case.master else None,
        "received_at": case.received_at,
        "response_due_at": case.response_due_at,
        "handling_due_at": case.handling_due_at,
        "responded_at": case.responded_at,
        "handled_at": case.handled_at,
        "closed_at": case.closed_at,
        "is_overdue": case.is_overdue,
        "escalation_level": case.escalation_level,
        "dispute_level": case.dispute_level,
        # Masked for everyone; the full phone only through GET /cases/{ref}?reveal=phone.
        "reporter": privacy.reporter_view(
            case.reporter_name,
            case.reporter_phone,
            case.reporter_anonymous,
            desk=privacy.may_reveal_phone(user),
        ),
        "source": case.source,
        "external_id": case.external_id,
    }


def public_out(view: PublicCase) -> dict[str, Any]:
    """The resident's answer (schemas.PublicCaseOut): the public view of the case, nothing else."""
    return {
        "number": view.number,
        "category": {"code": view.category_code, "name": view.category_name},
        "received_at": view.received_at,
        "status": view.status.value,
        "status_label": view.status_label,
        "result": view.result,
        "steps": [step_out(step) for step in view.steps],
    }


def step_out(step: PublicStep) -> dict[str, Any]:
    return {"at": step.at, "text": step.text}


def annotated(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The case row with the related rows its ETag names. Every write that adds a timeline row
    bumps the version (the system's overdue marks too, through the frame), so the version
    alone stands for the timeline."""
    return qs.select_related(*CASE_RELATED)


def detail_prefetches(user: Any) -> list[Prefetch]:
    return [
        Prefetch(
            "assignments", queryset=Assignment.objects.select_related("unit").order_by("dispatched_at", "id")
        ),
        Prefetch("events", queryset=CaseEvent.objects.select_related("unit").order_by("at", "id")),
        Prefetch(
            "photos", queryset=Photo.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
        ),
        Prefetch("callbacks", queryset=Callback.objects.select_related("by").order_by("at", "id")),
        Prefetch(
            "supervisions", queryset=Supervision.objects.select_related("by", "unit").order_by("-at", "-id")
        ),
        Prefetch(
            "extensions",
            queryset=ExtensionRequest.objects.select_related("unit", "requested_by", "decided_by").order_by(
                "-requested_at", "-id"
            ),
        ),
        # Followers merged into this case, as far as the reader may see them.
        Prefetch(
            "merged_cases",
            queryset=Case.objects.restrict(user, Action.VIEW)
            .only("id", "number", "master_id")
            .order_by("number"),
            to_attr="visible_merged",
        ),
    ]


def with_details(qs: QuerySet[Case], user: Any) -> QuerySet[Case]:
    return annotated(qs).prefetch_related(*detail_prefetches(user))


def case_etag(case: Case, user: Any, *options: Any) -> str:
    """The tag of the detail body of `case` (from annotated()) for this reader: the version,
    the rows it names, and the reader (allowed_actions and masking depend on them)."""
    return make_etag(
        case,
        case.category,
        case.street,
        case.residential_area,
        case.grid,
        case.lead_unit,
        getattr(user, "pk", None),
        *options,
    )


def label(user: Any) -> str | None:
    return actor_label(user) if user is not None else None


def event_out(e: CaseEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "action": e.action,
        "action_label": e.get_action_display(),
        "at": e.at,
        "actor_label": e.actor_label,
        "unit": e.unit.name if e.unit else None,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": e.note_text,
    }


def photo_out(photo: Photo, case: Case, request: Any) -> dict[str, Any]:
    url = request.build_absolute_uri(
        reverse("api:case_photo", kwargs={"ref": case.number, "photo_id": photo.pk})
    )
    return {
        "id": photo.pk,
        "stage": photo.stage,
        "stage_label": photo.get_stage_display(),
        "width": photo.width,
        "height": photo.height,
        "uploaded_at": photo.uploaded_at,
        # A resident reads no staff names (cases.public), not even under a photo.
        "uploaded_by": None if reads_public_view(request.auth) else label(photo.uploaded_by),
        "event": photo.event_id,
        "url": url,
        "thumbnail_url": f"{url}?size=thumb",
    }


def unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    return {"id": unit.pk, "name": unit.name} if unit is not None else None


def detail_out(case: Case, user: Any, request: Any) -> dict[str, Any]:
    """The case with its units' parts, its timeline, photos, callbacks, supervision and
    extension records, and what this user may do next. `case` must come from with_details()
    or have detail_prefetches() applied (the workflow guards reuse the prefetched assignments)."""
    out = case_out(case, user)
    out["assignments"] = [
        {
            "unit": {"id": a.unit.pk, "name": a.unit.name},
            "role": a.role,
            "status": a.status,
            "dispatched_at": a.dispatched_at,
            "signed_at": a.signed_at,
            "handled_at": a.handled_at,
            "returned_at": a.returned_at,
            "handling_due_at": a.handling_due_at,
            "feedback": a.feedback,
            "return_reason": a.return_reason,
        }
        for a in case.assignments.all()
    ]
    out["timeline"] = [event_out(e) for e in case.events.all()]
    out["allowed_actions"] = [
        {
            "action": name,
            "label": str(CaseAction(name).label),
            "parameters": [p for p in actions.action_parameters(name) if p not in UNSUPPORTED_PARAMETERS],
        }
        for name in workflow.allowed_actions(case, user)
    ]
    out["photos"] = [photo_out(p, case, request) for p in case.photos.all()]
    out["callbacks"] = [
        {
            "at": c.at,
            "by": label(c.by),
            "contacted": c.contacted,
            "resolution": c.resolution,
            "resolution_label": c.get_resolution_display(),
            "satisfaction": c.satisfaction,
            "satisfaction_label": c.get_satisfaction_display(),
            "note": c.note,
        }
        for c in case.callbacks.all()
    ]
    out["supervisions"] = [
        {
            "kind": s.kind,
            "kind_label": s.get_kind_display(),
            "at": s.at,
            "by": label(s.by),
            "unit": unit_ref(s.unit),
            "note": s.note,
        }
        for s in case.supervisions.all()
    ]
    out["extensions"] = [
        {
            "unit": unit_ref(x.unit),
            "requested_at": x.requested_at,
            "requested_by": label(x.requested_by),
            "working_days": x.working_days,
            "reason": x.reason,
            "status": x.status,
            "status_label": x.get_status_display(),
            "decided_at": x.decided_at,
            "decided_by": label(x.decided_by),
            "decision_note": x.decision_note,
            "old_due_at": x.old_due_at,
            "new_due_at": x.new_due_at,
        }
        for x in case.extensions.all()
    ]
    out["merged_cases"] = [c.number for c in getattr(case, "visible_merged", [])]
    return out


def visible(user: Any) -> QuerySet[Case]:
    return Case.objects.restrict(user, Action.VIEW)


def lookup(qs: QuerySet[Case], ref: str) -> Case:
    """By id (digits) or by number; NotFound (404) also for cases outside the scope."""
    pk = as_id(ref)
    found = qs.filter(pk=pk).first() if pk is not None else qs.filter(number=ref).first()
    if found is None:
        raise NotFound("工单不存在或不在你的管辖范围内")
    return found


def case_for_records(user: Any, ref: str) -> Case:
    # Just the row: the records below are read through their own restrict().
    return lookup(visible(user).select_related("street"), ref)
