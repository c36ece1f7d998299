"""Issued e-Documents and the record of who verified them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypedDict

from django.conf import settings
from django.db import models

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.documents.models import Document, DocumentVersion, RegistryEntry
from govdoc.issuance.constants import Channel, IssuedStatus, ShownStatus


class KeyFields(TypedDict):
    """The few fields a verifier compares with the paper in their hand (in the document's script)."""

    holder_name: str
    document_number: str
    issue_date: str  # ISO date, Belgrade
    subject: str
    valid_until: str | None  # ISO date, Belgrade


class ApprovalRef(TypedDict):
    """The approval an issued document rests on: its line, the head of its chain of signed
    decisions, and the content they signed (embedded in ``data.json`` as ``approval``)."""

    line_id: str
    chain_head: str
    content_sha256: str


class IssuedDocument(models.Model):
    """An official document issued to a recipient with security features (seal, QR, code)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification_code = models.CharField(max_length=19, unique=True, help_text="e.g. ABCD-EFGH-JKMN-PQRS")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="issued_documents")
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="issued")
    version = models.OneToOneField(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="issued"
    )
    registry_entry = models.OneToOneField(RegistryEntry, on_delete=models.PROTECT, related_name="issued")
    registry_number = models.CharField(max_length=64, unique=True)
    recipient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="issued_documents"
    )
    title = models.CharField(max_length=500)
    key_fields: models.JSONField[KeyFields] = models.JSONField()
    script = models.CharField(max_length=8, choices=Script.choices)
    status = models.CharField(max_length=16, choices=IssuedStatus.choices, default=IssuedStatus.PENDING)
    reason = models.CharField(max_length=1000, blank=True, help_text="Why revoked, superseded or failed.")
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )
    valid_until = models.DateTimeField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    data_sha256 = models.CharField(max_length=64, blank=True)
    issue_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text="What this document was issued for (e.g. application:<id>): at most one document per key.",
    )
    approval_line_id = models.UUIDField(
        null=True, blank=True, help_text="The approval line whose signed decisions approved this document."
    )
    approval_chain_head = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the last decision manifest of the line (the head of its chain).",
    )
    approved_content_sha256 = models.CharField(
        max_length=64, blank=True, help_text="The content every decision of the line signed."
    )
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "id"]
        indexes = [
            models.Index(fields=["recipient", "-issued_at"], name="issued_recipient_time"),
            models.Index(fields=["agency", "-issued_at"], name="issued_agency_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=IssuedStatus.values), name="issued_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status=IssuedStatus.SUPERSEDED, superseded_by__isnull=False)
                | (~models.Q(status=IssuedStatus.SUPERSEDED) & models.Q(superseded_by__isnull=True)),
                name="issued_superseded_has_replacement",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[IssuedStatus.PENDING, IssuedStatus.FAILED])
                | (models.Q(version__isnull=False) & models.Q(pdf_sha256__regex=r"^[0-9a-f]{64}$")),
                name="issued_has_pdf_once_issued",
            ),
            models.CheckConstraint(
                condition=~models.Q(superseded_by=models.F("id")), name="issued_not_superseded_by_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry_number} {self.title}"

    def status_at(self, moment: dt.datetime) -> ShownStatus | None:
        """What a verifier is told at ``moment``; None while pending or after a failure."""
        if self.status == IssuedStatus.REVOKED:
            return ShownStatus.REVOKED
        if self.status == IssuedStatus.SUPERSEDED:
            return ShownStatus.SUPERSEDED
        if self.status == IssuedStatus.VALID:
            if self.valid_until is not None and moment >= self.valid_until:
                return ShownStatus.EXPIRED
            return ShownStatus.VALID
        return None


class VerificationEvent(models.Model):
    """One check of an issued document: the holder sees who checked it and when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    issued = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="verifications")
    at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(
        max_length=16, choices=ShownStatus.choices, help_text="What the verifier was told."
    )
    verdict = models.CharField(
        max_length=32, blank=True, help_text="Signature verdict of an uploaded file (blank for codes)."
    )
    identical = models.BooleanField(
        null=True, blank=True, help_text="Uploaded bytes identical to the registered original."
    )
    verifier_label = models.CharField(max_length=200, blank=True)
    client_hash = models.CharField(
        max_length=64, blank=True, help_text="Keyed hash (HMAC) of the verifier's network address."
    )

    class Meta:
        ordering = ["-at", "id"]
        indexes = [models.Index(fields=["issued", "-at"], name="verification_issued_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=Channel.values), name="verification_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issued_id} {self.channel} {self.at:%Y-%m-%d %H:%M}"
