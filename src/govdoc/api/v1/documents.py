"""Documents, versions, files and registry numbers.

Each operation parses its input, calls one service or selector of ``govdoc.documents`` and
renders the result; domain errors become problem+json through ``govdoc.api.errors``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import AuthenticationError
from ninja.files import UploadedFile
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import agency_by_code, units_of_agency
from govdoc.api.auth import api_auth
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.core.downloads import content_disposition
from govdoc.documents import selectors, services
from govdoc.documents.constants import max_upload_bytes
from govdoc.documents.content_types import check_size
from govdoc.documents.errors import InvalidDocumentFieldError
from govdoc.documents.models import Attachment, Document, DocumentVersion, RegistryEntry

router = Router(tags=["documents"], auth=api_auth)


class DocumentCreateIn(StrictSchema):
    agency: str = Field(min_length=1, max_length=32, description="Code of the agency, e.g. 'mup'.")
    owner_unit: str = Field(min_length=1, max_length=32, description="Code of the owner unit in that agency.")
    title: str = Field(min_length=1, max_length=500)
    doc_type: str = Field(min_length=1, max_length=32, description="Short code of the kind of document.")
    classification_code: str = Field(min_length=1, max_length=32)
    disclosure: Literal["public", "partial", "not_public"]
    legal_ground: str = Field(
        default="", max_length=500, description="Required unless disclosure is 'public'."
    )


class PageIn(Schema):
    limit: int = Field(default=50, ge=1, le=200)
    # bounded: an offset past a 64-bit integer made the database fail (a 500), not an empty page
    offset: int = Field(default=0, ge=0, le=2**31 - 1)


class VersionAddIn(StrictSchema):
    note: str = Field(default="", max_length=1000)


class RegisterIn(StrictSchema):
    subject: str = Field(default="", max_length=500, description="Defaults to the document's title.")


class AttachmentOut(Schema):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    description: str


class VersionOut(Schema):
    number: int
    filename: str
    media_type: str
    size: int
    sha256: str
    note: str
    sealed: bool
    created_at: dt.datetime
    created_by: str
    file_url: str
    attachments: list[AttachmentOut]


class DocumentOut(Schema):
    id: uuid.UUID
    title: str
    doc_type: str
    classification_code: str
    disclosure: str
    legal_ground: str
    agency: str
    owner_unit: str
    author: str
    created_at: dt.datetime
    current_version: int | None
    registry_number: str | None


class DocumentDetailOut(DocumentOut):
    versions: list[VersionOut]


class DocumentListOut(Schema):
    count: int
    items: list[DocumentOut]


class RegistryEntryOut(Schema):
    registry_number: str
    year: int
    number: int
    document_id: uuid.UUID
    registered_at: dt.datetime
    registered_by: str
    subject: str


def _person(request: HttpRequest) -> Person:
    user = request.user
    if not isinstance(user, Person):
        raise AuthenticationError()
    return user


def _read_upload(upload: UploadedFile) -> bytes:
    # Refuse an oversize file before it is read into memory.
    check_size(upload.size or 0, filename=upload.name or "", max_bytes=max_upload_bytes())
    return bytes(upload.read())


def _attachment_out(attachment: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=attachment.pk,
        filename=attachment.filename,
        media_type=attachment.media_type,
        size=attachment.file.size,
        sha256=attachment.file_id,
        description=attachment.description,
    )


def _version_out(version: DocumentVersion, *, attachments: list[Attachment] | None = None) -> VersionOut:
    return VersionOut(
        number=version.number,
        filename=version.filename,
        media_type=version.media_type,
        size=version.file.size,
        sha256=version.file_id,
        note=version.note,
        sealed=version.sealed,
        created_at=version.created_at,
        created_by=version.created_by.get_username(),
        file_url=reverse(
            "api-v1:documents-version-file",
            kwargs={"document_id": version.document_id, "number": version.number},
        ),
        attachments=[_attachment_out(a) for a in (attachments or [])],
    )


def _document_out(document: Document) -> DocumentOut:
    entry: RegistryEntry | None = getattr(document, "registry_entry", None)
    return DocumentOut(
        id=document.pk,
        title=document.title,
        doc_type=document.doc_type,
        classification_code=document.classification_code,
        disclosure=document.disclosure,
        legal_ground=document.legal_ground,
        agency=document.agency.code,
        owner_unit=document.owner_unit.code,
        author=document.author.get_username(),
        created_at=document.created_at,
        current_version=document.current_version.number if document.current_version else None,
        registry_number=entry.registry_number if entry is not None else None,
    )


def _entry_out(entry: RegistryEntry) -> RegistryEntryOut:
    return RegistryEntryOut(
        registry_number=entry.registry_number,
        year=entry.year,
        number=entry.number,
        document_id=entry.document_id,
        registered_at=entry.registered_at,
        registered_by=entry.registered_by.get_username(),
        subject=entry.subject,
    )


@router.post(
    "",
    response={201: DocumentOut, **problems(400, 403, 404, 413, 415)},
    url_name="documents-create",
    summary="Create a document with its first version (multipart upload)",
)
def document_create(
    request: HttpRequest, payload: Form[DocumentCreateIn], file: File[UploadedFile]
) -> Status[DocumentOut]:
    person = _person(request)
    agency = agency_by_code(payload.agency)
    owner_unit = units_of_agency(agency=agency).filter(code=payload.owner_unit).first()
    if owner_unit is None:
        raise InvalidDocumentFieldError(
            f"agency {agency.code} has no unit {payload.owner_unit!r}", field="owner_unit"
        )
    content = _read_upload(file)
    document = services.document_create(
        agency=agency,
        owner_unit=owner_unit,
        author=person,
        title=payload.title,
        doc_type=payload.doc_type,
        classification_code=payload.classification_code,
        disclosure=payload.disclosure,
        legal_ground=payload.legal_ground,
        content=content,
        filename=file.name or "",
        media_type=file.content_type or "",
        actor=person,
    )
    return Status(201, _document_out(document))


@router.get(
    "",
    response={200: DocumentListOut, **problems()},
    url_name="documents-list",
    summary="Documents the caller may see, newest first",
)
def document_list(request: HttpRequest, page: Query[PageIn]) -> DocumentListOut:
    documents = selectors.documents_visible_to(user=_person(request))
    return DocumentListOut(
        count=documents.count(),
        items=[_document_out(d) for d in documents[page.offset : page.offset + page.limit]],
    )


@router.get(
    "/{document_id}",
    response={200: DocumentDetailOut, **problems(404)},
    url_name="documents-detail",
    summary="One document with all its versions",
)
def document_detail(request: HttpRequest, document_id: uuid.UUID) -> DocumentDetailOut:
    document = selectors.document_get(user=_person(request), document_id=document_id)
    versions = [
        _version_out(v, attachments=list(v.attachments.all()))
        for v in selectors.versions_of(document=document)
    ]
    return DocumentDetailOut(**_document_out(document).model_dump(), versions=versions)


@router.get(
    "/{document_id}/versions/{number}/file",
    response={**problems(404, 409)},
    url_name="documents-version-file",
    summary="Download a version's file (its SHA-256 is checked before it is sent)",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, byte for byte as stored.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def version_file(request: HttpRequest, document_id: uuid.UUID, number: int) -> HttpResponse:
    person = _person(request)
    version = selectors.version_get(user=person, document_id=document_id, number=number)
    data = selectors.version_content(user=person, version=version)
    response = HttpResponse(data, content_type=version.media_type)
    response["Content-Disposition"] = content_disposition(version.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    response["ETag"] = f'"{version.file_id}"'
    # RFC 9530: lets the receiver check the bytes it got.
    digest = base64.b64encode(bytes.fromhex(version.file_id)).decode("ascii")
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


@router.post(
    "/{document_id}/versions",
    response={201: VersionOut, **problems(400, 403, 404, 413, 415)},
    url_name="documents-version-add",
    summary="Add a new version (a correction is always a new version)",
)
def version_add(
    request: HttpRequest, document_id: uuid.UUID, payload: Form[VersionAddIn], file: File[UploadedFile]
) -> Status[VersionOut]:
    person = _person(request)
    document = selectors.document_get(user=person, document_id=document_id)
    content = _read_upload(file)
    version = services.version_add(
        document=document,
        content=content,
        filename=file.name or "",
        media_type=file.content_type or "",
        note=payload.note,
        actor=person,
    )
    return Status(201, _version_out(version))


@router.post(
    "/{document_id}/register",
    response={201: RegistryEntryOut, **problems(400, 403, 404, 409)},
    url_name="documents-register",
    summary="Enter the document in its agency's registry under the next number",
)
def document_register(
    request: HttpRequest, document_id: uuid.UUID, payload: RegisterIn
) -> Status[RegistryEntryOut]:
    person = _person(request)
    document = selectors.document_get(user=person, document_id=document_id)
    entry = services.document_register(document=document, actor=person, subject=payload.subject)
    return Status(201, _entry_out(entry))
