"""Who sees an application: its applicant and the officials of the handling unit, nobody else."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
from govdoc.applications import selectors
from govdoc.applications.errors import ApplicationNotFoundError
from govdoc.applications.models import Application
from govdoc.audit.models import AuditEvent


def _access_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event="audit.personal_data_viewed"))


def test_the_applicant_sees_their_application_without_an_access_record(
    application: Application, citizen: Person
) -> None:
    seen = selectors.application_get(viewer=citizen, application_id=application.pk)
    assert seen.receipt_number == application.receipt_number
    assert [a.rule_key for a in seen.current_attachments] == ["licna_karta"]  # type: ignore[attr-defined]
    assert _access_events() == []


def test_another_citizen_gets_not_found_as_for_a_missing_id(
    application: Application, other_citizen: Person
) -> None:
    with pytest.raises(ApplicationNotFoundError) as hidden:
        selectors.application_get(viewer=other_citizen, application_id=application.pk)
    with pytest.raises(ApplicationNotFoundError) as missing:
        selectors.application_get(viewer=other_citizen, application_id=uuid.uuid4())
    assert (hidden.value.code, hidden.value.message) == (missing.value.code, missing.value.message)
    with pytest.raises(ApplicationNotFoundError):
        selectors.timeline(application=application, viewer=other_citizen)
    assert list(selectors.applications_of_citizen(citizen=other_citizen)) == []


def test_an_official_of_another_agency_gets_not_found(
    application: Application, other_official: Person
) -> None:
    with pytest.raises(ApplicationNotFoundError):
        selectors.application_get(viewer=other_official, application_id=application.pk)
    assert _access_events() == []


def test_an_official_of_another_unit_of_the_same_agency_gets_not_found(
    application: Application, agency: Agency
) -> None:
    outsider = PersonFactory(username="saobracaj")
    grant(outsider, UnitFactory(agency=agency, code="saobracaj"), Role.HEAD_OF_UNIT)
    with pytest.raises(ApplicationNotFoundError):
        selectors.application_get(viewer=outsider, application_id=application.pk)


def test_anonymous_and_garbage_ids_get_not_found(application: Application, citizen: Person) -> None:
    with pytest.raises(ApplicationNotFoundError):
        selectors.application_get(viewer=AnonymousUser(), application_id=application.pk)
    with pytest.raises(ApplicationNotFoundError):
        selectors.application_get(viewer=citizen, application_id="not-a-uuid")


def test_opening_it_as_the_handling_official_records_a_personal_data_access(
    application: Application, unit: Unit
) -> None:
    registry = PersonFactory(username="registry")
    grant(registry, unit, Role.REGISTRY_CLERK)

    seen = selectors.application_get(viewer=registry, application_id=str(application.pk))

    assert seen.pk == application.pk
    [event] = _access_events()
    assert (event.actor_id, event.target_type, event.target_id) == (
        str(registry.pk),
        "applications.application",
        str(application.pk),
    )
    assert event.data["purpose"] == "handling the application"
    assert "applicant.national_id" in event.data["fields"]
    assert "data.jmbg" in event.data["fields"]
