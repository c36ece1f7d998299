"""How an event's hash is computed. Verification and recording share this one function."""

from __future__ import annotations

import datetime as dt
import hashlib

from govdoc.core.jsontypes import JSONObject, canonical_json

GENESIS_HASH = "0" * 64


def timestamp_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def event_hash(
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
    client_address: str = "",
    user_agent: str = "",
) -> str:
    """The event's hash. Its origin (client address, user agent) is part of the hashed content
    when it is known; events recorded before GovDoc kept origins hash as they always did."""
    body: JSONObject = {
        "seq": seq,
        "id": event_id,
        "occurred_at": timestamp_text(occurred_at),
        "event": event,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "target_type": target_type,
        "target_id": target_id,
        "data": data,
        "prev_hash": prev_hash,
    }
    if client_address or user_agent:
        body["origin"] = {"address": client_address, "user_agent": user_agent}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def checkpoint_statement(*, seq: int, head_hash: str, created_at: dt.datetime) -> bytes:
    """The bytes a checkpoint signs: "the chain had head ``head_hash`` at ``seq``, at ``created_at``"."""
    return canonical_json({"seq": seq, "head_hash": head_hash, "created_at": timestamp_text(created_at)})
