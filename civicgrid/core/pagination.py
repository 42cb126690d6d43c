"""One pagination convention for every list of the REST API (/api/v1/).

In: `?page=` (from 1) and `?page_size=` (1–MAX_PAGE_SIZE). Out:
`{"count": total, "page": page, "page_size": page_size, "results": [...]}`.

A page past the end is an empty `results` (the client learns from `count` where the end is);
a page number beyond MAX_PAGE is refused (400) before any query, so a huge number can neither
overflow the database's integer nor make it skip millions of rows. Clients that need to go
that deep narrow the list with its filters instead.

Every app's router imports this module (core comes first in docs/architecture.md).
"""

from collections.abc import Callable
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Query, Schema
from pydantic import Field

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_PAGE = 10_000

PageNumber = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE, description=f"页码，从 1 开始（最大 {MAX_PAGE}）；超出末页时 results 为空"),
]
PageSize = Annotated[
    int,
    Query(ge=1, le=MAX_PAGE_SIZE, description=f"每页条数，1–{MAX_PAGE_SIZE}，默认 {DEFAULT_PAGE_SIZE}"),
]


class PageOut(Schema):
    """The envelope of every list; each list's schema adds `results`."""

    count: int = Field(description="符合筛选条件的总条数")
    page: int = Field(description="本页页码")
    page_size: int = Field(description="每页条数")


def paginate(
    qs: QuerySet[Any],
    page: int,
    page_size: int,
    serialize: Callable[[Any], Any] = lambda row: row,
) -> dict[str, Any]:
    """The page of an ordered queryset in the envelope above: two queries (count and slice),
    one when the page lies past the end. `serialize` turns each row into its output."""
    count = qs.count()
    offset = (page - 1) * page_size
    rows = list(qs[offset : offset + page_size]) if offset < count else []
    return {"count": count, "page": page, "page_size": page_size, "results": [serialize(r) for r in rows]}
