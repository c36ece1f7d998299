"""Administrators see the workers, the periodic jobs and the work that needs attention.

Read-only: the rows are written by the workers (``services``), never by hand; the one action
(retry now) calls a service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from govdoc.core.errors import GovDocError
from govdoc.jobs.models import PeriodicJob, TaskNeedingAttention, WorkerHeartbeat
from govdoc.jobs.selectors import tasks_needing_attention
from govdoc.jobs.services import task_retry_now


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


@admin.register(TaskNeedingAttention)
class TaskNeedingAttentionAdmin(_ReadOnly):
    """Work given up after its last attempt, or waiting for a retry: what an administrator
    must look at. "Retry now" sends the chosen tasks round once more (audited)."""

    list_display = ("task_path", "status", "attempts", "enqueued_at", "finished_at", "exception_class_path")
    readonly_fields = (
        "task_path",
        "status",
        "args_kwargs",
        "worker_ids",
        "exception_class_path",
        "traceback",
    )
    actions = ["retry_now"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return tasks_needing_attention()

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    @admin.display(description="attempts")
    def attempts(self, obj: TaskNeedingAttention) -> int:
        return len(obj.worker_ids)

    @admin.action(description="Retry now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        done = 0
        for task in queryset:
            try:
                task_retry_now(task_id=task.pk, actor=request.user)
                done += 1
            except GovDocError as exc:
                self.message_user(request, f"{task.task_path}: {exc}", level=messages.WARNING)
        self.message_user(request, f"{done} task(s) sent round again.")
