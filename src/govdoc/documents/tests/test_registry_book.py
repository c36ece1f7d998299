"""The registry as an agency keeps it: numbers written by the agency's template, further acts of
a case under its number with sub-numbers, entries made in error cancelled (never removed, never
reused), and the registry searched."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.registry_format import template_errors
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents import selectors, services
from govdoc.documents.errors import AlreadyRegisteredError, NotAnOfficialHereError
from govdoc.documents.models import RegistryEntry
from govdoc.documents.tests.samples import create_document

pytestmark = pytest.mark.django_db


def test_an_agency_writes_its_numbers_by_its_template_and_further_acts_get_sub_numbers(
    agency: Agency, unit: Unit, clerk: Person
) -> None:
    agency.registry_number_template = "{classification}-{number}/{year}"
    agency.save()
    with clock.frozen(dt.datetime(2026, 5, 28, 10, tzinfo=dt.UTC)):
        first = services.document_register(
            document=create_document(unit=unit, actor=clerk, classification_code="02-05"), actor=clerk
        )
        answer = services.document_register(
            document=create_document(unit=unit, actor=clerk), actor=clerk, in_case_of=first
        )
        again = services.document_register(
            document=create_document(unit=unit, actor=clerk), actor=clerk, in_case_of=answer
        )
        next_case = services.document_register(
            document=create_document(unit=unit, actor=clerk, classification_code="01-1"), actor=clerk
        )

    assert first.registry_number == "02-05-1/2026"
    assert (answer.registry_number, again.registry_number) == ("02-05-1/2026-1", "02-05-1/2026-2")
    assert answer.case_entry_id == again.case_entry_id == first.pk
    assert next_case.registry_number == "01-1-2/2026"  # a further act takes no serial number

    # a later change of the template leaves the numbers already given as they were written
    agency.registry_number_template = ""
    agency.save()
    assert RegistryEntry.objects.get(pk=first.pk).registry_number == "02-05-1/2026"


@pytest.mark.parametrize(
    ("template", "fine"),
    [
        ("", True),
        ("{classification}-{number}/{year}", True),
        ("{agency}-{year}-{number6}", True),
        ("{classification}-{number}", False),  # no year: two years would read alike
        ("{agency}/{year}", False),  # no number
        ("{number:04d}/{year}", False),  # formats are not taken
        ("{jmbg}-{number}/{year}", False),
        ("{number/{year}", False),
    ],
)
def test_templates_are_checked(template: str, fine: bool) -> None:
    assert (template_errors(template) == []) is fine


def test_an_entry_made_in_error_is_cancelled_with_the_reason_and_its_number_is_not_reused(
    unit: Unit, clerk: Person, handler: Person
) -> None:
    entry = services.document_register(document=create_document(unit=unit, actor=clerk), actor=clerk)

    with pytest.raises(NotAnOfficialHereError):
        services.registry_entry_cancel(entry=entry, reason="greška", actor=handler)
    cancelled = services.registry_entry_cancel(entry=entry, reason="Zavedeno dva puta.", actor=clerk)
    with pytest.raises(AlreadyRegisteredError):
        services.registry_entry_cancel(entry=entry, reason="opet", actor=clerk)
    following = services.document_register(document=create_document(unit=unit, actor=clerk), actor=clerk)

    assert (cancelled.cancel_reason, cancelled.cancelled_by_id) == ("Zavedeno dva puta.", clerk.pk)
    assert RegistryEntry.objects.filter(pk=entry.pk).exists()
    assert following.number == entry.number + 1
    event = AuditEvent.objects.get(event="documents.registry_entry_cancelled")
    assert event.data == {"registry_number": entry.registry_number, "reason": "Zavedeno dva puta."}


def test_the_registry_is_searched_by_words_direction_classification_and_date(
    agency: Agency, unit: Unit, clerk: Person, handler: Person
) -> None:
    with clock.frozen(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)):
        received = services.document_register(
            document=create_document(
                unit=unit, actor=clerk, title="Zahtev za podatke", classification_code="02-05"
            ),
            actor=clerk,
            direction="incoming",
            correspondent="Gradska uprava grada Beograda, GBG-2026-000007",
        )
    with clock.frozen(dt.datetime(2026, 4, 9, 9, tzinfo=dt.UTC)):
        sent = services.document_register(
            document=create_document(
                unit=unit, actor=clerk, title="Odgovor o prebivalištu", classification_code="02-05"
            ),
            actor=clerk,
            direction="outgoing",
            correspondent="Ministarstvo pravde",
        )
        internal = services.document_register(
            document=create_document(unit=unit, actor=clerk, title="Plan rada", classification_code="01-1"),
            actor=clerk,
        )

    def found(**where: object) -> list[int]:
        query = selectors.registry_search(
            viewer=clerk, agency=agency, where=selectors.RegistryFilter(**where)
        )  # type: ignore[arg-type]
        return [e.pk for e in query]

    assert found() == [internal.pk, sent.pk, received.pk]
    assert found(text="beograda zahtev") == [received.pk]
    assert found(text=sent.registry_number) == [sent.pk]
    assert found(direction="outgoing") == [sent.pk]
    assert found(classification="02-05") == [sent.pk, received.pk]
    assert found(correspondent="pravde") == [sent.pk]
    assert found(date_from=dt.date(2026, 4, 1)) == [internal.pk, sent.pk]
    assert found(date_to=dt.date(2026, 3, 31)) == [received.pk]
    # a handler keeps no registry: it is not theirs to read
    assert selectors.registry_agencies(viewer=handler) == []
    outsider = PersonFactory(username="other")
    grant(outsider, unit, Role.HANDLER)
    with pytest.raises(Exception, match="no registry"):
        selectors.registry_search(viewer=outsider, agency=agency, where=selectors.RegistryFilter())
