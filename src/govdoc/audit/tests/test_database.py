"""The verifier over real rows: events written by ``record``, tampered with the way someone with
database access would (queryset updates, deletes, renumbering), and signed checkpoints."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from govdoc.audit import services
from govdoc.audit.chain import checkpoint_statement, event_hash
from govdoc.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from govdoc.audit.tests.cms import Signer, make_signer, verifier_trusting
from govdoc.audit.verification import ChainReport, ProblemKind, verify_database
from govdoc.core import clock

pytestmark = pytest.mark.django_db

N = 30


@pytest.fixture(scope="module")
def seal() -> Signer:
    return make_signer("MUP e-seal (audit checkpoints)")


@pytest.fixture
def events() -> list[AuditEvent]:
    """30 events with varied payloads (Cyrillic, numbers, floats, nesting, null)."""
    rows = []
    with clock.frozen(dt.datetime(2026, 3, 2, 8, 0, 0, 123456, tzinfo=dt.UTC)):
        for n in range(1, N + 1):
            rows.append(
                services.record(
                    "documents.document_registered",
                    actor=f"službenik {n % 3}",
                    data={
                        "number": f"03-{n}/2026",
                        "naslov": "Решење о упису у регистар",
                        "fee": 1500.5,
                        "pages": n,
                        "flags": {"urgent": n % 2 == 0, "note": None},
                        "tags": ["građanin", "e-uprava"],
                    },
                )
            )
    return rows


def first_found(report: ChainReport) -> tuple[ProblemKind, int, str | None] | None:
    first = report.first
    return (first.kind, first.seq, first.event_id) if first is not None else None


def swap_numbers(a: int, b: int) -> None:
    AuditEvent.objects.filter(seq=a).update(seq=10**9)
    AuditEvent.objects.filter(seq=b).update(seq=a)
    AuditEvent.objects.filter(seq=10**9).update(seq=b)


def rewrite_hashes_from(seq: int) -> None:
    """What a careful forger does after editing event ``seq``: recompute every later hash and
    link, and move the head, so that nothing inside the chain is broken."""
    prev = AuditEvent.objects.get(seq=seq - 1).hash if seq > 1 else "0" * 64
    last = seq - 1
    for row in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        row.prev_hash = prev
        row.hash = event_hash(
            seq=row.seq,
            event_id=str(row.id),
            occurred_at=row.occurred_at,
            event=row.event,
            actor_id=row.actor_id,
            actor_label=row.actor_label,
            target_type=row.target_type,
            target_id=row.target_id,
            data=row.data,
            prev_hash=prev,
        )
        row.save(update_fields=["prev_hash", "hash"])
        prev, last = row.hash, row.seq
    AuditHead.objects.filter(pk=1).update(seq=last, hash=prev)


def test_recorded_events_verify_intact(events: list[AuditEvent]) -> None:
    report = verify_database(verify_signature=None)
    assert report.ok, report.problems
    assert (report.events_checked, report.last_seq, report.last_hash) == (N, N, events[-1].hash)
    assert report.head_checked


def test_changed_data_is_reported_with_the_event(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(seq=12).update(data={"number": "03-12/2026", "fee": 0})
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.CHANGED, 12, str(events[11].id))
    assert len(report.problems) == 1
    assert report.summary() == (
        "The audit chain has been tampered with: event #12 was changed after it was written: "
        "its content no longer matches its hash."
    )


def test_a_renumbered_row_is_reported_as_changed_not_missing(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(seq=12).update(seq=1000)  # read in seq order, it now comes last
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.CHANGED, 12, str(events[11].id))
    assert len(report.problems) == 1
    assert (
        report.problems[0].message
        == "event #12 was changed after it was written: its number was changed to #1000"
    )


def test_deleted_row_is_reported_missing(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(seq=12).delete()
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.DELETED, 12, None)
    assert report.problems[0].message == "event #12 is missing (deleted)"


def test_events_beyond_the_head_are_reported_as_inserted(events: list[AuditEvent]) -> None:
    AuditHead.objects.filter(pk=1).update(seq=N - 2, hash=events[N - 3].hash)
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.INSERTED, N - 1, str(events[N - 2].id))
    assert report.problems[0].message == (
        f"events were inserted after the chain head: the head records #{N - 2}, but the chain goes on to #{N}"
    )


def test_deleted_last_row_is_revealed_by_the_head(events: list[AuditEvent]) -> None:
    AuditEvent.objects.filter(seq=N).delete()
    assert first_found(verify_database(verify_signature=None)) == (ProblemKind.DELETED, N, None)


def test_exchanged_numbers_are_reported_as_reordered(events: list[AuditEvent]) -> None:
    swap_numbers(12, 13)
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.REORDERED, 12, str(events[11].id))
    assert report.problems[0].other_seq == 13
    assert len(report.problems) == 1


def test_a_forged_row_with_later_rows_renumbered_is_reported_as_inserted(events: list[AuditEvent]) -> None:
    for seq in range(N, 12, -1):
        AuditEvent.objects.filter(seq=seq).update(seq=seq + 1)
    predecessor = events[11]
    forged_at = predecessor.occurred_at + dt.timedelta(seconds=1)
    forged = AuditEvent.objects.create(
        seq=13,
        occurred_at=forged_at,
        event="approvals.step_approved",
        actor_label="head of unit",
        data={"comment": "approved"},
        prev_hash=predecessor.hash,
        hash="",
    )
    forged.hash = event_hash(
        seq=13,
        event_id=str(forged.id),
        occurred_at=forged_at,
        event=forged.event,
        actor_id="",
        actor_label="head of unit",
        target_type="",
        target_id="",
        data={"comment": "approved"},
        prev_hash=predecessor.hash,
    )
    forged.save(update_fields=["hash"])
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.INSERTED, 13, str(forged.id))
    assert len(report.problems) == 1


# -- checkpoints ---------------------------------------------------------------------------


def test_a_signed_checkpoint_verifies_and_names_its_signing_time(
    events: list[AuditEvent], seal: Signer
) -> None:
    checkpoint = services.checkpoint_create(sign=seal.sign, signer_label=seal.label)
    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert report.ok, report.problems
    (result,) = report.checkpoints
    assert (result.checkpoint_id, result.seq, result.chain_matches) == (str(checkpoint.pk), N, True)
    assert result.signature is not None
    assert result.signature.ok
    assert result.signature.signed_at is not None
    assert report.signatures_checked


def test_the_report_reads_as_json_for_machines(events: list[AuditEvent], seal: Signer) -> None:
    services.checkpoint_create(sign=seal.sign, signer_label=seal.label)
    AuditEvent.objects.filter(seq=3).delete()
    data = json.loads(json.dumps(verify_database(verify_signature=verifier_trusting(seal.cert)).to_json()))
    assert data["ok"] is False
    assert data["summary"] == "The audit chain has been tampered with: event #3 is missing (deleted)."
    assert data["problems"] == [
        {
            "kind": "deleted",
            "seq": 3,
            "seq_to": 3,
            "other_seq": None,
            "event_id": None,
            "message": "event #3 is missing (deleted)",
        }
    ]
    (checkpoint,) = data["checkpoints"]
    assert (checkpoint["seq"], checkpoint["chain_matches"], checkpoint["signature"]["ok"]) == (N, True, True)


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(events: list[AuditEvent], seal: Signer) -> None:
    services.checkpoint_create(sign=seal.sign, signer_label=seal.label)  # names #30; its event is #31
    for n in range(5):
        services.record("documents.document_registered", actor="later", data={"n": n})
    AuditEvent.objects.filter(seq=10).update(data={"number": "03-10/2026", "fee": 0})
    rewrite_hashes_from(10)

    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert not verify_database(verify_signature=None).checkpoints[0].chain_matches
    assert first_found(report) == (ProblemKind.REWRITTEN, N, str(events[N - 1].id))
    assert report.problems[0].message.startswith(
        f"checkpoint #{N} names head hash {events[N - 1].hash[:12]}… but event #{N} has hash "
    )
    assert report.checkpoints[0].chain_matches is False


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_signed_checkpoint(
    events: list[AuditEvent], seal: Signer
) -> None:
    services.checkpoint_create(sign=seal.sign, signer_label=seal.label)
    AuditEvent.objects.filter(seq__gte=25).delete()
    AuditHead.objects.filter(pk=1).update(seq=24, hash=events[23].hash)
    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert first_found(report) == (ProblemKind.TRUNCATED, 25, None)
    assert report.problems[0].message.startswith(f"the chain does not reach checkpoint #{N}: it ends at #24")


def test_a_checkpoint_with_a_broken_signature_is_reported_and_not_trusted(
    events: list[AuditEvent], seal: Signer
) -> None:
    checkpoint = services.checkpoint_create(sign=seal.sign, signer_label=seal.label)
    signature = bytearray(checkpoint.signature)
    signature[-1] ^= 0x01
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(signature=bytes(signature))
    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.BAD_CHECKPOINT, N)]
    assert report.problems[0].message == (
        f"the signature of checkpoint #{N} is not valid: the signature value does not verify"
    )
    assert report.checkpoints[0].chain_matches is None


def test_a_checkpoint_moved_to_another_hash_is_reported(events: list[AuditEvent], seal: Signer) -> None:
    checkpoint = services.checkpoint_create(sign=seal.sign, signer_label=seal.label)
    AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(head_hash=events[4].hash, seq=5)
    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.BAD_CHECKPOINT, 5)]
    assert report.problems[0].message.startswith(
        "checkpoint #5 was altered: its signed statement does not name"
    )


def test_a_checkpoint_forged_with_another_key_is_reported_and_cannot_condemn_the_chain(
    events: list[AuditEvent], seal: Signer
) -> None:
    intruder = make_signer("MUP e-seal (audit checkpoints)")  # same name, different key
    services.checkpoint_create(sign=intruder.sign, signer_label=intruder.label)
    AuditCheckpoint.objects.update(head_hash="b" * 64)  # and it names a hash the chain never had
    checkpoint = AuditCheckpoint.objects.get()
    statement = checkpoint_statement(seq=checkpoint.seq, head_hash="b" * 64, created_at=checkpoint.created_at)
    AuditCheckpoint.objects.update(statement=statement, signature=intruder.sign(statement))
    report = verify_database(verify_signature=verifier_trusting(seal.cert))
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.BAD_CHECKPOINT, N)]
    assert "not trusted" in report.problems[0].message


def test_the_origin_of_an_event_is_part_of_its_hash() -> None:
    """Where an act came from (client address, user agent) is recorded with it and cannot be
    changed afterwards without the verifier noticing; events without an origin still verify."""
    from django.db import transaction

    from govdoc.audit.context import origin

    with transaction.atomic():
        services.record("documents.document_registered", actor="clerk")
        with origin("198.51.100.23", "Mozilla/5.0 Firefox/140.0"):
            made = services.record("documents.document_registered", actor="clerk")
    assert (made.client_address, made.user_agent) == ("198.51.100.23", "Mozilla/5.0 Firefox/140.0")
    assert verify_database(verify_signature=None).ok

    AuditEvent.objects.filter(pk=made.pk).update(client_address="10.0.0.1")
    report = verify_database(verify_signature=None)
    assert first_found(report) == (ProblemKind.CHANGED, made.seq, str(made.id))
