"""Recording: inside the writer's transaction or not at all, gap-free under concurrency;
checkpoints; personal-data access."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest
from django.db import connection, connections, transaction

from govdoc.audit import services
from govdoc.audit.chain import GENESIS_HASH
from govdoc.audit.errors import AccessPurposeMissingError, NotInTransactionError
from govdoc.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from govdoc.audit.tests.cms import make_signer, verifier_trusting
from govdoc.audit.verification import verify_database
from govdoc.core import clock


@dataclasses.dataclass
class Citizen:
    """A stand-in target: audit stores only a type label and a primary key."""

    pk: int


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused_and_writes_nothing() -> None:
    with pytest.raises(NotInTransactionError):
        services.record("documents.document_registered", actor="clerk")
    assert not AuditEvent.objects.exists()
    assert not AuditHead.objects.exists()


@pytest.mark.django_db
def test_an_event_rolled_back_with_its_transaction_leaves_no_trace() -> None:
    kept = services.record("documents.document_registered", actor="clerk", data={"n": 1})
    with pytest.raises(Boom), transaction.atomic():
        services.record("documents.document_registered", actor="clerk", data={"n": 2})
        raise Boom
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1]
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (1, kept.hash)
    again = services.record("documents.document_registered", actor="clerk", data={"n": 3})
    assert (again.seq, again.prev_hash) == (2, kept.hash)
    assert verify_database(verify_signature=None).ok


@pytest.mark.django_db
def test_record_keeps_actor_target_and_json_safe_data() -> None:
    when = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    with clock.frozen(when):
        event = services.record(
            "applications.application_submitted",
            actor="portal",
            target=Citizen(pk=42),
            data={"submitted_on": dt.date(2026, 3, 2)},  # type: ignore[dict-item]
        )
    event.refresh_from_db()
    assert (event.seq, event.prev_hash, event.occurred_at) == (1, GENESIS_HASH, when)
    assert (event.actor_label, event.target_type, event.target_id) == ("portal", "citizen", "42")
    assert event.data == {"submitted_on": "2026-03-02"}


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_writers_at_once_get_numbers_1_to_20_and_an_intact_chain() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time; concurrent appends under row locks need PostgreSQL")
    start = threading.Barrier(20)
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                services.record("documents.document_registered", actor=f"writer {n}", data={"n": n})
        except BaseException as exc:
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 21))
    assert sorted(AuditEvent.objects.values_list("data__n", flat=True)) == list(range(20))
    report = verify_database(verify_signature=None)
    assert report.ok, report.problems
    assert (report.last_seq, AuditHead.objects.get().seq) == (20, 20)


# -- checkpoints ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_checkpoint_signs_the_current_head_and_is_recorded_after_it() -> None:
    seal = make_signer("MUP e-seal")
    for n in range(3):
        services.record("documents.document_registered", actor="clerk", data={"n": n})
    head = AuditHead.objects.get()
    when = dt.datetime(2026, 3, 2, 23, 0, tzinfo=dt.UTC)
    with clock.frozen(when):
        checkpoint = services.checkpoint_create(sign=seal.sign, signer_label="MUP e-seal")

    checkpoint = AuditCheckpoint.objects.get(pk=checkpoint.pk)
    assert json.loads(bytes(checkpoint.statement)) == {
        "seq": 3,
        "head_hash": head.hash,
        "created_at": "2026-03-02T23:00:00.000000+00:00",
    }
    assert (checkpoint.seq, checkpoint.head_hash, checkpoint.created_at) == (3, head.hash, when)
    check = verifier_trusting(seal.cert)(bytes(checkpoint.statement), bytes(checkpoint.signature))
    assert check.ok, check.reason
    event = AuditEvent.objects.get(seq=4)
    assert event.event == "audit.checkpoint_created"
    assert (event.target_type, event.target_id) == ("audit.auditcheckpoint", str(checkpoint.pk))
    assert event.data == {"seq": 3, "head_hash": head.hash, "signer": "MUP e-seal"}


@pytest.mark.django_db
def test_a_failing_signer_leaves_no_checkpoint_and_no_event() -> None:
    services.record("documents.document_registered", actor="clerk")

    def unavailable(statement: bytes) -> bytes:
        raise Boom("the HSM is not reachable")

    with pytest.raises(Boom):
        services.checkpoint_create(sign=unavailable, signer_label="MUP e-seal")
    assert not AuditCheckpoint.objects.exists()
    assert AuditEvent.objects.count() == 1


# -- personal data -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_viewing_personal_data_is_recorded_with_purpose_and_fields() -> None:
    event = services.record_access(
        actor="handler",
        target=Citizen(pk=7),
        purpose=" case 03-12/2026 ",
        fields=["national_id", "address", "address"],
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.event == "audit.personal_data_viewed"
    assert (stored.actor_label, stored.target_type, stored.target_id) == ("handler", "citizen", "7")
    assert stored.data == {"purpose": "case 03-12/2026", "fields": ["address", "national_id"]}
    assert verify_database(verify_signature=None).ok


@pytest.mark.django_db
@pytest.mark.parametrize(("purpose", "fields"), [("   ", ["national_id"]), ("case 1", [])])
def test_viewing_personal_data_needs_a_purpose_and_fields(purpose: str, fields: list[str]) -> None:
    with pytest.raises(AccessPurposeMissingError):
        services.record_access(actor="handler", target=Citizen(pk=7), purpose=purpose, fields=fields)
    assert not AuditEvent.objects.exists()
