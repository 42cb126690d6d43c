"""The figures of representatives' proposals (one query per group), read by the session
page, the dashboard panel and the year's report (年度代表提案工作报告), and the proposal's
printed answer sheet (代表提案答复单).

A proposal counts as answered when it has an answer now (a reassigned one does not until it
is answered again); on time when it was answered by its deadline; overdue when it is assigned,
unanswered and past its deadline. Satisfaction is (满意 + 基本满意) / rated. Merged proposals
are answered by their target and are counted once, as the target."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _

from .choices import ProjectCategory, ProposalStatus, Rating


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def handling(proposals: QuerySet[Any], today: date) -> dict[str, Any]:
    """Assigned, answered on time / late, overdue and pending, and the ratings: one query."""
    assigned = Q(assigned_on__isnull=False)
    answered = Q(answered_on__isnull=False)
    row = proposals.aggregate(
        total=Count("pk"),
        assigned=Count("pk", filter=assigned),
        answered=Count("pk", filter=answered),
        on_time=Count("pk", filter=answered & Q(answered_on__lte=F("deadline"))),
        late=Count("pk", filter=answered & Q(answered_on__gt=F("deadline"))),
        overdue=Count("pk", filter=Q(status=ProposalStatus.ASSIGNED, deadline__lt=today)),
        pending=Count("pk", filter=Q(status=ProposalStatus.ASSIGNED, deadline__gte=today)),
        rated=Count("pk", filter=~Q(rating="")),
        satisfied=Count("pk", filter=Q(rating=Rating.SATISFIED)),
        basic=Count("pk", filter=Q(rating=Rating.BASIC)),
        unsatisfied=Count("pk", filter=Q(rating=Rating.UNSATISFIED)),
    )
    row["on_time_rate"] = percent(row["on_time"], row["answered"])
    row["satisfaction_rate"] = percent(row["satisfied"] + row["basic"], row["rated"])
    return row


def by_status(proposals: QuerySet[Any]) -> list[dict[str, Any]]:
    """[{status, label, count}] in the machine's order, zeros included: one query."""
    counts = dict(proposals.order_by().values_list("status").annotate(n=Count("pk")))
    return [
        {"status": s.value, "label": str(s.label), "count": counts.get(s.value, 0)} for s in ProposalStatus
    ]


def by_category(proposals: QuerySet[Any]) -> list[dict[str, Any]]:
    """[{category, label, total, accepted, declined, merged}] for the categories with proposals:
    one query. `accepted` counts those that went on (assigned, answered, rated or accepted)."""
    went_on = [
        ProposalStatus.ACCEPTED,
        ProposalStatus.ASSIGNED,
        ProposalStatus.ANSWERED,
        ProposalStatus.RATED,
    ]
    rows = (
        proposals.order_by()
        .values("category")
        .annotate(
            total=Count("pk"),
            accepted=Count("pk", filter=Q(status__in=went_on)),
            merged=Count("pk", filter=Q(status=ProposalStatus.MERGED)),
            declined=Count("pk", filter=Q(status=ProposalStatus.DECLINED)),
        )
    )
    labels = dict(ProjectCategory.choices)
    return sorted(
        ({**row, "label": str(labels.get(row["category"], row["category"]))} for row in rows),
        key=lambda r: (-r["total"], r["category"]),
    )


@dataclass
class EvaluationResult:
    title: str
    session: str
    ballots: int
    subjects: list[dict[str, Any]] = field(default_factory=list)


def _count(value: Any) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def evaluation_result(title: str, session: str, result: Any) -> EvaluationResult:
    """A published evaluation's stored tally (`Evaluation.result`, written by the evaluations
    part: {"ballots": n, "subjects": [{"name", "good", "fair", "poor", "unknown", "rate"}]}),
    read defensively: missing or malformed parts are left out or zero."""
    data = result if isinstance(result, dict) else {}
    subjects = data.get("subjects")
    rows = []
    for subject in subjects if isinstance(subjects, list) else []:
        if not isinstance(subject, dict) or not str(subject.get("name") or "").strip():
            continue
        rate = subject.get("rate")
        rows.append(
            {
                "name": str(subject["name"])[:100],
                **{mark: _count(subject.get(mark)) for mark in ("good", "fair", "poor", "unknown")},
                "rate": round(float(rate), 1) if isinstance(rate, int | float) else None,
            }
        )
    return EvaluationResult(title=title, session=session, ballots=_count(data.get("ballots")), subjects=rows)


def year_title(street_name: str, year: int) -> str:
    return _("%(street)s %(year)d 年度代表提案工作报告") % {"street": street_name, "year": year}


def year_report(user: Any, street: Any, year: int, today: date) -> dict[str, Any]:
    """The year's report context for a street the caller may see: its sessions held in `year`,
    their proposals' figures by status, category and handling, the list with assignees and
    ratings, and the published evaluations' results of those sessions."""
    from .choices import EvaluationStatus
    from .models import Evaluation, Proposal, Session

    sessions = list(
        Session.objects.restrict(user, "view")
        .filter(street=street, held_on__year=year)
        .order_by("held_on", "pk")
    )
    proposals = Proposal.objects.restrict(user, "view").filter(session__in=sessions)
    listed = list(
        proposals.select_related("session", "proposer", "assigned_unit", "merged_into").order_by(
            "session__held_on", "session_id", "number"
        )
    )
    evaluations = (
        Evaluation.objects.restrict(user, "view")
        .filter(session__in=sessions, status=EvaluationStatus.PUBLISHED)
        .select_related("session")
        .order_by("session__held_on", "pk")
    )
    return {
        "title": year_title(street.name, year),
        "street": street,
        "year": year,
        "today": today,
        "sessions": sessions,
        "handling": handling(proposals, today),
        "statuses": by_status(proposals),
        "categories": by_category(proposals),
        "proposals": listed,
        "evaluations": [evaluation_result(e.title, e.session.title, e.result) for e in evaluations],
    }


def merged(user: Any, proposal: Any) -> QuerySet[Any]:
    """The proposals merged into `proposal` that `user` may see (answered by its answer)."""
    from .models import Proposal

    return (
        Proposal.objects.restrict(user, "view")
        .filter(merged_into=proposal)
        .select_related("proposer")
        .order_by("number")
    )


def answer_sheet(user: Any, proposal: Any) -> bytes:
    """代表提案答复单 of a proposal the caller found in their scope (the page and the API),
    with the proposals merged into it."""
    from civicgrid.core.pdf import render

    context = {
        "proposal": proposal,
        "cosigners": proposal.cosigners.order_by("name", "pk"),
        "merged": merged(user, proposal),
        "ratings": Rating.choices,
    }
    return render("programmes/print/answer_sheet.html", context)
