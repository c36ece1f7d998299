"""The shipped handling of a citizen's application: completion asked of the applicant, a
decision returned by the head of unit, issue and refusal; the second review an agency switches
on for one service by editing the diagram; the reminder on a review that waits."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.core import clock
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance
from govdoc.procedures.tests.conftest import SHIPPED_DIR, T0, Office

APPLICATION = (SHIPPED_DIR / "application_handling.bpmn").read_bytes()
NO_SECOND_REVIEW = b"service in []"
SECOND_REVIEW_FOR_PERMITS = b'service in ["gradjevinska-dozvola"]'


def opened(instance: ProcessInstance) -> set[str]:
    return {t.spec_name for t in instance.open_tasks.all()}


@pytest.fixture
def clerk(office: Office) -> Person:
    person = PersonFactory(username="milica.registry")
    grant(person, office.unit, Role.REGISTRY_CLERK)
    return person


def received(office: Office, definition: ProcessDefinition, clerk: Person, service: str) -> ProcessInstance:
    instance = services.instance_start(
        definition=definition,
        agency=office.agency,
        actor=clerk,
        data={"service": service},
        business_key="APP-2027-000042",
    )
    office.complete(instance, "register", clerk)
    return instance


def test_an_incomplete_application_is_completed_returned_once_and_refused(
    office: Office, clerk: Person
) -> None:
    o = office
    definition = services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    with clock.frozen(T0):
        instance = received(o, definition, clerk, "uverenje-o-drzavljanstvu")
        o.complete(instance, "review", o.handler, complete=False)
        o.complete(instance, "request_completion", o.handler)
        assert opened(instance) == {"review"}  # reviewed again once the applicant completes it
    with clock.frozen(T0 + dt.timedelta(days=8, minutes=1)):
        services.procedures_tick()  # the second review waits eight days: the head is reminded
        assert opened(instance) == {"review", "follow_up_review"}
        o.complete(instance, "follow_up_review", o.head)
        o.complete(instance, "review", o.handler, complete=True)
        assert opened(instance) == {"draft_decision"}  # no second review for this service
        o.complete(instance, "draft_decision", o.handler, decision="issue")
        with pytest.raises(errors.NotYourTaskError):
            o.complete(instance, "approve_decision", o.handler, approved=True)
        o.complete(instance, "approve_decision", o.head, approved=False)
        assert opened(instance) == {"draft_decision"}  # returned to the handler
        o.complete(instance, "draft_decision", o.handler, decision="refuse")
        o.complete(instance, "approve_decision", o.head, approved=True)
        with pytest.raises(errors.NotYourTaskError):
            o.complete(instance, "dispatch_refusal", o.handler)
        o.complete(instance, "dispatch_refusal", clerk)
    instance.refresh_from_db()
    assert (instance.status, opened(instance)) == ("completed", set())


def test_an_agency_switches_the_second_review_on_for_one_service_in_the_diagram(
    office: Office, clerk: Person
) -> None:
    o = office
    services.definition_load(xml_bytes=APPLICATION, actor=o.admin)
    assert APPLICATION.count(NO_SECOND_REVIEW) == 1
    edited = services.definition_load(
        xml_bytes=APPLICATION.replace(NO_SECOND_REVIEW, SECOND_REVIEW_FOR_PERMITS), actor=o.admin
    )
    assert edited.version == 2

    permit = received(o, edited, clerk, "gradjevinska-dozvola")
    o.complete(permit, "review", o.handler, complete=True)
    assert opened(permit) == {"second_review"}
    o.complete(permit, "second_review", o.head)
    o.complete(permit, "draft_decision", o.handler, decision="issue")
    o.complete(permit, "approve_decision", o.head, approved=True)
    assert opened(permit) == {"issue_document"}
    o.complete(permit, "issue_document", o.handler)
    permit.refresh_from_db()
    assert permit.status == "completed"

    other = received(o, edited, clerk, "uverenje-o-prebivalistu")  # another service: as before
    o.complete(other, "review", o.handler, complete=True)
    assert opened(other) == {"draft_decision"}


def test_only_the_registry_clerk_or_the_agency_s_system_receives_an_application(
    office: Office, clerk: Person
) -> None:
    definition = services.definition_load(xml_bytes=APPLICATION, actor=office.admin)
    with pytest.raises(errors.NotAllowedToStartError):
        services.instance_start(definition=definition, agency=office.agency, actor=office.handler)
    instance = services.instance_start(
        definition=definition, agency=office.agency, actor="applications", data={"service": "x"}
    )
    assert opened(instance) == {"register"}
