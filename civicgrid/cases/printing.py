"""A case's printed forms (纸质单据): the 派遣单 (交办单) a unit signs for, the 督办单 and the
结案单, A4 PDFs drawn from `cases/print/form.html` by `core.pdf`. Personal data is masked as
on the case page: the reporter's phone, and the phones, ID numbers and plates typed into the
description and the notes printed.

Document numbers follow one scheme, read from the timeline, so a reprint keeps its number and
printing writes nothing: `<case number>-<code><round>`, the code PQ (派遣), DB (督办) or JA
(结案), the round how many times that happened to the case so far — dispatches and
redispatches, supervision records, closings. A 改派, a second 督办 or a closing after 重启 is a
new round, so a new form with the next number; the earlier forms are not printed again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.core import clock, pdf, privacy
from civicgrid.core.redact import redact

from . import timeline
from .choices import AssignmentRole, AssignmentStatus, CaseAction
from .models import Case


@dataclass(frozen=True)
class Kind:
    key: str  # in the URL: /cases/<number>/print/<key>.pdf
    title: Promise
    code: str  # in the document number
    signatures: tuple[Promise, ...]  # the labels of the boxes signed by hand


DISPATCH = Kind("dispatch", _("派遣单"), "PQ", (_("经办人"), _("签收单位（盖章）"), _("签收人"), _("日期")))
SUPERVISION = Kind(
    "supervision", _("督办单"), "DB", (_("督办人"), _("被督办单位（盖章）"), _("签收人"), _("日期"))
)
CLOSURE = Kind("closure", _("结案单"), "JA", (_("经办人"), _("审核人"), _("日期")))
KINDS = {k.key: k for k in (DISPATCH, SUPERVISION, CLOSURE)}


class NotPrintable(LookupError):
    """No such form, or not yet for this case (never dispatched, supervised or closed)."""


def rounds(case: Case, events: Sequence[Any], supervisions: Sequence[Any]) -> dict[str, int]:
    """Each kind's current round (0: nothing to print yet). `events` is the case's timeline."""
    return {
        DISPATCH.key: sum(e.action in timeline.DISPATCHES for e in events),
        SUPERVISION.key: len(supervisions),
        # A reopened case is not closed: its last 结案单 no longer holds until it closes again.
        CLOSURE.key: sum(e.action == CaseAction.CLOSE for e in events) if case.closed_at else 0,
    }


def available(case: Case, events: Sequence[Any], supervisions: Sequence[Any]) -> list[dict[str, Any]]:
    """The forms the case has now, for the links on its page."""
    current = rounds(case, events, supervisions)
    return [
        {"title": kind.title, "url": reverse("cases:print", args=[case.number, kind.key])}
        for kind in KINDS.values()
        if current[kind.key]
    ]


@dataclass(frozen=True)
class Document:
    number: str
    pdf: bytes


def _text(value: str) -> str:
    return redact(value or "")


def render(case: Case, key: str, user: Any) -> Document:
    """The form `key` of `case` (found through restrict() by the caller) as `user` may see it;
    NotPrintable for an unknown kind or one the case does not have yet."""
    kind = KINDS.get(key)
    if kind is None:
        raise NotPrintable(gettext("没有这种单据"))
    events = list(case.events.select_related("unit").order_by("at", "id"))
    supervisions = list(case.supervisions.select_related("unit", "by"))  # newest first
    current = rounds(case, events, supervisions)[kind.key]
    if not current:
        raise NotPrintable(gettext("这件工单还没有%(title)s") % {"title": kind.title})
    assignments = sorted(
        (a for a in case.assignments.select_related("unit") if a.status != AssignmentStatus.CANCELLED),
        key=lambda a: (a.role != AssignmentRole.LEAD, a.pk),  # the lead unit first
    )
    dispatches = [e for e in events if e.action in timeline.DISPATCHES]
    number = f"{case.number}-{kind.code}{current:02d}"
    context = {
        "case": case,
        "kind": kind,
        "number": number,
        "printed_at": clock.localtime(),
        "reporter": privacy.reporter_view(
            case.reporter_name,
            case.reporter_phone,
            case.reporter_anonymous,
            desk=privacy.may_reveal_phone(user),
        ),
        "description": _text(case.description),
        "resolution": _text(case.resolution_note),
        "assignments": [{"a": a, "feedback": _text(a.feedback)} for a in assignments],
        "dispatch_note": _text(dispatches[-1].note) if dispatches else "",
        "supervision": supervisions[0] if supervisions else None,
        "supervision_note": _text(supervisions[0].note) if supervisions else "",
        "earlier_supervisions": supervisions[1:],
        "callbacks": list(case.callbacks.order_by("at")),
        "steps": [
            {"at": e.at, "label": e.get_action_display(), "units": timeline.units_named(e)} for e in events
        ],
    }
    return Document(number=number, pdf=pdf.render("cases/print/form.html", context))
