"""Events kept in a batch join the chain at its flush: in order, verifiable, with the writes of
the flushing transaction or not at all."""

from __future__ import annotations

import itertools

import pytest
from django.db import transaction

from govdoc.audit import services
from govdoc.audit.errors import NotInTransactionError
from govdoc.audit.models import AuditEvent, AuditHead
from govdoc.audit.verification import verify_database

pytestmark = pytest.mark.django_db(transaction=True)


class Boom(Exception):
    pass


def test_a_flushed_batch_is_a_verifiable_stretch_of_the_chain_in_the_order_recorded() -> None:
    with transaction.atomic():
        services.record("documents.document_registered", actor="clerk", data={"n": 0})
    with services.events_batched() as batch:
        # recorded outside a transaction (as a seal between two transactions is) ...
        kept = [services.record("signatures.pdf_sealed", actor="clerk", data={"n": n}) for n in (1, 2)]
        assert not AuditEvent.objects.filter(event="signatures.pdf_sealed").exists()
        with transaction.atomic():
            kept.append(services.record("issuance.document_issued", actor="clerk", data={"n": 3}))
            assert batch.flush() == 3
    with transaction.atomic():
        services.record("documents.document_registered", actor="clerk", data={"n": 4})

    rows = list(AuditEvent.objects.order_by("seq"))
    assert [(e.seq, e.data["n"]) for e in rows] == [(1, 0), (2, 1), (3, 2), (4, 3), (5, 4)]
    assert [e.seq for e in kept] == [2, 3, 4]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(rows))
    assert AuditHead.objects.get().seq == 5
    report = verify_database(verify_signature=None)
    assert report.ok, report.problems


def test_a_flush_that_rolls_back_leaves_neither_the_events_nor_a_moved_head() -> None:
    with pytest.raises(Boom), services.events_batched() as batch, transaction.atomic():
        services.record("signatures.pdf_sealed", actor="clerk")
        batch.flush()
        raise Boom
    assert not AuditEvent.objects.exists()
    assert not AuditHead.objects.filter(seq__gt=0).exists()
    with transaction.atomic():
        services.record("documents.document_registered", actor="clerk")
    assert verify_database(verify_signature=None).ok


def test_a_flush_outside_a_transaction_is_refused_and_events_never_flushed_are_an_error() -> None:
    with pytest.raises(NotInTransactionError), services.events_batched() as batch:
        services.record("signatures.pdf_sealed", actor="clerk")
        batch.flush()
    with pytest.raises(RuntimeError, match="never flushed"), services.events_batched():
        services.record("signatures.pdf_sealed", actor="clerk")
    assert not AuditEvent.objects.exists()
    # the batch ended either way: a record outside a transaction is refused again
    with pytest.raises(NotInTransactionError):
        services.record("signatures.pdf_sealed", actor="clerk")


def test_batches_do_not_nest() -> None:
    with (
        services.events_batched(),
        pytest.raises(RuntimeError, match="do not nest"),
        services.events_batched(),
    ):
        pass
