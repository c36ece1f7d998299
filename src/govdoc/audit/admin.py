"""Admin: the audit log is read-only; other domains' admins record their edits through
``AuditedModelAdmin`` so a change made in the admin is as accountable as one made by a service."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from govdoc.audit.models import AuditCheckpoint, AuditEvent
from govdoc.audit.services import record
from govdoc.core.jsontypes import JSONObject, JSONValue

# Fields whose values never go into the audit log (the event says they changed, not to what).
_MASKED_PARTS = ("password", "secret", "token", "pin", "national_id", "jmbg", "recovery")
MASKED = "(changed; value not recorded)"


def _masked(name: str) -> bool:
    return any(part in name.lower() for part in _MASKED_PARTS)


def _plain(value: Any) -> JSONValue:
    """A form value as JSON: a model instance by its primary key, several by a sorted list."""
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, QuerySet | list | tuple | set):
        items: list[JSONValue] = []
        items.extend(sorted(str(_plain(item)) for item in value))
        return items
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _shown(name: str, value: Any) -> JSONValue:
    return MASKED if _masked(name) else _plain(value)


def form_changes(form: Any) -> JSONObject:
    """What an admin form changed: ``{field: {"from": ..., "to": ...}}`` (personal and secret
    fields masked)."""
    changes: JSONObject = {}
    for name in sorted(getattr(form, "changed_data", [])):
        before, after = form.initial.get(name), form.cleaned_data.get(name)
        changes[name] = {"from": _shown(name, before), "to": _shown(name, after)}
    return changes


def _reference(obj: Model) -> JSONObject:
    return {"type": obj._meta.label_lower, "id": str(obj.pk), "name": str(obj)[:200]}


class AuditedModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Every change made in the admin is an audit event in the change's transaction: the object
    itself (``admin.object_created`` / ``_changed`` / ``_deleted``, with each field's old and new
    value), each row added, changed or deleted through an inline (with the object it belongs
    to), and each object of a bulk delete."""

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(
                "admin.object_changed" if change else "admin.object_created",
                actor=request.user,
                target=obj,
                data={"changes": form_changes(form) if form is not None else {}},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            deleted = [
                (f.instance.pk, f.instance._meta.label_lower, str(f.instance)) for f in formset.deleted_forms
            ]
            super().save_formset(request, form, formset, change)
            parent = _reference(form.instance)
            forms_by_object = {id(f.instance): f for f in formset.forms}
            for obj in formset.new_objects:
                record(
                    "admin.object_created",
                    actor=request.user,
                    target=obj,
                    data={"changes": form_changes(forms_by_object.get(id(obj))), "part_of": parent},
                )
            for obj, _fields in formset.changed_objects:
                record(
                    "admin.object_changed",
                    actor=request.user,
                    target=obj,
                    data={"changes": form_changes(forms_by_object.get(id(obj))), "part_of": parent},
                )
            for pk, label, name in deleted:
                record(
                    "admin.object_deleted",
                    actor=request.user,
                    data={"object": {"type": label, "id": str(pk), "name": name[:200]}, "part_of": parent},
                )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            record("admin.object_deleted", actor=request.user, target=obj, data={"object": _reference(obj)})
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The admin's "delete selected" action: one event per object, then the delete."""
        with transaction.atomic():
            for obj in queryset:
                record(
                    "admin.object_deleted",
                    actor=request.user,
                    target=obj,
                    data={"object": _reference(obj), "bulk": True},
                )
            super().delete_queryset(request, queryset)


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
