"""Reads of the jobs domain: what an administrator must look at."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from govdoc.jobs.constants import GIVEN_UP_QUEUE


def tasks_needing_attention() -> QuerySet[DBTaskResult[Any, Any]]:
    """Tasks given up after their last attempt, failed tasks not yet retried, and tasks waiting
    for a retry (READY with an error from an earlier attempt), newest first."""
    return DBTaskResult.objects.filter(
        Q(queue_name=GIVEN_UP_QUEUE)
        | Q(status=TaskResultStatus.FAILED)
        | (Q(status=TaskResultStatus.READY) & ~Q(traceback=""))
    ).order_by("-enqueued_at")
