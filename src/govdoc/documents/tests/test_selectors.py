from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from pytest_django import DjangoAssertNumQueries

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import UnitFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents import selectors, services
from govdoc.documents.errors import DocumentNotFoundError, FileIntegrityError, VersionNotFoundError
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import PDF, PDF_CORRECTED, create_document

pytestmark = pytest.mark.django_db


def test_officials_see_the_documents_of_their_agencies_only(
    document: Document, handler: Person, archivist: Person, other_official: Person, citizen: Person
) -> None:
    assert list(selectors.documents_visible_to(user=handler)) == [document]
    assert list(selectors.documents_visible_to(user=archivist)) == [document]
    assert list(selectors.documents_visible_to(user=other_official)) == []
    assert list(selectors.documents_visible_to(user=citizen)) == []
    assert list(selectors.documents_visible_to(user=AnonymousUser())) == []


def test_need_to_know_an_official_reads_their_units_documents_the_registry_all_of_the_agencys(
    unit: Unit, handler: Person
) -> None:
    """Serving in an agency is not a reason to read its files: another unit's documents are
    not visible to a handler; the registry, the archive and the head of the agency keep them all."""
    sibling = UnitFactory(agency=unit.agency, code="odsek", name="Odsek")
    colleague = Person.objects.create(username="colleague")
    grant(colleague, sibling, Role.HANDLER)
    theirs = create_document(unit=sibling, actor=colleague)
    assert list(selectors.documents_visible_to(user=handler)) == []
    assert list(selectors.documents_visible_to(user=colleague)) == [theirs]
    for role in (Role.REGISTRY_CLERK, Role.HEAD_OF_AGENCY):
        keeper = Person.objects.create(username=f"keeper-{role}")
        grant(keeper, unit, role)
        assert theirs in selectors.documents_visible_to(user=keeper)
    administrator = Person.objects.create(username="it-admin")
    grant(administrator, unit, Role.ADMINISTRATOR)
    assert theirs not in selectors.documents_visible_to(user=administrator)


def test_each_read_of_a_documents_content_is_recorded(document: Document, handler: Person) -> None:
    version = selectors.version_get(user=handler, document_id=document.pk, number=1)
    selectors.version_content(user=handler, version=version)
    event = AuditEvent.objects.get(event="audit.personal_data_viewed", target_id=str(document.pk))
    assert event.actor_id == str(handler.pk)
    assert event.data == {"purpose": "reading a document's content", "fields": ["version.1.content"]}


def test_a_document_of_another_agency_is_not_found_as_if_it_did_not_exist(
    document: Document, other_official: Person, handler: Person
) -> None:
    with pytest.raises(DocumentNotFoundError) as hidden:
        selectors.document_get(user=other_official, document_id=document.pk)
    with pytest.raises(DocumentNotFoundError) as missing:
        selectors.document_get(user=other_official, document_id="00000000-0000-0000-0000-000000000000")
    assert str(hidden.value) == str(missing.value)
    with pytest.raises(DocumentNotFoundError):
        selectors.document_get(user=handler, document_id="not-a-uuid")
    assert selectors.document_get(user=handler, document_id=str(document.pk)) == document


def test_version_content_is_checked_and_only_for_those_who_may_see_it(
    document: Document, handler: Person, other_official: Person, files_dir: Path
) -> None:
    version = selectors.version_get(user=handler, document_id=document.pk, number=1)
    assert selectors.version_content(user=handler, version=version) == PDF
    with pytest.raises(DocumentNotFoundError):
        selectors.version_content(user=other_official, version=version)
    with pytest.raises(VersionNotFoundError):
        selectors.version_get(user=handler, document_id=document.pk, number=2)

    (files_dir / version.file.storage_name).write_bytes(PDF_CORRECTED)
    with pytest.raises(FileIntegrityError):
        selectors.version_content(user=handler, version=version)
    assert AuditEvent.objects.filter(event="documents.file_integrity_failed").count() == 1


def test_listing_documents_takes_one_query_however_many(
    unit: Unit, handler: Person, clerk: Person, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    def render() -> list[tuple[str, str, str, int | None, str | None]]:
        return [
            (
                d.agency.code,
                d.owner_unit.code,
                d.author.username,
                d.current_version.number if d.current_version else None,
                d.registry_entry.registry_number if hasattr(d, "registry_entry") else None,
            )
            for d in selectors.documents_visible_to(user=handler)
        ]

    for i in range(2):
        services.document_register(
            document=create_document(unit=unit, actor=handler, title=f"A{i}"), actor=clerk
        )
    with django_assert_num_queries(1):
        assert len(render()) == 2
    for i in range(5):
        create_document(unit=unit, actor=handler, title=f"B{i}")
    with django_assert_num_queries(1):
        rows = render()
    assert len(rows) == 7
    assert sum(1 for row in rows if row[4] is not None) == 2


def test_registry_of_a_year_is_listed_in_number_order_in_one_query(
    unit: Unit, handler: Person, clerk: Person, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    for i in range(4):
        services.document_register(
            document=create_document(unit=unit, actor=handler, title=f"D{i}"), actor=clerk
        )
    year = clock.today_local().year
    with django_assert_num_queries(1):
        rows = [
            (e.registry_number, e.document.title, e.registered_by.username)
            for e in selectors.registry_entries(agency=unit.agency, year=year)
        ]
    assert [r[0][-6:] for r in rows] == ["000001", "000002", "000003", "000004"]
    assert [r[1] for r in rows] == ["D0", "D1", "D2", "D3"]
