"""Building audit chains in memory with the real ``event_hash``, and the forger's tools."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from govdoc.audit.chain import GENESIS_HASH, checkpoint_statement, event_hash
from govdoc.audit.verification import CheckpointRow, EventRow, HeadRow
from govdoc.core.jsontypes import JSONObject

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
EVENTS = ("documents.document_registered", "approvals.step_approved", "issuance.document_issued")


def sealed(row: EventRow, **changes: object) -> EventRow:
    """``row`` with ``changes`` and a hash recomputed to match (what a careful forger writes)."""
    draft = dataclasses.replace(row, **changes)  # type: ignore[arg-type]
    return dataclasses.replace(draft, hash=draft.hash_with())


def new_event(seq: int, prev_hash: str, *, label: str = "", data: JSONObject | None = None) -> EventRow:
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"govdoc-test/{label or 'event'}/{seq}"))
    body = data if data is not None else {"n": seq, "naziv": "Rešenje о упису", "amount": 1500, "ok": True}
    row = EventRow(
        seq=seq,
        id=event_id,
        occurred_at=START + dt.timedelta(minutes=seq),
        event=EVENTS[seq % len(EVENTS)],
        actor_id=str(seq % 7),
        actor_label=f"službenik{seq % 7}",
        target_type="documents.document",
        target_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"doc/{seq % 50}")),
        data=body,
        prev_hash=prev_hash,
        hash="",
    )
    return dataclasses.replace(row, hash=row.hash_with())


def build_chain(n: int) -> list[EventRow]:
    rows: list[EventRow] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        row = new_event(seq, prev)
        rows.append(row)
        prev = row.hash
    return rows


def head_of(rows: list[EventRow]) -> HeadRow:
    return HeadRow(seq=rows[-1].seq, hash=rows[-1].hash) if rows else HeadRow(seq=0, hash=GENESIS_HASH)


def unsigned_checkpoint(row: EventRow) -> CheckpointRow:
    """A checkpoint at ``row`` (its signature is not checked by the tests that use this)."""
    created_at = row.occurred_at + dt.timedelta(seconds=30)
    return CheckpointRow(
        id=f"cp-{row.seq}",
        seq=row.seq,
        head_hash=row.hash,
        created_at=created_at,
        statement=checkpoint_statement(seq=row.seq, head_hash=row.hash, created_at=created_at),
        signature=b"",
        signer_label="test",
    )


def rewrite_from(rows: list[EventRow], index: int, **changes: object) -> list[EventRow]:
    """Change the event at ``index`` and recompute every later hash and link: a full rewrite."""
    out = rows[:index]
    prev = out[-1].hash if out else GENESIS_HASH
    for i, row in enumerate(rows[index:]):
        new = sealed(row, prev_hash=prev, **(changes if i == 0 else {}))
        out.append(new)
        prev = new.hash
    return out


def recompute(
    *,
    seq: int,
    event_id: str,
    occurred_at: dt.datetime,
    event: str,
    actor_id: str,
    actor_label: str,
    target_type: str,
    target_id: str,
    data: JSONObject,
    prev_hash: str,
) -> str:
    return event_hash(
        seq=seq,
        event_id=event_id,
        occurred_at=occurred_at,
        event=event,
        actor_id=actor_id,
        actor_label=actor_label,
        target_type=target_type,
        target_id=target_id,
        data=data,
        prev_hash=prev_hash,
    )
