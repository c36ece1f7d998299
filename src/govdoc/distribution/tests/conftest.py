"""Two agencies of one installation: a ministry whose unit drafts, and a city administration
whose registry receives. Officials hold real signing keys (PIN ``PIN``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.approvals.services import StepSpec
from govdoc.distribution import services
from govdoc.distribution.models import OutgoingDocument
from govdoc.documents.tests.samples import text_pdf
from govdoc.signatures.services import person_certificate_issue

PIN = "123456"


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """The services' messages are read here in English, the language they are written in."""
    with translation.override("en"):
        yield


def official(username: str, unit: Unit, role: Role, *, sign: bool = False) -> Person:
    person = PersonFactory(username=username, first_name=username.title(), last_name="Test")
    grant(person, unit, role)
    if sign:
        person_certificate_issue(
            person=person, pin=PIN, organization=unit.agency.name, actor="test", pin_change_required=False
        )
    return person


@dataclass
class Offices:
    ministry: Agency
    unit: Unit
    drafter: Person
    head: Person  # head of the drafting unit: the default policy's final approval
    city: Agency
    city_unit: Unit
    city_registry: Person
    city_handler: Person
    city_head: Person

    def draft(self, **overrides: Any) -> OutgoingDocument:
        fields: dict[str, Any] = {
            "actor": self.drafter,
            "unit": self.unit,
            "title": "Zahtev za dostavu podataka o prebivalištu",
            "kind": "dopis",
            "classification_code": "02-05",
            "retention_years": 10,
            "disclosure": "not_public",
            "legal_ground": "Zakon o zaštiti podataka o ličnosti, čl. 12",
            "content": text_pdf("Molimo da nam dostavite podatke."),
            "filename": "dopis.pdf",
            "recipients": [services.Recipient(agency=self.city)],
        }
        fields.update(overrides)
        return services.outgoing_draft(**fields)

    def line(self) -> list[StepSpec]:
        return [StepSpec("approval", self.head.pk, 1)]


@pytest.fixture
def offices(agency: Agency, unit: Unit, handler: Person) -> Offices:
    city = AgencyFactory(code="gbg", name="Gradska uprava grada Beograda")
    city_unit = UnitFactory(agency=city, code="pisarnica", name="Pisarnica")
    return Offices(
        ministry=agency,
        unit=unit,
        drafter=handler,
        head=official("sef", unit, Role.HEAD_OF_UNIT, sign=True),
        city=city,
        city_unit=city_unit,
        city_registry=official("pisar", city_unit, Role.REGISTRY_CLERK),
        city_handler=official("referent", city_unit, Role.HANDLER),
        city_head=official("sefgbg", city_unit, Role.HEAD_OF_UNIT, sign=True),
    )
