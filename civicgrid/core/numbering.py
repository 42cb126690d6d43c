"""Gap-free numbers per street and year (工单编号, 整改通知书编号): each app keeps a sequence
table with `street`, `year` and `last`; `take()` hands out the next value inside the caller's
transaction. The UPDATE takes the row lock (held to COMMIT), so numbers stay unique and
gap-free; the first number of a year creates the row."""

from typing import Any

from django.db import models
from django.db.models import F


def take(model: type[models.Model], street_id: int, year: int) -> int:
    rows = model._default_manager.filter(street_id=street_id, year=year)
    if not rows.update(last=F("last") + 1):
        model._default_manager.select_for_update().get_or_create(street_id=street_id, year=year)
        rows.update(last=F("last") + 1)
    last: Any = rows.values_list("last", flat=True).get()
    return int(last)
