"""An official's letter through the officials' pages, the way people of two agencies of the demo
use them: the handler of the police drafts it (the errors shown beside the fields first), the
head of unit approves it in the workspace with the signing PIN, the worker numbers, seals and
delivers it; the City of Belgrade's registry clerk registers and assigns it, the assigned
handler reads it (the reading is recorded) and answers; the answer is linked both ways."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Agency, Person, Unit
from govdoc.audit.models import AuditEvent
from govdoc.distribution import nodes
from govdoc.distribution.models import Consignment, Delivery, OutgoingDocument, Reading
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import text_pdf
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify
from tests.support import PIN, log_in, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TITLE = "Zahtev za dostavu podataka o prebivalištu"


def _as(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def _pdf(text: str = "Molimo da nam dostavite podatke.") -> SimpleUploadedFile:
    return SimpleUploadedFile("dopis.pdf", text_pdf(text), "application/pdf")


def _letter_form(**overrides: object) -> dict[str, object]:
    beograd = Agency.objects.get(code="beograd")
    form: dict[str, object] = {
        "unit": str(Unit.objects.get(code="pu-beograd").pk),
        "title": TITLE,
        "kind": "dopis",
        "classification_code": "02-05",
        "retention": "10",
        "disclosure": "not_public",
        "legal_ground": "Zakon o zaštiti podataka o ličnosti, čl. 12",
        "recipients": [f"agency:{beograd.pk}"],
        "file": _pdf(),
    }
    form.update(overrides)
    return form


def _field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="err_{field}">([^<]+)</p>', page)
    return found.group(1) if found else ""


def _sent_letter(**form: object) -> OutgoingDocument:
    """The handler drafts and sends the letter; the head of unit approves it on /work/."""
    handler, head = _as("handler"), _as("head-unit")
    answer = handler.post("/work/outgoing/new/", _letter_form(**form))
    assert answer.status_code == 302, answer.content.decode()[:800]
    outgoing = OutgoingDocument.objects.get()
    detail = handler.post(
        f"/work/outgoing/{outgoing.pk}/",
        {"action": "send", "approver": str(Person.objects.get(username="head-unit").pk)},
    )
    assert detail.status_code == 302, detail.content.decode()[:800]
    step_id = re.search(r'id="step-([0-9a-f-]+)"', head.get("/work/").content.decode())
    assert step_id is not None
    decided = head.post(f"/work/steps/{step_id.group(1)}/decide/", {"decision": "approve", "pin": PIN})
    assert decided.status_code == 302
    run_worker()
    outgoing.refresh_from_db()
    return outgoing


def test_a_draft_with_errors_shows_each_beside_its_field_and_keeps_what_was_typed(demo: None) -> None:
    handler = _as("handler")

    answer = handler.post(
        "/work/outgoing/new/",
        _letter_form(title=" ", kind="pismo", retention="7", legal_ground="", recipients=[], file=""),
    )

    assert answer.status_code == 400
    page = answer.content.decode()
    for field in ("title", "kind", "retention", "legal_ground", "recipients", "file"):
        assert _field_error(page, field), f"no error beside {field}"
    assert 'value="02-05"' in page  # what was typed stays
    assert '<option value="not_public" selected>' in page
    assert not OutgoingDocument.objects.exists() and not Document.objects.exists()

    png = SimpleUploadedFile("dopis.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "application/pdf")
    refused = handler.post("/work/outgoing/new/", _letter_form(file=png))
    assert refused.status_code == 415
    assert "PNG" in _field_error(refused.content.decode(), "file")
    assert not OutgoingDocument.objects.exists()


def test_a_line_without_the_head_of_unit_is_refused_with_the_policys_reasons(demo: None) -> None:
    handler = _as("handler")
    handler.post("/work/outgoing/new/", _letter_form())
    outgoing = OutgoingDocument.objects.get()
    page = handler.get(f"/work/outgoing/{outgoing.pk}/").content.decode()
    head = Person.objects.get(username="head-unit")
    assert f'<option value="{head.pk}" selected>' in page  # the head of unit is pre-selected

    refused = handler.post(
        f"/work/outgoing/{outgoing.pk}/",
        {"action": "send", "approver": str(Person.objects.get(username="registry").pk)},
    )

    assert refused.status_code == 400
    assert _field_error(refused.content.decode(), "steps")
    outgoing.refresh_from_db()
    assert (outgoing.status, outgoing.approval_line_id) == ("draft", None)


def test_letter_is_drafted_approved_sent_registered_read_and_answered(demo: None) -> None:
    handler, head = _as("handler"), _as("head-unit")
    handler.post("/work/outgoing/new/", _letter_form())
    outgoing = OutgoingDocument.objects.get()
    # the drafter replaces the PDF before sending it
    replaced = handler.post(
        f"/work/outgoing/{outgoing.pk}/", {"action": "replace", "file": _pdf("Ispravljen dopis.")}
    )
    assert replaced.status_code == 302
    handler.post(
        f"/work/outgoing/{outgoing.pk}/",
        {"action": "send", "approver": str(Person.objects.get(username="head-unit").pk)},
    )

    # the approver's card on /work/ says what the document is and opens the draft
    work = head.get("/work/").content.decode()
    assert TITLE in work and "Gradska uprava grada Beograda" in work
    draft_link = re.search(r'href="(/api/v1/documents/[^"]+/file)"', work)
    assert draft_link is not None
    draft = head.get(draft_link.group(1))
    assert draft.status_code == 200 and draft.content == text_pdf("Ispravljen dopis.")
    step_id = re.search(r'id="step-([0-9a-f-]+)"', work)
    assert step_id is not None
    head.post(f"/work/steps/{step_id.group(1)}/decide/", {"decision": "approve", "pin": PIN})
    run_worker()

    outgoing.refresh_from_db()
    assert outgoing.status == "sent" and outgoing.registry_entry is not None
    number = outgoing.registry_entry.registry_number
    listing = handler.get("/work/outgoing/").content.decode()
    assert number in listing and 'class="status status-delivered"' in listing
    sealed = handler.get(f"/work/outgoing/{outgoing.pk}/pdf")
    assert sealed["Content-Type"] == "application/pdf"
    assert pdf_verify(sealed.content).state is Verdict.AUTHENTIC

    # the City of Belgrade's registry clerk sees it arrive and registers it to the handler
    clerk = _as("registry-bg")
    delivery = Delivery.objects.get(outgoing=outgoing)
    arrived = clerk.get("/work/incoming/").content.decode()
    assert f'id="delivery-{delivery.pk}"' in arrived and number in arrived
    assert _as("handler-bg").get(f"/work/incoming/{delivery.pk}/").status_code == 404  # not yet assigned
    bad = clerk.post(f"/work/incoming/{delivery.pk}/", {"action": "register", "unit": "nope"})
    assert bad.status_code == 400 and _field_error(bad.content.decode(), "unit")
    registered = clerk.post(
        f"/work/incoming/{delivery.pk}/",
        {
            "action": "register",
            "unit": str(Unit.objects.get(code="maticna").pk),
            "handler": str(Person.objects.get(username="handler-bg").pk),
            "classification": "",
        },
    )
    assert registered.status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == "registered"

    # the assigned handler reads it: the reading is recorded and shown
    city_handler = _as("handler-bg")
    page = city_handler.get(f"/work/incoming/{delivery.pk}/").content.decode()
    assert 'id="incoming-number">BEOGRAD-' in page
    opened = city_handler.get(f"/work/incoming/{delivery.pk}/pdf")
    assert opened.status_code == 200 and opened.content == sealed.content
    assert opened["Content-Disposition"].startswith("inline; filename=")
    assert Reading.objects.filter(delivery=delivery, person__username="handler-bg").exists()
    assert AuditEvent.objects.filter(event="distribution.delivery_read").count() == 1
    assert "Vesna Vasić" in city_handler.get(f"/work/incoming/{delivery.pk}/").content.decode()

    # and answers: the form is pre-filled with the sender's unit and the title
    form = city_handler.get(f"/work/outgoing/new/?reply_to={delivery.pk}").content.decode()
    police = Unit.objects.get(code="pu-beograd")
    assert f'value="Odgovor: {TITLE}"' in form
    assert re.search(rf'value="unit:{police.pk}" checked', form)
    answered = city_handler.post(
        "/work/outgoing/new/",
        {
            "unit": str(Unit.objects.get(code="maticna").pk),
            "title": f"Odgovor: {TITLE}",
            "kind": "dopis",
            "classification_code": "02-05",
            "retention": "10",
            "disclosure": "public",
            "legal_ground": "",
            "recipients": [f"unit:{police.pk}"],
            "reply_to": str(delivery.pk),
            "file": _pdf("Dostavljamo podatke."),
        },
    )
    assert answered.status_code == 302, answered.content.decode()[:800]
    answer = OutgoingDocument.objects.get(in_reply_to=delivery)
    thread = city_handler.get(f"/work/outgoing/{answer.pk}/").content.decode()
    assert 'id="thread"' in thread and TITLE in thread
    assert (
        f"/work/outgoing/{answer.pk}/" in city_handler.get(f"/work/incoming/{delivery.pk}/").content.decode()
    )
    assert "Odgovor" in handler.get(f"/work/outgoing/{outgoing.pk}/").content.decode()


def test_a_registry_clerk_returns_a_misaddressed_letter_with_the_reason_the_sender_sees(demo: None) -> None:
    outgoing = _sent_letter()
    delivery = Delivery.objects.get(outgoing=outgoing)
    clerk = _as("registry-bg")

    empty = clerk.post(f"/work/incoming/{delivery.pk}/", {"action": "return", "reason": " "})
    assert empty.status_code == 400 and _field_error(empty.content.decode(), "reason")
    assert (
        _as("handler-bg")
        .post(f"/work/incoming/{delivery.pk}/", {"action": "return", "reason": "x"})
        .status_code
        == 404
    )
    clerk.post(f"/work/incoming/{delivery.pk}/", {"action": "return", "reason": "Nismo nadležni."})

    delivery.refresh_from_db()
    assert delivery.status == "returned"
    page = _as("handler").get(f"/work/outgoing/{outgoing.pk}/").content.decode()
    assert "Nismo nadležni." in page and 'data-status="returned"' in page


def test_a_letter_to_a_node_that_does_not_answer_is_shown_failed_to_the_registry_and_sent_again(
    demo: None, settings: Any
) -> None:
    """The drafter picks an agency of another node of the trust list; the node does not answer,
    the sending time runs out: the outgoing page says so with the error, the registry clerk of
    the sending agency sees it on the registry page and sends it again."""
    settings.GOVDOC_FEDERATION_SEND_SECONDS = 0
    settings.GOVDOC_FEDERATION_TIMEOUT = 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    nodes.node_add(
        node_id="rs-b.test",
        name="GovDoc Novi Sad",
        endpoint=f"http://127.0.0.1:{closed}",
        root_certificate=keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={"novisad": "Gradska uprava grada Novog Sada"},
        actor="admin",
    )
    offered = _as("handler").get("/work/outgoing/new/").content.decode()
    assert 'value="remote:rs-b.test:novisad"' in offered and "Gradska uprava grada Novog Sada" in offered

    outgoing = _sent_letter(recipients=["remote:rs-b.test:novisad"])

    assert outgoing.status == "sent"
    consignment = Consignment.objects.get(outgoing=outgoing)
    assert consignment.status == "failed"
    page = _as("handler").get(f"/work/outgoing/{outgoing.pk}/").content.decode()
    assert 'id="consignments"' in page and 'data-status="failed"' in page
    assert "no answer from http://127.0.0.1" in page
    registry = _as("registry").get("/work/registry/").content.decode()
    assert 'id="failed-sends"' in registry and TITLE in registry
    assert 'id="failed-sends"' not in _as("registry-bg").get("/work/registry/").content.decode()

    settings.GOVDOC_FEDERATION_SEND_SECONDS = 3600
    again = _as("registry").post(
        f"/work/outgoing/{outgoing.pk}/", {"action": "resend", "consignment": str(consignment.pk)}
    )
    assert again.status_code == 302
    run_worker()
    consignment.refresh_from_db()
    assert consignment.status == "sending" and consignment.attempts == 2 and consignment.next_attempt_at
    assert AuditEvent.objects.filter(event="distribution.consignment_resent").count() == 1
