"""An official's outgoing document, its recipients' copies, and who read a received one."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from govdoc.accounts.models import Agency, Unit
from govdoc.approvals.policy import ApprovalPolicy
from govdoc.distribution.constants import ConsignmentStatus, DeliveryStatus, DocumentKind, OutgoingStatus
from govdoc.documents.models import Document, DocumentVersion, RegistryEntry, StoredFile


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
    and delivered to each recipient. An ``internal`` one has no recipients: on final approval it
    takes an internal number in the agency's registry, is sealed and filed there."""

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
    final_approver_role = models.CharField(
        max_length=32,
        blank=True,
        help_text="The role whoever gives the final approval must hold in the agency (set by a "
        "procedure's task: the role of its lane); empty: the kind's policy alone.",
    )
    internal = models.BooleanField(
        default=False,
        help_text="An internal document: no recipients; once approved it is registered, sealed "
        "and filed in the agency's own registry, never dispatched.",
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)

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
            models.CheckConstraint(
                condition=~models.Q(status=OutgoingStatus.FILED)
                | (
                    models.Q(internal=True)
                    & models.Q(registry_entry__isnull=False)
                    & models.Q(sealed_version__isnull=False)
                ),
                name="outgoing_filed_internal_registered_and_sealed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=OutgoingStatus.SENT, internal=True),
                name="outgoing_internal_never_sent",
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
    """One recipient's copy of a document: of an outgoing document of this installation, or of
    one that arrived from another node (``arrival``); for an agency (and the unit it is
    addressed to, if any). Registered, it is a document of the recipient agency with an
    incoming number."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    arrival = models.OneToOneField(
        "Arrival", null=True, blank=True, on_delete=models.PROTECT, related_name="delivery"
    )
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
            models.CheckConstraint(
                condition=models.Q(outgoing__isnull=False, arrival__isnull=True)
                | models.Q(outgoing__isnull=True, arrival__isnull=False),
                name="delivery_from_outgoing_or_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outgoing_id or self.arrival_id} → {self.agency_id}"

    # What the recipient sees of the document, wherever it came from (``outgoing`` of this
    # installation or ``arrival`` from another node).

    @property
    def title(self) -> str:
        return self.outgoing.document.title if self.outgoing is not None else self._arrived.title

    @property
    def kind(self) -> str:
        return self.outgoing.kind if self.outgoing is not None else self._arrived.kind

    def get_kind_display(self) -> str:
        return str(DocumentKind(self.kind).label)

    @property
    def retention_years(self) -> int | None:
        return self.outgoing.retention_years if self.outgoing is not None else self._arrived.retention_years

    @property
    def disclosure(self) -> str:
        return self.outgoing.document.disclosure if self.outgoing is not None else self._arrived.disclosure

    @property
    def legal_ground(self) -> str:
        return (
            self.outgoing.document.legal_ground if self.outgoing is not None else self._arrived.legal_ground
        )

    @property
    def sender_classification_code(self) -> str:
        if self.outgoing is not None:
            return self.outgoing.document.classification_code
        return self._arrived.classification_code

    @property
    def sender_registry_number(self) -> str:
        if self.outgoing is not None:
            entry = self.outgoing.registry_entry
            return entry.registry_number if entry is not None else ""
        return self._arrived.sender_registry_number

    @property
    def sealed_file(self) -> tuple[str, StoredFile] | None:
        """The sealed PDF that arrived: its file name and stored bytes (None: not sent yet)."""
        if self.outgoing is not None:
            version = self.outgoing.sealed_version
            return (version.filename, version.file) if version is not None else None
        return self._arrived.main_file_name, self._arrived.main_file

    @property
    def _arrived(self) -> Arrival:
        assert self.arrival is not None
        return self.arrival


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


class Consignment(models.Model):
    """An outgoing document on its way to an agency on another node: one envelope, sent by the
    worker through the transactional outbox until the receiving node answers with a signed
    receipt, or until the sending time is up (then ``failed``, shown to the registry clerk).
    Its id is the envelope's consignment id: the receiving node registers a consignment once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outgoing = models.ForeignKey(OutgoingDocument, on_delete=models.PROTECT, related_name="consignments")
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    agency_code = models.CharField(max_length=32)
    agency_name = models.CharField(max_length=300)
    unit_code = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=ConsignmentStatus.choices, default=ConsignmentStatus.PLANNED
    )
    manifest = models.BinaryField(null=True, blank=True)
    signature = models.BinaryField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="An attempt is under way (in a batch) until then."
    )
    batch = models.ForeignKey(
        "Batch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consignments",
        help_text="The batch whose signed receipt answered it (else its own receipt).",
    )
    receipt = models.BinaryField(null=True, blank=True)
    receipt_signature = models.BinaryField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True, help_text="When the receipt says it arrived.")
    problem_type = models.CharField(max_length=64, blank=True)
    problem_detail = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["outgoing", "node__node_id", "agency_code", "id"]
        indexes = [models.Index(fields=["status"], name="consignment_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ConsignmentStatus.values), name="consignment_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=[ConsignmentStatus.DELIVERED, ConsignmentStatus.REFUSED])
                | models.Q(receipt__isnull=False)
                | models.Q(batch__isnull=False),
                name="consignment_answered_has_receipt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} → {self.agency_code}@{self.node}"


class Arrival(models.Model):
    """An envelope that arrived from another node and was accepted: what it said (the signed
    manifest and its signature, kept as proof), the receipt this node answered with, and the
    document's facts as the sender gave them. Its delivery is what the recipient agency's
    registry clerk registers. A (node, consignment) pair arrives once, for ever."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    consignment_id = models.UUIDField()
    manifest = models.BinaryField()
    manifest_sha256 = models.CharField(max_length=64)
    # The proof: the envelope's own signature and the receipt answered, or (for an envelope
    # that came in a batch) the batch, whose signed list names this manifest's SHA-256 and
    # whose signed receipt answered it.
    signature = models.BinaryField(null=True, blank=True)
    receipt = models.BinaryField(null=True, blank=True)
    receipt_signature = models.BinaryField(null=True, blank=True)
    batch = models.ForeignKey(
        "Batch", null=True, blank=True, on_delete=models.PROTECT, related_name="arrivals"
    )
    received_at = models.DateTimeField()
    sender_agency_code = models.CharField(max_length=32)
    sender_agency_name = models.CharField(max_length=300)
    sender_unit_code = models.CharField(max_length=64, blank=True)
    sender_registry_number = models.CharField(max_length=100)
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    classification_code = models.CharField(max_length=32)
    disclosure = models.CharField(max_length=16)
    legal_ground = models.CharField(max_length=500, blank=True)
    retention_years = models.PositiveSmallIntegerField(null=True, blank=True)
    main_file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    main_file_name = models.CharField(max_length=255)
    files: models.JSONField[list[dict[str, Any]], Any] = models.JSONField(
        default=list, help_text="Every file the manifest names (name, media type, SHA-256, size, role)."
    )
    answers = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="answers_arrived"
    )

    class Meta:
        ordering = ["-received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["node", "consignment_id"], name="arrival_once_per_consignment"),
            models.CheckConstraint(
                condition=models.Q(signature__isnull=False, receipt__isnull=False)
                | models.Q(batch__isnull=False),
                name="arrival_has_proof",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consignment_id} from {self.node_id}"


class Batch(models.Model):
    """Envelopes sent together, from one agency to one agency of another node: one e-seal over
    the list of their manifests' SHA-256 (instead of one per envelope), and one signed receipt
    that answers each of them. Kept on both sides as the proof of what each envelope said
    (its manifest is listed in the signed batch) and of how it was answered."""

    class Direction(models.TextChoices):
        OUT = "out", "sent"
        IN = "in", "received"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    node = models.ForeignKey(Node, on_delete=models.PROTECT, related_name="+")
    batch_id = models.UUIDField(help_text="As the sender named it.")
    batch = models.BinaryField()
    batch_sha256 = models.CharField(max_length=64)
    signature = models.BinaryField()
    receipt = models.BinaryField()
    receipt_signature = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return f"{self.direction} {self.id} ({self.node})"


class TrustList(models.Model):
    """A version of the trust list as this node signed it: every node it holds (identifier,
    name, endpoint, the SHA-256 of its root CA, its agencies, whether it is trusted), as
    canonical JSON under this node's own e-seal. Each change of the list adds a version; an
    entry of ``Node`` that the newest signed version does not cover exactly is not trusted
    (``nodes.peer_trust``): a row changed in the database behind GovDoc's back counts for
    nothing."""

    version = models.PositiveIntegerField(primary_key=True)
    content = models.BinaryField()
    signature = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"trust list v{self.version}"


class FederationMessage(models.Model):
    """A signed message between an agency here and an agency on another node that is not a
    document: a procedure's task for a party there, or its result (``messages.py``). Outgoing
    ones are posted by the worker until the other node accepts them; incoming ones are kept
    once (by their id), so a message posted again changes nothing."""

    class Direction(models.TextChoices):
        OUT = "out", "out"
        IN = "in", "in"

    class Status(models.TextChoices):
        SENDING = "sending", "sending"
        SENT = "sent", "sent"
        REFUSED = "refused", "refused"
        FAILED = "failed", "failed"
        RECEIVED = "received", "received"

    id = models.BigAutoField(primary_key=True)
    message_id = models.UUIDField(help_text="The message's own id (in its body).")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=64)
    sender_node = models.CharField(max_length=63)
    sender_agency = models.CharField(max_length=32)
    recipient_node = models.CharField(max_length=63)
    recipient_agency = models.CharField(max_length=32)
    body = models.BinaryField(help_text="The canonical JSON that is signed.")
    signature = models.BinaryField(null=True, blank=True, help_text="The sending agency's detached e-seal.")
    status = models.CharField(max_length=8, choices=Status.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_id", "direction"], name="federationmessage_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.direction} {self.message_id}"
