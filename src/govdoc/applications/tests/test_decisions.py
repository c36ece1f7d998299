"""The decision: drafted by the handler, sent up its approval line, approved or not, issued and
delivered to the citizen's e-inbox."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.applications import selectors, services
from govdoc.applications.errors import (
    IllegalTransitionError,
    InboxMessageNotFoundError,
    NoOneHoldsRoleError,
    NotAllowedHereError,
)
from govdoc.applications.models import Application, InboxMessage
from govdoc.applications.receivers import on_line_finished
from govdoc.applications.specs import LineStep
from govdoc.applications.tasks import inbox_email_send
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.audit.models import AuditEvent
from govdoc.documents.storage import file_read
from govdoc.issuance.models import IssuedDocument
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures.services import person_certificate_issue


def _statuses(application: Application, viewer: Person) -> list[str]:
    return [e.status_to for e in selectors.timeline(application=application, viewer=viewer) if e.status_to]


def test_the_handler_drafts_the_decision_and_sends_it_on_the_default_line(
    assigned: Application, handler: Person, head: Person, citizen: Person
) -> None:
    services.decision_draft_save(application=assigned, fields={"napomena": "Bez napomene."}, actor=handler)
    services.decision_send_to_approval(application=assigned, steps=None, actor=handler)

    assigned.refresh_from_db()
    assert assigned.status == "in_approval"
    assert assigned.decision_fields == {"napomena": "Bez napomene."}
    document = assigned.case_document
    assert document is not None
    assert (document.agency_id, document.owner_unit_id, document.doc_type) == (
        assigned.agency_id,
        assigned.unit_id,
        "uverenje",
    )
    assert document.disclosure == "not_public"
    version = document.current_version
    assert version is not None
    assert version.media_type == "application/pdf"
    assert file_read(version.file).startswith(b"%PDF-")
    timeline = list(selectors.timeline(application=assigned, viewer=citizen))
    assert timeline[-1].message == "Odluka o zahtevu je upućena na odobrenje."
    sent = AuditEvent.objects.get(event="applications.decision_sent_to_approval")
    assert sent.data["steps"] == [{"kind": "approval", "assignee_id": str(head.pk), "position": 1}]
    assert sent.data["document_id"] == str(document.pk)


def test_the_default_line_never_puts_the_drafter_on_it_and_needs_a_holder(
    unit: Unit, administrator: Person, citizen: Person, head: Person, handler: Person
) -> None:
    service = make_service(
        unit=unit,
        actor=administrator,
        code="bez-odobravaoca",
        default_line=[{"kind": "approval", "role": "head_of_agency", "position": 1}],
    )
    application = services.application_assign(
        application=submit(service, citizen), handler=handler, actor=head
    )
    with pytest.raises(NoOneHoldsRoleError) as caught:
        services.decision_send_to_approval(application=application, actor=handler)
    assert caught.value.details["role"] == "head_of_agency"
    application.refresh_from_db()
    assert (application.status, application.case_document_id) == ("assigned", None)


def test_the_handler_may_choose_the_line(assigned: Application, handler: Person, unit: Unit) -> None:
    chief = PersonFactory(username="nacelnik")
    grant(chief, unit, Role.HEAD_OF_AGENCY)
    steps = [LineStep(kind="approval", assignee_id=str(chief.pk), position=1)]

    services.decision_send_to_approval(application=assigned, steps=steps, actor=handler)

    sent = AuditEvent.objects.get(event="applications.decision_sent_to_approval")
    assert sent.data["steps"] == [{"kind": "approval", "assignee_id": str(chief.pk), "position": 1}]


def test_a_decision_is_drafted_only_while_the_application_is_with_its_handler(
    application: Application, head: Person, handler: Person
) -> None:
    # Not assigned yet: the handler is not its handler, and even a head may not draft now.
    with pytest.raises(NotAllowedHereError):
        services.decision_draft_save(application=application, fields={"napomena": "x"}, actor=handler)
    with pytest.raises(IllegalTransitionError):
        services.decision_draft_save(application=application, fields={"napomena": "x"}, actor=head)
    with pytest.raises(IllegalTransitionError):
        services.decision_send_to_approval(application=application, actor=head)
    application.refresh_from_db()
    assert (application.status, application.decision_fields) == ("submitted", {})


def test_a_clerk_cannot_draft_or_send(assigned: Application, clerk: Person) -> None:
    with pytest.raises(NotAllowedHereError):
        services.decision_draft_save(application=assigned, fields={"napomena": "x"}, actor=clerk)
    with pytest.raises(NotAllowedHereError):
        services.decision_send_to_approval(application=assigned, actor=clerk)
    assigned.refresh_from_db()
    assert (assigned.status, assigned.decision_fields) == ("assigned", {})


def test_an_approved_decision_is_issued_into_the_e_inbox_and_mailed(
    assigned: Application, citizen: Person
) -> None:
    citizen.email = "ana@example.rs"
    citizen.save(update_fields=["email"])
    # The outcome services on their own, as the outcome task calls them.
    assigned.status = "in_approval"
    assigned.save(update_fields=["status"])
    services.application_mark_approved(application=assigned)
    issued_id = uuid.uuid4()
    services.application_mark_issued(application=assigned, issued_document_id=issued_id)

    assigned.refresh_from_db()
    assert assigned.status == "issued"
    assert assigned.issued_document_id == issued_id
    [message] = selectors.inbox_of(citizen=citizen)
    assert message.issued_document_id == issued_id
    assert message.subject == f"Izdat je dokument po zahtevu {assigned.receipt_number}"
    assert message.body == "Dokument je izdat i nalazi se u vašem e-sandučetu."
    assert selectors.inbox_unread_count(citizen=citizen) == 1

    assert inbox_email_send.call(message_id=str(message.pk)) is True
    [email] = mail.outbox
    assert email.to == ["ana@example.rs"]
    assert email.subject == message.subject

    services.inbox_message_read(message=message, actor=citizen)
    assert selectors.inbox_unread_count(citizen=citizen) == 0


def test_a_rejection_reaches_the_citizen_with_its_reason(assigned: Application, citizen: Person) -> None:
    assigned.status = "in_approval"
    assigned.save(update_fields=["status"])
    services.application_mark_rejected(
        application=assigned, reason="Podnosilac nema prijavljeno prebivalište."
    )

    assigned.refresh_from_db()
    assert assigned.status == "rejected"
    [message] = InboxMessage.objects.filter(recipient=citizen)
    assert message.body == "Zahtev je odbijen. Podnosilac nema prijavljeno prebivalište."
    assert _statuses(assigned, citizen)[-1] == "rejected"


def test_someone_elses_inbox_message_is_not_found(
    assigned: Application, handler: Person, citizen: Person, other_citizen: Person
) -> None:
    services.completion_request_create(application=assigned, message_text="Dopunite.", actor=handler)
    [message] = InboxMessage.objects.all()
    with pytest.raises(InboxMessageNotFoundError):
        services.inbox_message_read(message=message, actor=other_citizen)
    with pytest.raises(InboxMessageNotFoundError):
        selectors.inbox_message_get(viewer=other_citizen, message_id=message.pk)
    assert selectors.inbox_message_get(viewer=citizen, message_id=message.pk).pk == message.pk
    message.refresh_from_db()
    assert message.read_at is None


# ------------------------------------------------- through the approvals domain, signed decisions

PIN = "123456"


@pytest.fixture
def signing_head(head: Person, unit: Unit) -> Person:
    person_certificate_issue(
        person=head, pin=PIN, organization=unit.agency.name, actor="test", pin_change_required=False
    )
    return head


def run_worker() -> None:
    """What ``govdoc worker`` does, once: run every task that committed changes wrote."""
    run_queued_tasks()


def _decide(application: Application, person: Person, decision: str, comment: str = "") -> None:
    application.refresh_from_db()
    step = ApprovalStep.objects.get(line_id=application.approval_line_id, assignee=person)
    approvals.step_decide(step=step, actor=person, decision=decision, comment=comment, pin=PIN)


def test_the_whole_way_approved_issued_delivered(
    assigned: Application,
    handler: Person,
    signing_head: Person,
    citizen: Person,
) -> None:
    citizen.email = "ana@example.rs"
    citizen.save(update_fields=["email"])
    services.decision_draft_save(application=assigned, fields={"napomena": "Bez napomene."}, actor=handler)
    services.decision_send_to_approval(application=assigned, actor=handler)
    assigned.refresh_from_db()
    assert assigned.approval_line_id is not None

    _decide(assigned, signing_head, "approve")
    run_worker()

    assigned.refresh_from_db()
    assert assigned.status == "issued"
    assert _statuses(assigned, citizen)[-3:] == ["in_approval", "approved", "issued"]
    issued = IssuedDocument.objects.get(pk=assigned.issued_document_id)
    assert issued.recipient_id == citizen.pk
    [message] = selectors.inbox_of(citizen=citizen)
    assert message.issued_document_id == issued.pk
    assert [m.to for m in mail.outbox] == [["ana@example.rs"]]


def test_a_returned_line_sends_the_application_back_to_its_handler(
    assigned: Application,
    handler: Person,
    signing_head: Person,
    citizen: Person,
) -> None:
    services.decision_send_to_approval(application=assigned, actor=handler)
    _decide(assigned, signing_head, "return", "Dopunite obrazloženje.")
    run_worker()

    assigned.refresh_from_db()
    assert (assigned.status, assigned.approval_line_id) == ("assigned", None)
    assert selectors.timeline(application=assigned, viewer=citizen).last().message == (  # type: ignore[union-attr]
        "Zahtev je ponovo u radu kod službenika."
    )
    # The handler sends it again: a new version of the same case document goes up a new line.
    services.decision_send_to_approval(application=assigned, actor=handler)
    assigned.refresh_from_db()
    assert assigned.status == "in_approval"
    assert assigned.case_document is not None
    assert assigned.case_document.current_version.number == 2  # type: ignore[union-attr]


def test_a_rejected_line_rejects_the_application(
    assigned: Application,
    handler: Person,
    signing_head: Person,
    citizen: Person,
) -> None:
    services.decision_send_to_approval(application=assigned, actor=handler)
    _decide(assigned, signing_head, "reject", "Nema osnova.")
    run_worker()

    assigned.refresh_from_db()
    assert assigned.status == "rejected"
    [message] = InboxMessage.objects.filter(recipient=citizen)
    assert message.subject == f"Zahtev {assigned.receipt_number} je odbijen"


def test_the_outcome_is_applied_once_however_often_the_announcement_comes(
    assigned: Application, handler: Person, signing_head: Person, citizen: Person
) -> None:
    services.decision_send_to_approval(application=assigned, actor=handler)
    assigned.refresh_from_db()
    assert assigned.approval_line_id is not None

    on_line_finished(sender=None, line_id=str(uuid.uuid4()), outcome="approved")  # another document's line
    assigned.refresh_from_db()
    assert assigned.status == "in_approval"

    _decide(assigned, signing_head, "approve")
    [announcement] = DBTaskResult.objects.filter(task_path__endswith="line_finished_announce")
    assert announcement.args_kwargs["kwargs"] == {
        "line_id": str(assigned.approval_line_id),
        "outcome": "approved",
    }
    assigned.refresh_from_db()
    assert assigned.status == "in_approval"  # nothing changes until the worker runs the task

    run_worker()
    # a retried announcement (the worker died after issuing, before it recorded success)
    on_line_finished(sender=None, line_id=str(assigned.approval_line_id), outcome="approved")

    assigned.refresh_from_db()
    assert assigned.status == "issued"
    [issued] = IssuedDocument.objects.all()
    assert issued.issue_key == f"application:{assigned.pk}"
    assert assigned.issued_document_id == issued.pk
    assert InboxMessage.objects.filter(recipient=citizen).count() == 1


def test_an_outcome_for_a_withdrawn_application_changes_nothing(
    assigned: Application, handler: Person, head: Person, citizen: Person
) -> None:
    services.decision_send_to_approval(application=assigned, actor=handler)
    services.application_withdraw(application=assigned, actor=citizen)
    assigned.refresh_from_db()
    assert assigned.approval_line_id is not None

    services.decision_outcome_record(
        application_id=assigned.pk, line_id=assigned.approval_line_id, outcome="approved"
    )

    assigned.refresh_from_db()
    assert assigned.status == "withdrawn"
    assert not InboxMessage.objects.filter(recipient=citizen).exists()


def test_withdrawal_during_approval_stops_the_line_and_the_approvers_see_why(
    assigned: Application, handler: Person, head: Person, citizen: Person
) -> None:
    from govdoc.approvals import selectors as approval_reads

    services.decision_send_to_approval(application=assigned, actor=handler)
    assigned.refresh_from_db()
    assert approval_reads.queue_for(person=head).exists()

    services.application_withdraw(application=assigned, actor=citizen, reason="Ne treba mi više.")

    assigned.refresh_from_db()
    assert assigned.status == "withdrawn"
    assert not approval_reads.queue_for(person=head).exists()
    line = approval_reads.line_get(user=head, line_id=assigned.approval_line_id)
    assert (line.status, line.end_reason) == ("withdrawn", "the applicant withdrew the application")
    assert [(s.status, s.skip_reason) for s in line.steps.all()] == [
        ("skipped", "the applicant withdrew the application")
    ]
    assert AuditEvent.objects.filter(event="approvals.line_cancelled", actor_id=str(citizen.pk)).count() == 1
    assert not DBTaskResult.objects.filter(task_path__endswith="decision_outcome_apply").exists()


def test_once_the_line_has_decided_the_applicant_can_no_longer_withdraw(
    assigned: Application, handler: Person, signing_head: Person, citizen: Person
) -> None:
    services.decision_send_to_approval(application=assigned, actor=handler)
    _decide(assigned, signing_head, "approve")  # the outcome task has not run yet

    with pytest.raises(IllegalTransitionError, match="već odlučeno: više se ne može povući"):
        services.application_withdraw(application=assigned, actor=citizen)

    assigned.refresh_from_db()
    assert assigned.status == "in_approval"
    assert not AuditEvent.objects.filter(event="applications.application_withdrawn").exists()
