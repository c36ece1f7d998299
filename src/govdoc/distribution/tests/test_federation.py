"""Envelopes over real HTTP, inside one installation that trusts itself as a node: a letter to
an agency "on another node" is sent by the outbox task to ``/federation/v1/envelopes`` of a live
server, checked, kept once and answered with a signed receipt; the answer to it goes back the
same way and joins the thread; failed attempts are retried, then marked failed. (Two separate
installations, each with its own database and PKI, are exercised in tests/federation.)"""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database
from govdoc.distribution import consignments, envelopes, nodes, selectors, services
from govdoc.distribution.consignments import (
    consignment_resend,
    consignment_send,
    consignments_overdue_requeue,
)
from govdoc.distribution.errors import NotAllowedToResendError
from govdoc.distribution.models import Arrival, Batch, Consignment, Delivery, OutgoingDocument
from govdoc.distribution.specs import RemoteRecipient
from govdoc.distribution.tests.conftest import PIN, Offices
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import text_pdf
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import detached_verify_trusting

pytestmark = pytest.mark.django_db(transaction=True)
NODE = "rs-self.test"


def _trust_self(offices: Offices, endpoint: str) -> None:
    root = keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode()
    nodes.node_add(
        node_id=NODE,
        name="GovDoc (this node, as a peer)",
        endpoint=endpoint,
        root_certificate=root,
        agencies={offices.ministry.code: offices.ministry.name, offices.city.code: offices.city.name},
        crl=keyring.ensure().crl_der(),
        actor="admin",
    )


def _approve(outgoing: OutgoingDocument, offices: Offices) -> OutgoingDocument:
    services.outgoing_send_for_approval(outgoing=outgoing, steps=offices.line(), actor=offices.drafter)
    step = ApprovalStep.objects.get(line_id=OutgoingDocument.objects.get(pk=outgoing.pk).approval_line_id)
    approvals.step_decide(step=step, actor=offices.head, decision="approve", comment="", pin=PIN)
    run_queued_tasks()
    return OutgoingDocument.objects.get(pk=outgoing.pk)


def _approve_all(drafts: list[OutgoingDocument], offices: Offices) -> None:
    """Send each draft for approval and approve it (its dispatch waits for the worker)."""
    for outgoing in drafts:
        services.outgoing_send_for_approval(outgoing=outgoing, steps=offices.line(), actor=offices.drafter)
        line = OutgoingDocument.objects.get(pk=outgoing.pk).approval_line_id
        approvals.step_decide(
            step=ApprovalStep.objects.get(line_id=line),
            actor=offices.head,
            decision="approve",
            comment="",
            pin=PIN,
        )


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_letter_crosses_to_another_node_is_registered_there_and_answered(
    offices: Offices, live_server: Any
) -> None:
    _trust_self(offices, live_server.url)
    to_city = RemoteRecipient(node=NODE, agency=offices.city.code)

    sent = _approve(offices.draft(recipients=[to_city]), offices)

    assert sent.status == "sent" and sent.registry_entry is not None
    consignment = Consignment.objects.get(outgoing=sent)
    assert consignment.status == "delivered", consignment.last_error
    assert consignment.receipt is not None and consignment.answered_at is not None
    receipt = json.loads(bytes(consignment.receipt))
    assert receipt["status"] == "delivered" and receipt["receiver"] == {"node": NODE, "agency": "gbg"}
    assert receipt["manifest_sha256"] == envelopes.sha256_hex(bytes(consignment.manifest or b""))
    # the registry names the recipient with its node
    assert sent.registry_entry.correspondent == f"{offices.city.name} ({NODE})"

    arrival = Arrival.objects.get()
    assert arrival.consignment_id == consignment.pk and arrival.node.node_id == NODE
    delivery = Delivery.objects.get(arrival=arrival)
    assert (delivery.agency, delivery.status, delivery.outgoing) == (offices.city, "delivered", None)
    assert delivery.title == sent.document.title
    assert delivery.sender_registry_number == sent.registry_entry.registry_number
    # the very sealed bytes the sender keeps
    assert sent.sealed_version is not None
    assert file_read(arrival.main_file) == file_read(sent.sealed_version.file)
    assert list(selectors.incoming_visible(offices.city_registry)) == [delivery]

    registered = services.delivery_register(
        delivery=delivery, actor=offices.city_registry, unit=offices.city_unit, handler=offices.city_handler
    )
    assert registered.received_document is not None
    entry = registered.received_document.registry_entry
    assert entry.direction == "incoming"
    assert entry.correspondent == (f"{offices.ministry.name} ({NODE}), {sent.registry_entry.registry_number}")

    # the answer goes back to the sending agency on its node, and joins the thread there
    reply = services.outgoing_draft(
        actor=offices.city_handler,
        unit=offices.city_unit,
        title="Odgovor: podaci o prebivalištu",
        kind="dopis",
        classification_code="02-05",
        retention_years=10,
        disclosure="not_public",
        legal_ground="Zakon o zaštiti podataka o ličnosti, čl. 12",
        content=text_pdf("Dostavljamo trazene podatke."),
        filename="odgovor.pdf",
        recipients=[RemoteRecipient(node=NODE, agency=offices.ministry.code)],
        in_reply_to=registered,
    )
    services.outgoing_send_for_approval(
        outgoing=reply,
        steps=[approvals.StepSpec("approval", offices.city_head.pk, 1)],
        actor=offices.city_handler,
    )
    step = ApprovalStep.objects.get(line_id=OutgoingDocument.objects.get(pk=reply.pk).approval_line_id)
    approvals.step_decide(step=step, actor=offices.city_head, decision="approve", comment="", pin=PIN)
    run_queued_tasks()

    answer = Arrival.objects.exclude(pk=arrival.pk).get()
    assert answer.answers == sent  # linked to the letter it answers
    manifest = json.loads(bytes(answer.manifest))
    assert manifest["document"]["in_reply_to"] == {"node": NODE, "consignment_id": str(consignment.pk)}
    assert Delivery.objects.get(arrival=answer).agency == offices.ministry

    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"distribution.envelope_received", "distribution.consignment_delivered"} <= events
    assert verify_database(verify_signature=None).ok


@override_settings(GOVDOC_NODE_ID=NODE)
def test_the_same_envelope_again_gets_the_first_receipt_and_a_changed_one_is_refused(
    offices: Offices, live_server: Any
) -> None:
    _trust_self(offices, live_server.url)
    sent = _approve(offices.draft(recipients=[RemoteRecipient(node=NODE, agency=offices.city.code)]), offices)
    consignment = Consignment.objects.get(outgoing=sent)
    assert consignment.status == "delivered"
    sealed = sent.sealed_version
    assert sealed is not None
    envelope = envelopes.Envelope(
        manifest=bytes(consignment.manifest or b""),
        signature=bytes(consignment.signature or b""),
        files={sealed.file_id: file_read(sealed.file)},
    )
    url = live_server.url + "/federation/v1/envelopes"

    status, again = _post(url, json.dumps(envelope.to_json()).encode())

    assert status == 200
    assert base64.b64decode(again["receipt"]) == bytes(consignment.receipt or b"")
    assert Arrival.objects.count() == 1 and Delivery.objects.filter(arrival__isnull=False).count() == 1

    # the same consignment id with another manifest (a changed title), properly signed: refused
    changed = json.loads(envelope.manifest)
    changed["document"]["title"] = "Izmenjen naslov"
    from govdoc.core.jsontypes import canonical_json

    key = keyring.eseal_key(offices.ministry.code, name=offices.ministry.name)
    replay = envelopes.envelope_seal(
        canonical_json(changed),
        [envelopes.EnvelopeFile(name="x.pdf", content=file_read(sealed.file))],
        key=key,
    )
    status, refused = _post(url, json.dumps(replay.to_json()).encode())

    assert status == 409 and refused["type"].endswith("/consignment-conflict")
    content = json.loads(base64.b64decode(refused["receipt"]))
    assert content["status"] == "refused" and content["problem"]["type"] == "consignment-conflict"
    assert Arrival.objects.count() == 1
    assert AuditEvent.objects.filter(event="distribution.envelope_refused").count() == 1


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@override_settings(GOVDOC_NODE_ID=NODE, GOVDOC_FEDERATION_RETRY_SECONDS=60, GOVDOC_FEDERATION_TIMEOUT=2)
def test_a_node_that_does_not_answer_is_asked_again_later_then_the_consignment_fails(
    offices: Offices,
) -> None:
    _trust_self(offices, f"http://127.0.0.1:{_closed_port()}")
    sent = _approve(offices.draft(recipients=[RemoteRecipient(node=NODE, agency=offices.city.code)]), offices)
    consignment = Consignment.objects.get(outgoing=sent)

    assert consignment.status == "sending" and consignment.attempts == 1
    assert "no answer from" in consignment.last_error
    assert consignment.next_attempt_at is not None and consignment.first_attempt_at is not None
    waited = (consignment.next_attempt_at - consignment.first_attempt_at).total_seconds()
    assert 59 <= waited <= 61  # the next attempt waits for the back-off
    assert run_queued_tasks() == 0  # ... and is not run before its time

    # called early, the task keeps the back-off: it schedules itself for then, and sends nothing
    assert consignment_send(consignment_id=consignment.pk) == "sending"
    assert Consignment.objects.get(pk=consignment.pk).attempts == 1
    # when the time comes and the sending time is up, the consignment fails
    Consignment.objects.filter(pk=consignment.pk).update(next_attempt_at=consignment.first_attempt_at)
    with override_settings(GOVDOC_FEDERATION_SEND_SECONDS=0):
        assert consignment_send(consignment_id=consignment.pk) == "failed"

    failed = Consignment.objects.get(pk=consignment.pk)
    assert failed.status == "failed" and failed.attempts == 2
    # only the sending agency's registry clerk or the drafting unit sends it again
    with pytest.raises(NotAllowedToResendError):
        consignment_resend(consignment=failed, actor=offices.city_registry)
    assert Consignment.objects.get(pk=consignment.pk).status == "failed"
    event = AuditEvent.objects.get(event="distribution.consignment_failed")
    assert event.data["attempts"] == 2 and "no answer from" in event.data["why"]
    assert not Arrival.objects.exists()


@override_settings(GOVDOC_NODE_ID=NODE)
def test_consignments_due_to_one_agency_go_as_one_batch_with_one_seal_and_one_receipt(
    offices: Offices, live_server: Any
) -> None:
    _trust_self(offices, live_server.url)
    to_city = RemoteRecipient(node=NODE, agency=offices.city.code)
    to_no_unit = RemoteRecipient(node=NODE, agency=offices.city.code, unit="nepostojeca")
    drafts = [offices.draft(recipients=[to_city]) for _ in range(3)] + [
        offices.draft(recipients=[to_no_unit])
    ]
    _approve_all(drafts, offices)  # one after the other; the worker runs afterwards
    run_queued_tasks()

    sent = list(Consignment.objects.order_by("outgoing__created_at"))
    assert [c.status for c in sent] == ["delivered", "delivered", "delivered", "refused"]
    assert len({c.batch_id for c in sent}) == 1 and sent[0].batch is not None  # one batch
    assert all(c.signature is None for c in sent)  # no envelope sealed alone: one seal for all
    assert sent[3].problem_type == "unknown-recipient-unit"
    out, came = Batch.objects.get(direction="out"), Batch.objects.get(direction="in")
    assert bytes(out.batch) == bytes(came.batch) and bytes(out.receipt) == bytes(came.receipt)
    receipt = json.loads(bytes(out.receipt))
    listed = json.loads(bytes(out.batch))["manifests"]
    assert sorted(envelopes.sha256_hex(bytes(c.manifest or b"")) for c in sent) == sorted(listed)
    answered = {r["consignment_id"]: r["status"] for r in receipt["results"]}
    assert answered == {str(c.pk): c.status for c in sent}
    # the proof holds for a third party: the batch and its receipt verify against the root
    root = (keyring.ensure().root_certificate(),)
    crls = (keyring.ensure().crl_der(),)
    for data, signature in ((out.batch, out.signature), (out.receipt, out.receipt_signature)):
        report = detached_verify_trusting(bytes(data), bytes(signature), roots=root, crls=crls)
        assert report.state is Verdict.AUTHENTIC, report.reasons
    arrivals = Arrival.objects.all()
    assert arrivals.count() == 3 and {a.batch_id for a in arrivals} == {came.pk}
    assert AuditEvent.objects.filter(event="distribution.envelope_received").count() == 3
    assert AuditEvent.objects.filter(event="distribution.envelope_refused").count() == 1

    # the same batch again: every result as before, nothing kept twice
    sealed = envelopes.BatchEnvelope(
        batch=bytes(out.batch),
        signature=bytes(out.signature),
        items=[
            (
                bytes(c.manifest or b""),
                {c.outgoing.sealed_version.file_id: file_read(c.outgoing.sealed_version.file)},
            )
            for c in sorted(sent, key=lambda c: listed.index(envelopes.sha256_hex(bytes(c.manifest or b""))))
        ],
    )
    status, again = _post(live_server.url + "/federation/v1/batches", json.dumps(sealed.to_json()).encode())
    assert status == 200
    results = json.loads(base64.b64decode(again["receipt"]))["results"]
    assert {r["consignment_id"]: r["status"] for r in results} == answered
    first_times = {
        r["consignment_id"]: r["received_at"] for r in receipt["results"] if r["status"] == "delivered"
    }
    assert {
        r["consignment_id"]: r["received_at"] for r in results if r["status"] == "delivered"
    } == first_times
    assert Arrival.objects.count() == 3
    assert verify_database(verify_signature=None).ok


@override_settings(GOVDOC_NODE_ID=NODE)
def test_while_a_batch_travels_the_tasks_of_its_other_consignments_wait_for_its_claim(
    offices: Offices, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker does not take a consignment's task only to find it in a batch on the way:
    the task waits until the batch's claim ends, and is dropped once the batch is answered."""
    _trust_self(offices, live_server.url)
    to_city = RemoteRecipient(node=NODE, agency=offices.city.code)
    _approve_all([offices.draft(recipients=[to_city]) for _ in range(3)], offices)
    seen: list[dict[str, Any]] = []
    real_post = consignments.envelope_post

    def post_and_look(**kwargs: Any) -> tuple[int, bytes]:
        claims = dict(Consignment.objects.values_list("pk", "claimed_until"))
        waiting = {
            task.args_kwargs["kwargs"]["consignment_id"]: task.run_after
            for task in DBTaskResult.objects.filter(status="READY")
            if "consignment_id" in task.args_kwargs["kwargs"]
        }
        seen.append({"claims": claims, "waiting": waiting})
        return real_post(**kwargs)

    monkeypatch.setattr(consignments, "envelope_post", post_and_look)
    run_queued_tasks()

    assert list(Consignment.objects.values_list("status", flat=True)) == ["delivered"] * 3
    assert len(seen) == 1  # one batch for the three
    claims, waiting = seen[0]["claims"], seen[0]["waiting"]
    assert len(waiting) == 2  # the two other consignments' tasks, not taken meanwhile ...
    for consignment_id, run_after in waiting.items():
        assert run_after == claims[uuid.UUID(consignment_id)]  # ... held until the claim ends
    assert not DBTaskResult.objects.filter(status="READY").exists()  # and dropped once answered


@override_settings(GOVDOC_NODE_ID=NODE, GOVDOC_FEDERATION_TIMEOUT=2)
def test_a_consignment_that_lost_its_task_gets_one_again_from_the_periodic_sweep(offices: Offices) -> None:
    _trust_self(offices, f"http://127.0.0.1:{_closed_port()}")
    sent = _approve(offices.draft(recipients=[RemoteRecipient(node=NODE, agency=offices.city.code)]), offices)
    consignment = Consignment.objects.get(outgoing=sent)
    assert consignment.status == "sending" and consignment.next_attempt_at is not None
    DBTaskResult.objects.all().delete()  # as if the jobs domain had given its task up
    assert consignments_overdue_requeue() == 0  # not overdue yet

    long_ago = consignment.next_attempt_at - dt.timedelta(hours=2)
    Consignment.objects.filter(pk=consignment.pk).update(next_attempt_at=long_ago, first_attempt_at=long_ago)
    assert consignments_overdue_requeue() == 1
    assert run_queued_tasks() == 1
    assert Consignment.objects.get(pk=consignment.pk).attempts == 2  # it was tried again


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_batch_travels_in_cbor_to_a_node_that_takes_it_and_in_json_to_one_that_does_not(
    offices: Offices, live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _trust_self(offices, live_server.url)
    to_city = RemoteRecipient(node=NODE, agency=offices.city.code)
    sent_as: list[str] = []
    real_post = consignments.envelope_post

    def post_and_note(**kwargs: Any) -> tuple[int, bytes]:
        sent_as.append(kwargs.get("content_type", envelopes.JSON_BODY))
        return real_post(**kwargs)

    monkeypatch.setattr(consignments, "envelope_post", post_and_note)
    # this node's capabilities list the CBOR body; an address with no GovDoc behind it does not
    assert consignments.takes_cbor(endpoint=live_server.url, root_pem="")
    assert not consignments.takes_cbor(endpoint=live_server.url + "/nowhere", root_pem="")

    _approve_all([offices.draft(recipients=[to_city]) for _ in range(2)], offices)
    run_queued_tasks()
    assert sent_as == [envelopes.CBOR_BODY]

    # a node that answers (as an older GovDoc) without CBOR in its capabilities gets JSON
    monkeypatch.setitem(consignments._takes_cbor, live_server.url, (time.monotonic(), False))
    _approve_all([offices.draft(recipients=[to_city]) for _ in range(2)], offices)
    run_queued_tasks()
    assert sent_as == [envelopes.CBOR_BODY, envelopes.JSON_BODY]

    assert list(Consignment.objects.values_list("status", flat=True)) == ["delivered"] * 4
    assert Batch.objects.filter(direction="in").count() == 2 and Arrival.objects.count() == 4
