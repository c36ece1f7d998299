"""Administrators see the workers, the periodic jobs and the work that needs attention.

Read-only: the rows are written by the workers (``services``), never by hand."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from govdoc.jobs.models import PeriodicJob, WorkerHeartbeat


class _ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(_ReadOnly):
    list_display = ("worker_id", "hostname", "pid", "started_at", "seen_at", "stopped_at")


@admin.register(PeriodicJob)
class PeriodicJobAdmin(_ReadOnly):
    list_display = ("name", "interval_seconds", "next_run_at", "last_enqueued_at", "last_task_id")
