"""Fixtures shared by every domain's tests: agencies, units, officials and citizens."""

from __future__ import annotations

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory(code="mup", name="Ministarstvo unutrašnjih poslova")


@pytest.fixture
def unit(agency: Agency) -> Unit:
    return UnitFactory(agency=agency, code="uprava", name="Uprava za upravne poslove")


@pytest.fixture
def handler(unit: Unit) -> Person:
    person = PersonFactory(username="handler")
    grant(person, unit, Role.HANDLER)
    return person


@pytest.fixture
def citizen(db: None) -> Person:
    return PersonFactory(username="citizen", is_citizen=True)
