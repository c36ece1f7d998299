"""An internal document (a plan, an analysis, a report the agency keeps): drafted deliberately
without recipients, approved on the same signed e-Approval line, numbered in the agency's own
registry as internal, sealed and filed; never dispatched. And what is refused: a letter that
forgets its recipients, an internal document with recipients or answering a document, an
internal document put among the sent ones."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, transaction

from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database
from govdoc.distribution import selectors, services
from govdoc.distribution.errors import InvalidOutgoingError
from govdoc.distribution.models import Consignment, Delivery, OutgoingDocument
from govdoc.distribution.signals import outgoing_settled
from govdoc.distribution.tests.conftest import PIN, Offices
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import text_pdf
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

pytestmark = pytest.mark.django_db(transaction=True)


def _report(offices: Offices, **overrides: Any) -> OutgoingDocument:
    fields: dict[str, Any] = {
        "title": "Izveštaj o prijemu isporuka projekta eUprava 2027",
        "kind": "izvestaj",
        "disclosure": "public",
        "legal_ground": "",
        "content": text_pdf("Isporuke su pregledane i prihvacene."),
        "filename": "izvestaj.pdf",
        "recipients": [],
        "internal": True,
    }
    fields.update(overrides)
    return offices.draft(**fields)


def _approve(outgoing: OutgoingDocument, offices: Offices) -> OutgoingDocument:
    services.outgoing_send_for_approval(outgoing=outgoing, steps=offices.line(), actor=offices.drafter)
    step = ApprovalStep.objects.get(line_id=OutgoingDocument.objects.get(pk=outgoing.pk).approval_line_id)
    approvals.step_decide(step=step, actor=offices.head, decision="approve", comment="", pin=PIN)
    run_queued_tasks()
    return OutgoingDocument.objects.get(pk=outgoing.pk)


def test_an_internal_report_is_approved_numbered_sealed_and_filed_not_sent(offices: Offices) -> None:
    heard: list[dict[str, Any]] = []

    def listener(sender: Any, **kwargs: Any) -> None:
        heard.append(kwargs)

    outgoing_settled.connect(listener, dispatch_uid="test-internal")
    try:
        draft = _report(offices)
        assert (draft.status, draft.internal, draft.deliveries.count()) == ("draft", True, 0)
        assert not RegistryEntry.objects.exists()  # a draft has no number yet

        done = _approve(draft, offices)
    finally:
        outgoing_settled.disconnect(dispatch_uid="test-internal")

    assert done.status == "filed"
    assert done.filed_at is not None and done.sent_at is None
    entry = done.registry_entry
    assert entry is not None and entry.agency_id == offices.ministry.pk
    assert (entry.direction, entry.correspondent) == ("internal", "")
    assert done.sealed_version is not None and done.sealed_version.sealed
    report = pdf_verify(file_read(done.sealed_version.file))
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert offices.ministry.name in report.signatures[0].signer_subject
    # nothing went anywhere: no copy, no consignment, nothing arrived at the city
    assert not Delivery.objects.exists() and not Consignment.objects.exists()
    assert list(selectors.incoming_visible(offices.city_registry)) == []
    # the procedures above hear that it was filed; the filing is audited in the chain
    assert heard == [{"signal": outgoing_settled, "outgoing_id": str(done.pk), "status": "filed"}]
    filed = AuditEvent.objects.get(event="distribution.outgoing_filed")
    assert filed.data["registry_number"] == entry.registry_number
    assert not AuditEvent.objects.filter(event="distribution.outgoing_sent").exists()
    assert verify_database(verify_signature=None).ok
    # a retried announcement of the line changes nothing twice
    services.outgoing_finish(outgoing_id=done.pk, line_id=done.approval_line_id, outcome="approved")
    assert AuditEvent.objects.filter(event="distribution.outgoing_filed").count() == 1


def test_a_letter_without_recipients_is_still_refused_unless_drafted_as_internal(offices: Offices) -> None:
    with pytest.raises(InvalidOutgoingError) as forgot:
        offices.draft(recipients=[])
    assert forgot.value.field_errors == {"recipients": "Name at least one recipient."}
    with pytest.raises(InvalidOutgoingError) as both:
        _report(offices, recipients=[services.Recipient(agency=offices.city)])
    assert both.value.field_errors == {"recipients": "An internal document has no recipients."}
    assert not OutgoingDocument.objects.exists()


def test_an_answer_cannot_be_an_internal_document(offices: Offices) -> None:
    letter = _approve(offices.draft(), offices)
    delivery = services.delivery_register(
        delivery=Delivery.objects.get(outgoing=letter), actor=offices.city_registry, unit=offices.city_unit
    )
    with pytest.raises(InvalidOutgoingError) as refused:
        services.outgoing_draft(
            actor=offices.city_handler,
            unit=offices.city_unit,
            title="Beleška o prijemu",
            kind="izvestaj",
            classification_code="02-05",
            retention_years=10,
            disclosure="public",
            content=text_pdf("Primljeno."),
            filename="beleska.pdf",
            recipients=[],
            in_reply_to=delivery,
            internal=True,
        )
    assert set(refused.value.field_errors) == {"in_reply_to"}


def test_an_internal_document_is_never_among_the_sent(offices: Offices) -> None:
    done = _approve(_report(offices), offices)
    # the database itself refuses to call it sent (and so to dispatch it)
    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingDocument.objects.filter(pk=done.pk).update(status="sent", sent_at=done.filed_at)
    # a letter that was sent cannot be called filed either
    letter = _approve(offices.draft(), offices)
    assert letter.status == "sent"
    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingDocument.objects.filter(pk=letter.pk).update(status="filed")


def test_a_rejected_internal_document_is_closed_unnumbered(offices: Offices) -> None:
    draft = _report(offices)
    services.outgoing_send_for_approval(outgoing=draft, steps=offices.line(), actor=offices.drafter)
    draft.refresh_from_db()
    step = ApprovalStep.objects.get(line_id=draft.approval_line_id)
    approvals.step_decide(step=step, actor=offices.head, decision="reject", comment="Dopuniti.", pin=PIN)
    run_queued_tasks()
    draft.refresh_from_db()
    assert (draft.status, draft.registry_entry, draft.filed_at) == ("rejected", None, None)
