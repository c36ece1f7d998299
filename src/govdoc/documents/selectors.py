"""Reads of the documents domain; each takes the person who reads."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import memberships_current
from govdoc.audit.services import record_access
from govdoc.documents.access import readable_by
from govdoc.documents.constants import REGISTRY_KEEPER_ROLES, REGISTRY_READER_ROLES, Direction
from govdoc.documents.errors import DocumentNotFoundError, VersionNotFoundError
from govdoc.documents.models import Attachment, Document, DocumentVersion, RegistryEntry
from govdoc.documents.storage import file_read

Viewer = AbstractBaseUser | AnonymousUser


def documents_visible_to(*, user: Viewer) -> QuerySet[Document]:
    """Documents the person may read (``documents.access``: the owning unit's officials, the
    agency's registry, archive and head, and whom other domains grant, such as the approvers of
    a document's line). Citizens see none through this selector (their applications show them
    their own). One query.
    """
    if not isinstance(user, Person) or not user.is_active or user.is_citizen:
        return Document.objects.none()
    return Document.objects.filter(readable_by(user)).select_related(
        "agency",
        "owner_unit",
        "author",
        "current_version",
        "current_version__file",
        "registry_entry",
        "registry_entry__agency",
    )


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def document_get(*, user: Viewer, document_id: uuid.UUID | str) -> Document:
    """One visible document; a document the person may not see is "not found", like a missing one."""
    pk = _uuid(document_id)
    document = documents_visible_to(user=user).filter(pk=pk).first() if pk else None
    if document is None:
        raise DocumentNotFoundError(_("no such document"), document_id=str(document_id))
    return document


def versions_of(*, document: Document) -> QuerySet[DocumentVersion]:
    """All versions of a document the caller already got through ``document_get``, oldest first."""
    return (
        DocumentVersion.objects.filter(document=document)
        .select_related("file", "created_by", "sealed_by")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.select_related("file").order_by("created_at"))
        )
        .order_by("number")
    )


def version_get(*, user: Viewer, document_id: uuid.UUID | str, number: int) -> DocumentVersion:
    document = document_get(user=user, document_id=document_id)
    version = versions_of(document=document).filter(number=number).first()
    if version is None:
        raise VersionNotFoundError(
            _("the document has no version %(number)s") % {"number": number},
            document_id=str(document.pk),
            version=number,
        )
    return version


CONTENT_READ_PURPOSE = "reading a document's content"


def version_content(*, user: Viewer, version: DocumentVersion) -> bytes:
    """The bytes of a version, checked against their SHA-256 (``FileIntegrityError`` if altered)."""
    if not documents_visible_to(user=user).filter(pk=version.document_id).exists():
        raise DocumentNotFoundError(_("no such document"), document_id=str(version.document_id))
    content = file_read(version.file)
    record_access(
        actor=user,
        target=version.document,
        purpose=CONTENT_READ_PURPOSE,
        fields=[f"version.{version.number}.content"],
    )
    return content


def registry_entries(*, agency: Agency, year: int) -> QuerySet[RegistryEntry]:
    """The agency's registry for one year, in number order."""
    return (
        RegistryEntry.objects.filter(agency=agency, year=year)
        .select_related("agency", "document", "registered_by")
        .order_by("number")
    )


@dataclass(frozen=True)
class RegistryFilter:
    """What the registry page and its export search for (every part optional)."""

    text: str = ""  # words in the subject, the number or the correspondent
    direction: str = ""  # incoming, outgoing, internal
    classification: str = ""  # a classification mark, or its beginning (02-05)
    correspondent: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def registry_agencies(*, viewer: Viewer) -> list[Agency]:
    """The agencies whose registry ``viewer`` may read: where they keep it (registry clerk),
    head it, head a unit of it, or keep its archive."""
    if not isinstance(viewer, Person) or not viewer.is_active or viewer.is_citizen:
        return []
    ids = memberships_current(person=viewer).filter(role__in=REGISTRY_READER_ROLES).values("unit__agency_id")
    return list(Agency.objects.filter(pk__in=ids).order_by("code"))


def registry_search(*, viewer: Viewer, agency: Agency, where: RegistryFilter) -> QuerySet[RegistryEntry]:
    """The agency's registry (delovodnik), newest first, as ``where`` narrows it. Words are
    searched as full text on PostgreSQL (every word, any order) and as substrings elsewhere.
    Raises ``DocumentNotFoundError`` if ``viewer`` may not read this agency's registry."""
    if agency.pk not in {a.pk for a in registry_agencies(viewer=viewer)}:
        raise DocumentNotFoundError(_("no registry you may read"), agency=agency.code)
    found = RegistryEntry.objects.filter(agency=agency).select_related(
        "agency", "document", "registered_by", "cancelled_by"
    )
    if where.direction in Direction.values:
        found = found.filter(direction=where.direction)
    if where.classification:
        found = found.filter(document__classification_code__startswith=where.classification)
    if where.correspondent:
        found = found.filter(correspondent__icontains=where.correspondent)
    if where.date_from is not None:
        found = found.filter(registered_at__date__gte=where.date_from)
    if where.date_to is not None:
        found = found.filter(registered_at__date__lte=where.date_to)
    words = where.text.split()[:10]
    if words and connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        vector = SearchVector("subject", "number_text", "correspondent", "document__title", config="simple")
        found = found.annotate(_words=vector).filter(_words=SearchQuery(" ".join(words), config="simple"))
    else:
        for word in words:
            found = found.filter(
                Q(subject__icontains=word)
                | Q(number_text__icontains=word)
                | Q(correspondent__icontains=word)
                | Q(document__title__icontains=word)
            )
    return found.order_by("-registered_at", "-number", "-sub_number")


def may_cancel_entries(*, actor: Person, agency: Agency) -> bool:
    """Whether ``actor`` keeps ``agency``'s registry (registry clerk, head of the agency)."""
    return (
        memberships_current(person=actor)
        .filter(unit__agency_id=agency.pk, role__in=REGISTRY_KEEPER_ROLES)
        .exists()
    )
