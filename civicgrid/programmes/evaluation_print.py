"""The evaluation's printed documents (core.pdf): the result (民主测评结果, once closed) and the
desk's code slips, one per voter with the code derived again (ballot_codes) and the voting
address. No QR code: no QR library is in the lock file, so the slip prints the address."""

from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core import pdf
from civicgrid.core.errors import Conflict

from . import ballot_codes
from .choices import EvaluationStatus
from .models import Evaluation

COUNTED = (EvaluationStatus.CLOSED, EvaluationStatus.PUBLISHED)


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.2f}%"


def result_rows(evaluation: Evaluation) -> list[dict[str, Any]]:
    """The stored tally's subjects, ranked, each with its rate written as a percentage."""
    return [
        {**row, "rank": i, "percent": percent(row["rate"])}
        for i, row in enumerate(evaluation.result.get("subjects", []), start=1)
    ]


def result_pdf(evaluation: Evaluation) -> bytes:
    if evaluation.status not in COUNTED:
        raise Conflict(_("测评结束计票后才能打印结果"))
    result = evaluation.result
    return pdf.render(
        "programmes/print/evaluation_result.html",
        {
            "evaluation": evaluation,
            "session": evaluation.session,
            "street": evaluation.street,
            "result": result,
            "turnout": percent(result.get("turnout")),
            "rows": result_rows(evaluation),
        },
    )


def slips(evaluation: Evaluation, voters: Any) -> list[dict[str, Any]]:
    """Each voter's name, area and code (derived again, never read from storage)."""
    return [
        {
            "name": voter.representative.name,
            "area": voter.representative.area.name if voter.representative.area_id else "",
            "code": ballot_codes.spaced(ballot_codes.derive(evaluation.pk, voter.representative_id)),
            "raw": ballot_codes.derive(evaluation.pk, voter.representative_id),
        }
        for voter in voters
    ]


def slips_pdf(evaluation: Evaluation, voters: Any, vote_url: str) -> bytes:
    """`voters` the evaluation's voters as the caller may see them; `vote_url` the absolute
    address of the public voting page."""
    if evaluation.status not in (EvaluationStatus.DRAFT, EvaluationStatus.OPEN):
        raise Conflict(_("测评已结束，不再打印测评码"))
    rows = slips(evaluation, voters.select_related("representative__area").order_by("representative__name"))
    return pdf.render(
        "programmes/print/evaluation_slips.html",
        {"evaluation": evaluation, "street": evaluation.street, "slips": rows, "vote_url": vote_url},
    )
