"""Timers of running procedures: the periodic job lets due timers fire, one instance per
transaction, and backs off from an instance whose timers fail."""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from django.db import transaction

from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.procedures import engine
from govdoc.procedures.constants import TICK_BATCH, TIMER_RETRY_FIRST, TIMER_RETRY_MAX, InstanceStatus
from govdoc.procedures.errors import ProcessStepFailedError
from govdoc.procedures.models import ProcessInstance, ProcessTask
from govdoc.procedures.services.state import json_list, state_save, step_failed, workflow_of

logger = logging.getLogger(__name__)


def procedures_tick() -> dict[str, int]:
    """Let due timers fire: each running instance whose earliest timer is due is locked,
    loaded, its timers refreshed and its engine steps run, and saved, one transaction per
    instance (a broken one does not hold up the others). The periodic job
    ``procedures-timers`` runs it."""
    now = clock.now()
    due = list(
        ProcessInstance.objects.filter(status=InstanceStatus.RUNNING, next_timer_at__lte=now)
        .order_by("next_timer_at")
        .values_list("pk", flat=True)[:TICK_BATCH]
    )
    result = {"due": len(due), "fired": 0, "failed": 0}
    for pk in due:
        try:
            if _instance_tick(pk, now):
                result["fired"] += 1
        except ProcessStepFailedError as exc:
            logger.exception("procedure instance %s: timers could not move it on", pk)
            _timer_back_off(pk, now, exc.message)
            result["failed"] += 1
    return result


@transaction.atomic
def _timer_back_off(instance_id: uuid.UUID, now: dt.datetime, reason: str) -> None:
    """An instance whose due timers failed waits before it is tried again (``TIMER_RETRY_*``),
    so a broken one is not retried, and logged, on every tick; the failure is audited."""
    instance = (
        ProcessInstance.objects.select_for_update(of=("self",))
        .filter(pk=instance_id, status=InstanceStatus.RUNNING)
        .first()
    )
    if instance is None:
        return
    instance.timer_failures += 1
    delay = min(TIMER_RETRY_FIRST * 2 ** min(instance.timer_failures - 1, 20), TIMER_RETRY_MAX)
    instance.next_timer_at = now + delay
    instance.save(update_fields=["timer_failures", "next_timer_at"])
    record(
        EventType.PROCEDURE_TIMER_FAILED,
        actor=None,
        target=instance,
        data={
            "failures": instance.timer_failures,
            "reason": reason[:500],
            "retry_at": instance.next_timer_at.isoformat(),
        },
    )


@transaction.atomic
def _instance_tick(instance_id: uuid.UUID, now: dt.datetime) -> bool:
    instance = (
        ProcessInstance.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("definition", "agency")
        .filter(pk=instance_id, status=InstanceStatus.RUNNING, next_timer_at__lte=now)
        .first()
    )
    if instance is None:  # moved on meanwhile, or another worker holds it
        return False
    workflow = workflow_of(instance)
    try:
        fired = engine.timers_refresh(workflow)
    except engine.EngineError as exc:
        raise step_failed(instance, exc) from exc
    if fired:
        # The open tasks the timers took away (kept as ``ProcessTaskLapse`` by ``_save_state``).
        still = set() if engine.is_completed(workflow) else {t.task_id for t in engine.open_tasks(workflow)}
        taken = sorted(
            spec
            for task_id, spec in ProcessTask.objects.filter(instance=instance).values_list(
                "task_id", "spec_name"
            )
            if str(task_id) not in still
        )
        data: JSONObject = {"timers": json_list(fired)}
        if taken:
            data["taken_away"] = json_list(taken)
        record(EventType.PROCEDURE_TIMER_FIRED, actor=None, target=instance, data=data)
    if instance.timer_failures:
        instance.timer_failures = 0
        instance.save(update_fields=["timer_failures"])
    state_save(instance, workflow, now, gone_lapsed=True)
    return bool(fired)
