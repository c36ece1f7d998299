"""Admin: services are edited here (each change audited); applications are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from govdoc.applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    CompletionRequest,
    InboxMessage,
    Receipt,
    ReceiptCounter,
    Service,
)
from govdoc.applications.services.catalogue import direct_issuance_errors, service_definition_errors
from govdoc.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from govdoc.core import clock

_CHECKED = (
    "unit",
    "name",
    "name_cyrl",
    "name_en",
    "form_schema",
    "attachment_rules",
    "default_line",
    "approval_policy",
    "direct_issuance",
    "direct_issuance_legal_basis",
    "handling_procedure",
    "deadline_working_days",
    "validity_days",
    "output_template",
    "output_title",
    "output_title_cyrl",
    "output_title_en",
    "output_doc_type",
    "classification_code",
)


class ServiceAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    """The same checks as ``service_create``: a schema that is a schema, a template that
    compiles, attachment rules and a default line of the right shape."""

    class Meta:
        model = Service
        fields = [
            "code",
            "is_active",
            "agency",
            *_CHECKED,
            "description",
            "description_cyrl",
            "description_en",
        ]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        agency = data.get("agency")
        if agency is None:
            return data
        values = {name: data[name] for name in _CHECKED if name in data}
        errors = service_definition_errors(values, agency=agency)
        errors.update(
            direct_issuance_errors(
                opted_in=data.get("direct_issuance"), basis=data.get("direct_issuance_legal_basis", "")
            )
        )
        for field, message in errors.items():
            top = field.split(".", 1)[0]
            self.add_error(top if top in self.fields else None, f"{field}: {message}")
        return data


@admin.register(Service)
class ServiceAdmin(AuditedModelAdmin):
    form = ServiceAdminForm
    list_display = ["code", "name", "agency", "unit", "deadline_working_days", "is_active"]
    list_filter = ["agency", "is_active"]
    list_select_related = ["agency", "unit", "unit__agency"]
    search_fields = ["code", "name", "name_cyrl", "name_en"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = clock.now()
        if not change:
            obj.created_at = obj.updated_at
        super().save_model(request, obj, form, change)


class _ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


class AttachmentInline(_ReadOnlyInline):
    model = ApplicationAttachment
    fields = readonly_fields = ("rule_key", "filename", "media_type", "file", "uploaded_at", "superseded_at")


class EventInline(_ReadOnlyInline):
    model = ApplicationEvent
    fields = readonly_fields = ("occurred_at", "kind", "status_from", "status_to", "message")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "service", "status", "submitted_at", "due_date", "handler"]
    list_filter = ["agency", "status", "service"]
    list_select_related = ["service", "handler"]
    search_fields = ["receipt_number", "id"]
    date_hierarchy = "submitted_at"
    inlines = [AttachmentInline, EventInline]


@admin.register(CompletionRequest)
class CompletionRequestAdmin(ReadOnlyAdmin):
    list_display = ["application", "requested_at", "answered_at"]
    list_select_related = ["application"]


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_at", "media_type"]


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at"]
    list_select_related = ["recipient"]


@admin.register(ReceiptCounter)
class ReceiptCounterAdmin(ReadOnlyAdmin):
    list_display = ["agency", "year", "last_number"]
    list_select_related = ["agency"]
