"""An official's outgoing document, its recipients' copies, and who read a received one."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from govdoc.accounts.models import Agency, Unit
from govdoc.approvals.policy import ApprovalPolicy
from govdoc.distribution.constants import DeliveryStatus, DocumentKind, OutgoingStatus
from govdoc.documents.models import Document, DocumentVersion, RegistryEntry


class KindPolicy(models.Model):
    """An agency's approval policy for a kind of document its officials draft (without one,
    ``constants.DEFAULT_POLICY`` applies)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    approval_policy: models.JSONField[ApprovalPolicy, Any] = models.JSONField()

    class Meta:
        verbose_name_plural = "kind policies"
        constraints = [models.UniqueConstraint(fields=["agency", "kind"], name="kind_policy_unique")]

    def __str__(self) -> str:
        return f"{self.agency.code}: {self.kind}"


class OutgoingDocument(models.Model):
    """A document an official drafts for other agencies or units: its content is the document's
    version; on final approval it takes an outgoing number in the agency's registry, is sealed
    and delivered to each recipient."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    drafter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="outgoing")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    retention_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Years to keep it after the case closes; empty: permanently."
    )
    status = models.CharField(max_length=16, choices=OutgoingStatus.choices, default=OutgoingStatus.DRAFT)
    approval_line_id = models.UUIDField(null=True, blank=True)
    registry_entry = models.OneToOneField(
        RegistryEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sealed_version = models.ForeignKey(
        DocumentVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_reply_to = models.ForeignKey(
        "Delivery", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["agency", "status"], name="outgoing_agency_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=OutgoingStatus.values), name="outgoing_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=OutgoingStatus.SENT)
                | (models.Q(registry_entry__isnull=False) & models.Q(sealed_version__isnull=False)),
                name="outgoing_sent_registered_and_sealed",
            ),
            models.UniqueConstraint(
                fields=["approval_line_id"],
                condition=models.Q(approval_line_id__isnull=False),
                name="outgoing_one_per_line",
            ),
        ]

    def __str__(self) -> str:
        return self.document.title


class Delivery(models.Model):
    """One recipient's copy of an outgoing document: an agency (and the unit it is addressed
    to, if any). Registered, it is a document of the recipient agency with an incoming number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outgoing = models.ForeignKey(OutgoingDocument, on_delete=models.PROTECT, related_name="deliveries")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PLANNED)
    delivered_at = models.DateTimeField(null=True, blank=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=500, blank=True)
    received_document = models.OneToOneField(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="received_as"
    )
    assigned_unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["outgoing", "agency__code", "id"]
        verbose_name_plural = "deliveries"
        indexes = [models.Index(fields=["agency", "status"], name="delivery_agency_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeliveryStatus.values), name="delivery_status_valid"
            ),
            models.UniqueConstraint(
                fields=["outgoing", "agency"],
                condition=models.Q(unit__isnull=True),
                name="delivery_one_per_agency",
            ),
            models.UniqueConstraint(
                fields=["outgoing", "agency", "unit"],
                condition=models.Q(unit__isnull=False),
                name="delivery_one_per_unit",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=DeliveryStatus.REGISTERED)
                | models.Q(received_document__isnull=False),
                name="delivery_registered_has_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outgoing_id} → {self.agency_id}"


class Reading(models.Model):
    """An official of the recipient agency opened a received document (first time; every
    opening is also an audit event)."""

    id = models.BigAutoField(primary_key=True)
    delivery = models.ForeignKey(Delivery, on_delete=models.PROTECT, related_name="readings")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [models.UniqueConstraint(fields=["delivery", "person"], name="reading_once_per_person")]

    def __str__(self) -> str:
        return f"{self.person_id} read {self.delivery_id} at {self.read_at:%Y-%m-%d %H:%M}"


class Node(models.Model):
    """Another GovDoc installation this one exchanges documents with: one entry of the trust
    list (like X-Road's global configuration): who it is, where it answers, the root CA its
    agencies' e-seals chain to, its last CRL, and its agencies (its address book). An entry is
    never deleted (receipts name it): a node that is no longer trusted is deactivated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    node_id = models.CharField(
        max_length=63, unique=True, help_text="The node's identifier, e.g. rs-beograd.gov.rs."
    )
    name = models.CharField(max_length=200)
    endpoint = models.URLField(max_length=300, help_text="Where its federation interface answers (https).")
    root_certificate = models.TextField(help_text="The PEM of the root CA its agencies' e-seals chain to.")
    crl = models.BinaryField(null=True, blank=True, help_text="Its root CA's last CRL (DER).")
    crl_fetched_at = models.DateTimeField(null=True, blank=True)
    agencies: models.JSONField[dict[str, str], Any] = models.JSONField(
        default=dict, help_text="Its agencies, code → name (the name its e-seal certificates carry)."
    )
    is_active = models.BooleanField(default=True)
    added_at = models.DateTimeField()
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["node_id"]

    def __str__(self) -> str:
        return f"{self.node_id} ({self.name})"
