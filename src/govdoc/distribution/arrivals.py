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

import contextlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from govdoc.accounts.models import Agency, Unit
from govdoc.audit.services import events_batched, record
from govdoc.core import clock
from govdoc.core.rows import rows_insert
from govdoc.distribution import envelopes
from govdoc.distribution.constants import DeliveryStatus
from govdoc.distribution.envelopes import EnvelopeProblem
from govdoc.distribution.models import Arrival, Batch, Consignment, Delivery, Node
from govdoc.distribution.nodes import NODE_SEAL_CODE, peer_trust
from govdoc.documents.models import StoredFile
from govdoc.documents.storage import files_put
from govdoc.signatures import keyring

_SYSTEM = "distribution"
NIL = "00000000-0000-0000-0000-000000000000"

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
    "body-format-unsupported": 415,
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
            body.update(envelopes.problem_fields(self.problem.type, self.status, self.problem.detail))
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
    if arrival.receipt is not None and arrival.receipt_signature is not None:
        receipt = envelopes.Receipt(
            receipt=bytes(arrival.receipt), signature=bytes(arrival.receipt_signature)
        )
    else:  # it came in a batch, answered by the batch's receipt: this one is answered alone
        recipient = Agency.objects.get(pk=Delivery.objects.get(arrival=arrival).agency_id)
        receipt = envelopes.receipt_seal(
            envelope=envelope,
            consignment_id=str(arrival.consignment_id),
            sender_node=manifest["sender"]["node"],
            receiver_node=settings.GOVDOC_NODE_ID,
            receiver_agency=recipient.code,
            received_at=arrival.received_at.isoformat(),
            problem=None,
            key=_agency_key(recipient),
        )
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
    try:
        with transaction.atomic():
            arrival = _arrival_new(
                manifest,
                manifest_bytes=envelope.manifest,
                node=node,
                received_at=received_at,
                stored={f.sha256: f for f in stored},
                signature=envelope.signature,
                receipt=receipt.receipt,
                receipt_signature=receipt.signature,
            )
            arrival.save()
            delivery = Delivery.objects.create(
                arrival=arrival,
                agency=agency,
                unit=unit,
                status=DeliveryStatus.DELIVERED,
                delivered_at=received_at,
            )
            _record_received(
                delivery,
                manifest,
                node=node,
                agency=agency,
                receipt_sha256=envelopes.sha256_hex(receipt.receipt),
            )
    except IntegrityError:
        # The same consignment, sent concurrently, was kept by another request first.
        earlier = _repeat(node, manifest["consignment_id"])
        if earlier is None:
            raise
        return _answer_repeat(earlier, envelope, manifest, agency)
    return Answer(status=201, receipt=receipt)


def _arrival_new(
    manifest: dict[str, Any],
    *,
    manifest_bytes: bytes,
    node: Node,
    received_at: Any,
    stored: Mapping[str, StoredFile],
    **proof: Any,
) -> Arrival:
    """The (unsaved) arrival of a checked manifest whose files are ``stored`` (by SHA-256);
    ``proof``: its own signature and receipt, or the batch that holds them."""
    named, sender, document = manifest["files"], manifest["sender"], manifest["document"]
    main = next((f for f in named if f["role"] == "main"), named[0])
    return Arrival(
        node=node,
        consignment_id=manifest["consignment_id"],
        manifest=manifest_bytes,
        manifest_sha256=envelopes.sha256_hex(manifest_bytes),
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
        main_file=stored[main["sha256"]],
        main_file_name=main["name"],
        files=named,
        answers=_answered_outgoing(manifest),
        **proof,
    )


def _record_received(
    delivery: Delivery, manifest: dict[str, Any], *, node: Node, agency: Agency, **proof: str
) -> None:
    """The audit event of an arrival (``proof``: the receipt's digest, or the batch's id)."""
    record(
        "distribution.envelope_received",
        actor=_SYSTEM,
        target=delivery,
        data={
            "sender_node": node.node_id,
            "sender_agency": manifest["sender"]["agency"],
            "sender_registry_number": manifest["sender"]["registry_number"],
            "consignment_id": manifest["consignment_id"],
            "manifest_sha256": delivery.arrival.manifest_sha256 if delivery.arrival is not None else "",
            "agency": agency.code,
            "files": len(manifest["files"]),
            **proof,
        },
    )


# ---------------------------------------------------------------------------- batches


def _refusal_result(
    manifest_bytes: bytes, manifest: Mapping[str, Any] | None, problem: EnvelopeProblem, now: str
) -> dict[str, Any]:
    consignment = str((manifest or {}).get("consignment_id") or "")
    return {
        "consignment_id": consignment if _is_uuid(consignment) else None,
        "manifest_sha256": envelopes.sha256_hex(manifest_bytes),
        "status": "refused",
        "received_at": now,
        "problem": {"type": problem.type, "detail": problem.detail},
    }


def batch_receive(
    body: bytes, *, client_node: str | None = None, content_type: str = envelopes.JSON_BODY
) -> Answer:
    """Check, keep and answer a batch (``POST /federation/v1/batches``; ``content_type``: the
    request's, ``envelopes.CBOR_BODY`` for a CBOR body, else JSON). A batch that fails as
    a whole (malformed, untrusted, not sealed by the agency it names) is refused with one
    receipt, as an envelope is; otherwise every envelope gets its own result in one receipt
    signed by the recipient agency: delivered (kept now, or a repeat of one kept before) or
    refused (nothing kept of it). What is kept is kept in one transaction."""
    empty = envelopes.Envelope(manifest=b"", signature=b"")
    try:
        if content_type == envelopes.CBOR_BODY:
            batch = envelopes.batch_from_cbor(body)
        else:
            batch = envelopes.batch_from_json(json.loads(body))
        content = envelopes.batch_parse(batch.batch)
    except ValueError:
        problem = EnvelopeProblem("envelope-malformed", "the body is not a JSON batch")
        return _refuse(empty, problem, manifest=None)
    except EnvelopeProblem as problem:
        return _refuse(empty, problem, manifest=None)
    as_envelope = envelopes.Envelope(manifest=batch.batch, signature=batch.signature)
    sender_node = content["sender"]["node"]
    agency = Agency.objects.filter(code=content["recipient"]["agency"]).first()
    if content["recipient"]["node"] != settings.GOVDOC_NODE_ID:
        agency = None
    pseudo = {"sender": content["sender"], "consignment_id": content["batch_id"]}
    if client_node is not None and client_node != sender_node:
        refusal = EnvelopeProblem("sender-node-mismatch", f"the TLS client certificate names {client_node!r}")
        return _refuse(as_envelope, refusal, manifest=pseudo, agency=agency)
    peer = peer_trust(sender_node)
    node = Node.objects.filter(node_id=sender_node, is_active=True).first()
    if peer is None or node is None:
        refusal = EnvelopeProblem(
            "unknown-sender-node", f"node {sender_node!r} is not in this node's trust list"
        )
        return _refuse(as_envelope, refusal, manifest=pseudo, agency=agency)
    try:
        envelopes.batch_check(batch, peer=peer, own_node=settings.GOVDOC_NODE_ID)
        if agency is None:
            raise EnvelopeProblem(
                "unknown-recipient-agency", f"this node has no agency {content['recipient']['agency']!r}"
            )
    except EnvelopeProblem as problem:
        return _refuse(as_envelope, problem, manifest=pseudo, agency=agency)
    return _keep_batch(batch, content, node=node, peer=peer, agency=agency)


def _keep_batch(
    batch: envelopes.BatchEnvelope,
    content: dict[str, Any],
    *,
    node: Node,
    peer: envelopes.PeerTrust,
    agency: Agency,
) -> Answer:
    now = clock.now()
    stamp = now.isoformat()
    results: list[dict[str, Any]] = []
    fresh: list[tuple[int, dict[str, Any], Mapping[str, bytes], Unit | None]] = []
    refused: list[tuple[dict[str, Any], str]] = []
    checked: list[tuple[bytes, dict[str, Any] | None, EnvelopeProblem | None, Mapping[str, bytes]]] = []
    for manifest_bytes, files in batch.items:
        try:
            good = envelopes.batch_item_check(
                manifest_bytes, files, batch=content, peer=peer, own_node=settings.GOVDOC_NODE_ID
            )
            checked.append((manifest_bytes, good, None, files))
        except EnvelopeProblem as refusal:
            parsed = None
            with contextlib.suppress(ValueError):
                parsed = json.loads(manifest_bytes)
            checked.append((manifest_bytes, parsed if isinstance(parsed, dict) else None, refusal, files))
    ids = [m["consignment_id"] for _b, m, p, _f in checked if m is not None and p is None]
    earlier = {
        str(a.consignment_id): a
        for a in Arrival.objects.filter(node=node, consignment_id__in=ids).only(
            "consignment_id", "manifest_sha256", "received_at"
        )
    }
    units = {u.code: u for u in Unit.objects.filter(agency=agency)}
    for manifest_bytes, manifest, found, files in checked:
        problem = found
        if problem is None and manifest is not None:
            before = earlier.get(manifest["consignment_id"])
            unit_code = manifest["recipient"].get("unit")
            if before is not None and before.manifest_sha256 != envelopes.sha256_hex(manifest_bytes):
                problem = EnvelopeProblem(
                    "consignment-conflict", "this consignment arrived before with another manifest"
                )
            elif before is not None:
                results.append(
                    {
                        "consignment_id": manifest["consignment_id"],
                        "manifest_sha256": envelopes.sha256_hex(manifest_bytes),
                        "status": "delivered",
                        "received_at": before.received_at.isoformat(),
                        "problem": None,
                    }
                )
                continue
            elif unit_code and unit_code not in units:
                problem = EnvelopeProblem(
                    "unknown-recipient-unit", f"agency {agency.code!r} has no unit {unit_code!r}"
                )
            else:
                fresh.append((len(results), manifest, files, units.get(unit_code) if unit_code else None))
                results.append(
                    {
                        "consignment_id": manifest["consignment_id"],
                        "manifest_sha256": envelopes.sha256_hex(manifest_bytes),
                        "status": "delivered",
                        "received_at": stamp,
                        "problem": None,
                    }
                )
                continue
        assert problem is not None
        results.append(_refusal_result(manifest_bytes, manifest, problem, stamp))
        refused.append((results[-1], str((manifest or {}).get("consignment_id") or "")))
    receipt = envelopes.batch_receipt_seal(
        batch=batch,
        content=content,
        results=results,
        receiver_node=settings.GOVDOC_NODE_ID,
        received_at=stamp,
        key=_agency_key(agency),
    )
    try:
        _store_batch(batch, content, receipt, results, fresh, refused, node=node, agency=agency, now=now)
    except IntegrityError:
        # A consignment of this batch was kept meanwhile by a concurrent request: answer again
        # from what is kept now (its result becomes a repeat).
        return _keep_batch(batch, content, node=node, peer=peer, agency=agency)
    return Answer(status=200, receipt=receipt)


def _store_batch(
    batch: envelopes.BatchEnvelope,
    content: dict[str, Any],
    receipt: envelopes.Receipt,
    results: list[dict[str, Any]],
    fresh: list[tuple[int, dict[str, Any], Mapping[str, bytes], Unit | None]],
    refused: list[tuple[dict[str, Any], str]],
    *,
    node: Node,
    agency: Agency,
    now: Any,
) -> None:
    manifests = {envelopes.sha256_hex(m): m for m, _f in batch.items}
    with events_batched() as events, transaction.atomic():
        kept = Batch.objects.create(
            direction=Batch.Direction.IN,
            node=node,
            batch_id=content["batch_id"],
            batch=batch.batch,
            batch_sha256=batch.batch_sha256,
            signature=batch.signature,
            receipt=receipt.receipt,
            receipt_signature=receipt.signature,
            created_at=now,
        )
        stored = files_put(
            [(files[f["sha256"]], f["media_type"]) for _i, m, files, _u in fresh for f in m["files"]]
        )
        by_sha = {s.sha256: s for s in stored}
        arrivals = [
            _arrival_new(
                manifest,
                manifest_bytes=manifests[results[index]["manifest_sha256"]],
                node=node,
                received_at=now,
                stored=by_sha,
                batch=kept,
            )
            for index, manifest, _files, _unit in fresh
        ]
        rows_insert(Arrival, arrivals)
        deliveries = rows_insert(
            Delivery,
            [
                Delivery(
                    arrival=a, agency=agency, unit=unit, status=DeliveryStatus.DELIVERED, delivered_at=now
                )
                for a, (_i, _m, _f, unit) in zip(arrivals, fresh, strict=True)
            ],
        )
        for delivery, (_i, manifest, _f, _u) in zip(deliveries, fresh, strict=True):
            _record_received(delivery, manifest, node=node, agency=agency, batch_id=content["batch_id"])
        for result, consignment in refused:
            problem = result["problem"] or {}
            record(
                "distribution.envelope_refused",
                actor=_SYSTEM,
                target=None,
                data={
                    "problem": problem.get("type", ""),
                    "detail": str(problem.get("detail", ""))[:500],
                    "sender_node": node.node_id,
                    "sender_agency": content["sender"]["agency"],
                    "consignment_id": consignment[:36],
                    "manifest_sha256": result["manifest_sha256"],
                    "batch_id": content["batch_id"],
                },
            )
        events.flush()
