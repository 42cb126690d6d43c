"""What the elections API modules share: one look-up of an election (or any of its rows) in
the caller's scope, with the same refusal for a role without the capability, an id out of
range and a row outside the scope."""

from typing import Any

from django.db.models import Model, QuerySet

from civicgrid.core import capabilities
from civicgrid.core.choices import Action
from civicgrid.core.errors import Forbidden, NotFound
from civicgrid.core.inputs import MAX_ID

from ..models import Election

VIEW = "elections.view"


def visible[M: Model](user: Any, model: type[M]) -> QuerySet[M]:
    """The model's rows the caller may read (Forbidden for a role without elections.view)."""
    if not capabilities.may(user, VIEW):
        raise Forbidden("你的角色不能查看换届选举")
    return model.objects.restrict(user, Action.VIEW)  # type: ignore[attr-defined, no-any-return]


def one[M: Model](rows: QuerySet[M], pk: int, missing: str) -> M:
    """The row `pk` among `rows`, else NotFound(missing) — an unknown id and one outside the
    scope look alike."""
    found = rows.filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def election_of(user: Any, election_id: int) -> Election:
    return one(visible(user, Election).select_related("round"), election_id, "选举不存在或不在你的管辖范围内")
