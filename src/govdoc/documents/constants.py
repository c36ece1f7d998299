"""Choices and limits of the documents domain."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from govdoc.accounts.constants import Role


class Disclosure(models.TextChoices):
    """Whether the public may see a document (Zakon o slobodnom pristupu informacijama)."""

    PUBLIC = "public", "Public"
    PARTIAL = "partial", "Partially public"
    NOT_PUBLIC = "not_public", "Not public"


class Direction(models.TextChoices):
    """Which way a registered document went (the registry's columns: received from, sent to)."""

    INTERNAL = "internal", pgettext_lazy("registry direction", "Internal")
    INCOMING = "incoming", pgettext_lazy("registry direction", "Incoming")
    OUTGOING = "outgoing", pgettext_lazy("registry direction", "Outgoing")


# Roles that read the agency's registry (delovodnik): its keepers, its heads, its archive.
REGISTRY_READER_ROLES = frozenset(
    {Role.REGISTRY_CLERK, Role.HEAD_OF_AGENCY, Role.HEAD_OF_UNIT, Role.ARCHIVIST}
)

# Roles that keep the registry: they cancel an entry made in error.
REGISTRY_KEEPER_ROLES = frozenset({Role.REGISTRY_CLERK, Role.HEAD_OF_AGENCY})

# Roles that may create, version, seal and register documents in their agency. Archivists
# read and keep documents; they do not write them. An agency's system account writes the
# documents it issues directly (the API lets it do nothing else: api.auth).
WRITER_ROLES = frozenset(
    {
        Role.REGISTRY_CLERK,
        Role.HANDLER,
        Role.HEAD_OF_UNIT,
        Role.HEAD_OF_AGENCY,
        Role.ADMINISTRATOR,
        Role.SYSTEM,
    }
)

# What a document version or an attachment may be, decided by its content (content_types.sniff).
DOCUMENT_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/tiff",
        "application/xml",
        "application/json",
        "text/plain",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
)

DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def max_upload_bytes() -> int:
    """The largest file accepted as a version or attachment (setting ``GOVDOC_MAX_UPLOAD_BYTES``)."""
    return int(getattr(settings, "GOVDOC_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))
