"""`field__any=[…]`: the `__in` lookup with the list as one parameter on PostgreSQL.

`device_id__in=ids` writes `IN (%s, %s, …)`, one parameter per value, and Django's cursor merges
every parameter into the SQL text in Python: for the few hundred devices of a sensor batch that
took longer than the query. `__any` writes `= ANY(%s)` with the list as one array (the same
plan: PostgreSQL reads `= ANY(array)` as it reads `IN`). Elsewhere it is `__in`."""

from typing import Any

from django.db.models import Field, ForeignObject
from django.db.models.lookups import In


class AnyOf(In):
    lookup_name = "any"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        wanted = [value for value in self.rhs if value is not None]  # NULL equals nothing
        if not wanted:
            return self.as_sql(compiler, connection)  # In's own answer: nothing matches
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if all(type(value) is int for value in wanted):  # keys: nothing to prepare, value by value
            return f"{lhs} = ANY(%s)", (*lhs_params, wanted)
        _sql, values = self.batch_process_rhs(compiler, connection, wanted)  # type: ignore[arg-type]
        return f"{lhs} = ANY(%s)", (*lhs_params, list(values))


# Foreign keys keep lookups of their own (values are the target's keys, as for `__in`).
Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)
