"""Inserting many new rows at once, for work that writes hundreds in one transaction (a batch of
envelopes from another node, the audit events of a batch).

``rows_insert`` is ``bulk_create`` for rows whose primary key is already set (UUIDs made in
Python, a natural key): on PostgreSQL it streams them with ``COPY ... FROM STDIN``, which
spares building (and the server parsing) one INSERT with a placeholder for every value, the
larger part of what a bulk insert of a hundred arrivals costs; elsewhere it is ``bulk_create``.
Every value goes through its field as ``bulk_create`` sends it (``pre_save``,
``get_db_prep_save``), and the database checks every constraint as for an INSERT (a duplicate
raises Django's ``IntegrityError``). No conflict handling: a caller that needs ``ON CONFLICT``
keeps ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, models, router

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
