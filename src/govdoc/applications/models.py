"""The service catalogue, applications, their attachments, timeline, completion requests,
receipts and the citizen's e-inbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Unit
from govdoc.applications.constants import ApplicationStatus, EventKind
from govdoc.applications.specs import ApprovalPolicy, AttachmentRule, DefaultLineStep, strict_policy
from govdoc.documents.models import Document, StoredFile


class Service(models.Model):
    """A public service a citizen can apply for online, e.g. a certificate of residence.

    ``form_schema`` is a JSON Schema (draft 2020-12) of the form; ``attachment_rules`` the files
    it asks for; ``output_template`` the HTML (Django template syntax) of the document issued.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=300, help_text="Name in Serbian Latin script.")
    name_cyrl = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    description_cyrl = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="services")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="services")
    form_schema = models.JSONField(default=dict)
    attachment_rules: models.JSONField[list[AttachmentRule], Any] = models.JSONField(default=list)
    deadline_working_days = models.PositiveSmallIntegerField()
    output_title = models.CharField(max_length=300)
    output_title_cyrl = models.CharField(max_length=300)
    output_title_en = models.CharField(max_length=300)
    output_template = models.TextField(help_text="HTML with Django template syntax.")
    output_doc_type = models.CharField(max_length=32)
    classification_code = models.CharField(max_length=32)
    validity_days = models.PositiveIntegerField(null=True, blank=True)
    default_line: models.JSONField[list[DefaultLineStep], Any] = models.JSONField(default=list)
    approval_policy: models.JSONField[ApprovalPolicy, Any] = models.JSONField(
        default=strict_policy,
        help_text="The steps every approval line of this service must have, and who may hold each "
        "(approvals.policy).",
    )
    direct_issuance = models.BooleanField(
        default=False, help_text="Agency systems may issue this service's document without an application."
    )
    direct_issuance_legal_basis = models.CharField(
        max_length=500,
        blank=True,
        help_text="The law and article that allow issuing without an application (required to opt in).",
    )
    handling_procedure = models.CharField(
        max_length=200,
        blank=True,
        help_text="The BPMN process (its id) that handles this service's applications, step by "
        "step; empty: GovDoc's built-in handling.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["agency__code", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(direct_issuance=False) | ~models.Q(direct_issuance_legal_basis=""),
                name="service_direct_issuance_has_legal_basis",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def name_in(self, script: str) -> str:
        names: dict[str, str] = {Script.CYRILLIC: self.name_cyrl, Script.ENGLISH: self.name_en}
        return names.get(script) or self.name

    def output_title_in(self, script: str) -> str:
        titles: dict[str, str] = {
            Script.CYRILLIC: self.output_title_cyrl,
            Script.ENGLISH: self.output_title_en,
        }
        return titles.get(script) or self.output_title


class ReceiptCounter(models.Model):
    """The last receipt number given by one agency in one year; locked to take the next."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "year"], name="receiptcounter_one_per_agency_year"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.year}: {self.last_number}"


class Application(models.Model):
    """A citizen's application for one service, from receipt to the issued document."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    receipt_number = models.CharField(max_length=48, unique=True, help_text="E.g. P-MUP-2026-000042.")
    receipt_year = models.PositiveSmallIntegerField()
    receipt_seq = models.PositiveIntegerField()
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="applications")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="applications")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    data = models.JSONField(default=dict, help_text="Form data, valid against the service's schema.")
    script = models.CharField(max_length=8, choices=Script.choices)
    status = models.CharField(max_length=24, choices=ApplicationStatus.choices)
    submitted_at = models.DateTimeField()
    due_date = models.DateField()
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    decision_fields = models.JSONField(default=dict, blank=True, help_text="The handler's draft fields.")
    case_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approval_line_id = models.UUIDField(null=True, blank=True)
    issued_document_id = models.UUIDField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="application_unit_status"),
            models.Index(fields=["agency", "due_date"], name="application_agency_due"),
            models.Index(fields=["applicant", "-submitted_at"], name="application_applicant"),
            models.Index(fields=["approval_line_id"], name="application_line"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "receipt_year", "receipt_seq"], name="application_receipt_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=ApplicationStatus.values), name="application_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(receipt_seq__gte=1), name="application_receipt_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(handler__isnull=True)
                | models.Q(handler__isnull=False, assigned_at__isnull=False),
                name="application_assigned_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class ApplicationAttachment(models.Model):
    """A file the applicant gave for one attachment rule; checked by its content when received."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="attachments")
    rule_key = models.CharField(max_length=64)
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    media_type = models.CharField(max_length=127)
    uploaded_at = models.DateTimeField()
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a completion replaced this file."
    )

    class Meta:
        ordering = ["application", "uploaded_at", "rule_key", "id"]

    def __str__(self) -> str:
        return f"{self.rule_key}: {self.filename}"


class ApplicationEvent(models.Model):
    """One entry of the timeline the applicant sees: what happened, when, in their script."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField()
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    status_from = models.CharField(max_length=24, blank=True)
    status_to = models.CharField(max_length=24, blank=True)
    message = models.TextField(help_text="Public text in the applicant's script.")

    class Meta:
        ordering = ["application", "id"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class CompletionRequest(models.Model):
    """The handler asks the applicant to complete the application (dopuna zahteva)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="completion_requests")
    message = models.TextField()
    fields: models.JSONField[list[str], Any] = models.JSONField(default=list, blank=True)
    attachment_keys: models.JSONField[list[str], Any] = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(answered_at__isnull=True),
                name="completionrequest_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.message[:40]}"


class Receipt(models.Model):
    """Proof of submission: the receipt number, the time, and a receipt document (HTML) kept in
    the content-addressed file store."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="receipt")
    number = models.CharField(max_length=48, unique=True)
    issued_at = models.DateTimeField()
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=255)
    media_type = models.CharField(max_length=127)

    def __str__(self) -> str:
        return self.number


class InboxMessage(models.Model):
    """A message in a citizen's e-inbox (e-sanduče), optionally carrying an issued document."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="inbox")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="inbox_messages"
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    issued_document_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recipient", "-created_at", "id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="inbox_recipient_created")]

    def __str__(self) -> str:
        return self.subject
