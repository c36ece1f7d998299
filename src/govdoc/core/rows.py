"""Inserting and updating many rows at once, for work that writes hundreds in one transaction (a
batch of envelopes from another node, the audit events of a batch, the answers to a batch).

``rows_insert`` is ``bulk_create`` for rows whose primary key is already set (UUIDs made in
Python, a natural key): on PostgreSQL it streams them with ``COPY ... FROM STDIN``, which
spares building (and the server parsing) one INSERT with a placeholder for every value, the
larger part of what a bulk insert of a hundred arrivals costs; elsewhere it is ``bulk_create``.
Every value goes through its field as ``bulk_create`` sends it (``pre_save``,
``get_db_prep_save``), and the database checks every constraint as for an INSERT (a duplicate
raises Django's ``IntegrityError``). No conflict handling: a caller that needs ``ON CONFLICT``
keeps ``bulk_create``.

``rows_update`` sets each row's own values in one statement (``UPDATE ... FROM unnest(...)`` on
PostgreSQL; ``executemany`` elsewhere): the ORM's ``bulk_update`` builds a CASE expression per
field with a branch per row, which costs more than the rows themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models import Field

M = TypeVar("M", bound=models.Model)


def rows_insert(model: type[M], rows: Sequence[M]) -> list[M]:
    """Insert ``rows`` (new instances of ``model`` with their primary keys set) and return
    them, saved (``_state.adding`` False), in the caller's transaction."""
    rows = list(rows)
    if not rows:
        return rows
    if any(row.pk is None for row in rows):
        raise ValueError(f"rows_insert needs the primary keys of {model._meta.label} set")
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model._default_manager.using(alias).bulk_create(rows)
    fields = [f for f in model._meta.concrete_fields if f.column]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    values: list[tuple[Any, ...]] = [
        tuple(f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields) for row in rows
    ]
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for value in values:
            copy.write_row(value)
    for row in rows:
        row._state.adding = False
        row._state.db = alias
    return rows


def rows_update(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]], *, unless: str = ""
) -> list[Any] | None:
    """Set ``fields`` of many rows of ``model`` in the caller's transaction: each row of
    ``rows`` is (primary key, a value for each field), values as the model's fields take them.
    ``unless``: a column that must be NULL for a row to change (the first writer wins). Returns
    the primary keys of the rows changed on PostgreSQL, None elsewhere (not known)."""
    if not rows:
        return []
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    columns: list[Field[Any, Any]] = []
    for name in (meta.pk.name, *fields):
        found = meta.get_field(name)
        assert isinstance(found, Field)
        columns.append(found)
    prepared = [
        tuple(f.get_db_prep_save(value, connection) for f, value in zip(columns, row, strict=True))
        for row in rows
    ]
    quote = connection.ops.quote_name
    table, key = quote(meta.db_table), quote(columns[0].column)
    guard = ""
    if unless:
        guarded = meta.get_field(unless)
        assert isinstance(guarded, Field)
        guard = f" AND {table}.{quote(guarded.column)} IS NULL"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sets = ", ".join(f"{quote(f.column)} = %s" for f in columns[1:])
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {key} = %s{guard}",  # noqa: S608 - names from the model
                [(*row[1:], row[0]) for row in prepared],
            )
            return None
        sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns[1:])
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in columns)
        names = ", ".join(quote(f.column) for f in columns)
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names})"  # noqa: S608 - names from the model
            f" WHERE {table}.{key} = v.{key}{guard} RETURNING {table}.{key}",
            [list(column) for column in zip(*prepared, strict=True)],
        )
        return [found for (found,) in cursor.fetchall()]
