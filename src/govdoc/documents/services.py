"""Writes of the documents domain. Each runs in one transaction with its audit event.

Only officials who hold a writing role (``constants.WRITER_ROLES``) in a document's agency may
create, version, seal, attach to or register its documents.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.registry_format import registry_number_text
from govdoc.accounts.selectors import memberships_current
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.documents import content_types
from govdoc.documents.constants import (
    DOCUMENT_MEDIA_TYPES,
    WRITER_ROLES,
    Direction,
    Disclosure,
    max_upload_bytes,
)
from govdoc.documents.errors import (
    AlreadyRegisteredError,
    InvalidDocumentFieldError,
    LegalGroundRequiredError,
    NotAnOfficialHereError,
    OwnerUnitOutsideAgencyError,
    VersionSealedError,
)
from govdoc.documents.models import Attachment, Document, DocumentVersion, RegistryEntry, StoredFile
from govdoc.documents.numbering import registry_number_take
from govdoc.documents.refusals import audited_upload_refusals
from govdoc.documents.selectors import may_cancel_entries
from govdoc.documents.storage import file_put, files_put

_DOC_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_CLASSIFICATION = re.compile(r"^[\w./-]{1,32}$")


def _require_writer(*, actor: Person, agency_id: uuid.UUID) -> None:
    allowed = (
        memberships_current(person=actor).filter(unit__agency_id=agency_id, role__in=WRITER_ROLES).exists()
    )
    if not allowed:
        raise NotAnOfficialHereError(
            _("%(username)s holds no role in this agency that may write its documents")
            % {"username": actor.get_username()},
            person_id=str(actor.pk),
            agency_id=str(agency_id),
        )


def _text(value: str, *, field: str, max_length: int, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidDocumentFieldError(_("%(field)s must not be empty") % {"field": field}, field=field)
    if len(value) > max_length:
        raise InvalidDocumentFieldError(
            _("%(field)s is longer than %(max)s characters") % {"field": field, "max": max_length},
            field=field,
        )
    return value


def _accept_file(
    content: bytes, *, filename: str, media_type: str, produced_here: bool = False
) -> tuple[StoredFile, str, str]:
    """Check an upload by its content and store it: (stored file, detected media type, safe name).
    ``produced_here``: a PDF GovDoc rendered and sealed itself is not read in depth again."""
    detected, name = _checked(content, filename=filename, media_type=media_type, produced_here=produced_here)
    return file_put(content, media_type=detected), detected, name


def _checked(content: bytes, *, filename: str, media_type: str, produced_here: bool) -> tuple[str, str]:
    """The detected media type and the safe name of an upload, or the upload's refusal.
    An official's document may embed files (a PDF/A-3 with its data, as GovDoc's own drafts and
    issued documents do); a citizen's attachment may not (``applications``)."""
    detected = content_types.check_upload(
        content,
        filename=filename,
        allowed=DOCUMENT_MEDIA_TYPES,
        max_bytes=max_upload_bytes(),
        declared=media_type,
        inspect_pdf=not produced_here,
        pdf_embedded_files=True,
    )
    return detected, content_types.safe_filename(filename)


def _version_create(
    *,
    document: Document,
    number: int,
    content: bytes,
    filename: str,
    media_type: str,
    note: str,
    actor: Person,
    produced_here: bool = False,
) -> DocumentVersion:
    stored, detected, name = _accept_file(
        content, filename=filename, media_type=media_type, produced_here=produced_here
    )
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        file=stored,
        media_type=detected,
        filename=name,
        note=note,
        created_by=actor,
        created_at=clock.now(),
    )


def _version_data(version: DocumentVersion) -> dict[str, str | int]:
    return {
        "version": version.number,
        "version_id": str(version.pk),
        "sha256": version.file_id,
        "size": version.file.size,
        "media_type": version.media_type,
        "filename": version.filename,
    }


def _document_new(
    *,
    agency: Agency,
    owner_unit: Unit,
    author: Person,
    title: str,
    doc_type: str,
    classification_code: str,
    disclosure: str,
    legal_ground: str,
    actor: Person,
) -> Document:
    """Check the fields and the actor, and create the document row (no version yet)."""
    fields = _document_fields(
        agency=agency,
        owner_unit=owner_unit,
        title=title,
        doc_type=doc_type,
        classification_code=classification_code,
        disclosure=disclosure,
        legal_ground=legal_ground,
        actor=actor,
    )
    return Document.objects.create(
        **fields, agency=agency, owner_unit=owner_unit, author=author, created_at=clock.now()
    )


def _document_fields(
    *,
    agency: Agency,
    owner_unit: Unit,
    title: str,
    doc_type: str,
    classification_code: str,
    disclosure: str,
    legal_ground: str,
    actor: Person,
) -> dict[str, str]:
    """The checked fields of a new document (title, doc_type, classification_code, disclosure,
    legal_ground); raises if a field or the actor is not allowed."""
    if owner_unit.agency_id != agency.pk:
        raise OwnerUnitOutsideAgencyError(
            _("the owner unit belongs to another agency"),
            unit_id=str(owner_unit.pk),
            agency_id=str(agency.pk),
        )
    _require_writer(actor=actor, agency_id=agency.pk)
    title = _text(title, field="title", max_length=500)
    if not _DOC_TYPE.match(doc_type):
        raise InvalidDocumentFieldError(
            _("%(field)s must be a short code (letters, digits, '.', '_', '-'; at most 32)")
            % {"field": "doc_type"},
            field="doc_type",
        )
    if not _CLASSIFICATION.match(classification_code):
        raise InvalidDocumentFieldError(
            _("%(field)s must be 1 to 32 letters, digits, '.', '/', '-' or '_'")
            % {"field": "classification_code"},
            field="classification_code",
        )
    if disclosure not in Disclosure.values:
        raise InvalidDocumentFieldError(
            _("%(field)s must be one of %(values)s")
            % {"field": "disclosure", "values": ", ".join(Disclosure.values)},
            field="disclosure",
        )
    legal_ground = _text(legal_ground, field="legal_ground", max_length=500, required=False)
    if disclosure != Disclosure.PUBLIC and not legal_ground:
        raise LegalGroundRequiredError(
            _("a document that is not fully public needs the legal ground for withholding it"),
            field="legal_ground",
        )
    return {
        "title": title,
        "doc_type": doc_type,
        "classification_code": classification_code,
        "disclosure": disclosure,
        "legal_ground": legal_ground,
    }


def _document_data(document: Document) -> dict[str, str | int]:
    return {
        "agency": document.agency.code,
        "owner_unit": str(document.owner_unit_id),
        "author": str(document.author_id),
        "title": document.title,
        "doc_type": document.doc_type,
        "classification_code": document.classification_code,
        "disclosure": document.disclosure,
    }


@audited_upload_refusals
@transaction.atomic
def document_create(
    *,
    agency: Agency,
    owner_unit: Unit,
    author: Person,
    title: str,
    doc_type: str,
    classification_code: str,
    disclosure: str,
    legal_ground: str = "",
    content: bytes,
    filename: str,
    media_type: str,
    actor: Person,
) -> Document:
    """Create a document of ``agency`` with its first version holding ``content``."""
    document = _document_new(
        agency=agency,
        owner_unit=owner_unit,
        author=author,
        title=title,
        doc_type=doc_type,
        classification_code=classification_code,
        disclosure=disclosure,
        legal_ground=legal_ground,
        actor=actor,
    )
    version = _version_create(
        document=document,
        number=1,
        content=content,
        filename=filename,
        media_type=media_type,
        note="",
        actor=actor,
    )
    document.current_version = version
    document.save(update_fields=["current_version"])
    record(
        "documents.document_created",
        actor=actor,
        target=document,
        data={**_document_data(document), **_version_data(version)},
    )
    return document


@audited_upload_refusals
@transaction.atomic
def document_create_registered(
    *,
    agency: Agency,
    owner_unit: Unit,
    author: Person,
    title: str,
    doc_type: str,
    classification_code: str,
    disclosure: str,
    legal_ground: str = "",
    subject: str = "",
    actor: Person,
) -> RegistryEntry:
    """Create a document with no content yet and register it at once.

    For documents whose content must print their own registry number (issued e-Documents):
    the number is taken in this short transaction, the content is made afterwards and added
    with ``version_add``. Keep the caller's transaction short: the registry counter of the
    agency stays locked until it commits.

    Lock order: the registry counter is taken before this transaction's first audit event (the
    audit head row), as in ``document_register``; the other order could deadlock with it.
    """
    document = _document_new(
        agency=agency,
        owner_unit=owner_unit,
        author=author,
        title=title,
        doc_type=doc_type,
        classification_code=classification_code,
        disclosure=disclosure,
        legal_ground=legal_ground,
        actor=actor,
    )
    # The document row was inserted by this transaction a moment ago (so it is ours, and it has
    # no registry entry yet): ``document_register``'s checks and row lock are already true here.
    subject = _text(subject, field="subject", max_length=500, required=False)
    entry = _registry_entry_add(document=document, agency=agency, actor=actor, subject=subject)
    record(
        "documents.document_created",
        actor=actor,
        target=document,
        data={**_document_data(document), "registry_number": entry.registry_number},
    )
    return entry


@transaction.atomic
def documents_create_registered(
    *,
    agency: Agency,
    owner_unit: Unit,
    author: Person,
    titles: Sequence[str],
    doc_type: str,
    classification_code: str,
    disclosure: str,
    legal_ground: str = "",
    actor: Person,
) -> list[RegistryEntry]:
    """``document_create_registered`` for many documents of one kind at once (their titles are
    their subjects), in consecutive registry numbers: the same checks and the same events, in
    a few statements (one insert of the documents, one move of the counter, one insert of the
    entries). Inside ``audit.services.events_batched()`` the events are written at its flush."""
    if not titles:
        return []
    # The actor and the shared fields are checked once, each title on its own.
    first = _document_fields(
        agency=agency,
        owner_unit=owner_unit,
        title=titles[0],
        doc_type=doc_type,
        classification_code=classification_code,
        disclosure=disclosure,
        legal_ground=legal_ground,
        actor=actor,
    )
    checked = [
        first,
        *({**first, "title": _text(title, field="title", max_length=500)} for title in titles[1:]),
    ]
    now, year = clock.now(), clock.today_local().year
    documents = Document.objects.bulk_create(
        [
            Document(**fields, agency=agency, owner_unit=owner_unit, author=author, created_at=now)
            for fields in checked
        ]
    )
    last = registry_number_take(agency=agency, year=year, count=len(documents))
    entries = RegistryEntry.objects.bulk_create(
        [
            RegistryEntry(
                agency=agency,
                year=year,
                number=last - len(documents) + index,
                number_text=_number_text(agency, document, year, last - len(documents) + index),
                document=document,
                registered_at=now,
                registered_by=actor,
                subject=document.title[:500],
            )
            for index, document in enumerate(documents, start=1)
        ]
    )
    for entry in entries:
        entry.agency = agency
        _registered_event(entry, actor=actor)
        record(
            "documents.document_created",
            actor=actor,
            target=entry.document,
            data={**_document_data(entry.document), "registry_number": entry.registry_number},
        )
    return entries


@audited_upload_refusals
@transaction.atomic
def version_add(
    *, document: Document, content: bytes, filename: str, media_type: str, note: str = "", actor: Person
) -> DocumentVersion:
    """Add the next version (a correction never edits an existing one); it becomes current."""
    return _version_add(
        document=document, content=content, filename=filename, media_type=media_type, note=note, actor=actor
    )


def _version_add(
    *,
    document: Document,
    content: bytes,
    filename: str,
    media_type: str,
    note: str,
    actor: Person,
    produced_here: bool = False,
) -> DocumentVersion:
    """``version_add`` in the caller's transaction."""
    _require_writer(actor=actor, agency_id=document.agency_id)
    note = _text(note, field="note", max_length=1000, required=False)
    # The document row is the lock that gives concurrent additions distinct numbers.
    document = Document.objects.select_for_update().get(pk=document.pk)
    last = document.versions.aggregate(last=Max("number"))["last"] or 0
    version = _version_create(
        document=document,
        number=last + 1,
        content=content,
        filename=filename,
        media_type=media_type,
        note=note,
        actor=actor,
        produced_here=produced_here,
    )
    document.current_version = version
    document.save(update_fields=["current_version"])
    record(
        "documents.version_added", actor=actor, target=document, data={**_version_data(version), "note": note}
    )
    return version


@transaction.atomic
def version_add_sealed(
    *, document: Document, content: bytes, filename: str, media_type: str, note: str = "", actor: Person
) -> DocumentVersion:
    """``version_add`` then ``version_seal`` of that version, with the same checks and audit
    events, without re-checking and re-locking the row this transaction has just created. For a
    PDF GovDoc has rendered and sealed itself (issuance): it is checked by its content type, not
    read in depth again like an upload from outside (~20 ms a document)."""
    version = _version_add(
        document=document,
        content=content,
        filename=filename,
        media_type=media_type,
        note=note,
        actor=actor,
        produced_here=True,
    )
    _seal(version, actor=actor)
    return version


@transaction.atomic
def versions_add_sealed(
    *, contents: Sequence[tuple[Document, bytes, str]], media_type: str, note: str = "", actor: Person
) -> list[DocumentVersion]:
    """``version_add_sealed`` for many documents at once, one new version each from
    (document, content, filename): the same checks (the content by its type, as GovDoc
    produced it) and the same events, in a few statements for all of them. Inside
    ``audit.services.events_batched()`` the events are written at its flush."""
    if not contents:
        return []
    documents = [document for document, _content, _name in contents]
    for agency_id in sorted({document.agency_id for document in documents}):
        _require_writer(actor=actor, agency_id=agency_id)
    note = _text(note, field="note", max_length=1000, required=False)
    ids = [document.pk for document in documents]
    if len(set(ids)) != len(ids):
        raise ValueError("versions_add_sealed adds one version to each document")
    # The document rows are the locks that give concurrent additions distinct numbers (in one
    # order, so two such calls cannot deadlock).
    locked = {
        d.pk: d for d in Document.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    }
    last = dict(
        DocumentVersion.objects.filter(document_id__in=ids)
        .values("document_id")
        .annotate(last=Max("number"))
        .values_list("document_id", "last")
    )
    named = [
        _checked(content, filename=filename, media_type=media_type, produced_here=True)
        for _, content, filename in contents
    ]
    stored = files_put(
        [(content, detected) for (_, content, _), (detected, _) in zip(contents, named, strict=True)]
    )
    now = clock.now()
    versions = DocumentVersion.objects.bulk_create(
        [
            DocumentVersion(
                document=locked[document.pk],
                number=(last.get(document.pk) or 0) + 1,
                file=file,
                media_type=detected,
                filename=name,
                note=note,
                created_by=actor,
                created_at=now,
                sealed=True,
                sealed_at=now,
                sealed_by=actor,
            )
            for document, file, (detected, name) in zip(documents, stored, named, strict=True)
        ]
    )
    for version in versions:
        version.document.current_version = version
    Document.objects.bulk_update([v.document for v in versions], ["current_version"])
    for version in versions:
        record(
            "documents.version_added",
            actor=actor,
            target=version.document,
            data={**_version_data(version), "note": note},
        )
        _sealed_event(version, actor=actor)
    return versions


def _seal(version: DocumentVersion, *, actor: Person) -> None:
    """Seal a version that is locked by this transaction and not sealed, with its event."""
    version.sealed, version.sealed_at, version.sealed_by = True, clock.now(), actor
    version.save(update_fields=["sealed", "sealed_at", "sealed_by"])
    _sealed_event(version, actor=actor)


def _sealed_event(version: DocumentVersion, *, actor: Person) -> None:
    record(
        "documents.version_sealed",
        actor=actor,
        target=version,
        data={"document_id": str(version.document_id), "version": version.number, "sha256": version.file_id},
    )


# What a sealed version refuses, by the action asked of it.
_SEALED_REFUSALS: dict[str, str] = {
    "be sealed again": gettext_noop(
        "version %(number)s is sealed and cannot be sealed again; add a new version instead"
    ),
    "be changed": gettext_noop(
        "version %(number)s is sealed and cannot be changed; add a new version instead"
    ),
    "get attachments": gettext_noop(
        "version %(number)s is sealed and cannot get attachments; add a new version instead"
    ),
}


def _locked_unsealed(version: DocumentVersion, *, action: str) -> DocumentVersion:
    locked = DocumentVersion.objects.select_for_update(of=("self",)).select_related("file").get(pk=version.pk)
    if locked.sealed:
        raise VersionSealedError(
            _(_SEALED_REFUSALS[action]) % {"number": locked.number},
            document_id=str(locked.document_id),
            version=locked.number,
        )
    return locked


@transaction.atomic
def version_seal(*, version: DocumentVersion, actor: Person) -> DocumentVersion:
    """Mark a version sealed (signed): from now on it never changes."""
    _require_writer(actor=actor, agency_id=version.document.agency_id)
    version = _locked_unsealed(version, action="be sealed again")
    _seal(version, actor=actor)
    return version


@transaction.atomic
def version_note_change(*, version: DocumentVersion, note: str, actor: Person) -> DocumentVersion:
    """Change the note of a version that is not sealed yet."""
    _require_writer(actor=actor, agency_id=version.document.agency_id)
    note = _text(note, field="note", max_length=1000, required=False)
    version = _locked_unsealed(version, action="be changed")
    previous = version.note
    version.note = note
    version.save(update_fields=["note"])
    record(
        "documents.version_note_changed",
        actor=actor,
        target=version,
        data={"version": version.number, "previous": previous, "note": note},
    )
    return version


@audited_upload_refusals
@transaction.atomic
def attachment_add(
    *,
    version: DocumentVersion,
    content: bytes,
    filename: str,
    media_type: str,
    description: str = "",
    actor: Person,
) -> Attachment:
    """Attach a file to a version that is not sealed."""
    _require_writer(actor=actor, agency_id=version.document.agency_id)
    description = _text(description, field="description", max_length=500, required=False)
    version = _locked_unsealed(version, action="get attachments")
    stored, detected, name = _accept_file(content, filename=filename, media_type=media_type)
    attachment = Attachment.objects.create(
        version=version,
        file=stored,
        filename=name,
        media_type=detected,
        description=description,
        created_by=actor,
        created_at=clock.now(),
    )
    record(
        "documents.attachment_added",
        actor=actor,
        target=attachment,
        data={
            "document_id": str(version.document_id),
            "version": version.number,
            "sha256": stored.sha256,
            "size": stored.size,
            "media_type": detected,
            "filename": name,
        },
    )
    return attachment


@transaction.atomic
def document_register(
    *,
    document: Document,
    actor: Person,
    subject: str = "",
    direction: str = Direction.INTERNAL,
    correspondent: str = "",
    in_case_of: RegistryEntry | None = None,
) -> RegistryEntry:
    """Enter the document in its agency's registry under the next number of the current year
    (``direction`` and ``correspondent``: received from or sent to whom). With ``in_case_of``
    (an entry of the same agency), it is a further act of that case: the case's number with
    the next sub-number (``02-05-123/2026-1``)."""
    _require_writer(actor=actor, agency_id=document.agency_id)
    subject = _text(subject, field="subject", max_length=500, required=False)
    correspondent = _text(correspondent, field="correspondent", max_length=300, required=False)
    if direction not in Direction.values:
        raise InvalidDocumentFieldError(
            _("%(field)s must be one of %(values)s")
            % {"field": "direction", "values": ", ".join(Direction.values)},
            field="direction",
        )
    document = Document.objects.select_for_update(of=("self",)).select_related("agency").get(pk=document.pk)
    existing = RegistryEntry.objects.select_related("agency").filter(document=document).first()
    if existing is not None:
        raise AlreadyRegisteredError(
            _("the document is already registered as %(number)s") % {"number": existing.registry_number},
            document_id=str(document.pk),
            registry_number=existing.registry_number,
        )
    return _registry_entry_add(
        document=document,
        agency=document.agency,
        actor=actor,
        subject=subject,
        direction=direction,
        correspondent=correspondent,
        in_case_of=in_case_of,
    )


def _registry_entry_add(
    *,
    document: Document,
    agency: Agency,
    actor: Person,
    subject: str,
    direction: str = Direction.INTERNAL,
    correspondent: str = "",
    in_case_of: RegistryEntry | None = None,
) -> RegistryEntry:
    """The next number of the current year for ``document`` (checked, locked, not registered),
    or the next sub-number of the case ``in_case_of``."""
    if in_case_of is None:
        year = clock.today_local().year
        number, sub_number, case = registry_number_take(agency=agency, year=year), 0, None
        text = _number_text(agency, document, year, number)
    else:
        # The case's first entry is the lock that gives its further acts distinct sub-numbers.
        first = in_case_of.case_entry_id or in_case_of.pk
        case = RegistryEntry.objects.select_for_update(of=("self",)).get(pk=first)
        if case.agency_id != agency.pk:
            raise InvalidDocumentFieldError(_("a case belongs to one agency's registry"), field="in_case_of")
        year, number = case.year, case.number
        sub_number = (case.further_acts.aggregate(last=Max("sub_number"))["last"] or 0) + 1
        text = f"{case.number_text or case.registry_number}-{sub_number}"
    entry = RegistryEntry.objects.create(
        agency=agency,
        year=year,
        number=number,
        sub_number=sub_number,
        case_entry=case,
        number_text=text,
        document=document,
        registered_at=clock.now(),
        registered_by=actor,
        subject=subject or document.title[:500],
        direction=direction,
        correspondent=correspondent,
    )
    _registered_event(entry, actor=actor)
    return entry


def _number_text(agency: Agency, document: Document, year: int, number: int) -> str:
    return registry_number_text(
        agency.registry_number_template,
        agency_code=agency.code,
        classification=document.classification_code,
        year=year,
        number=number,
    )


@transaction.atomic
def registry_entry_cancel(*, entry: RegistryEntry, reason: str, actor: Person) -> RegistryEntry:
    """Cancel an entry made in error, with the reason: it stays in the registry, marked, and its
    number is never given again. Registry clerks and heads of the agency do it."""
    entry = RegistryEntry.objects.select_for_update(of=("self",)).select_related("agency").get(pk=entry.pk)
    if not may_cancel_entries(actor=actor, agency=entry.agency):
        raise NotAnOfficialHereError(
            _("only a registry clerk or the head of the agency cancels a registry entry"),
            person_id=str(actor.pk),
            agency_id=str(entry.agency_id),
        )
    if entry.cancelled_at is not None:
        raise AlreadyRegisteredError(
            _("the entry %(number)s is cancelled already") % {"number": entry.registry_number},
            registry_number=entry.registry_number,
        )
    reason = _text(reason, field="reason", max_length=500)
    entry.cancelled_at, entry.cancelled_by, entry.cancel_reason = clock.now(), actor, reason
    entry.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
    record(
        "documents.registry_entry_cancelled",
        actor=actor,
        target=entry.document,
        data={"registry_number": entry.registry_number, "reason": reason},
    )
    return entry


def _registered_event(entry: RegistryEntry, *, actor: Person) -> None:
    record(
        "documents.document_registered",
        actor=actor,
        target=entry.document,
        data={
            "registry_number": entry.registry_number,
            "year": entry.year,
            "number": entry.number,
            "subject": entry.subject,
            "direction": entry.direction,
            "correspondent": entry.correspondent,
            "case": entry.case_entry.registry_number if entry.case_entry is not None else None,
        },
    )


@transaction.atomic
def registry_export_record(*, actor: Person, agency: Agency, entries: int, filters: dict[str, str]) -> None:
    """An official took the registry (or a part of it) away as a file: a bulk read, recorded
    with what was asked for and how many entries went out."""
    record(
        "documents.registry_exported",
        actor=actor,
        target=agency,
        data={"entries": entries, "filters": {k: v for k, v in sorted(filters.items()) if v}},
    )
