"""Admin: process definitions, instances, their open tasks and steps, read only. They change
through the services only (loading a definition, completing a task), which check and audit."""

from __future__ import annotations

from django.contrib import admin

from govdoc.audit.admin import ReadOnlyAdmin
from govdoc.procedures.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessParty,
    ProcessStep,
    ProcessTask,
    ProcessTaskLapse,
)


@admin.register(ProcessDefinition)
class ProcessDefinitionAdmin(ReadOnlyAdmin):
    list_display = ["key", "version", "name", "is_active", "uploaded_at", "uploaded_by"]
    list_filter = ["is_active"]
    search_fields = ["key", "name"]


@admin.register(ProcessInstance)
class ProcessInstanceAdmin(ReadOnlyAdmin):
    list_display = ["title", "definition", "agency", "status", "started_at", "updated_at", "next_timer_at"]
    list_filter = ["status", "agency"]
    list_select_related = ["definition", "agency"]
    search_fields = ["title", "business_key"]


@admin.register(ProcessParty)
class ProcessPartyAdmin(ReadOnlyAdmin):
    list_display = ["name", "agency", "remote_agency", "remote_node", "instance"]
    list_select_related = ["agency", "instance__definition"]
    search_fields = ["name", "remote_agency", "remote_node"]


@admin.register(ProcessTask)
class ProcessTaskAdmin(ReadOnlyAdmin):
    list_display = ["title", "party", "role", "agency", "remote", "instance", "since"]
    list_filter = ["role"]
    list_select_related = ["instance__definition", "agency"]


@admin.register(ProcessStep)
class ProcessStepAdmin(ReadOnlyAdmin):
    list_display = ["title", "party", "role", "agency", "instance", "completed_by", "completed_at"]
    list_select_related = ["instance__definition", "completed_by", "agency"]


@admin.register(ProcessTaskLapse)
class ProcessTaskLapseAdmin(ReadOnlyAdmin):
    list_display = ["title", "party", "role", "agency", "instance", "ready_at", "lapsed_at"]
    list_select_related = ["instance__definition", "agency"]
