"""Many rows written at once, each with its own values, in one statement.

Django's `bulk_update` writes `SET f = CASE WHEN id = 1 THEN … WHEN id = 2 THEN … END` per field
and resolves one expression per row and field in Python: a few hundred rows cost tens of
milliseconds before the database sees them (the sensors' ingest spent two thirds of its time
there). `update_values` sends `UPDATE t SET f = v.column2 … FROM <the rows> AS v WHERE
t.id = v.column1` instead (PostgreSQL, and SQLite 3.33 or newer), with the values prepared by
the fields themselves, and may add a value to the stored one, keep the later of the two (a
counter, a last-seen time) or take a value with a later time, rather than replace it. Like
`bulk_update` it sends no signals and calls no `save()`: for bookkeeping columns.

`insert_new` inserts rows that a unique constraint may already hold (a message delivered twice)
and says which were new, in one statement (`INSERT … ON CONFLICT DO NOTHING RETURNING`, both
databases) where `bulk_create(ignore_conflicts=True)` says nothing and a SELECT first costs
a second round trip.

On PostgreSQL the statements bind their parameters on the server, the arrays in binary: Django's
cursor merges parameters into the SQL text in Python (client-side binding), which for a batch's
arrays costs more than the database's work; binary arrays halve a 500-row statement's time."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

BATCH = 500


def _source(
    fields: Sequence[Field], rows: Sequence[Sequence[Any]], connection: BaseDatabaseWrapper
) -> tuple[str, list[Any]]:
    """The rows as a relation whose columns are column1, column2 …, and its parameters.

    PostgreSQL: one array per column through `unnest` (as Django's own bulk insert does), so the
    statement keeps a handful of parameters however many rows — psycopg merges a query's
    parameters in Python, and thousands of them cost more than the database's work. SQLite: a
    VALUES list (its driver binds parameters in C)."""
    if connection.vendor == "postgresql":
        # Without the length (varchar rather than varchar(64)): nothing is cut short. %b: binary.
        arrays = ", ".join(f"%b::{str(field.cast_db_type(connection)).split('(')[0]}[]" for field in fields)
        names = ", ".join(f"column{i}" for i in range(1, len(fields) + 1))
        columns = zip(*rows, strict=True) if rows else [()] * len(fields)
        return f"unnest({arrays}) AS v({names})", [
            _column(field, list(values), connection) for field, values in zip(fields, columns, strict=True)
        ]
    prepared = [
        [field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True)]
        for row in rows
    ]
    row = f"({', '.join(['%s'] * len(fields))})"
    return f"(VALUES {', '.join([row] * len(rows))}) AS v", [value for values in prepared for value in values]


# Python types PostgreSQL takes as they are for a field's internal type (the array's cast does
# the rest): a column of only these and None skips the per-value preparation, which was a third
# of a sensor batch's statements.
AS_THEY_ARE: dict[str, type] = {
    "AutoField": int,
    "BigAutoField": int,
    "IntegerField": int,
    "BigIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveSmallIntegerField": int,
    "SmallIntegerField": int,
    "FloatField": float,
    "CharField": str,
    "TextField": str,
    "SlugField": str,
}


def _column(field: Field, values: list[Any], connection: BaseDatabaseWrapper) -> list[Any]:
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    kind = target.get_internal_type()
    if kind == "DateTimeField":  # aware ones only: a naive time is made aware by the field
        if all(value is None or (type(value) is datetime and value.tzinfo is not None) for value in values):
            return values
    elif (plain := AS_THEY_ARE.get(kind)) is not None and all(
        value is None or type(value) is plain for value in values
    ):
        return values
    return [field.get_db_prep_save(value, connection) for value in values]


def _quoted(field: Field, connection: BaseDatabaseWrapper) -> str:
    if not field.column:
        raise ValueError(f"{field} has no column")
    return connection.ops.quote_name(field.column)


def _connection(model: type[Model]) -> BaseDatabaseWrapper:
    return connections[router.db_for_write(model)]


def cursor(connection: BaseDatabaseWrapper) -> Any:
    """A cursor of `connection` that binds parameters on the server (PostgreSQL: `%b` sends one
    in binary), wrapped like Django's own (errors translated, queries logged and counted)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    return connection._prepare_cursor(ServerBindingCursor(connection.connection))  # type: ignore[attr-defined,call-arg]


# How a value meets the one stored: replaces it (the default), is added to it, or the later wins.
COMBINE: dict[str, str | dict[str, str]] = {
    "add": "{stored} + {new}",
    "latest": {"postgresql": "GREATEST({stored}, {new})", "sqlite": "MAX({stored}, {new})"},
}
# ("follows", "f"): the new value (NULL: the stored one stays) when the row's new `f` is not
# earlier than the stored `f` — a last value that goes with a last-seen time.
FOLLOWS = (
    "CASE WHEN {stored_key} IS NULL OR {new_key} >= {stored_key} "
    "THEN COALESCE({new}, {stored}) ELSE {stored} END"
)


def update_values(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    combine: Mapping[str, str | tuple[str, str]] | None = None,
    batch_size: int = BATCH,
) -> int:
    """Write each row (its primary key, then the values of `fields`) to the model's table;
    `combine` names the fields whose value is added to the stored one ("add"), kept when later
    ("latest", NULL never winning) or taken with another field's later value (("follows", f)) —
    what several writers move, without a lost update. The stored values the SQL reads are the
    row's before the statement."""
    if not rows:
        return 0
    meta = model._meta
    columns: list[Field] = [meta.pk, *(meta.get_field(name) for name in fields)]  # type: ignore[list-item]
    connection = _connection(model)
    table = connection.ops.quote_name(meta.db_table)

    position = {field.name: i for i, field in enumerate(columns[1:], 2)}

    def assignment(field: Field, i: int) -> str:
        column, new = _quoted(field, connection), f"v.column{i}"
        mode = (combine or {}).get(field.name)
        if isinstance(mode, tuple):
            key = meta.get_field(mode[1])
            template = FOLLOWS.replace("{stored_key}", f"{table}.{_quoted(key, connection)}").replace(  # type: ignore[arg-type]
                "{new_key}", f"v.column{position[mode[1]]}"
            )
        else:
            how = COMBINE[mode] if mode else "{new}"
            template = how if isinstance(how, str) else how[connection.vendor]
        if mode == "latest":
            template = f"COALESCE({template}, {{stored}}, {{new}})"
        return f"{column} = " + template.format(stored=f"{table}.{column}", new=new)

    assignments = ", ".join(assignment(field, i) for i, field in enumerate(columns[1:], 2))
    matched = 0
    with cursor(connection) as statement:
        for start in range(0, len(rows), batch_size):
            source, params = _source(columns, rows[start : start + batch_size], connection)
            statement.execute(
                f"UPDATE {table} SET {assignments} FROM {source} "
                f"WHERE {table}.{_quoted(columns[0], connection)} = v.column1",
                params,
            )
            matched += statement.rowcount
    return matched


def insert_new(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: Sequence[str],
    batch_size: int = BATCH,
) -> set[tuple[Any, ...]]:
    """Insert `rows` (values in the order of `fields`) but those a row with the same `unique`
    columns (a unique constraint's) already holds; returns the `unique` values of the new ones."""
    meta = model._meta
    columns: list[Field] = [meta.get_field(name) for name in fields]  # type: ignore[misc]
    keys: list[Field] = [meta.get_field(name) for name in unique]  # type: ignore[misc]
    connection = _connection(model)
    quote = connection.ops.quote_name
    names = ", ".join(_quoted(field, connection) for field in columns)
    conflict = ", ".join(_quoted(field, connection) for field in keys)
    new: set[tuple[Any, ...]] = set()
    with cursor(connection) as statement:
        for start in range(0, len(rows), batch_size):
            source, params = _source(columns, rows[start : start + batch_size], connection)
            # WHERE true: SQLite would read ON CONFLICT as a join's ON after a bare SELECT … FROM.
            statement.execute(
                f"INSERT INTO {quote(meta.db_table)} ({names}) SELECT * FROM {source} WHERE true "
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {conflict}",
                params,
            )
            new.update(tuple(found) for found in statement.fetchall())
    return new
