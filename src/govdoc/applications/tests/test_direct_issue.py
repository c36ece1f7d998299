"""Issuing a service's document without an application: for an agency's system account with a
scoped token only, and only for a service that opted in with its legal basis."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.support import pdf_text

from govdoc.accounts.constants import Role, Script
from govdoc.accounts.models import ApiToken, Person, Unit
from govdoc.accounts.services import api_token_issue, system_account_create
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.applications.demo_catalogue import ensure_demo_services
from govdoc.applications.errors import (
    DirectIssuanceNotAllowedError,
    DirectIssuanceSystemsOnlyError,
    InvalidApplicationError,
    SystemOutsideAgencyError,
    TokenScopeMissingError,
)
from govdoc.applications.models import Service
from govdoc.applications.services.catalogue import service_update
from govdoc.applications.services.direct import document_issue_for_service
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.core.errors import PermissionDeniedError
from govdoc.documents.models import RegistryEntry
from govdoc.issuance.constants import IssuedStatus
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
def counter(unit: Unit) -> Person:
    """The agency's counter system: a system account, not a person."""
    return system_account_create(unit=unit, username="mup-salter", name="Šalter", actor="test")


def _token(person: Person, *scopes: str) -> ApiToken:
    token, _ = api_token_issue(
        person=person, name="test", expires_at=clock.now() + dt.timedelta(days=1), scopes=scopes, actor="test"
    )
    return token


@pytest.fixture
def token(counter: Person) -> ApiToken:
    return _token(counter, f"issue:{RESIDENCE}")


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


def _refusals() -> list[dict[str, object]]:
    return [e.data for e in AuditEvent.objects.filter(event="applications.direct_issuance_refused")]


def test_the_counter_system_issues_a_residence_certificate_audited_with_its_token(
    residence: Service, counter: Person, token: ApiToken, ana: Person
) -> None:
    issued_id, _created = document_issue_for_service(
        service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=counter, token=token
    )

    issued = issued_get(viewer=ana, issued_id=issued_id)
    assert issued.status == IssuedStatus.VALID
    assert issued.recipient_id == ana.pk
    assert issued.agency.code == "mup"
    assert issued.valid_until is not None  # the service's 180 days of validity
    text = pdf_text(issued_pdf(viewer=ana, issued=issued))
    assert "Ana Petrović, JMBG 0101990710006" in text
    assert issued.registry_number in text
    event = AuditEvent.objects.get(event="applications.document_issued_directly")
    assert event.actor_id == str(counter.pk)
    assert event.data == {
        "issued_document_id": str(issued_id),
        "service": RESIDENCE,
        "recipient": str(ana.pk),
        "script": "sr-latn",
        "system": "mup-salter",
        "token": str(token.pk),
        "legal_basis": residence.direct_issuance_legal_basis,
        "fields": sorted(DATA),
        "idempotency_key": None,
    }
    assert AuditEvent.objects.filter(event="issuance.document_issued", actor_id=str(counter.pk)).count() == 1


def test_it_issues_in_cyrillic(residence: Service, counter: Person, token: ApiToken, ana: Person) -> None:
    issued_id, _created = document_issue_for_service(
        service=residence, recipient=ana, data=DATA, script=Script.CYRILLIC, actor=counter, token=token
    )

    issued = issued_get(viewer=ana, issued_id=issued_id)
    text = pdf_text(issued_pdf(viewer=ana, issued=issued))
    assert "Ана Петровић" in text


def test_invalid_data_name_every_field_and_nothing_is_written(
    residence: Service, counter: Person, token: ApiToken, ana: Person
) -> None:
    before = _written()
    bad = {**DATA, "jmbg": "12", "nadimak": "Anči"}
    del bad["adresa"]

    with pytest.raises(InvalidApplicationError) as caught:
        document_issue_for_service(
            service=residence, recipient=ana, data=bad, script="latin", actor=counter, token=token
        )

    assert set(caught.value.field_errors) == {"jmbg", "adresa", "nadimak", "script"}
    assert caught.value.field_errors["adresa"] == "Ovo polje je obavezno."
    assert _written() == before


def test_the_recipient_must_be_a_citizen(
    residence: Service, counter: Person, token: ApiToken, head_of_unit: Person
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        document_issue_for_service(
            service=residence,
            recipient=head_of_unit,
            data=DATA,
            script=Script.LATIN,
            actor=counter,
            token=token,
        )

    assert set(caught.value.field_errors) == {"recipient_id"}


@pytest.mark.parametrize("who", ["head_of_unit", "ana"])
def test_people_are_refused_even_with_a_token(
    residence: Service, ana: Person, head_of_unit: Person, who: str
) -> None:
    """The attack found: any official with a writing role issued any certificate this way."""
    actor = {"head_of_unit": head_of_unit, "ana": ana}[who]
    token = _token(actor)
    before = _written()

    with pytest.raises(DirectIssuanceSystemsOnlyError) as caught:
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=actor, token=token
        )

    assert isinstance(caught.value, PermissionDeniedError)
    assert IssuedDocument.objects.count() == before[0]
    assert RegistryEntry.objects.count() == before[1]
    assert _refusals() == [
        {
            "reason": "direct-issuance-systems-only",
            "service": RESIDENCE,
            "token": str(token.pk),
            "account_kind": "person",
        }
    ]


def test_a_token_without_the_services_scope_is_refused(
    residence: Service, counter: Person, ana: Person
) -> None:
    token = _token(counter, "issue:izvod-iz-maticne-knjige-rodjenih")
    before = _written()

    with pytest.raises(TokenScopeMissingError):
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=counter, token=token
        )

    assert IssuedDocument.objects.count() == before[0]
    assert [r["reason"] for r in _refusals()] == ["api-token-scope-missing"]


def test_a_service_that_did_not_opt_in_is_refused(
    residence: Service, counter: Person, token: ApiToken, ana: Person
) -> None:
    service_update(service=residence, changes={"direct_issuance": False}, actor="test")

    with pytest.raises(DirectIssuanceNotAllowedError):
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=counter, token=token
        )

    assert not IssuedDocument.objects.exists()
    assert [r["reason"] for r in _refusals()] == ["direct-issuance-not-allowed"]


def test_a_system_of_another_agency_is_refused(residence: Service, ana: Person) -> None:
    elsewhere = UnitFactory(agency=AgencyFactory(code="beograd"))
    system = system_account_create(unit=elsewhere, username="bg-sistem", name="BG", actor="test")
    token = _token(system, f"issue:{RESIDENCE}")

    with pytest.raises(SystemOutsideAgencyError):
        document_issue_for_service(
            service=residence, recipient=ana, data=DATA, script=Script.LATIN, actor=system, token=token
        )

    assert not IssuedDocument.objects.exists()
