"""Signed messages between agencies of two nodes that are not documents (docs/federation.md,
"Messages"): a procedure here asks a party on another node to do a task, and hears its result.

A message is canonical JSON (format ``govdoc.message/1``: id, kind, created_at, sender and
recipient as node and agency, content) with a detached CMS e-seal of the sending agency, the
same e-seal and PKI as an envelope's. It is written in the transaction of the work that sends
it (``message_send``) and posted by the worker to the other node's ``/federation/v1/messages``
until that node accepts it (200), refuses it for good (4xx: ``refused``, with the reason), or the
sending time is up (``failed``). The receiving node checks the signature against its trust list
and the sender's address book, keeps the message once by its id and tells the domains above
(``signals.message_received``) in that same transaction; a receiver that refuses it rolls it all
back and the sender is told why.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from govdoc.accounts.models import Agency
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject, canonical_json
from govdoc.distribution import envelopes
from govdoc.distribution.consignments import SendFailed, envelope_post, retry_delay_seconds
from govdoc.distribution.models import FederationMessage, Node
from govdoc.distribution.nodes import peer_trust
from govdoc.distribution.signals import message_received, message_undelivered
from govdoc.signatures import keyring
from govdoc.signatures.services import detached_seal

logger = logging.getLogger(__name__)

MESSAGE_FORMAT = "govdoc.message/1"
MAX_MESSAGE_BYTES = 256 * 1024
KIND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_SYSTEM = "federation"


class MessageRefused(Exception):
    """Why a message is not taken: ``type`` is stable (the problem type the sender reads),
    ``detail`` is for a person."""

    def __init__(self, type_: str, detail: str, status: int = 422) -> None:
        super().__init__(f"{type_}: {detail}")
        self.type, self.detail, self.status = type_, detail, status


def message_send(
    *, kind: str, sender: Agency, to_node: str, to_agency: str, content: JSONObject
) -> FederationMessage:
    """Write a message from ``sender`` (an agency here) to ``to_agency`` on ``to_node`` in the
    caller's transaction, with the task that posts it: it leaves if and only if the work that
    sends it commits."""
    from govdoc.distribution.tasks import message_post_run

    if not kind or set(kind) - KIND_CHARS:
        raise ValueError(f"not a message kind: {kind!r}")
    message_id = uuid.uuid4()
    now = clock.now()
    body = canonical_json(
        {
            "format": MESSAGE_FORMAT,
            "id": str(message_id),
            "kind": kind,
            "created_at": now.isoformat(),
            "sender": {"node": settings.GOVDOC_NODE_ID, "agency": sender.code},
            "recipient": {"node": to_node, "agency": to_agency},
            "content": content,
        }
    )
    if len(body) > MAX_MESSAGE_BYTES:
        raise ValueError(f"a message may be at most {MAX_MESSAGE_BYTES} bytes")
    message = FederationMessage.objects.create(
        message_id=message_id,
        direction=FederationMessage.Direction.OUT,
        kind=kind,
        sender_node=settings.GOVDOC_NODE_ID,
        sender_agency=sender.code,
        recipient_node=to_node,
        recipient_agency=to_agency,
        body=body,
        status=FederationMessage.Status.SENDING,
        created_at=now,
    )
    message_post_run.enqueue(message_id=str(message.pk))
    return message


def message_post(*, message_pk: int) -> str:
    """One attempt to post an outgoing message (the worker's task); returns its status."""
    message = FederationMessage.objects.filter(
        pk=message_pk, direction=FederationMessage.Direction.OUT
    ).first()
    if message is None or message.status != FederationMessage.Status.SENDING:
        return message.status if message is not None else "gone"
    node = Node.objects.filter(node_id=message.recipient_node, is_active=True).first()
    if node is None:
        return _finished(message, FederationMessage.Status.FAILED, "the recipient node is not trusted")
    if message.signature is None:
        agency = Agency.objects.get(code=message.sender_agency)
        signature = detached_seal(
            data=bytes(message.body), key=keyring.eseal_key(agency.code, name=agency.name)
        )
        FederationMessage.objects.filter(pk=message.pk).update(signature=signature)
        message.signature = signature
    payload = json.dumps(
        {
            "message": base64.b64encode(bytes(message.body)).decode("ascii"),
            "signature": base64.b64encode(bytes(message.signature)).decode("ascii"),
        }
    ).encode()
    try:
        status, answer = envelope_post(
            endpoint=node.endpoint, root_pem=node.root_certificate, body=payload, what="messages"
        )
    except SendFailed as exc:
        return _again(message, str(exc))
    if status == 200:
        return _finished(message, FederationMessage.Status.SENT, "")
    if status == 429 or status >= 500:
        return _again(message, f"HTTP {status}")
    return _finished(message, FederationMessage.Status.REFUSED, _problem_text(status, answer))


def _problem_text(status: int, answer: bytes) -> str:
    try:
        problem = json.loads(answer)
        return f"{problem.get('type', '')}: {problem.get('detail', '')}"[:500]
    except (ValueError, AttributeError):
        return f"HTTP {status}"


@transaction.atomic
def _finished(message: FederationMessage, status: str, why: str) -> str:
    locked = FederationMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != FederationMessage.Status.SENDING:
        return locked.status
    locked.status, locked.last_error, locked.done_at = status, why[:500], clock.now()
    locked.attempts += 1
    locked.save(update_fields=["status", "last_error", "done_at", "attempts"])
    if status != FederationMessage.Status.SENT:
        message_undelivered.send(
            sender=FederationMessage, message_pk=locked.pk, kind=locked.kind, status=status, why=why[:500]
        )
        record(
            "distribution.message_failed",
            actor=_SYSTEM,
            target=locked,
            data={
                "kind": locked.kind,
                "to": f"{locked.recipient_agency}@{locked.recipient_node}",
                "why": why[:500],
            },
        )
    return status


@transaction.atomic
def _again(message: FederationMessage, why: str) -> str:
    """A failed attempt: the next after the back-off, or failed once the sending time is up."""
    from govdoc.distribution.tasks import message_post_run

    locked = FederationMessage.objects.select_for_update().get(pk=message.pk)
    if locked.status != FederationMessage.Status.SENDING:
        return locked.status
    now = clock.now()
    if now >= locked.created_at + dt.timedelta(seconds=settings.GOVDOC_FEDERATION_SEND_SECONDS):
        return _finished(locked, FederationMessage.Status.FAILED, why)
    locked.attempts += 1
    locked.last_error = why[:500]
    locked.save(update_fields=["attempts", "last_error"])
    when = now + dt.timedelta(seconds=retry_delay_seconds(locked.attempts))
    message_post_run.using(run_after=when).enqueue(message_id=str(locked.pk))
    return locked.status


# ---------------------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Accepted:
    message_id: str
    again: bool  # the same message came before: nothing was done twice


def _decoded(raw: bytes) -> tuple[bytes, bytes]:
    try:
        outer = json.loads(raw)
        return (
            base64.b64decode(outer["message"], validate=True),
            base64.b64decode(outer["signature"], validate=True),
        )
    except (ValueError, KeyError, TypeError):
        raise MessageRefused(
            "message-malformed", "a JSON object with base64 'message' and 'signature'"
        ) from None


def _parsed(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MessageRefused("message-malformed", "the message is not UTF-8 JSON") from None
    shape_ok = (
        isinstance(parsed, dict)
        and parsed.get("format") == MESSAGE_FORMAT
        and isinstance(parsed.get("kind"), str)
        and isinstance(parsed.get("content"), dict)
        and all(
            isinstance(parsed.get(side), dict)
            and isinstance(parsed[side].get("node"), str)
            and isinstance(parsed[side].get("agency"), str)
            for side in ("sender", "recipient")
        )
    )
    if not shape_ok:
        raise MessageRefused("message-invalid", f"not a {MESSAGE_FORMAT} message")
    try:
        uuid.UUID(str(parsed.get("id")))
    except ValueError:
        raise MessageRefused("message-invalid", "the message's id is not a UUID") from None
    if canonical_json(parsed) != body:
        raise MessageRefused(
            "message-not-canonical", "the message is not in canonical form (sorted keys, no spaces)"
        )
    checked: dict[str, Any] = parsed
    return checked


def message_receive(raw: bytes, *, client_node: str | None = None) -> Accepted:
    """Take a message from another node: checked, kept once, announced; raises MessageRefused."""
    if len(raw) > 2 * MAX_MESSAGE_BYTES:
        raise MessageRefused("message-too-large", f"a message may be at most {MAX_MESSAGE_BYTES} bytes", 413)
    body, signature = _decoded(raw)
    message = _parsed(body)
    sender, recipient = message["sender"], message["recipient"]
    if client_node is not None and client_node != sender["node"]:
        raise MessageRefused(
            "sender-node-mismatch", "the message names another node than the one that sent it", 403
        )
    if recipient["node"] != settings.GOVDOC_NODE_ID:
        raise MessageRefused(
            "wrong-recipient-node", f"the message is for node {recipient['node']!r}, not this one"
        )
    peer = peer_trust(sender["node"])
    if peer is None:
        raise MessageRefused("unknown-node", f"node {sender['node']!r} is not trusted here", 403)
    try:
        envelopes.sealed_by_agency(body, signature, peer=peer, agency=sender["agency"])
    except envelopes.EnvelopeProblem as exc:
        raise MessageRefused(exc.type, exc.detail, 403) from None
    if not Agency.objects.filter(code=recipient["agency"]).exists():
        raise MessageRefused("unknown-recipient-agency", f"this node has no agency {recipient['agency']!r}")
    incoming = FederationMessage.objects.filter(direction=FederationMessage.Direction.IN)
    if incoming.filter(message_id=uuid.UUID(message["id"])).exists():
        return Accepted(message_id=message["id"], again=True)
    try:
        with transaction.atomic():
            kept = FederationMessage.objects.create(
                message_id=uuid.UUID(message["id"]),
                direction=FederationMessage.Direction.IN,
                kind=message["kind"],
                sender_node=sender["node"],
                sender_agency=sender["agency"],
                recipient_node=recipient["node"],
                recipient_agency=recipient["agency"],
                body=body,
                signature=signature,
                status=FederationMessage.Status.RECEIVED,
                created_at=clock.now(),
            )
            heard = message_received.send(
                sender=FederationMessage,
                kind=message["kind"],
                content=message["content"],
                sender_address=f"{sender['agency']}@{sender['node']}",
                recipient_agency=recipient["agency"],
                message_id=message["id"],
            )
            if not any(taken for _receiver, taken in heard):
                raise MessageRefused(
                    "kind-unknown", f"this node takes no messages of the kind {message['kind']!r}"
                )
            record(
                "distribution.message_received",
                actor=_SYSTEM,
                target=kept,
                data={
                    "kind": kept.kind,
                    "from": f"{kept.sender_agency}@{kept.sender_node}",
                    "to": kept.recipient_agency,
                },
            )
    except IntegrityError:  # the same message, kept meanwhile by a request that overtook this one
        return Accepted(message_id=message["id"], again=True)
    return Accepted(message_id=message["id"], again=False)
