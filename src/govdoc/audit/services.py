"""Recording events and signing checkpoints. ``record`` must run inside the writer's transaction."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from django.db import connection, transaction

from govdoc.audit.chain import GENESIS_HASH, checkpoint_statement, event_hash
from govdoc.audit.context import Origin, current_origin
from govdoc.audit.errors import AccessPurposeMissingError, NotInTransactionError, UnknownEventTypeError
from govdoc.audit.event_types import KNOWN, EventType
from govdoc.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject, JSONValue
from govdoc.core.rows import rows_insert

_NO_ORIGIN = Origin(address="")


class _HasPk(Protocol):
    pk: Any


def _actor_fields(actor: object | None) -> tuple[str, str]:
    if actor is None:
        return "", "system"
    if isinstance(actor, str):
        return "", actor
    pk = getattr(actor, "pk", None)
    if pk is None:
        return "", "anonymous"
    label = getattr(actor, "get_username", lambda: str(actor))()
    return str(pk), str(label)


def _target_fields(target: object | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    meta = getattr(target, "_meta", None)
    label = meta.label_lower if meta is not None else type(target).__name__.lower()
    return label, str(getattr(target, "pk", ""))


def record(
    event: EventType | str,
    *,
    actor: object | None,
    target: object | None = None,
    data: JSONObject | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``actor`` is a person (anything with ``pk`` and ``get_username``), a string naming a
    system actor, or None for the system itself.
    Inside ``events_batched()`` the event is kept and appended with the others at the batch's
    ``flush`` (the returned row gets its place in the chain then).
    """
    batch: _Batch | None = getattr(_batch, "value", None)
    if batch is None and not connection.in_atomic_block:
        raise NotInTransactionError("audit.record() must run inside the transaction of the write it records")
    if event not in KNOWN:
        raise UnknownEventTypeError(f"{event!r} is not a GovDoc event type (audit.event_types.EventType)")
    event = str(event)
    payload: JSONObject = json.loads(json.dumps(data or {}, default=str))
    actor_id, actor_label = _actor_fields(actor)
    target_type, target_id = _target_fields(target)
    # No savepoint of its own: ``record`` runs in the writer's transaction (checked above) and
    # an error here fails that whole write, so a savepoint would only add two round trips to
    # every event.
    event_id = uuid.uuid4()
    where = current_origin() or _NO_ORIGIN
    # What the hash covers besides the place in the chain, named as the model's columns.
    content: dict[str, Any] = {
        "event": event,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "target_type": target_type,
        "target_id": target_id,
        "data": payload,
        "client_address": where.address,
        "user_agent": where.user_agent,
    }

    if batch is not None:
        row = AuditEvent(id=event_id, **content)
        batch.rows.append(row)
        return row

    def digest_after(prev_seq: int, prev_hash: str, occurred_at: dt.datetime) -> str:
        return event_hash(
            seq=prev_seq + 1, event_id=str(event_id), occurred_at=occurred_at, prev_hash=prev_hash, **content
        )

    prev_seq, prev_hash, occurred_at, digest = _advance_head(digest_after)
    row = AuditEvent.objects.create(
        seq=prev_seq + 1, id=event_id, occurred_at=occurred_at, prev_hash=prev_hash, hash=digest, **content
    )
    _last_head.value = (connection.alias, prev_seq + 1, digest)
    return row


class _Batch:
    """Events recorded inside ``events_batched()``, not yet in the chain."""

    def __init__(self) -> None:
        self.rows: list[AuditEvent] = []

    def flush(self) -> int:
        """Append the kept events to the chain, in the order they were recorded, in the
        caller's transaction: one move of the head and one insert for all of them. Their time
        is the moment of the flush (so times never go backwards along the chain). Returns how
        many were written."""
        if not self.rows:
            return 0
        if not connection.in_atomic_block:
            raise NotInTransactionError(
                "the audit batch must be flushed inside the transaction of its writes"
            )
        rows, self.rows = self.rows, []

        def chain_from(prev_seq: int, prev_hash: str) -> str:
            moment = clock.now()
            for offset, row in enumerate(rows, start=1):
                row.seq, row.prev_hash, row.occurred_at = prev_seq + offset, prev_hash, moment
                row.hash = event_hash(
                    seq=row.seq,
                    event_id=str(row.id),
                    occurred_at=moment,
                    prev_hash=prev_hash,
                    event=row.event,
                    actor_id=row.actor_id,
                    actor_label=row.actor_label,
                    target_type=row.target_type,
                    target_id=row.target_id,
                    data=row.data,
                    client_address=row.client_address,
                    user_agent=row.user_agent,
                )
                prev_hash = row.hash
            return prev_hash

        prev_seq, final = _advance_head_by(len(rows), chain_from)
        rows_insert(AuditEvent, rows)
        _last_head.value = (connection.alias, prev_seq + len(rows), final)
        return len(rows)


_batch = threading.local()


@contextlib.contextmanager
def events_batched() -> Iterator[_Batch]:
    """Keep the events that ``record`` is given in this thread until ``flush()``: for work
    that writes many events (issuing many documents at once), which then cost one move of the
    chain's head and one insert instead of two statements each. The block may span several
    transactions (an event may be recorded outside one, e.g. of a seal made between two), but
    ``flush()`` must be called inside the transaction that commits the writes the events
    describe, so that the events and the writes commit together or not at all. Events still
    kept when the block ends without an error are a programming error (raised); after an error
    they are dropped with the writes their transaction rolled back.
    """
    if getattr(_batch, "value", None) is not None:
        raise RuntimeError("audit batches do not nest")
    batch = _Batch()
    _batch.value = batch
    try:
        yield batch
    finally:
        _batch.value = None
    if batch.rows:
        raise RuntimeError(f"{len(batch.rows)} audit event(s) recorded in a batch were never flushed")


# The head this thread last wrote or read, per database connection alias: a guess that saves
# the locking read when it is still the head (one conditional UPDATE instead of SELECT ... FOR
# UPDATE plus UPDATE). The UPDATE checks the guess under the row lock, so a stale guess (another
# process appended, or the transaction that wrote it rolled back) changes nothing and the
# locking read follows.
_last_head = threading.local()


def _advance_head_by(count: int, chain_from: Callable[[int, str], str]) -> tuple[int, str]:
    """Move the head ``count`` events on; ``chain_from(prev_seq, prev_hash)`` hashes them and
    returns the last hash. Returns the previous seq and the new head hash; the head row stays
    locked by the caller's transaction (as ``_advance_head``)."""
    guess = getattr(_last_head, "value", None)
    if guess is not None and guess[0] == connection.alias:
        _, prev_seq, prev_hash = guess
        final = chain_from(prev_seq, prev_hash)
        moved = AuditHead.objects.filter(pk=1, seq=prev_seq, hash=prev_hash).update(
            seq=prev_seq + count, hash=final
        )
        if moved == 1:
            return prev_seq, final
    head = AuditHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(id=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().filter(pk=1).values_list("seq", "hash").get()
    prev_seq, prev_hash = head
    final = chain_from(prev_seq, prev_hash)
    AuditHead.objects.filter(pk=1).update(seq=prev_seq + count, hash=final)
    return prev_seq, final


def _advance_head(
    digest_after: Callable[[int, str, dt.datetime], str],
) -> tuple[int, str, dt.datetime, str]:
    """Move the head one event on; returns the previous (seq, hash), the event's time and its
    hash. Leaves the head row locked by the caller's transaction until it ends. The time is
    read once the event's place is known (after this thread's own previous event, or under the
    lock), so times never go backwards along the chain."""
    placed: list[tuple[int, str, dt.datetime]] = []

    def chain_from(prev_seq: int, prev_hash: str) -> str:
        placed.append((prev_seq, prev_hash, clock.now()))
        return digest_after(*placed[-1])

    _, final = _advance_head_by(1, chain_from)
    prev_seq, prev_hash, occurred_at = placed[-1]
    return prev_seq, prev_hash, occurred_at, final


def request_refusal_record(
    *,
    actor: object | None,
    method: str,
    path: str,
    status: int,
    problem: str,
    reason: str = "",
    once_per: dt.timedelta | None = None,
) -> AuditEvent | None:
    """A request the API or a page refused: a security event of its own, with where it came
    from (the request's origin). ``reason`` names a refusal made before GovDoc's code could
    handle the request (``request-too-large``, ``multipart-invalid``, ``disallowed-host``...).
    With ``once_per``, a refusal for the same reason from the same address already recorded in
    that interval is not recorded again (None is returned): a client that floods the server
    with broken requests leaves one event per interval, not one per request."""
    with transaction.atomic():
        if once_per is not None:
            where = current_origin() or _NO_ORIGIN
            recent = AuditEvent.objects.filter(
                event="security.request_refused",
                client_address=where.address,
                occurred_at__gte=clock.now() - once_per,
                data__reason=reason,
            )
            if recent.exists():
                return None
        data: JSONObject = {"method": method, "path": path[:200], "status": status, "problem": problem[:200]}
        if reason:
            data["reason"] = reason[:100]
        return record("security.request_refused", actor=actor, data=data)


@transaction.atomic
def record_access(*, actor: object | None, target: object, purpose: str, fields: list[str]) -> AuditEvent:
    """Record that ``actor`` viewed personal data of ``target`` (which ``fields``, and why).

    Purpose limitation and accountability (GDPR art. 5(1)(b) and 5(2); the Serbian Law on
    Personal Data Protection, art. 5, says the same) ask that access to personal data have a
    stated purpose and can be accounted for; the event joins the same chain as every write.
    It opens its own transaction, since a read has no write to join.
    """
    purpose = purpose.strip()
    if not purpose:
        raise AccessPurposeMissingError("viewing personal data needs a stated purpose")
    if not fields:
        raise AccessPurposeMissingError("name the personal data fields that were viewed")
    viewed: list[JSONValue] = [*sorted(set(fields))]
    return record(
        "audit.personal_data_viewed", actor=actor, target=target, data={"purpose": purpose, "fields": viewed}
    )


def checkpoint_create(*, sign: Callable[[bytes], bytes], signer_label: str) -> AuditCheckpoint:
    """Sign the statement "the chain had head <hash> at <seq>, at <time>" and keep it.

    ``sign`` returns a detached signature of the statement's bytes (the signatures domain
    passes one that makes a CMS with a timestamp). The head is read and signed before the
    transaction opens, so a slow signer (a remote TSA, an HSM) never holds the head lock that
    every writer waits for; the head row always holds a committed (seq, hash) pair. The
    checkpoint and its ``audit.checkpoint_created`` event are then written together.
    """
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    seq, head_hash = head if head is not None else (0, GENESIS_HASH)
    created_at = clock.now()
    statement = checkpoint_statement(seq=seq, head_hash=head_hash, created_at=created_at)
    signature = sign(statement)
    with transaction.atomic():
        checkpoint = AuditCheckpoint.objects.create(
            seq=seq,
            head_hash=head_hash,
            created_at=created_at,
            statement=statement,
            signature=signature,
            signer_label=signer_label,
        )
        record(
            "audit.checkpoint_created",
            actor=None,
            target=checkpoint,
            data={"seq": seq, "head_hash": head_hash, "signer": signer_label},
        )
    return checkpoint
