"""Writes of the jobs domain: heartbeats, taking lost and failed tasks again, periodic jobs.

A task is a django-tasks row written in the transaction of the change that needs it; a worker
claims it (status RUNNING, its id appended to ``worker_ids``) and runs it. Two things can then
go wrong, and both are mended here, by a periodic job (``work_recover``) any worker runs:

- the worker dies (SIGKILL, power, OOM) while the task is RUNNING: its heartbeat stops, and
  once it is older than ``lost_after_seconds`` the task is made READY again;
- the task raises: django-tasks marks it FAILED; it is made READY again after a back-off.

Either way the task runs again, so every task is idempotent (the issue key of an issued
document, the status checks of an application). After ``max_attempts`` a task stays FAILED
(lost work is marked failed with the reason) and the administrators' page lists it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.jobs import constants
from govdoc.jobs.constants import DEFAULT_QUEUE, GIVEN_UP_QUEUE
from govdoc.jobs.errors import TaskNotRetryableError
from govdoc.jobs.models import PeriodicJob, WorkerHeartbeat

_SYSTEM = "jobs"
LOST_WORKER_ERROR = "govdoc.jobs.WorkerLost"
_Task = DBTaskResult[Any, Any]


@dataclass(frozen=True)
class PeriodicSpec:
    """A job to run every ``every_seconds`` across the installation: ``task`` is a django-tasks
    task taking no arguments."""

    name: str
    task: Any
    every_seconds: int


# ---------------------------------------------------------------------------- workers


def worker_id_new() -> str:
    """An id for a worker process that no other process, here or on another machine, has."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def worker_beat(*, worker_id: str) -> WorkerHeartbeat:
    """The worker is alive (called every ``heartbeat_seconds``). Not audited: a heartbeat
    changes no business fact, and one a few seconds is noise in the chain."""
    now = clock.now()
    beat, created = WorkerHeartbeat.objects.get_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
            "started_at": now,
            "seen_at": now,
        },
    )
    if not created:
        WorkerHeartbeat.objects.filter(pk=worker_id).update(seen_at=now)
    return beat


def worker_stopped(*, worker_id: str) -> None:
    """The worker stops cleanly: its tasks need not wait for the heartbeat to go stale."""
    WorkerHeartbeat.objects.filter(pk=worker_id).update(stopped_at=clock.now(), seen_at=clock.now())


# ---------------------------------------------------------------------------- recovery


def _alive_workers(now: dt.datetime) -> set[str]:
    fresh = now - dt.timedelta(seconds=constants.lost_after_seconds())
    return set(
        WorkerHeartbeat.objects.filter(seen_at__gte=fresh, stopped_at__isnull=True).values_list(
            "worker_id", flat=True
        )
    )


def _is_lost(task: _Task, *, alive: set[str], now: dt.datetime) -> bool:
    """A RUNNING task whose worker is gone. A worker that never sent a heartbeat (a plain
    ``db_worker``) is trusted until the task has run for ``lost_after_seconds``."""
    holder = task.worker_ids[-1] if task.worker_ids else ""
    if holder in alive:
        return False
    started = task.started_at or task.enqueued_at
    known = WorkerHeartbeat.objects.filter(pk=holder).exists()
    return known or started < now - dt.timedelta(seconds=constants.lost_after_seconds())


def _requeue(task: _Task, *, now: dt.datetime, why: str) -> bool:
    """Make ``task`` READY again after its back-off (True), or give it up (False)."""
    attempts = len(task.worker_ids)
    if attempts >= constants.max_attempts() or task.task_path in constants.NOT_RETRIED:
        if task.status == TaskResultStatus.RUNNING:
            task.status = TaskResultStatus.FAILED
            task.finished_at = now
            task.exception_class_path = LOST_WORKER_ERROR
            task.traceback = why
            task.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
        record(
            "jobs.task_given_up",
            actor=_SYSTEM,
            target=None,
            data={"task": str(task.pk), "task_path": task.task_path, "attempts": attempts, "why": why},
        )
        # Marked so it is given up once: the administrators' page lists it from now on.
        DBTaskResult.objects.filter(pk=task.pk).update(queue_name=GIVEN_UP_QUEUE)
        return False
    delay = constants.retry_delay_seconds(attempts)
    task.status = TaskResultStatus.READY
    task.run_after = now + dt.timedelta(seconds=delay)
    task.finished_at = None
    task.traceback = task.traceback or why  # a failure keeps its own traceback to show
    task.save(update_fields=["status", "run_after", "finished_at", "traceback"])
    record(
        "jobs.task_retried",
        actor=_SYSTEM,
        target=None,
        data={
            "task": str(task.pk),
            "task_path": task.task_path,
            "attempts": attempts,
            "retry_in_seconds": delay,
            "why": why,
        },
    )
    return True


def work_recover() -> dict[str, int]:
    """Take lost and failed tasks again, with back-off; give up after ``max_attempts``.

    Each task is locked (SKIP LOCKED) while it is looked at, so two workers running this at
    once never requeue one task twice. Returns how many were retried and given up.
    """
    now = clock.now()
    alive = _alive_workers(now)
    counts = {"retried": 0, "given_up": 0}
    candidates = (
        DBTaskResult.objects.filter(Q(status=TaskResultStatus.RUNNING) | Q(status=TaskResultStatus.FAILED))
        .exclude(queue_name=GIVEN_UP_QUEUE)
        .values_list("pk", flat=True)
    )
    for pk in list(candidates[:500]):
        with transaction.atomic():
            task = DBTaskResult.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if task is None or task.queue_name == GIVEN_UP_QUEUE:
                continue
            if task.status == TaskResultStatus.RUNNING:
                if not _is_lost(task, alive=alive, now=now):
                    continue
                why = f"the worker {task.worker_ids[-1] if task.worker_ids else '?'} stopped while running it"
            elif task.status == TaskResultStatus.FAILED:
                why = f"failed: {task.exception_class_path}"
            else:
                continue
            counts["retried" if _requeue(task, now=now, why=why) else "given_up"] += 1
    return counts


@transaction.atomic
def task_retry_now(*, task_id: uuid.UUID, actor: Any) -> _Task:
    """An administrator sends a given-up or failed task round once more, now. It keeps its
    attempts: if it fails again it is given up again at once, for a person to look at."""
    task = DBTaskResult.objects.select_for_update().get(pk=task_id)
    if task.status not in {TaskResultStatus.FAILED, TaskResultStatus.READY}:
        raise TaskNotRetryableError(
            f"the task is {task.status.lower()}; only failed or waiting work is retried"
        )
    task.status = TaskResultStatus.READY
    task.queue_name = DEFAULT_QUEUE
    task.run_after = clock.now()
    task.finished_at = None
    task.save(update_fields=["status", "queue_name", "run_after", "finished_at"])
    record(
        "jobs.task_retried_by_administrator",
        actor=actor,
        target=None,
        data={"task": str(task.pk), "task_path": task.task_path, "attempts": len(task.worker_ids)},
    )
    return task


# ---------------------------------------------------------------------------- periodic jobs


def periodic_tick(*, specs: Sequence[PeriodicSpec]) -> list[str]:
    """Enqueue every periodic job that is due, once across all workers. Returns the names of
    the jobs this call enqueued.

    The conditional UPDATE (``next_run_at <= now``) succeeds for exactly one caller per due
    interval; the task row is written in that caller's transaction, so a crash between the two
    loses neither (both roll back, and the next tick tries again).
    """
    now = clock.now()
    enqueued: list[str] = []
    # One read of when each job is due: a tick where nothing is due (nearly every one: every
    # worker ticks each heartbeat) costs one query, not a get-or-create and an update per job.
    due_at = dict(
        PeriodicJob.objects.filter(name__in=[spec.name for spec in specs]).values_list("name", "next_run_at")
    )
    for spec in specs:
        if spec.name not in due_at:
            PeriodicJob.objects.get_or_create(
                name=spec.name, defaults={"interval_seconds": spec.every_seconds, "next_run_at": now}
            )
        elif due_at[spec.name] > now:
            continue  # the conditional UPDATE below would move nothing
        with transaction.atomic():
            moved = PeriodicJob.objects.filter(name=spec.name, next_run_at__lte=now).update(
                next_run_at=now + dt.timedelta(seconds=spec.every_seconds),
                interval_seconds=spec.every_seconds,
                last_enqueued_at=now,
            )
            if not moved:
                continue
            result = spec.task.enqueue()
            PeriodicJob.objects.filter(name=spec.name).update(last_task_id=str(result.id))
            enqueued.append(spec.name)
    return enqueued


# ---------------------------------------------------------------------------- work done by another


def tasks_ready_defer(*, task_path: str, kwarg: str, values: Sequence[str], until: dt.datetime) -> int:
    """Hold back until ``until`` the waiting (READY) tasks of ``task_path`` whose keyword
    argument ``kwarg`` is one of ``values``: a running task has claimed their work until then
    (a batch that sends many consignments at once). Other workers then do not take them only to
    find the work claimed; the claiming task drops them when it is done
    (``tasks_ready_drop``), and should it die they run when its claim ends. A task already due
    later keeps its time. Not audited: no fact changes. Returns how many were held back."""
    if not values:
        return 0
    found = DBTaskResult.objects.filter(
        Q(run_after=get_date_max()) | Q(run_after__lt=until),
        status=TaskResultStatus.READY,
        task_path=task_path,
        **{f"args_kwargs__kwargs__{kwarg}__in": list(values)},
    )
    return int(found.update(run_after=until))


def tasks_ready_drop(*, task_path: str, kwarg: str, values: Sequence[str]) -> int:
    """Delete the waiting (READY) tasks of ``task_path`` whose keyword argument ``kwarg`` is one
    of ``values``: their work was done by another task, in the caller's transaction (a batch
    that answered many consignments at once). A task already running is left to find its work
    done. Not audited: no fact changes. Returns how many were deleted."""
    if not values:
        return 0
    found = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        task_path=task_path,
        **{f"args_kwargs__kwargs__{kwarg}__in": list(values)},
    )
    return int(found.delete()[0])
