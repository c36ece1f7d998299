"""Admin: lines, steps and post-reports are read-only (decisions are signed by services);
delegation rules and absences are edited here, each change audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from govdoc.approvals.models import Absence, ApprovalLine, ApprovalStep, DelegationRule, PostReport
from govdoc.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from govdoc.core import clock


class StepInline(admin.TabularInline[ApprovalStep, ApprovalLine]):
    model = ApprovalStep
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "position",
        "kind",
        "assignee",
        "status",
        "decision",
        "decided_by",
        "acting_for",
        "delegated",
        "decided_at",
        "skip_reason",
        "manifest_sha256",
    )

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(ApprovalLine)
class ApprovalLineAdmin(ReadOnlyAdmin):
    list_display = ["id", "document", "doc_type", "drafter", "status", "submitted_at", "finished_at"]
    list_filter = ["status", "doc_type"]
    inlines = [StepInline]


@admin.register(ApprovalStep)
class ApprovalStepAdmin(ReadOnlyAdmin):
    list_display = ["line", "position", "kind", "assignee", "status", "decided_at"]
    list_filter = ["status", "kind"]
    exclude = ["manifest", "signature", "signer_certificate"]


@admin.register(PostReport)
class PostReportAdmin(ReadOnlyAdmin):
    list_display = ["step", "person", "created_at", "acknowledged_at"]


@admin.register(DelegationRule)
class DelegationRuleAdmin(AuditedModelAdmin):
    list_display = ["agency", "doc_type", "role", "valid_from", "valid_to"]
    list_filter = ["agency", "role"]
    readonly_fields = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if not change and isinstance(obj, DelegationRule):
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Absence)
class AbsenceAdmin(AuditedModelAdmin):
    list_display = ["person", "deputy", "starts_at", "ends_at", "reason"]
    readonly_fields = ["created_at"]

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        if not change and isinstance(obj, Absence):
            obj.created_at = clock.now()
        super().save_model(request, obj, form, change)
