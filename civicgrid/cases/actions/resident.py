"""What a resident does through their tracking link (cases.tracking): rate the result.

The link holder has no account, so no person's capability applies: the view checks the
signed link, then this function takes the system transition 居民评价 on their behalf in the
frame (one transaction, version, timeline row and domain event).
"""

from typing import Any

from ..choices import CaseAction
from ..models import Callback, Case, CaseEvent
from ..workflow import MACHINE
from .frame import FRAME, CaseContext


def rate_case(case: Case, raw: dict[str, Any], *, version: int | None = None) -> CaseEvent:
    """Once per case and only once it is closed (the transition's sources and guard). The
    answer is a callback row marked `by_resident`, which the rates prefer to the desk's
    (docs/metrics.md)."""
    params = MACHINE.clean(CaseAction.RATE, raw, None, case)

    def body(ctx: CaseContext) -> None:
        Callback.objects.create(
            case=ctx.case,
            at=ctx.now,
            contacted=True,
            resolution=params["resolution"],
            satisfaction=params["satisfaction"],
            note=params["comment"],
            by_resident=True,
            street_id=ctx.case.street_id,
        )
        # The comment is the callback's note, shown redacted; never the timeline's.
        ctx.data.update(resolution=params["resolution"], satisfaction=params["satisfaction"])

    return FRAME.act(case.pk, CaseAction.RATE, None, body, version=version, params=params).event
