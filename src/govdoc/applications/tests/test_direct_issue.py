"""Issuing a service's document without an application (an agency's back-office system)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support import pdf_text

from govdoc.accounts.constants import Role, Script
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.applications.demo_catalogue import ensure_demo_services
from govdoc.applications.errors import InvalidApplicationError, NotOfficialOfAgencyError
from govdoc.applications.models import Service
from govdoc.applications.services.direct import document_issue_for_service
from govdoc.audit.models import AuditEvent
from govdoc.core.errors import PermissionDeniedError
from govdoc.documents.models import RegistryEntry
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.errors import NotAllowedToIssueError
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.selectors import issued_get, issued_pdf

pytestmark = pytest.mark.django_db

RESIDENCE = "uverenje-o-prebivalistu"
DATA: dict[str, Any] = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73, Beograd",
    "opstina": "Vračar",
    "svrha": "radi zaposlenja",
}


@pytest.fixture
def residence(unit: Unit) -> Service:
    """The demo catalogue's certificate of residence, offered by the ``mup`` agency."""
    return next(s for s in ensure_demo_services(actor="test-setup") if s.code == RESIDENCE)


@pytest.fixture
def head_of_unit(unit: Unit) -> Person:
    person = PersonFactory(username="head-unit", first_name="Jelena", last_name="Jovanović")
    grant(person, unit, Role.HEAD_OF_UNIT)
    return person


@pytest.fixture
def ana(db: None) -> Person:
    return PersonFactory(username="ana", first_name="Ana", last_name="Petrović", is_citizen=True)


def _written() -> tuple[int, int, int]:
    return IssuedDocument.objects.count(), RegistryEntry.objects.count(), AuditEvent.objects.count()


def test_head_of_unit_issues_a_residence_certificate_that_names_the_citizen(
    residence: Service, head_of_unit: Person, ana: Person
) -> None:
    issued_id = document_issue_for_service(
        service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=head_of_unit
    )

    issued = issued_get(viewer=ana, issued_id=issued_id)
    assert issued.status == IssuedStatus.VALID
    assert issued.recipient_id == ana.pk
    assert issued.agency.code == "mup"
    assert issued.title == "Uverenje o prebivalištu"
    assert issued.valid_until is not None  # the service's 180 days of validity
    text = pdf_text(issued_pdf(viewer=ana, issued=issued))
    assert "Ana Petrović, JMBG 0101990710006" in text
    assert "Bulevar kralja Aleksandra 73, Beograd, opština Vračar" in text
    assert issued.registry_number in text
    event = AuditEvent.objects.get(event="applications.document_issued_directly")
    assert event.data == {
        "issued_document_id": str(issued_id),
        "service": RESIDENCE,
        "recipient": str(ana.pk),
        "script": "sr-latn",
        "fields": sorted(DATA),
    }
    assert AuditEvent.objects.filter(event="issuance.document_issued").count() == 1


def test_a_handler_issues_it_in_cyrillic(residence: Service, handler: Person, ana: Person) -> None:
    issued_id = document_issue_for_service(
        service=residence, recipient=ana, data=DATA, script=Script.CYRILLIC, actor=handler
    )

    issued = issued_get(viewer=handler, issued_id=issued_id)
    text = pdf_text(issued_pdf(viewer=handler, issued=issued))
    assert "Уверење о пребивалишту".upper() in text
    assert "Ана Петровић" in text


def test_invalid_data_name_every_field_and_nothing_is_written(
    residence: Service, handler: Person, ana: Person
) -> None:
    before = _written()
    bad = {**DATA, "jmbg": "12", "nadimak": "Anči"}
    del bad["adresa"]

    with pytest.raises(InvalidApplicationError) as caught:
        document_issue_for_service(service=residence, recipient=ana, data=bad, script="latin", actor=handler)

    assert set(caught.value.field_errors) == {"jmbg", "adresa", "nadimak", "script"}
    assert caught.value.field_errors["adresa"] == "Ovo polje je obavezno."
    assert _written() == before


def test_the_recipient_must_be_a_citizen(residence: Service, handler: Person, head_of_unit: Person) -> None:
    before = _written()

    with pytest.raises(InvalidApplicationError) as caught:
        document_issue_for_service(
            service=residence, recipient=head_of_unit, data=DATA, script=Script.LATIN, actor=handler
        )

    assert set(caught.value.field_errors) == {"recipient_id"}
    assert _written() == before


def test_a_citizen_is_refused_even_with_valid_data(residence: Service, ana: Person) -> None:
    before = _written()

    with pytest.raises(NotOfficialOfAgencyError) as caught:
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=ana
        )

    assert isinstance(caught.value, PermissionDeniedError)
    assert _written() == before


def test_an_official_of_another_agency_is_refused(residence: Service, ana: Person) -> None:
    other: Agency = AgencyFactory(code="beograd")
    clerk = PersonFactory(username="handler-bg")
    grant(clerk, UnitFactory(agency=other), Role.HANDLER)
    before = _written()

    with pytest.raises(NotOfficialOfAgencyError):
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=clerk
        )

    assert _written() == before


def test_an_official_without_a_writing_role_is_refused_by_issuance(
    residence: Service, unit: Unit, ana: Person
) -> None:
    archivist = PersonFactory(username="archivist")
    grant(archivist, unit, Role.ARCHIVIST)
    before = _written()

    with pytest.raises(NotAllowedToIssueError):
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=archivist
        )

    assert _written() == before
