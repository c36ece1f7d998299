"""Recording events. ``record`` must run inside the writer's transaction."""

from __future__ import annotations

import json
import uuid
from typing import Any, Protocol

from django.db import connection, transaction

from govdoc.audit.chain import GENESIS_HASH, event_hash
from govdoc.audit.errors import NotInTransactionError
from govdoc.audit.models import AuditEvent, AuditHead
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject


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
    event: str,
    *,
    actor: object | None,
    target: object | None = None,
    data: JSONObject | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    ``actor`` is a person (anything with ``pk`` and ``get_username``), a string naming a
    system actor, or None for the system itself.
    """
    if not connection.in_atomic_block:
        raise NotInTransactionError("audit.record() must run inside the transaction of the write it records")
    payload: JSONObject = json.loads(json.dumps(data or {}, default=str))
    actor_id, actor_label = _actor_fields(actor)
    target_type, target_id = _target_fields(target)
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            AuditHead.objects.bulk_create([AuditHead(id=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True)
            head = AuditHead.objects.select_for_update().get(pk=1)
        seq = head.seq + 1
        event_id = uuid.uuid4()
        occurred_at = clock.now()
        digest = event_hash(
            seq=seq,
            event_id=str(event_id),
            occurred_at=occurred_at,
            event=event,
            actor_id=actor_id,
            actor_label=actor_label,
            target_type=target_type,
            target_id=target_id,
            data=payload,
            prev_hash=head.hash,
        )
        row = AuditEvent.objects.create(
            seq=seq,
            id=event_id,
            occurred_at=occurred_at,
            event=event,
            actor_id=actor_id,
            actor_label=actor_label,
            target_type=target_type,
            target_id=target_id,
            data=payload,
            prev_hash=head.hash,
            hash=digest,
        )
        head.seq, head.hash = seq, digest
        head.save(update_fields=["seq", "hash"])
    return row
