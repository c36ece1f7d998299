"""Receiving envelopes from other nodes (``POST /federation/v1/envelopes``).

``envelope_receive`` is the whole of it, and every answer is a receipt signed by this node:

- an envelope that passes ``envelopes.envelope_check`` against the sender node's entry in the
  trust list, for an agency of this node, is kept as an ``Arrival`` (the manifest, its signature
  and the receipt are kept as proof) with a delivery that waits for the recipient agency's
  registry clerk, exactly as a delivery from an agency of this installation does; the receipt,
  signed with the recipient agency's e-seal, says "delivered";
- the same consignment again (same sender node and consignment id, same manifest) is answered
  with the first receipt, and nothing is written: a consignment arrives once, however often and
  however concurrently it is sent (the pair is unique in the database, for ever);
- anything else is refused: a receipt that says "refused" with the problem, signed with the
  recipient agency's e-seal when the manifest names one of this node's agencies, else with the
  node's own; nothing is kept but the audit event.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from govdoc.accounts.models import Agency, Unit
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.distribution import envelopes
from govdoc.distribution.constants import DeliveryStatus
from govdoc.distribution.envelopes import EnvelopeProblem
from govdoc.distribution.models import Arrival, Consignment, Delivery, Node
from govdoc.distribution.nodes import peer_trust
from govdoc.documents.storage import files_put
from govdoc.signatures import keyring

_SYSTEM = "distribution"
NIL = "00000000-0000-0000-0000-000000000000"
# The e-seal this node signs with when no agency of its own can be named (its organization is
# the node's identifier: ``envelopes.receipt_check`` accepts it).
NODE_SEAL_CODE = "_node"

# HTTP status of each refusal; the type is the receipt's problem type.
STATUS_OF = {
    "envelope-malformed": 400,
    "manifest-malformed": 400,
    "manifest-invalid": 400,
    "manifest-not-canonical": 400,
    "envelope-too-large": 413,
    "unknown-sender-node": 403,
    "sender-node-mismatch": 403,
    "signature-not-trusted": 403,
    "unknown-sender-agency": 403,
    "signer-not-sender": 403,
    "consignment-conflict": 409,
}


@dataclass(frozen=True)
class Answer:
    """What the endpoint answers: an HTTP status and a signed receipt (with the problem when
    refused)."""

    status: int
    receipt: envelopes.Receipt
    problem: EnvelopeProblem | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = dict(self.receipt.to_json())
        if self.problem is not None:
            body.update(
                {
                    "type": "https://govdoc.example/problems/federation/" + self.problem.type,
                    "title": self.problem.type.replace("-", " ").capitalize(),
                    "status": self.status,
                    "detail": self.problem.detail,
                }
            )
        return body


def _node_key() -> Any:
    return keyring.eseal_key(NODE_SEAL_CODE, name=settings.GOVDOC_NODE_ID)


def _agency_key(agency: Agency) -> Any:
    return keyring.eseal_key(agency.code, name=agency.name)


def _refuse(
    envelope: envelopes.Envelope,
    problem: EnvelopeProblem,
    *,
    manifest: dict[str, Any] | None,
    agency: Agency | None = None,
) -> Answer:
    consignment = str((manifest or {}).get("consignment_id") or NIL)
    sender = (manifest or {}).get("sender") or {}
    sender_node = str(sender.get("node") or "")
    receipt = envelopes.receipt_seal(
        envelope=envelope,
        consignment_id=consignment if _is_uuid(consignment) else NIL,
        sender_node=sender_node,
        receiver_node=settings.GOVDOC_NODE_ID,
        receiver_agency=agency.code if agency is not None else None,
        received_at=clock.now().isoformat(),
        problem=problem,
        key=_agency_key(agency) if agency is not None else _node_key(),
    )
    with transaction.atomic():
        record(
            "distribution.envelope_refused",
            actor=_SYSTEM,
            target=None,
            data={
                "problem": problem.type,
                "detail": problem.detail[:500],
                "sender_node": sender_node[:63],
                "sender_agency": str(sender.get("agency") or "")[:32],
                "consignment_id": consignment[:36],
                "manifest_sha256": envelope.manifest_sha256,
            },
        )
    return Answer(status=STATUS_OF.get(problem.type, 422), receipt=receipt, problem=problem)


def envelope_too_large() -> Answer:
    """The answer to a body larger than an envelope may be (refused before it is read)."""
    problem = EnvelopeProblem(
        "envelope-too-large", f"an envelope is at most {envelopes.MAX_ENVELOPE_BYTES} bytes on the wire"
    )
    return _refuse(envelopes.Envelope(manifest=b"", signature=b""), problem, manifest=None)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _repeat(node: Node, consignment_id: str) -> Arrival | None:
    return Arrival.objects.filter(node=node, consignment_id=consignment_id).first()


def _answer_repeat(
    arrival: Arrival, envelope: envelopes.Envelope, manifest: dict[str, Any], agency: Agency | None
) -> Answer:
    if arrival.manifest_sha256 != envelope.manifest_sha256:
        return _refuse(
            envelope,
            EnvelopeProblem(
                "consignment-conflict",
                "this consignment arrived before with another manifest; "
                "a changed document is a new consignment",
            ),
            manifest=manifest,
            agency=agency,
        )
    receipt = envelopes.Receipt(receipt=bytes(arrival.receipt), signature=bytes(arrival.receipt_signature))
    return Answer(status=200, receipt=receipt)


def envelope_receive(body: bytes, *, client_node: str | None = None) -> Answer:
    """Check, keep and answer an envelope (``body``: the request's bytes). ``client_node``: the
    node the TLS client certificate names, when a proxy checked one."""
    try:
        envelope = envelopes.envelope_from_json(json.loads(body))
    except ValueError:
        bad = envelopes.Envelope(manifest=b"", signature=b"")
        return _refuse(
            bad, EnvelopeProblem("envelope-malformed", "the body is not a JSON envelope"), manifest=None
        )
    except EnvelopeProblem as problem:
        return _refuse(envelopes.Envelope(manifest=b"", signature=b""), problem, manifest=None)
    try:
        manifest = envelopes.manifest_parse(envelope.manifest)
    except EnvelopeProblem as problem:
        return _refuse(envelope, problem, manifest=None)
    sender_node = manifest["sender"]["node"]
    agency = Agency.objects.filter(code=manifest["recipient"]["agency"]).first()
    if manifest["recipient"]["node"] != settings.GOVDOC_NODE_ID:
        agency = None
    if client_node is not None and client_node != sender_node:
        refusal = EnvelopeProblem(
            "sender-node-mismatch",
            f"the manifest names node {sender_node!r}, the TLS client certificate {client_node!r}",
        )
        return _refuse(envelope, refusal, manifest=manifest, agency=agency)
    peer = peer_trust(sender_node)
    node = Node.objects.filter(node_id=sender_node, is_active=True).first()
    if peer is None or node is None:
        refusal = EnvelopeProblem(
            "unknown-sender-node", f"node {sender_node!r} is not in this node's trust list"
        )
        return _refuse(envelope, refusal, manifest=manifest, agency=agency)
    earlier = _repeat(node, manifest["consignment_id"])
    if earlier is not None:
        return _answer_repeat(earlier, envelope, manifest, agency)
    try:
        envelopes.envelope_check(envelope, peer=peer, own_node=settings.GOVDOC_NODE_ID)
        unit = _recipient(manifest, agency)
    except EnvelopeProblem as problem:
        return _refuse(envelope, problem, manifest=manifest, agency=agency)
    assert agency is not None
    return _keep(envelope, manifest, node=node, agency=agency, unit=unit)


def _recipient(manifest: dict[str, Any], agency: Agency | None) -> Unit | None:
    recipient = manifest["recipient"]
    if agency is None:
        raise EnvelopeProblem("unknown-recipient-agency", f"this node has no agency {recipient['agency']!r}")
    if not recipient.get("unit"):
        return None
    unit = Unit.objects.filter(agency=agency, code=recipient["unit"]).first()
    if unit is None:
        raise EnvelopeProblem(
            "unknown-recipient-unit", f"agency {agency.code!r} has no unit {recipient['unit']!r}"
        )
    return unit


def _answered_outgoing(manifest: dict[str, Any]) -> Any:
    """The outgoing document of this node that the envelope answers, if it names one."""
    reply = manifest["document"].get("in_reply_to")
    if not reply or reply["node"] != settings.GOVDOC_NODE_ID:
        return None
    sent = Consignment.objects.filter(pk=reply["consignment_id"]).select_related("outgoing").first()
    return sent.outgoing if sent is not None else None


def _keep(
    envelope: envelopes.Envelope, manifest: dict[str, Any], *, node: Node, agency: Agency, unit: Unit | None
) -> Answer:
    received_at = clock.now()
    receipt = envelopes.receipt_seal(
        envelope=envelope,
        consignment_id=manifest["consignment_id"],
        sender_node=node.node_id,
        receiver_node=settings.GOVDOC_NODE_ID,
        receiver_agency=agency.code,
        received_at=received_at.isoformat(),
        problem=None,
        key=_agency_key(agency),
    )
    named = manifest["files"]
    # The bytes are stored first (content-addressed, written once): a crash before the rows
    # commit leaves only unreferenced files, and the sender's retry finds no arrival.
    stored = files_put([(envelope.files[f["sha256"]], f["media_type"]) for f in named])
    main = next((i for i, f in enumerate(named) if f["role"] == "main"), 0)
    sender, document = manifest["sender"], manifest["document"]
    try:
        with transaction.atomic():
            arrival = Arrival.objects.create(
                node=node,
                consignment_id=manifest["consignment_id"],
                manifest=envelope.manifest,
                manifest_sha256=envelope.manifest_sha256,
                signature=envelope.signature,
                receipt=receipt.receipt,
                receipt_signature=receipt.signature,
                received_at=received_at,
                sender_agency_code=sender["agency"],
                sender_agency_name=sender["agency_name"],
                sender_unit_code=sender.get("unit") or "",
                sender_registry_number=sender["registry_number"],
                title=document["title"],
                kind=document["kind"],
                classification_code=document["classification_code"],
                disclosure=document["disclosure"],
                legal_ground=document.get("legal_ground", ""),
                retention_years=document["retention_years"],
                main_file=stored[main],
                main_file_name=named[main]["name"],
                files=named,
                answers=_answered_outgoing(manifest),
            )
            delivery = Delivery.objects.create(
                arrival=arrival,
                agency=agency,
                unit=unit,
                status=DeliveryStatus.DELIVERED,
                delivered_at=received_at,
            )
            record(
                "distribution.envelope_received",
                actor=_SYSTEM,
                target=delivery,
                data={
                    "sender_node": node.node_id,
                    "sender_agency": sender["agency"],
                    "sender_registry_number": sender["registry_number"],
                    "consignment_id": manifest["consignment_id"],
                    "manifest_sha256": envelope.manifest_sha256,
                    "receipt_sha256": envelopes.sha256_hex(receipt.receipt),
                    "agency": agency.code,
                    "files": len(named),
                },
            )
    except IntegrityError:
        # The same consignment, sent concurrently, was kept by another request first.
        earlier = _repeat(node, manifest["consignment_id"])
        if earlier is None:
            raise
        return _answer_repeat(earlier, envelope, manifest, agency)
    return Answer(status=201, receipt=receipt)
