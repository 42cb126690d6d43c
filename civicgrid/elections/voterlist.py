"""The published voter list (选民名单公告) as a printable A4 PDF through core.pdf: per residents'
group, each listed voter's name, sex and age on election day — never an ID number, phone or
birth date —, with the committee, election day, the publication date and the last day for
objections. Printing writes nothing: a reprint is the same document."""

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from django.utils.translation import gettext as _

from civicgrid.core import clock, pdf
from civicgrid.residents.choices import Sex

from . import register
from .choices import Step, VoterStatus

SEX_LABELS = dict(Sex.choices)


def sections(election: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(group label, rows) in group order; voters in no group come last."""
    voters = (
        election.voters.filter(status=VoterStatus.LISTED)
        .select_related("group")
        .order_by("group__number", "id")
    )
    for group, rows in groupby(voters, key=lambda v: v.group):
        label = str(group) if group is not None else _("未划分居民小组")
        yield (
            label,
            [
                {
                    "name": v.name,
                    "sex": SEX_LABELS.get(v.sex, ""),
                    "age": register.age_on(v.birth_date, election.election_day) if v.birth_date else "",
                    "household_rep": v.is_household_rep,
                    "group_rep": v.is_group_rep,
                }
                for v in rows
            ],
        )


def render(election: Any) -> bytes:
    """选民名单 of `election` (found through restrict() by the caller)."""
    rules = election.round.rules()
    milestone = election.milestones.filter(step=Step.LIST_PUBLISHED).first()
    published = (milestone.done_on or milestone.planned_on) if milestone else None
    groups = list(sections(election))
    context = {
        "election": election,
        "street": election.street,
        "area": election.area,
        "published": published,
        "deadline": register.objection_deadline(published, rules) if published else None,
        "decision_days": rules.objection_decision_days,
        "groups": groups,
        "total": sum(len(rows) for _label, rows in groups),
        "printed_at": clock.localtime(),
    }
    return pdf.render("elections/print/voter_list.html", context)
