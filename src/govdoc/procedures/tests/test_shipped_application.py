"""The shipped handling of a citizen's application, driving real applications: a service whose
handling procedure is ``application_handling`` starts it when a citizen applies; the
application's own steps (assigned, reviewed, completion asked and given, the decision sent up a
line whose decisions are signed, the document issued or the application rejected) move it; a
step an official takes before the procedure waits for it is refused; the second review an
agency switches on for one service by editing the diagram holds the decision back until it is
done; the reminder on a review that waits; a withdrawn application cancels its procedure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.applications import services as applications
from govdoc.applications.errors import StepNotDueError
from govdoc.applications.models import Application, Service
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.issuance.models import IssuedDocument
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessInstance
from govdoc.procedures.tests.conftest import SHIPPED_DIR, T0, Office
from govdoc.signatures.services import person_certificate_issue

APPLICATION = (SHIPPED_DIR / "application_handling.bpmn").read_bytes()
NO_SECOND_REVIEW = b"service in []"
SECOND_REVIEW_FOR_RESIDENCE = b'service in ["uverenje-o-prebivalistu"]'
PIN = "123456"


@pytest.fixture(autouse=True)
def _private_files(files_dir: Path) -> Path:
    return files_dir


@pytest.fixture
def clerk(office: Office) -> Person:
    person = PersonFactory(username="milica.registry")
    grant(person, office.unit, Role.REGISTRY_CLERK)
    return person


@pytest.fixture
def citizen(db: None) -> Person:
    return PersonFactory(username="ana.citizen", is_citizen=True)


@pytest.fixture
def service(office: Office) -> Service:
    person_certificate_issue(
        person=office.head, pin=PIN, organization=office.agency.name, actor="test", pin_change_required=False
    )
    return make_service(unit=office.unit, actor=office.admin, handling_procedure="application_handling")


def procedure_of(application: Application) -> ProcessInstance:
    return ProcessInstance.objects.get(application=application)


def waiting(application: Application) -> set[str]:
    return {t.spec_name for t in procedure_of(application).open_tasks.all()}


def decide(application: Application, person: Person, decision: str, comment: str = "") -> None:
    application.refresh_from_db()
    step = ApprovalStep.objects.get(line_id=application.approval_line_id, assignee=person)
    approvals.step_decide(step=step, actor=person, decision=decision, comment=comment, pin=PIN)
    run_queued_tasks()
    application.refresh_from_db()


def test_an_application_is_handled_by_its_procedure_from_receipt_to_issue(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    with clock.frozen(T0):
        application = submit(service, citizen)
    instance = procedure_of(application)
    assert (instance.business_key, instance.agency_id) == (application.receipt_number, o.agency.pk)
    assert waiting(application) == {"assign"}
    # Done on the application, not in the work list.
    with pytest.raises(errors.TaskDoneOnApplicationError):
        o.complete(instance, "assign", clerk)

    applications.application_assign(application=application, handler=o.handler, actor=clerk)
    assert waiting(application) == {"review"}
    # The procedure waits for the review: the decision cannot skip it.
    with pytest.raises(StepNotDueError, match="Review the application"):
        applications.decision_send_to_approval(application=application, actor=o.handler)
    application.refresh_from_db()
    assert (application.status, application.approval_line_id) == ("assigned", None)  # nothing written

    applications.completion_request_create(
        application=application, message_text="Priložite čitljiviju ličnu kartu.", actor=o.handler
    )
    assert waiting(application) == {"await_completion"}
    applications.application_complete(application=application, data=None, actor=citizen)
    assert waiting(application) == {"review"}
    applications.application_review(application=application, actor=o.handler)
    assert waiting(application) == {"send_decision"}  # no second review for this service

    applications.decision_send_to_approval(application=application, actor=o.handler)
    assert waiting(application) == {"approve_decision"}
    decide(application, o.head, "return", "Dopunite obrazloženje.")
    assert application.status == "assigned"
    assert waiting(application) == {"send_decision"}  # returned: the handler sends it again
    applications.decision_send_to_approval(application=application, actor=o.handler)
    decide(application, o.head, "approve")

    assert application.status == "issued"
    assert IssuedDocument.objects.filter(pk=application.issued_document_id, recipient=citizen).exists()
    instance.refresh_from_db()
    assert (instance.status, waiting(application)) == ("completed", set())
    steps = list(instance.steps.order_by("completed_at", "id").values_list("spec_name", "data__step"))
    assert steps == [
        ("assign", "assigned"),
        ("review", "completion_requested"),
        ("await_completion", "completed"),
        ("review", "reviewed"),
        ("send_decision", "sent_to_approval"),
        ("approve_decision", "decided"),
        ("send_decision", "sent_to_approval"),
        ("approve_decision", "decided"),
        ("issue_document", "issued"),
    ]
    outcomes = [s.data.get("outcome") for s in instance.steps.filter(spec_name="approve_decision")]
    assert sorted(outcomes) == ["approved", "returned"]


def test_a_rejected_decision_ends_the_procedure_as_refused(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    application = submit(service, citizen)
    applications.application_assign(application=application, handler=o.handler, actor=clerk)
    applications.application_review(application=application, actor=o.handler)
    applications.decision_send_to_approval(application=application, actor=o.handler)
    decide(application, o.head, "reject", "Nema osnova.")
    assert application.status == "rejected"
    instance = procedure_of(application)
    assert instance.status == "completed"
    assert instance.steps.get(spec_name="approve_decision").data["outcome"] == "rejected"


def test_an_agency_switches_the_second_review_on_for_one_service_in_the_diagram(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    assert APPLICATION.count(NO_SECOND_REVIEW) == 1
    edited = services.definition_load(
        xml_bytes=APPLICATION.replace(NO_SECOND_REVIEW, SECOND_REVIEW_FOR_RESIDENCE), actor=o.admin
    )
    assert edited.version == 2
    application = submit(service, citizen)
    assert procedure_of(application).definition_id == edited.pk
    applications.application_assign(application=application, handler=o.handler, actor=clerk)
    applications.application_review(application=application, actor=o.handler)
    assert waiting(application) == {"second_review"}
    # The decision waits for the head's second review.
    with pytest.raises(StepNotDueError, match="Review the application a second time"):
        applications.decision_send_to_approval(application=application, actor=o.handler)
    with pytest.raises(errors.NotYourTaskError):
        o.complete(procedure_of(application), "second_review", o.handler)
    o.complete(procedure_of(application), "second_review", o.head)
    applications.decision_send_to_approval(application=application, actor=o.handler)
    decide(application, o.head, "approve")
    assert application.status == "issued"
    assert procedure_of(application).status == "completed"

    # Another service of the agency is handled as before: no second review.
    other = make_service(
        unit=o.unit, actor=o.admin, code="uverenje-o-drzavljanstvu", handling_procedure="application_handling"
    )
    second = submit(other, citizen)
    applications.application_assign(application=second, handler=o.handler, actor=clerk)
    applications.application_review(application=second, actor=o.handler)
    assert waiting(second) == {"send_decision"}


def test_a_review_that_waits_eight_days_reminds_the_head(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    with clock.frozen(T0):
        application = submit(service, citizen)
        applications.application_assign(application=application, handler=o.handler, actor=clerk)
    with clock.frozen(T0 + dt.timedelta(days=8, minutes=1)):
        services.procedures_tick()
        assert waiting(application) == {"review", "follow_up_review"}
        o.complete(procedure_of(application), "follow_up_review", o.head)
        applications.application_review(application=application, actor=o.handler)
        assert waiting(application) == {"send_decision"}


def test_a_withdrawn_application_cancels_its_procedure(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    services.definition_load(xml_bytes=APPLICATION, actor=office.admin)
    application = submit(service, citizen)
    applications.application_withdraw(application=application, actor=citizen, reason="Predomislila sam se.")
    instance = procedure_of(application)
    assert (instance.status, waiting(application)) == ("cancelled", set())
    assert "withdrew" in instance.cancel_reason


def test_a_service_without_its_procedure_installed_is_handled_as_before_and_audited(
    office: Office, clerk: Person, citizen: Person, service: Service
) -> None:
    application = submit(service, citizen)  # application_handling was never loaded
    assert not ProcessInstance.objects.filter(application=application).exists()
    event = AuditEvent.objects.get(event="procedures.handling_procedure_missing")
    assert event.data["procedure"] == "application_handling"
    applications.application_assign(application=application, handler=office.handler, actor=clerk)
    applications.decision_send_to_approval(application=application, actor=office.handler)  # no gate


def test_a_service_without_a_procedure_starts_none(office: Office, citizen: Person) -> None:
    services.definition_load(xml_bytes=APPLICATION, actor=office.admin)
    plain = make_service(unit=office.unit, actor=office.admin)
    application = submit(plain, citizen)
    assert not ProcessInstance.objects.filter(application=application).exists()


def test_a_task_may_only_wait_for_steps_an_application_has(office: Office) -> None:
    broken = APPLICATION.replace(b'on="issued decided"', b'on="issued printed"')
    with pytest.raises(errors.DefinitionInvalidError, match="printed"):
        services.definition_load(xml_bytes=broken, actor=office.admin)


def test_content_changed_between_approval_and_issue_goes_back_to_the_handler(
    office: Office, clerk: Person, citizen: Person, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker recorded the approval and then stopped before issuing (a crash); meanwhile the
    service's template was edited, so what would be issued is no longer what the line approved:
    when the worker issues again, the application goes back to its handler, and so does the
    procedure that waited for the issue."""
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    application = submit(service, citizen)
    applications.application_assign(application=application, handler=o.handler, actor=clerk)
    applications.application_review(application=application, actor=o.handler)
    applications.decision_send_to_approval(application=application, actor=o.handler)

    def crash(**kwargs: object) -> None:
        raise RuntimeError("the worker stopped")

    monkeypatch.setattr("govdoc.applications.services.decisions.application_issue", crash)
    decide(application, o.head, "approve")  # the worker's task fails (it is retried later)
    monkeypatch.undo()
    application.refresh_from_db()
    assert application.status == "approved"
    assert waiting(application) == {"issue_document"}

    Service.objects.filter(pk=service.pk).update(output_template=service.output_template + "\nIzmena.\n")
    applications.application_issue(application=application)
    application.refresh_from_db()
    assert (application.status, application.issued_document_id) == ("assigned", None)
    assert waiting(application) == {"send_decision"}
    last = procedure_of(application).steps.order_by("-completed_at", "-id").first()
    assert last is not None and (last.spec_name, last.data["outcome"]) == ("issue_document", "returned")
