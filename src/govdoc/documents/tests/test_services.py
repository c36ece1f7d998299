from __future__ import annotations

from pathlib import Path

import pytest
from pytest_django import Settings
from tests.support import stored_files

from govdoc.accounts.models import Agency, Person, Unit
from govdoc.audit.models import AuditEvent
from govdoc.documents import services
from govdoc.documents.errors import (
    AlreadyRegisteredError,
    EmptyUploadError,
    InvalidDocumentFieldError,
    LegalGroundRequiredError,
    NotAnOfficialHereError,
    OwnerUnitOutsideAgencyError,
    UploadRejectedError,
    UploadTooLargeError,
    VersionSealedError,
)
from govdoc.documents.models import Attachment, Document, DocumentVersion, RegistryEntry, StoredFile
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import PDF, PDF_CORRECTED, PNG, create_document

pytestmark = pytest.mark.django_db


def test_creating_a_document_stores_version_1_and_records_it(unit: Unit, handler: Person) -> None:
    document = create_document(unit=unit, actor=handler, filename="C:\\scans\\rešenje.pdf")

    version = document.current_version
    assert version is not None
    assert (version.number, version.filename, version.media_type) == (1, "rešenje.pdf", "application/pdf")
    assert file_read(version.file) == PDF
    event = AuditEvent.objects.get(event="documents.document_created")
    assert event.target_id == str(document.pk)
    assert event.actor_id == str(handler.pk)
    assert event.data["version"] == 1
    assert event.data["sha256"] == version.file_id


def test_a_document_that_is_not_public_needs_a_legal_ground(unit: Unit, handler: Person) -> None:
    with pytest.raises(LegalGroundRequiredError):
        create_document(unit=unit, actor=handler, disclosure="not_public", legal_ground="  ")
    document = create_document(
        unit=unit,
        actor=handler,
        disclosure="partial",
        legal_ground="Zakon o zaštiti podataka o ličnosti, čl. 14",
    )
    assert document.disclosure == "partial"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "   "), ("doc_type", "two words"), ("classification_code", ""), ("disclosure", "secret")],
)
def test_invalid_fields_are_refused(unit: Unit, handler: Person, field: str, value: str) -> None:
    with pytest.raises(InvalidDocumentFieldError) as caught:
        create_document(unit=unit, actor=handler, **{field: value})
    assert caught.value.details["field"] == field
    assert not Document.objects.exists()


def test_owner_unit_must_belong_to_the_agency(unit: Unit, handler: Person, other_agency: Agency) -> None:
    with pytest.raises(OwnerUnitOutsideAgencyError):
        create_document(unit=unit, actor=handler, agency=other_agency)


def test_only_officials_with_a_writing_role_in_the_agency_may_create(
    unit: Unit, other_official: Person, citizen: Person, archivist: Person
) -> None:
    for outsider in (other_official, citizen, archivist):
        with pytest.raises(NotAnOfficialHereError):
            create_document(unit=unit, actor=outsider)
    assert not Document.objects.exists()


@pytest.mark.parametrize(
    ("content", "filename", "media_type", "error", "message"),
    [
        (PNG, "scan.pdf", "application/pdf", UploadRejectedError, "is a PNG image, not a PDF document"),
        (b"", "empty.pdf", "application/pdf", EmptyUploadError, "is empty"),
        (PDF.ljust(4096, b" "), "big.pdf", "application/pdf", UploadTooLargeError, "more than the limit"),
    ],
)
def test_refused_uploads_write_nothing(
    unit: Unit,
    handler: Person,
    files_dir: Path,
    settings: Settings,
    content: bytes,
    filename: str,
    media_type: str,
    error: type[Exception],
    message: str,
) -> None:
    settings.GOVDOC_MAX_UPLOAD_BYTES = 1024
    events_before = AuditEvent.objects.count()
    with pytest.raises(error, match=message):
        create_document(unit=unit, actor=handler, content=content, filename=filename, media_type=media_type)
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert not StoredFile.objects.exists()
    assert stored_files(files_dir) == []
    # only the refusal itself is recorded (in a transaction of its own)
    assert AuditEvent.objects.count() == events_before + 1
    refusal = AuditEvent.objects.get(event="documents.upload_refused")
    assert refusal.actor_id == str(handler.pk)
    assert refusal.data["code"] == error.code  # type: ignore[attr-defined]
    assert filename not in str(refusal.data)


def test_a_new_version_gets_the_next_number_and_becomes_current(document: Document, handler: Person) -> None:
    second = services.version_add(
        document=document,
        content=PDF_CORRECTED,
        filename="v2.pdf",
        media_type="application/pdf",
        note="ispravka",
        actor=handler,
    )
    third = services.version_add(
        document=document, content=PDF, filename="v3.pdf", media_type="application/pdf", actor=handler
    )
    document.refresh_from_db()
    assert [second.number, third.number] == [2, 3]
    assert document.current_version == third
    assert third.file_id == document.versions.get(number=1).file_id  # same bytes, stored once
    assert AuditEvent.objects.filter(event="documents.version_added", target_id=str(document.pk)).count() == 2


def test_a_sealed_version_gets_no_attachment_and_no_change(document: Document, handler: Person) -> None:
    version = document.versions.get(number=1)
    services.version_seal(version=version, actor=handler)

    with pytest.raises(VersionSealedError, match="cannot get attachments"):
        services.attachment_add(
            version=version, content=PNG, filename="prilog.png", media_type="image/png", actor=handler
        )
    with pytest.raises(VersionSealedError, match="cannot be changed"):
        services.version_note_change(version=version, note="changed afterwards", actor=handler)
    with pytest.raises(VersionSealedError):
        services.version_seal(version=version, actor=handler)

    version.refresh_from_db()
    assert version.sealed and version.note == "" and file_read(version.file) == PDF
    assert not Attachment.objects.exists()


def test_a_correction_of_a_sealed_version_is_a_new_version(document: Document, handler: Person) -> None:
    sealed = services.version_seal(version=document.versions.get(number=1), actor=handler)
    correction = services.version_add(
        document=document,
        content=PDF_CORRECTED,
        filename="ispravka.pdf",
        media_type="application/pdf",
        note="ispravka greške",
        actor=handler,
    )
    attachment = services.attachment_add(
        version=correction,
        content=PNG,
        filename="prilog.png",
        media_type="image/png",
        description="Skenirani prilog",
        actor=handler,
    )

    sealed.refresh_from_db()
    assert sealed.sealed and file_read(sealed.file) == PDF
    assert correction.number == 2 and not correction.sealed
    assert file_read(correction.file) == PDF_CORRECTED
    assert (attachment.media_type, attachment.version_id) == ("image/png", correction.pk)
    assert AuditEvent.objects.filter(event="documents.attachment_added").count() == 1


def test_an_unsealed_version_note_can_change(document: Document, handler: Person) -> None:
    version = services.version_note_change(
        version=document.versions.get(number=1), note="nacrt", actor=handler
    )
    assert DocumentVersion.objects.get(pk=version.pk).note == "nacrt"


def test_officials_of_another_agency_cannot_write_here(document: Document, other_official: Person) -> None:
    version = document.versions.get(number=1)
    with pytest.raises(NotAnOfficialHereError):
        services.version_add(
            document=document,
            content=PDF,
            filename="x.pdf",
            media_type="application/pdf",
            actor=other_official,
        )
    with pytest.raises(NotAnOfficialHereError):
        services.version_seal(version=version, actor=other_official)
    with pytest.raises(NotAnOfficialHereError):
        services.document_register(document=document, actor=other_official)
    assert document.versions.count() == 1
    assert not RegistryEntry.objects.exists()


def test_registering_gives_a_registry_number(document: Document, clerk: Person) -> None:
    entry = services.document_register(document=document, actor=clerk, subject="Lična karta")
    assert entry.registry_number.startswith("MUP-") and entry.registry_number.endswith("-000001")
    assert entry.subject == "Lična karta"
    event = AuditEvent.objects.get(event="documents.document_registered")
    assert event.data["registry_number"] == entry.registry_number


def test_registering_twice_is_refused(document: Document, clerk: Person) -> None:
    entry = services.document_register(document=document, actor=clerk)
    with pytest.raises(AlreadyRegisteredError, match=entry.registry_number):
        services.document_register(document=document, actor=clerk)
    assert RegistryEntry.objects.count() == 1
