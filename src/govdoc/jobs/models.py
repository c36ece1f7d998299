"""Worker heartbeats and the schedule of periodic jobs."""

from __future__ import annotations

from django.db import models
from django_tasks_db.models import DBTaskResult


class WorkerHeartbeat(models.Model):
    """A running ``govdoc worker`` process says it is alive every few seconds. A task held by
    a worker whose heartbeat stopped is taken again (``services.work_recover``)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class PeriodicJob(models.Model):
    """When a periodic job is due next. Whichever worker first moves ``next_run_at`` on (one
    conditional UPDATE) enqueues the job's task, in the same transaction; the others see that
    it is no longer due. So a job runs once per interval however many workers there are."""

    name = models.SlugField(max_length=64, primary_key=True)
    interval_seconds = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskNeedingAttention(DBTaskResult):  # type: ignore[type-arg]
    """The administrators' view of the task table: work given up or waiting for a retry
    (``selectors.tasks_needing_attention``)."""

    class Meta:
        proxy = True
        verbose_name = "task needing attention"
        verbose_name_plural = "tasks needing attention"
