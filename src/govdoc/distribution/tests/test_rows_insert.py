"""``core.rows`` (COPY and one UPDATE for many rows on PostgreSQL), as the receiving
node keeps a batch's arrivals with it: what is read back is what was given, every byte and
character, and the database's constraints hold as for an INSERT."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction

from govdoc.core.rows import rows_insert, rows_update
from govdoc.distribution.models import Arrival, Node
from govdoc.documents.models import StoredFile

WHEN = dt.datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=dt.UTC)
# what COPY's text form must escape: backslashes, tabs, new lines, a NUL byte, Cyrillic
TRICKY = 'Решење \\N\t"навод"\nкрај \\. \\\\'


def _arrival(node: Node, stored: StoredFile, **changes: object) -> Arrival:
    fields: dict[str, object] = {
        "node": node,
        "consignment_id": uuid.uuid4(),
        "manifest": b"\x00\\\t\n\xff" + TRICKY.encode(),
        "manifest_sha256": "a" * 64,
        "received_at": WHEN,
        "sender_agency_code": "mup",
        "sender_agency_name": TRICKY,
        "sender_registry_number": "MUP-2026-000012",
        "title": TRICKY,
        "kind": "dopis",
        "classification_code": "02-05",
        "disclosure": "public",
        "retention_years": None,
        "main_file": stored,
        "main_file_name": "x.pdf",
        "files": [{"name": TRICKY, "size": 3, "nested": {"null": None, "list": [1, 2.5, True]}}],
        "signature": b"sig",
        "receipt": b"receipt",
        "receipt_signature": b"\\x00",
    }
    fields.update(changes)
    return Arrival(**fields)


@pytest.fixture
def kept(db: None) -> tuple[Node, StoredFile]:
    node = Node.objects.create(
        node_id="rs-a.test",
        name="A",
        endpoint="https://rs-a.test",
        root_certificate="-",
        added_at=WHEN,
        changed_at=WHEN,
    )
    stored = StoredFile.objects.create(sha256="b" * 64, size=3, media_type="application/pdf", created_at=WHEN)
    return node, stored


def test_rows_come_back_as_they_were_given(kept: tuple[Node, StoredFile]) -> None:
    rows = [
        _arrival(*kept),
        _arrival(*kept, legal_ground="čl. 12", retention_years=10, receipt_signature=None),
    ]
    with transaction.atomic():
        saved = rows_insert(Arrival, rows)
    assert all(not row._state.adding for row in saved)
    for given in rows:
        back = Arrival.objects.get(pk=given.pk)
        for field in Arrival._meta.concrete_fields:
            value = getattr(back, field.attname)
            assert (bytes(value) if isinstance(value, memoryview) else value) == getattr(given, field.attname)


def test_a_row_against_a_constraint_is_refused_and_nothing_is_kept(kept: tuple[Node, StoredFile]) -> None:
    first = _arrival(*kept)
    again = _arrival(*kept, consignment_id=first.consignment_id)  # once per (node, consignment)
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_insert(Arrival, [first, again])
    assert not Arrival.objects.exists()
    with pytest.raises(ValueError, match="primary keys"):
        rows_insert(Arrival, [_arrival(*kept, id=None)])


def test_rows_update_sets_each_rows_own_values_where_the_guarded_column_is_still_empty(
    kept: tuple[Node, StoredFile],
) -> None:
    empty, set_before = _arrival(*kept), _arrival(*kept, retention_years=10)
    with transaction.atomic():
        rows_insert(Arrival, [empty, set_before])
        changed = rows_update(
            Arrival,
            ["title", "retention_years"],
            [(empty.pk, TRICKY + "1", 5), (set_before.pk, TRICKY + "2", 7)],
            unless="retention_years",
        )
    assert changed is None or changed == [empty.pk]  # known on PostgreSQL
    back = dict(Arrival.objects.values_list("pk", "retention_years"))
    assert back == {empty.pk: 5, set_before.pk: 10}  # the first writer wins
    assert Arrival.objects.get(pk=empty.pk).title == TRICKY + "1"
    assert Arrival.objects.get(pk=set_before.pk).title == TRICKY
