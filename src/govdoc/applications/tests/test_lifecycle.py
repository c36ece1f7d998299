"""An application's way before the decision: assignment, completion, withdrawal."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.models import Person
from govdoc.applications import selectors, services
from govdoc.applications.errors import (
    CompletionRequestOpenError,
    HandlerOutsideUnitError,
    IllegalTransitionError,
    InvalidApplicationError,
    NotAllowedHereError,
    NotApplicantError,
)
from govdoc.applications.models import Application, ApplicationAttachment, CompletionRequest
from govdoc.applications.tests.conftest import VALID_DATA, id_card
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import PDF, PDF_CORRECTED, PNG


def _statuses(application: Application, viewer: Person) -> list[str]:
    return [e.status_to for e in selectors.timeline(application=application, viewer=viewer) if e.status_to]


def test_the_head_of_unit_assigns_an_application_to_a_handler(
    application: Application, head: Person, handler: Person, citizen: Person
) -> None:
    services.application_assign(application=application, handler=handler, actor=head)

    application.refresh_from_db()
    assert (application.status, application.handler_id) == ("assigned", handler.pk)
    assert _statuses(application, citizen) == ["submitted", "assigned"]
    assert AuditEvent.objects.get(event="applications.application_assigned").data["handler"] == str(
        handler.pk
    )


def test_the_registry_clerk_may_assign_and_reassign(
    application: Application, clerk: Person, handler: Person, head: Person
) -> None:
    services.application_assign(application=application, handler=handler, actor=clerk)
    services.application_assign(application=application, handler=head, actor=clerk)
    application.refresh_from_db()
    assert (application.status, application.handler_id) == ("assigned", head.pk)


def test_a_handler_cannot_assign_and_nobody_assigns_to_an_outsider(
    application: Application, handler: Person, head: Person, other_official: Person, citizen: Person
) -> None:
    with pytest.raises(NotAllowedHereError):
        services.application_assign(application=application, handler=handler, actor=handler)
    with pytest.raises(HandlerOutsideUnitError):
        services.application_assign(application=application, handler=other_official, actor=head)
    with pytest.raises(HandlerOutsideUnitError):
        services.application_assign(application=application, handler=citizen, actor=head)
    application.refresh_from_db()
    assert (application.status, application.handler_id) == ("submitted", None)


def test_completion_is_requested_and_given(assigned: Application, handler: Person, citizen: Person) -> None:
    request = services.completion_request_create(
        application=assigned,
        message_text="Priložite čitljiv sken lične karte i ispravite adresu.",
        fields=["adresa"],
        attachment_keys=["licna_karta"],
        actor=handler,
    )
    assigned.refresh_from_db()
    assert assigned.status == "awaiting_completion"
    assert (request.fields, request.attachment_keys) == (["adresa"], ["licna_karta"])
    [message] = selectors.inbox_of(citizen=citizen)
    assert message.subject == f"Potrebna dopuna zahteva {assigned.receipt_number}"
    assert message.body == "Priložite čitljiv sken lične karte i ispravite adresu."

    with clock.frozen(dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)):
        services.application_complete(
            application=assigned,
            data={**VALID_DATA, "adresa": "Nemanjina 11, Beograd"},
            files=[id_card(PDF_CORRECTED)],
            actor=citizen,
        )

    assigned.refresh_from_db()
    assert assigned.status == "assigned"
    assert assigned.data["adresa"] == "Nemanjina 11, Beograd"
    # The deadline runs again from the completion: 4 May 2026 + 8 working days.
    assert assigned.due_date == dt.date(2026, 5, 14)
    current = ApplicationAttachment.objects.get(application=assigned, superseded_at__isnull=True)
    assert file_read(current.file) == PDF_CORRECTED
    old = ApplicationAttachment.objects.get(application=assigned, superseded_at__isnull=False)
    assert file_read(old.file) == PDF
    assert CompletionRequest.objects.get(pk=request.pk).answered_at is not None
    assert _statuses(assigned, citizen) == ["submitted", "assigned", "awaiting_completion", "assigned"]
    timeline = list(selectors.timeline(application=assigned, viewer=citizen))
    assert (
        timeline[2].message
        == "Potrebna je dopuna zahteva: Priložite čitljiv sken lične karte i ispravite adresu."
    )
    assert timeline[3].message == "Dopuna zahteva je primljena."
    assert AuditEvent.objects.get(event="applications.application_completed").data["fields"] == ["adresa"]


def test_a_bad_completion_changes_nothing(assigned: Application, handler: Person, citizen: Person) -> None:
    services.completion_request_create(application=assigned, message_text="Dopunite.", actor=handler)
    with pytest.raises(InvalidApplicationError) as caught:
        services.application_complete(
            application=assigned,
            data={**VALID_DATA, "jmbg": "1"},
            files=[id_card(PNG, "sken.png")],
            actor=citizen,
        )
    assert set(caught.value.field_errors) == {"jmbg", "attachments.licna_karta"}
    assigned.refresh_from_db()
    assert (assigned.status, assigned.data) == ("awaiting_completion", VALID_DATA)
    assert ApplicationAttachment.objects.filter(application=assigned).count() == 1


def test_completion_requests_are_for_the_handler_and_one_at_a_time(
    assigned: Application, handler: Person, clerk: Person, citizen: Person
) -> None:
    with pytest.raises(NotAllowedHereError):
        services.completion_request_create(application=assigned, message_text="Dopunite.", actor=clerk)
    with pytest.raises(InvalidApplicationError) as caught:
        services.completion_request_create(
            application=assigned,
            message_text=" ",
            fields=["boja_ociju"],
            attachment_keys=["pasos"],
            actor=handler,
        )
    assert set(caught.value.field_errors) == {"message", "fields", "attachment_keys"}
    services.completion_request_create(application=assigned, message_text="Dopunite.", actor=handler)
    with pytest.raises((CompletionRequestOpenError, IllegalTransitionError)):
        services.completion_request_create(application=assigned, message_text="Opet.", actor=handler)
    with pytest.raises(NotApplicantError):
        services.application_complete(application=assigned, data=None, actor=handler)


def test_the_applicant_withdraws_before_a_decision(application: Application, citizen: Person) -> None:
    services.application_withdraw(application=application, actor=citizen, reason="Više mi ne treba.")

    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert application.closed_at is not None
    assert _statuses(application, citizen) == ["submitted", "withdrawn"]
    assert (
        AuditEvent.objects.get(event="applications.application_withdrawn").data["reason"]
        == "Više mi ne treba."
    )


def test_only_the_applicant_withdraws(application: Application, other_citizen: Person, head: Person) -> None:
    for outsider in (other_citizen, head):
        with pytest.raises(NotApplicantError):
            services.application_withdraw(application=application, actor=outsider)
    application.refresh_from_db()
    assert application.status == "submitted"


def test_illegal_moves_are_refused(
    application: Application, citizen: Person, head: Person, handler: Person
) -> None:
    # Completing an application nobody asked to complete.
    with pytest.raises(IllegalTransitionError):
        services.application_complete(application=application, data=None, actor=citizen)
    # Asking for completion before the application is assigned (head may handle, status forbids).
    with pytest.raises(IllegalTransitionError):
        services.completion_request_create(application=application, message_text="Dopunite.", actor=head)
    services.application_withdraw(application=application, actor=citizen)
    with pytest.raises(IllegalTransitionError) as caught:
        services.application_withdraw(application=application, actor=citizen)
    assert caught.value.message == "an application that is withdrawn cannot be withdrawn"
    with pytest.raises(IllegalTransitionError):
        services.application_assign(application=application, handler=handler, actor=head)
    with pytest.raises(IllegalTransitionError):
        services.application_mark_approved(application=application)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert _statuses(application, citizen) == ["submitted", "withdrawn"]


def test_the_handlers_to_choose_from_are_the_units_handlers_and_heads(
    application: Application, handler: Person, head: Person, clerk: Person, other_official: Person
) -> None:
    assert {p.username for p in selectors.handlers_of(application=application)} == {"handler", "head"}
    assert selectors.handler_get(application=application, person_id=str(handler.pk)) == handler
    for outsider in (str(clerk.pk), str(other_official.pk), "not-an-id"):
        with pytest.raises(HandlerOutsideUnitError) as caught:
            selectors.handler_get(application=application, person_id=outsider)
        assert caught.value.details["errors"] == {
            "handler": "izaberite obrađivača iz jedinice koja rešava predmet"
        }
