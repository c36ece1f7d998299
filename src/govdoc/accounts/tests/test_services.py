from __future__ import annotations

import pytest
from django.utils import translation

from govdoc.accounts import selectors, services
from govdoc.accounts.constants import Role
from govdoc.accounts.errors import (
    AgencyNotFoundError,
    CitizenCannotHoldOfficeError,
    DuplicateCodeError,
    UnitOutsideAgencyError,
)
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_creating_an_agency_records_an_audit_event() -> None:
    agency = services.agency_create(code="rgz", name="Republički geodetski zavod", actor="setup")
    event = AuditEvent.objects.get(event="accounts.agency_created")
    assert event.target_id == str(agency.pk)
    assert event.data == {"code": "rgz", "name": "Republički geodetski zavod"}
    assert event.actor_label == "setup"


def test_duplicate_agency_code_is_refused_and_nothing_is_written(agency: Agency) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(DuplicateCodeError):
        services.agency_create(code=agency.code, name="Druga", actor=None)
    assert Agency.objects.filter(code=agency.code).count() == 1
    assert AuditEvent.objects.count() == before


def test_unit_tree_stays_inside_one_agency(unit: Unit) -> None:
    other = services.agency_create(code="other", name="Druga agencija", actor=None)
    with pytest.raises(UnitOutsideAgencyError):
        services.unit_create(agency=other, code="x", name="X", parent=unit, actor=None)
    child = services.unit_create(agency=unit.agency, code="odsek", name="Odsek", parent=unit, actor=None)
    assert child.parent == unit


def test_citizen_cannot_be_given_an_office(unit: Unit, citizen: Person) -> None:
    with pytest.raises(CitizenCannotHoldOfficeError):
        services.membership_grant(person=citizen, unit=unit, role=Role.HANDLER, actor=None)


def test_roles_are_held_per_agency(handler: Person, unit: Unit) -> None:
    other = services.agency_create(code="other", name="Druga agencija", actor=None)
    assert selectors.has_role(person=handler, role=Role.HANDLER, agency=unit.agency)
    assert not selectors.has_role(person=handler, role=Role.HANDLER, agency=other)
    assert not selectors.has_role(person=handler, role=Role.HEAD_OF_UNIT)


def test_ended_membership_no_longer_grants_the_role(handler: Person, unit: Unit) -> None:
    membership = handler.memberships.get()
    import datetime as dt

    services.membership_end(membership=membership, valid_to=dt.date(2021, 1, 1), actor=None)
    assert not selectors.has_role(person=handler, role=Role.HANDLER)


def test_unknown_agency_code_names_the_known_ones(agency: Agency) -> None:
    with translation.override("en"), pytest.raises(AgencyNotFoundError, match="known: mup"):
        selectors.agency_by_code("nope")
    with pytest.raises(AgencyNotFoundError, match="poznati: mup"):  # Serbian Latin by default
        selectors.agency_by_code("nope")
