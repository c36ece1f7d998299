"""Sending official documents to agencies on other nodes: one envelope per consignment.

When an outgoing document is sent (``services.outgoing_finish``), each recipient on another
node has a ``Consignment``; ``consignments_queue`` writes a task for each in that same
transaction (the transactional outbox the whole installation uses), so an approved document is
sent even if the process dies right after. The task (``consignment_send``) makes one attempt:

1. the first attempt builds the envelope (the manifest of the sealed PDF, signed with the
   sending agency's e-seal) and keeps it: every later attempt sends the very same bytes, which
   is what lets the receiving node recognise a repeat;
2. it posts the envelope to the node's ``/federation/v1/envelopes`` (HTTPS with this node's
   client certificate; plain HTTP only on the loopback);
3. an answer with a receipt that passes ``envelopes.receipt_check`` ends the consignment:
   delivered, or refused with the receiving node's reason; the receipt is kept as proof;
4. anything else (no connection, a 5xx, a receipt that does not check out) is a failed attempt:
   the next is scheduled with exponential back-off, until ``GOVDOC_FEDERATION_SEND_SECONDS``
   after the first attempt; then the consignment is failed, and the registry clerk sees it.

A worker killed during an attempt is harmless: the task is taken again (``govdoc.jobs``) and
the receiving node answers a repeat with its first receipt, without registering it twice.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import ssl
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.audit.services import events_batched, record
from govdoc.core import clock
from govdoc.core.rows import rows_update
from govdoc.distribution import envelopes
from govdoc.distribution.constants import ConsignmentStatus
from govdoc.distribution.errors import NotAllowedToResendError
from govdoc.distribution.models import Batch, Consignment, OutgoingDocument
from govdoc.distribution.nodes import peer_trust
from govdoc.distribution.selectors import may_resend
from govdoc.documents.storage import file_read
from govdoc.jobs.services import tasks_ready_defer, tasks_ready_drop
from govdoc.signatures import keyring

_SYSTEM = "distribution"
logger = logging.getLogger(__name__)
PATH = "/federation/v1/envelopes"


def consignments_queue(*, outgoing: OutgoingDocument) -> int:
    """Queue every planned consignment of ``outgoing`` (call it in the transaction that sends
    the document). Returns how many were queued."""
    from govdoc.distribution.tasks import consignment_send_run

    planned = list(
        outgoing.consignments.filter(status=ConsignmentStatus.PLANNED).values_list("pk", flat=True)
    )
    Consignment.objects.filter(pk__in=planned).update(status=ConsignmentStatus.SENDING)
    for pk in planned:
        consignment_send_run.enqueue(consignment_id=str(pk))
    return len(planned)


@transaction.atomic
def consignment_resend(*, consignment: Consignment, actor: Person) -> Consignment:
    """Send a consignment that did not arrive once more (a new sending time, the same envelope:
    a receiving node that took it in the meantime answers with its first receipt). Only a
    registry clerk of the sending agency or an official of the drafting unit may
    (``selectors.may_resend``)."""
    from govdoc.distribution.tasks import consignment_send_run

    locked = Consignment.objects.select_for_update().select_related("outgoing").get(pk=consignment.pk)
    if locked.status not in (ConsignmentStatus.FAILED, ConsignmentStatus.REFUSED):
        return locked
    if not may_resend(actor, locked):
        raise NotAllowedToResendError(
            _("only a registry clerk of the sending agency or the drafting unit sends it again"),
            consignment_id=str(locked.pk),
        )
    before = locked.status
    # A refusal's receipt stays until the next answer replaces it (its digest is in the audit).
    locked.status, locked.first_attempt_at, locked.next_attempt_at = ConsignmentStatus.SENDING, None, None
    locked.save(update_fields=["status", "first_attempt_at", "next_attempt_at"])
    consignment_send_run.enqueue(consignment_id=str(locked.pk))
    record(
        "distribution.consignment_resent",
        actor=actor,
        target=locked,
        data={"outgoing_id": str(locked.outgoing_id), "was": before, "attempts": locked.attempts},
    )
    return locked


# ---------------------------------------------------------------------------- the envelope


def _files(consignment: Consignment) -> list[envelopes.EnvelopeFile]:
    version = consignment.outgoing.sealed_version
    assert version is not None
    return [envelopes.EnvelopeFile(name=version.filename, content=file_read(version.file))]


def _in_reply_to(outgoing: OutgoingDocument) -> dict[str, str] | None:
    answered = outgoing.in_reply_to
    if answered is None or answered.arrival is None:
        return None
    return {"node": answered.arrival.node.node_id, "consignment_id": str(answered.arrival.consignment_id)}


def manifest_of(consignment: Consignment, files: list[envelopes.EnvelopeFile]) -> bytes:
    """The manifest of a consignment: who sends what to whom, and the files by hash."""
    outgoing = consignment.outgoing
    entry, document = outgoing.registry_entry, outgoing.document
    assert entry is not None
    facts: dict[str, Any] = {
        "title": document.title,
        "kind": outgoing.kind,
        "classification_code": document.classification_code,
        "disclosure": document.disclosure,
        "retention_years": outgoing.retention_years,
        "in_reply_to": _in_reply_to(outgoing),
    }
    if document.legal_ground:
        facts["legal_ground"] = document.legal_ground
    return envelopes.manifest_build(
        consignment_id=consignment.pk,
        created_at=clock.now().isoformat(),
        sender={
            "node": settings.GOVDOC_NODE_ID,
            "agency": outgoing.agency.code,
            "agency_name": outgoing.agency.name,
            "unit": outgoing.unit.code,
            "registry_number": entry.registry_number,
            "registered_at": entry.registered_at.isoformat(),
        },
        recipient={
            "node": consignment.node.node_id,
            "agency": consignment.agency_code,
            "unit": consignment.unit_code or None,
        },
        document=facts,
        files=files,
        # its fields come from checked models; the receiving node checks the schema, and
        # tests/federation and distribution's tests send every kind of manifest through it
        validate=False,
    )


def _manifest_kept(consignment: Consignment, files: list[envelopes.EnvelopeFile]) -> bytes:
    """The consignment's manifest: built on the first attempt and kept, so every attempt (alone
    or in a batch) sends the same bytes, which is what lets the receiving node know a repeat."""
    if consignment.manifest is None:
        # Two attempts racing (a retried task beside a slow one) keep the first manifest.
        Consignment.objects.filter(pk=consignment.pk, manifest__isnull=True).update(
            manifest=manifest_of(consignment, files)
        )
        consignment.refresh_from_db(fields=["manifest", "signature"])
    assert consignment.manifest is not None
    return bytes(consignment.manifest)


def envelope_of(consignment: Consignment) -> envelopes.Envelope:
    """The consignment's envelope when it travels alone: its kept manifest, signed with the
    sending agency's e-seal (once, then kept too)."""
    files = _files(consignment)
    manifest = _manifest_kept(consignment, files)
    if consignment.signature is None:
        key = keyring.eseal_key(consignment.outgoing.agency.code, name=consignment.outgoing.agency.name)
        sealed = envelopes.envelope_seal(manifest, files, key=key)
        Consignment.objects.filter(pk=consignment.pk, signature__isnull=True).update(
            signature=sealed.signature
        )
        consignment.refresh_from_db(fields=["signature"])
    assert consignment.signature is not None
    return envelopes.Envelope(
        manifest=manifest, signature=bytes(consignment.signature), files={f.sha256: f.content for f in files}
    )


# ---------------------------------------------------------------------------- the transport


class SendFailed(Exception):
    """One attempt did not get a receipt that checks out (retried)."""


class BatchRefused(Exception):
    """The receiving node refused a batch as a whole, or takes no batches: its envelopes go
    one by one, so that each gets its own answer."""


def _ssl_context(root_pem: str) -> ssl.SSLContext:
    """Trust the node's own root CA beside the system's; present this node's client
    certificate (mutual TLS) when one is configured."""
    context = ssl.create_default_context()
    context.load_verify_locations(cadata=root_pem)
    cert, key = settings.GOVDOC_FEDERATION_CLIENT_CERT, settings.GOVDOC_FEDERATION_CLIENT_KEY
    if cert:
        context.load_cert_chain(cert, key or None)
    return context


def envelope_url(endpoint: str, what: str = "envelopes") -> str:
    """Where a node takes envelopes (``what``: "envelopes" or "batches"): its federation
    endpoint (its base address, or the address of its ``/federation/v1``) and ``/what``."""
    base = endpoint.rstrip("/")
    return (base if base.endswith("/federation/v1") else base + "/federation/v1") + "/" + what


# What each node's /batches takes, as its capabilities said (per process: endpoint →
# (monotonic time of asking, CBOR taken)). Asked again after a while, as a node may be upgraded.
_takes_cbor: dict[str, tuple[float, bool]] = {}
CAPABILITIES_SECONDS = 600.0


def takes_cbor(*, endpoint: str, root_pem: str) -> bool:
    """Whether the node at ``endpoint`` takes batches in CBOR (``envelopes.CBOR_BODY`` listed in
    its capabilities' ``batch_bodies``, of the format this node writes). A node that does not
    answer, or an older one, gets JSON, which every node takes; the question is asked again
    after ``CAPABILITIES_SECONDS`` (a minute when it was not answered)."""
    now = time.monotonic()
    known = _takes_cbor.get(endpoint)
    if known is not None and now - known[0] < CAPABILITIES_SECONDS:
        return known[1]
    url = envelope_url(endpoint, "capabilities")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    context = _ssl_context(root_pem) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.GOVDOC_FEDERATION_TIMEOUT, context=context
        ) as answer:
            said = json.loads(answer.read(envelopes.MAX_ANSWER_BYTES))
        cbor = (
            isinstance(said, dict)
            and envelopes.CBOR_BODY in (said.get("batch_bodies") or [])
            and said.get("batch_body_cbor_format") == envelopes.BATCH_BODY_FORMAT
        )
    except (urllib.error.URLError, OSError, ValueError):
        _takes_cbor[endpoint] = (now - CAPABILITIES_SECONDS + 60.0, False)
        return False
    _takes_cbor[endpoint] = (now, cbor)
    return cbor


def envelope_post(
    *,
    endpoint: str,
    root_pem: str,
    body: bytes,
    what: str = "envelopes",
    content_type: str = envelopes.JSON_BODY,
) -> tuple[int, bytes]:
    """POST an envelope (or a batch); the HTTP status and the answer's bytes. Raises
    SendFailed when no answer came."""
    url = envelope_url(endpoint, what)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked when a node is trusted
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "Accept": "application/json",
            "X-GovDoc-Node": settings.GOVDOC_NODE_ID,
        },
    )
    context = _ssl_context(root_pem) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.GOVDOC_FEDERATION_TIMEOUT, context=context
        ) as answer:
            return answer.status, answer.read(envelopes.MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(envelopes.MAX_ANSWER_BYTES)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SendFailed(f"no answer from {url}: {getattr(exc, 'reason', exc)}") from exc


def _transient(status: int) -> bool:
    return status == 429 or (status >= 500 and status not in (501, 505))


def _receipt_from(status: int, answer: bytes) -> envelopes.Receipt:
    try:
        body = json.loads(answer)
        return envelopes.Receipt(
            receipt=base64.b64decode(body["receipt"], validate=True),
            signature=base64.b64decode(body["signature"], validate=True),
        )
    except (ValueError, KeyError, TypeError):
        raise SendFailed(f"the node answered {status} without a receipt") from None


# ---------------------------------------------------------------------------- one attempt

# What an attempt reads of each consignment it sends (besides its node and sending agency,
# which the claimed group shares).
_PER_CONSIGNMENT = (
    "outgoing__unit",
    "outgoing__document",
    "outgoing__registry_entry",
    "outgoing__sealed_version__file",
    "outgoing__in_reply_to__arrival__node",
)


def _claim_seconds() -> float:
    """How long an attempt may hold its consignments: the answer's wait, and room to spare."""
    return float(settings.GOVDOC_FEDERATION_TIMEOUT) * 2 + 30.0


def _again_at(consignment: Consignment, when: dt.datetime) -> None:
    """A task for this consignment at ``when`` (every consignment being sent has one)."""
    from govdoc.distribution.tasks import consignment_send_run

    consignment_send_run.using(run_after=when).enqueue(consignment_id=str(consignment.pk))


def _claim(consignment: Consignment, now: dt.datetime) -> list[Consignment]:
    """This consignment and up to a batch's worth of others due to the same agency of the
    same node, from the same agency, claimed for this attempt (other workers leave them
    alone until it ends or the claim runs out). Empty: another attempt holds this one."""
    from govdoc.distribution.tasks import consignment_send_run

    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + dt.timedelta(seconds=1))
    until = now + dt.timedelta(seconds=_claim_seconds())
    with transaction.atomic():
        mine = (
            Consignment.objects.select_for_update(skip_locked=True)
            .filter(free, pk=consignment.pk, status=ConsignmentStatus.SENDING)
            .first()
        )
        if mine is None:
            return []
        others = list(
            Consignment.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                free,
                due,
                status=ConsignmentStatus.SENDING,
                outgoing__agency_id=consignment.outgoing.agency_id,
                node_id=consignment.node_id,
                agency_code=consignment.agency_code,
            )
            .exclude(pk=consignment.pk)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[: settings.GOVDOC_FEDERATION_BATCH - 1]
        )
        ids = [consignment.pk, *others]
        Consignment.objects.filter(pk__in=ids).update(
            claimed_until=until,
            first_attempt_at=Coalesce(F("first_attempt_at"), Value(now, output_field=DateTimeField())),
        )
        # their own tasks wait for the claim to end instead of being taken (and put back) by
        # other workers while this batch travels; it drops them once answered
        tasks_ready_defer(
            task_path=consignment_send_run.module_path,
            kwarg="consignment_id",
            values=[str(pk) for pk in others],
            until=until,
        )
    # The node and the sending agency are the same for the whole group (the claim's filter):
    # read once and shared, not joined and built again for every consignment.
    node, agency = consignment.node, consignment.outgoing.agency
    group = Consignment.objects.select_related(*_PER_CONSIGNMENT).in_bulk(ids)
    for one in group.values():
        one.node = node
        one.outgoing.agency = agency
    return [group[pk] for pk in ids if pk in group]


def consignment_send(*, consignment_id: uuid.UUID | str) -> str:
    """One attempt to send a consignment (the task body), together with others due to the
    same agency of the same node when there are (a batch, one e-seal for all); returns its
    status afterwards."""
    consignment = (
        Consignment.objects.select_related("node", "outgoing__agency").filter(pk=consignment_id).first()
    )
    if consignment is None or consignment.status != ConsignmentStatus.SENDING:
        return consignment.status if consignment is not None else "gone"
    now = clock.now()
    if consignment.claimed_until is not None and consignment.claimed_until > now:
        _again_at(consignment, consignment.claimed_until)  # in another attempt's batch
        return consignment.status
    if consignment.next_attempt_at is not None and consignment.next_attempt_at > now + dt.timedelta(
        seconds=1
    ):
        _again_at(consignment, consignment.next_attempt_at)  # an earlier task: keep the back-off
        return consignment.status
    group = _claim(consignment, now)
    if not group:
        consignment.refresh_from_db(fields=["claimed_until"])
        _again_at(consignment, consignment.claimed_until or now + dt.timedelta(seconds=_claim_seconds()))
        return consignment.status
    peer = peer_trust(consignment.node.node_id)
    if peer is None:
        for one in group:
            _attempt_failed(
                one,
                f"node {consignment.node.node_id} is not trusted: not active in the signed trust list",
                leader=one == consignment,
            )
        return Consignment.objects.get(pk=consignment.pk).status
    if len(group) > 1:
        try:
            _send_batch(group, peer)
        except BatchRefused:
            group_alone = group
        else:
            return Consignment.objects.get(pk=consignment.pk).status
    else:
        group_alone = group
    for one in group_alone:
        _send_alone(one, peer, leader=one.pk == consignment.pk)
    return Consignment.objects.get(pk=consignment.pk).status


def _send_alone(consignment: Consignment, peer: envelopes.PeerTrust, *, leader: bool) -> None:
    try:
        envelope = envelope_of(consignment)
        body = json.dumps(envelope.to_json(), separators=(",", ":")).encode("ascii")
        status, answer = envelope_post(
            endpoint=consignment.node.endpoint, root_pem=consignment.node.root_certificate, body=body
        )
        if _transient(status):
            raise SendFailed(f"the node answered {status}; it will be asked again")
        receipt = _receipt_from(status, answer)
        try:
            content = envelopes.receipt_check(receipt, envelope=envelope, peer=peer)
        except envelopes.EnvelopeProblem as exc:
            raise SendFailed(f"the receipt does not check out: {exc.detail}") from exc
    except SendFailed as exc:
        _attempt_failed(consignment, str(exc), leader=leader)
        return
    with events_batched() as events, transaction.atomic():
        _answered(consignment, content, receipt=receipt, batch=None)
        events.flush()


def _send_batch(group: list[Consignment], peer: envelopes.PeerTrust) -> None:
    """Send ``group`` as one batch and apply the receipt's result to each; a failed attempt
    is recorded on each (the first of the group schedules the next)."""
    first = group[0]
    agency = first.outgoing.agency
    files = {one.pk: _files(one) for one in group}
    manifests = _manifests_kept(group, files)
    items = [(manifests[one.pk], {f.sha256: f.content for f in files[one.pk]}) for one in group]
    batch_id = uuid.uuid4()
    batch = envelopes.batch_build(
        batch_id=batch_id,
        created_at=clock.now().isoformat(),
        sender={"node": settings.GOVDOC_NODE_ID, "agency": agency.code},
        recipient={"node": first.node.node_id, "agency": first.agency_code},
        manifests=[manifest for manifest, _contents in items],
    )
    sealed = envelopes.batch_seal(batch, items, key=keyring.eseal_key(agency.code, name=agency.name))
    node = first.node
    try:
        cbor = takes_cbor(endpoint=node.endpoint, root_pem=node.root_certificate)
        status, answer = 415, b""
        if cbor:
            status, answer = envelope_post(
                endpoint=node.endpoint,
                root_pem=node.root_certificate,
                body=sealed.to_cbor(),
                what="batches",
                content_type=envelopes.CBOR_BODY,
            )
        if status == 415:  # no CBOR, or no longer this format: JSON, which every node takes
            if cbor:
                _takes_cbor[node.endpoint] = (time.monotonic(), False)
            status, answer = envelope_post(
                endpoint=node.endpoint,
                root_pem=node.root_certificate,
                body=json.dumps(sealed.to_json(), separators=(",", ":")).encode("ascii"),
                what="batches",
            )
        if status in (404, 405, 501):
            raise BatchRefused  # a node that takes envelopes one by one only
        if _transient(status):
            raise SendFailed(f"the node answered {status}; it will be asked again")
        receipt = _receipt_from(status, answer)
        if status >= 400:
            raise BatchRefused  # refused whole (one plain receipt): each goes alone for its own answer
        try:
            content = envelopes.batch_receipt_check(receipt, batch=sealed, peer=peer)
        except envelopes.EnvelopeProblem as exc:
            raise SendFailed(f"the receipt does not check out: {exc.detail}") from exc
    except SendFailed as exc:
        for index, one in enumerate(group):
            _attempt_failed(one, str(exc), leader=index == 0)
        return
    results = {r["manifest_sha256"]: r for r in content["results"]}
    with events_batched() as events, transaction.atomic():
        kept = Batch.objects.create(
            direction=Batch.Direction.OUT,
            node=first.node,
            batch_id=batch_id,
            batch=sealed.batch,
            batch_sha256=sealed.batch_sha256,
            signature=sealed.signature,
            receipt=receipt.receipt,
            receipt_signature=receipt.signature,
            created_at=clock.now(),
        )
        answered, missing = {}, []
        for one, (manifest, _contents) in zip(group, items, strict=True):
            result = results.get(envelopes.sha256_hex(manifest))
            if result is None or result.get("consignment_id") != str(one.pk):
                missing.append(one)
            else:
                answered[one.pk] = result
        _answered_all(group, answered, batch=kept)
        events.flush()
        # the other consignments' own tasks have nothing left to do: one worker's round each
        # (claim, look, finish) would cost more than the batch itself
        from govdoc.distribution.tasks import consignment_send_run

        tasks_ready_drop(
            task_path=consignment_send_run.module_path,
            kwarg="consignment_id",
            values=[str(pk) for pk in answered if pk != first.pk],
        )
    for one in missing:
        _attempt_failed(one, "the batch's receipt has no result for it", leader=one.pk == first.pk)


def _manifests_kept(
    group: list[Consignment], files: dict[uuid.UUID, list[envelopes.EnvelopeFile]]
) -> dict[uuid.UUID, bytes]:
    """The manifests of a batch's consignments (``_manifest_kept`` for many): those not built
    yet are built and kept in one statement, the first kept winning (one kept meanwhile by a
    racing attempt is read back)."""
    built = {c.pk: manifest_of(c, files[c.pk]) for c in group if c.manifest is None}
    if built:
        changed = rows_update(Consignment, ["manifest"], list(built.items()), unless="manifest")
        won = set(changed) if changed is not None else set()
        late = [pk for pk in built if pk not in won]
        kept = dict(Consignment.objects.filter(pk__in=late).values_list("pk", "manifest")) if late else {}
        for c in group:
            if c.pk in kept:
                c.manifest = kept[c.pk]
            elif c.pk in built:
                c.manifest = built[c.pk]
    return {c.pk: bytes(c.manifest or b"") for c in group}


def _answered_all(
    group: list[Consignment], results: dict[uuid.UUID, dict[str, Any]], *, batch: Batch
) -> None:
    """``_answered`` for the consignments of a batch: locked, changed and written in one
    statement each (in the caller's transaction)."""
    nodes = {c.pk: c.node.node_id for c in group}
    locked = list(
        Consignment.objects.select_for_update().filter(pk__in=list(results), status=ConsignmentStatus.SENDING)
    )
    now = clock.now()
    proof = envelopes.sha256_hex(bytes(batch.receipt))
    for one in locked:
        result = results[one.pk]
        _apply_answer(one, result, now=now, batch=batch)
        _record_answer(one, result, node=nodes[one.pk], receipt_sha256=proof)
    rows_update(
        Consignment,
        [
            "status",
            "batch",
            "answered_at",
            "problem_type",
            "problem_detail",
            "attempts",
            "last_attempt_at",
            "next_attempt_at",
            "claimed_until",
        ],
        [
            (
                one.pk,
                one.status,
                batch.pk,
                one.answered_at,
                one.problem_type,
                one.problem_detail,
                one.attempts,
                one.last_attempt_at,
                None,
                None,
            )
            for one in locked
        ],
    )


def _apply_answer(
    one: Consignment, content: dict[str, Any], *, now: dt.datetime, batch: Batch | None
) -> None:
    problem = content.get("problem") or {}
    one.status = (
        ConsignmentStatus.DELIVERED if content["status"] == "delivered" else ConsignmentStatus.REFUSED
    )
    one.batch = batch
    one.answered_at = dt.datetime.fromisoformat(content["received_at"])
    one.problem_type, one.problem_detail = problem.get("type", ""), problem.get("detail", "")[:1000]
    one.attempts += 1
    one.last_attempt_at, one.next_attempt_at, one.claimed_until = now, None, None


def _record_answer(one: Consignment, content: dict[str, Any], *, node: str, receipt_sha256: str) -> None:
    record(
        "distribution.consignment_delivered"
        if one.status == ConsignmentStatus.DELIVERED
        else "distribution.consignment_refused",
        actor=_SYSTEM,
        target=one,
        data={
            "outgoing_id": str(one.outgoing_id),
            "node": node,
            "agency": one.agency_code,
            "manifest_sha256": content["manifest_sha256"],
            "receipt_sha256": receipt_sha256,
            "batch_id": str(one.batch.batch_id) if one.batch is not None else None,
            "problem": one.problem_type or None,
            "attempts": one.attempts,
        },
    )


def _answered(
    consignment: Consignment,
    content: dict[str, Any],
    *,
    receipt: envelopes.Receipt | None,
    batch: Batch | None,
) -> None:
    """Keep the receiving node's answer to ``consignment`` (its own receipt, or its result in
    ``batch``'s receipt); in the caller's transaction."""
    locked = Consignment.objects.select_for_update().get(pk=consignment.pk)
    if locked.status != ConsignmentStatus.SENDING:
        return  # a concurrent attempt stored the answer first
    if receipt is not None:
        locked.receipt, locked.receipt_signature = receipt.receipt, receipt.signature
    _apply_answer(locked, content, now=clock.now(), batch=batch)
    locked.save()
    proof = receipt.receipt if receipt is not None else bytes(batch.receipt) if batch is not None else b""
    _record_answer(locked, content, node=consignment.node.node_id, receipt_sha256=envelopes.sha256_hex(proof))


def retry_delay_seconds(attempts: int) -> float:
    """Exponential back-off between attempts: base, 2x base, 4x base ... capped at one hour."""
    base = float(settings.GOVDOC_FEDERATION_RETRY_SECONDS)
    return float(min(base * (2 ** max(attempts - 1, 0)), 3600.0))


@transaction.atomic
def _attempt_failed(consignment: Consignment, why: str, *, leader: bool = True) -> None:
    """Record a failed attempt: the next after the back-off, or failed once the sending time
    is up. ``leader``: the consignment whose task made the attempt schedules its next task
    (the others of a batch have theirs already)."""
    locked = Consignment.objects.select_for_update().get(pk=consignment.pk)
    if locked.status != ConsignmentStatus.SENDING:
        return
    now = clock.now()
    locked.attempts += 1
    locked.last_attempt_at, locked.last_error, locked.claimed_until = now, why[:500], None
    first = locked.first_attempt_at or now
    give_up = first + dt.timedelta(seconds=settings.GOVDOC_FEDERATION_SEND_SECONDS)
    if now >= give_up:
        locked.status, locked.next_attempt_at = ConsignmentStatus.FAILED, None
        locked.save()
        record(
            "distribution.consignment_failed",
            actor=_SYSTEM,
            target=locked,
            data={
                "outgoing_id": str(locked.outgoing_id),
                "node": consignment.node.node_id,
                "agency": locked.agency_code,
                "attempts": locked.attempts,
                "why": locked.last_error,
            },
        )
        return
    locked.next_attempt_at = min(now + dt.timedelta(seconds=retry_delay_seconds(locked.attempts)), give_up)
    locked.save()
    if leader:
        # The next attempt is a new task row in this transaction: it exists exactly when this
        # failure is recorded. Not audited: an attempt changes no fact; its error is on the row.
        _again_at(locked, locked.next_attempt_at)


# ---------------------------------------------------------------------------- repair

# A consignment being sent whose next attempt is this late has lost its task (an unexpected
# error made the jobs domain give it up): the periodic sweep gives it one again.
OVERDUE_SECONDS = 3600.0


def consignments_overdue_requeue() -> int:
    """A task again for each consignment being sent whose attempt is more than an hour
    overdue and that no attempt holds (the periodic job ``federation-overdue``). A task too
    many is harmless: it finds the consignment answered or claimed. Returns how many."""
    now = clock.now()
    late = now - dt.timedelta(seconds=OVERDUE_SECONDS)
    overdue = list(
        Consignment.objects.filter(status=ConsignmentStatus.SENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(Q(next_attempt_at__lt=late) | Q(next_attempt_at__isnull=True, first_attempt_at__lt=late))[
            :1000
        ]
    )
    with transaction.atomic():
        for consignment in overdue:
            _again_at(consignment, now)
    if overdue:
        logger.warning("%d consignment(s) had lost their task and were queued again", len(overdue))
    return len(overdue)
