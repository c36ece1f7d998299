"""Approval lines, their steps with signed decisions, delegation rules, absences, post-reports."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency
from govdoc.approvals.constants import Decision, LineStatus, StepKind, StepStatus, reason_text
from govdoc.documents.models import Document, DocumentVersion


class ApprovalLine(models.Model):
    """결재선: the ordered steps one document version passes on its way to a decision.

    ``chain_head`` is the SHA-256 of the last decision's manifest; the next decision names it
    as ``previous``, so the decisions of a line form a hash chain. It is read and written
    only under the line's row lock.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="approval_lines")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="approval_lines")
    doc_type = models.CharField(max_length=32)
    drafter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=LineStatus.choices, default=LineStatus.DRAFT)
    created_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    decision_count = models.PositiveIntegerField(default=0)
    chain_head = models.CharField(max_length=64, blank=True)
    content_sha256 = models.CharField(
        max_length=64,
        blank=True,
        help_text="What the line approves for issuing (data, template, script), as the drafter's "
        "domain hashes it; every decision signs it.",
    )
    end_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Why the line ended without a decision (e.g. the applicant withdrew).",
    )

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=LineStatus.values), name="approvalline_status_valid"
            ),
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(status__in=[LineStatus.DRAFT, LineStatus.IN_PROGRESS]),
                name="approvalline_one_open_per_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.version_id}: {self.status}"

    @property
    def end_reason_text(self) -> str:
        """Why the line ended, in the reader's language."""
        return reason_text(self.end_reason)


class ApprovalStep(models.Model):
    """One official's step in a line; a decided step keeps its signed manifest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    line = models.ForeignKey(ApprovalLine, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=StepStatus.choices, default=StepStatus.WAITING)
    skip_reason = models.CharField(max_length=200, blank=True)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delegated = models.BooleanField(default=False)
    decided_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(
        null=True, blank=True, help_text="Order of the decision in its line's chain (1, 2, ...)."
    )
    manifest = models.BinaryField(null=True, blank=True, help_text="Canonical JSON that was signed.")
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    signature = models.BinaryField(null=True, blank=True, help_text="Detached CMS (DER) over the manifest.")
    signer_certificate = models.BinaryField(
        null=True, blank=True, help_text="The signer's certificate (DER)."
    )

    class Meta:
        ordering = ["line", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["line", "assignee"], name="approvalstep_person_once_per_line"),
            models.UniqueConstraint(
                fields=["line", "sequence"],
                condition=models.Q(sequence__isnull=False),
                name="approvalstep_sequence_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="approvalstep_position_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=StepStatus.values), name="approvalstep_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(
                    status__in=[StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.RETURNED]
                )
                | (
                    models.Q(decided_by__isnull=False, decided_at__isnull=False, sequence__isnull=False)
                    & ~models.Q(manifest_sha256="")
                ),
                name="approvalstep_decided_is_signed",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=StepStatus.SKIPPED) | ~models.Q(skip_reason=""),
                name="approvalstep_skipped_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} #{self.position} {self.kind} ({self.status})"

    @property
    def skip_reason_text(self) -> str:
        """Why the step was skipped, in the reader's language."""
        return reason_text(self.skip_reason)


class DelegationRule(models.Model):
    """전결: in ``agency``, an official holding ``role`` decides ``doc_type`` finally."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(max_length=32)
    role = models.CharField(max_length=32, choices=Role.choices)
    valid_from = models.DateTimeField()
    valid_to = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agency", "doc_type", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=models.F("valid_from")),
                name="delegationrule_dates_ordered",
            ),
            models.CheckConstraint(condition=~models.Q(role=Role.CITIZEN), name="delegationrule_not_citizen"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id}: {self.doc_type} decided by {self.role}"


class Absence(models.Model):
    """대결: while ``person`` is absent, ``deputy`` may decide their pending steps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="absences")
    deputy = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["deputy", "starts_at"], name="absence_deputy_starts")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="absence_dates_ordered"
            ),
            models.CheckConstraint(
                condition=~models.Q(deputy=models.F("person")), name="absence_deputy_other"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} absent {self.starts_at:%Y-%m-%d}–{self.ends_at:%Y-%m-%d}"


class PostReport(models.Model):
    """후열: the absent approver's task to read what their deputy decided for them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    step = models.OneToOneField(ApprovalStep, on_delete=models.PROTECT, related_name="post_report")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"post-report {self.step_id} for {self.person_id}"
