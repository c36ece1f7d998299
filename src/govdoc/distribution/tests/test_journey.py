"""An official's letter from draft to the recipient's registry: approved on a signed line,
registered under an outgoing number, sealed, delivered, registered under an incoming number,
read, answered; and what is refused on the way."""

from __future__ import annotations

import pytest

from govdoc.approvals import services as approvals
from govdoc.approvals.errors import LinePolicyError
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.services import StepSpec
from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database
from govdoc.distribution import selectors, services
from govdoc.distribution.errors import (
    DeliveryStateError,
    InvalidOutgoingError,
    NotAllowedToDraftError,
    NotRegistryClerkError,
)
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.distribution.tests.conftest import PIN, Offices
from govdoc.documents.errors import UploadRejectedError
from govdoc.documents.models import Document, RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import text_pdf
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

pytestmark = pytest.mark.django_db(transaction=True)


def _approve(outgoing: OutgoingDocument, offices: Offices) -> OutgoingDocument:
    services.outgoing_send_for_approval(outgoing=outgoing, steps=offices.line(), actor=offices.drafter)
    step = ApprovalStep.objects.get(line_id=OutgoingDocument.objects.get(pk=outgoing.pk).approval_line_id)
    approvals.step_decide(step=step, actor=offices.head, decision="approve", comment="", pin=PIN)
    run_queued_tasks()
    return OutgoingDocument.objects.get(pk=outgoing.pk)


def test_a_letter_is_approved_numbered_sealed_delivered_registered_and_read(offices: Offices) -> None:
    outgoing = offices.draft()
    assert outgoing.status == "draft"
    assert not RegistryEntry.objects.exists()  # a draft has no number yet

    sent = _approve(outgoing, offices)

    assert sent.status == "sent"
    entry = sent.registry_entry
    assert entry is not None and entry.agency_id == offices.ministry.pk
    assert (entry.direction, entry.correspondent) == ("outgoing", "Gradska uprava grada Beograda")
    assert sent.sealed_version is not None and sent.sealed_version.sealed
    report = pdf_verify(file_read(sent.sealed_version.file))
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert offices.ministry.name in report.signatures[0].signer_subject
    delivery = Delivery.objects.get(outgoing=sent)
    assert delivery.status == "delivered" and delivery.delivered_at is not None

    # the city's registry clerk sees it arrive; its handler does not, until it is assigned
    assert list(selectors.incoming_visible(offices.city_registry)) == [delivery]
    assert list(selectors.incoming_visible(offices.city_handler)) == []

    registered = services.delivery_register(
        delivery=delivery, actor=offices.city_registry, unit=offices.city_unit, handler=offices.city_handler
    )

    assert registered.status == "registered"
    received = registered.received_document
    assert received is not None and received.agency_id == offices.city.pk
    incoming = RegistryEntry.objects.get(document=received)
    assert incoming.direction == "incoming"
    assert incoming.correspondent == f"Ministarstvo unutrašnjih poslova, {entry.registry_number}"
    assert incoming.registry_number.startswith("GBG-")
    # the same sealed bytes on both sides
    assert received.current_version is not None
    assert received.current_version.file_id == sent.sealed_version.file_id
    assert list(selectors.incoming_visible(offices.city_handler)) == [registered]

    services.delivery_read_record(delivery=registered, actor=offices.city_handler)
    services.delivery_read_record(delivery=registered, actor=offices.city_handler)
    assert [r.person_id for r in registered.readings.all()] == [offices.city_handler.pk]
    assert AuditEvent.objects.filter(event="distribution.delivery_read").count() == 2
    assert verify_database(verify_signature=None).ok


def test_the_answer_is_linked_to_the_letter_it_answers_on_both_sides(offices: Offices) -> None:
    sent = _approve(offices.draft(), offices)
    delivery = services.delivery_register(
        delivery=Delivery.objects.get(outgoing=sent), actor=offices.city_registry, unit=offices.city_unit
    )
    answer = services.outgoing_draft(
        actor=offices.city_handler,
        unit=offices.city_unit,
        title="Odgovor na zahtev",
        kind="dopis",
        classification_code="02-05",
        retention_years=10,
        disclosure="public",
        content=text_pdf("Dostavljamo podatke."),
        filename="odgovor.pdf",
        recipients=[services.Recipient(agency=offices.ministry, unit=offices.unit)],
        in_reply_to=delivery,
    )

    assert [o.pk for o in selectors.thread_of(answer)] == [sent.pk, answer.pk]
    assert [o.pk for o in selectors.thread_of(sent)] == [sent.pk, answer.pk]


def test_a_misaddressed_letter_is_returned_with_the_reason_the_sender_sees(offices: Offices) -> None:
    sent = _approve(offices.draft(), offices)
    delivery = Delivery.objects.get(outgoing=sent)

    with pytest.raises(NotRegistryClerkError):
        services.delivery_return(delivery=delivery, actor=offices.city_handler, reason="nije naše")
    with pytest.raises(InvalidOutgoingError):
        services.delivery_return(delivery=delivery, actor=offices.city_registry, reason="  ")
    services.delivery_return(delivery=delivery, actor=offices.city_registry, reason="Nismo nadležni.")

    seen = selectors.outgoing_get(viewer=offices.drafter, outgoing_id=sent.pk).deliveries.get()
    assert (seen.status, seen.return_reason) == ("returned", "Nismo nadležni.")
    with pytest.raises(DeliveryStateError):
        services.delivery_register(delivery=delivery, actor=offices.city_registry, unit=offices.city_unit)
    assert not Document.objects.filter(agency=offices.city).exists()


def test_a_line_without_the_head_of_unit_is_refused_and_the_draft_stays_a_draft(offices: Offices) -> None:
    outgoing = offices.draft()

    with pytest.raises(LinePolicyError):
        services.outgoing_send_for_approval(
            outgoing=outgoing, steps=[StepSpec("approval", offices.drafter.pk, 1)], actor=offices.drafter
        )

    outgoing.refresh_from_db()
    assert (outgoing.status, outgoing.approval_line_id) == ("draft", None)


def test_a_rejected_letter_is_closed_unnumbered(offices: Offices) -> None:
    outgoing = offices.draft()
    services.outgoing_send_for_approval(outgoing=outgoing, steps=offices.line(), actor=offices.drafter)
    outgoing.refresh_from_db()
    step = ApprovalStep.objects.get(line_id=outgoing.approval_line_id)
    approvals.step_decide(step=step, actor=offices.head, decision="reject", comment="Ne šaljemo.", pin=PIN)
    run_queued_tasks()

    outgoing.refresh_from_db()
    assert outgoing.status == "rejected"
    assert outgoing.registry_entry is None
    assert Delivery.objects.get(outgoing=outgoing).status == "planned"


def test_bad_drafts_are_refused_naming_every_field_and_nothing_is_written(offices: Offices) -> None:
    with pytest.raises(InvalidOutgoingError) as refused:
        offices.draft(
            title=" ",
            kind="pismo",
            retention_years=7,
            disclosure="partial",
            legal_ground="",
            recipients=[],
        )
    assert set(refused.value.field_errors) == {
        "title",
        "kind",
        "retention_years",
        "legal_ground",
        "recipients",
    }
    with pytest.raises(UploadRejectedError, match="is a PNG image, not a PDF document"):
        offices.draft(content=b"\x89PNG\r\n\x1a\n" + b"0" * 100, filename="slika.png")
    assert AuditEvent.objects.filter(event="documents.upload_refused").count() == 1
    with pytest.raises(NotAllowedToDraftError):
        offices.draft(actor=offices.city_handler)
    assert not OutgoingDocument.objects.exists() and not Document.objects.exists()
