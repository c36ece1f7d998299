"""Reads of the jobs domain: what an administrator must look at."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from govdoc.jobs.constants import GIVEN_UP_QUEUE
from govdoc.jobs.models import PeriodicJob, WorkerHeartbeat


def tasks_needing_attention() -> QuerySet[DBTaskResult[Any, Any]]:
    """Tasks given up after their last attempt, failed tasks not yet retried, and tasks waiting
    for a retry (READY with an error from an earlier attempt), newest first."""
    return DBTaskResult.objects.filter(
        Q(queue_name=GIVEN_UP_QUEUE)
        | Q(status=TaskResultStatus.FAILED)
        | (Q(status=TaskResultStatus.READY) & ~Q(traceback=""))
    ).order_by("-enqueued_at")


def workers_recent(limit: int = 50) -> QuerySet[WorkerHeartbeat]:
    return WorkerHeartbeat.objects.order_by("-seen_at")[:limit]


def periodic_jobs() -> QuerySet[PeriodicJob]:
    return PeriodicJob.objects.order_by("name")
