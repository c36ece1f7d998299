"""Admin: the audit log is read-only; other domains' admins record their edits through
``AuditedModelAdmin`` so a change made in the admin is as accountable as one made by a service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest

from govdoc.audit.models import AuditCheckpoint, AuditEvent
from govdoc.audit.services import record


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            verb = "changed" if change else "created"
            fields = sorted(form.changed_data) if form is not None else []
            record(
                f"{obj._meta.app_label}.{obj._meta.model_name}_{verb}_in_admin",
                actor=request.user,
                target=obj,
                data={"fields": fields},
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            record(
                f"{obj._meta.app_label}.{obj._meta.model_name}_deleted_in_admin",
                actor=request.user,
                target=obj,
                data={"repr": str(obj)},
            )
            super().delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "occurred_at", "event", "actor_label", "target_type", "target_id"]
    list_filter = ["event"]
    search_fields = ["event", "actor_label", "target_id"]


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "head_hash", "signer_label"]
