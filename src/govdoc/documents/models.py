"""Documents, their immutable versions, content-addressed files, attachments and the registry."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from govdoc.accounts.models import Agency, Unit
from govdoc.documents.constants import Direction, Disclosure


class StoredFile(models.Model):
    """Bytes kept once, addressed by their SHA-256 (``sha256/ab/abcdef…`` in the file storage).

    A row exists only for bytes that were completely written; ``storage.file_read`` re-hashes
    them on every read.
    """

    sha256 = models.CharField(primary_key=True, max_length=64, help_text="Lower-case hex SHA-256.")
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=127, help_text="Detected from the content.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gte=0), name="storedfile_size_not_negative"),
            models.CheckConstraint(
                condition=models.Q(sha256__regex=r"^[0-9a-f]{64}$"), name="storedfile_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… ({self.size} B, {self.media_type})"

    @property
    def storage_name(self) -> str:
        return f"sha256/{self.sha256[:2]}/{self.sha256}"


class Document(models.Model):
    """An official document of one agency; its content lives in numbered versions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=500)
    doc_type = models.CharField(
        max_length=32, help_text="Short code of the kind of document, e.g. 'resenje'."
    )
    classification_code = models.CharField(max_length=32, help_text="Filing plan code (klasifikacioni znak).")
    disclosure = models.CharField(max_length=16, choices=Disclosure.choices)
    legal_ground = models.CharField(
        max_length=500, blank=True, help_text="Why the document is not (fully) public; required then."
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="documents")
    owner_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="documents")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_documents"
    )
    created_at = models.DateTimeField()
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["agency", "-created_at"], name="document_agency_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disclosure__in=Disclosure.values), name="document_disclosure_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(disclosure=Disclosure.PUBLIC) | ~models.Q(legal_ground=""),
                name="document_legal_ground_unless_public",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentVersion(models.Model):
    """One immutable state of a document's content. A sealed version never changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="versions")
    media_type = models.CharField(max_length=127)
    filename = models.CharField(max_length=255)
    note = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    sealed = models.BooleanField(default=False)
    sealed_at = models.DateTimeField(null=True, blank=True)
    sealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_unique"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_positive"),
            models.CheckConstraint(
                condition=models.Q(sealed=False, sealed_at__isnull=True)
                | models.Q(sealed=True, sealed_at__isnull=False),
                name="version_sealed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class Attachment(models.Model):
    """A file that accompanies one version (annex, scan, data)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="attachments")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(max_length=255)
    media_type = models.CharField(max_length=127)
    description = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "created_at", "id"]

    def __str__(self) -> str:
        return self.filename


class RegistryCounter(models.Model):
    """The last registry number given in one agency in one year; locked to take the next."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="registrycounter_one_per_agency_year"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}: {self.last_number}"


class RegistryEntry(models.Model):
    """A document's entry in its agency's registry (delovodnik): a gap-free number per year."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="registry_entries")
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="registry_entry")
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=500, blank=True)
    number_text = models.CharField(
        max_length=64,
        blank=True,
        help_text="The number as written when it was given (the agency's template).",
    )
    sub_number = models.PositiveIntegerField(
        default=0, help_text="0 for the first act of a case; 1, 2, ... for further acts under its number."
    )
    case_entry = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="further_acts"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(max_length=500, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices, default=Direction.INTERNAL)
    correspondent = models.CharField(
        max_length=300,
        blank=True,
        help_text="Who sent an incoming document, or whom an outgoing one went to.",
    )

    class Meta:
        ordering = ["agency", "year", "number"]
        verbose_name_plural = "registry entries"
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "year", "number", "sub_number"], name="registry_number_unique"
            ),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="registry_number_positive"),
            models.CheckConstraint(
                condition=models.Q(sub_number=0, case_entry__isnull=True)
                | models.Q(sub_number__gte=1, case_entry__isnull=False),
                name="registry_sub_number_in_a_case",
            ),
            models.CheckConstraint(
                condition=models.Q(cancelled_at__isnull=True) | ~models.Q(cancel_reason=""),
                name="registry_cancelled_with_reason",
            ),
        ]
        indexes = [models.Index(fields=["agency", "-registered_at"], name="registry_agency_registered")]

    def __str__(self) -> str:
        return self.registry_number

    @property
    def registry_number(self) -> str:
        """As the agency wrote it when it was given, e.g. ``MUP-2026-000123`` or
        ``02-05-123/2026-1`` (see ``accounts.registry_format``)."""
        return self.number_text or f"{self.agency.code.upper()}-{self.year}-{self.number:06d}"
