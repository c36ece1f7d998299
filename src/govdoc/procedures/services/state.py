"""The stored state of a process instance: locking it, loading its workflow, saving the
workflow with its timers and work list, and the process data a person or a step gives it.

Every service that moves an instance (``instances``, ``timers``, ``documents``, ``handling``)
locks the row (``instance_lock``), loads the workflow (``workflow_of``), moves it and saves it
(``state_save``) in one transaction, so its stored state never forks.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.utils.translation import gettext as _

from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core.jsontypes import JSONObject, JSONValue
from govdoc.procedures import bpmn_facts, engine
from govdoc.procedures.constants import (
    DATA_KEY,
    DATA_MAX_BYTES,
    INSTANCE_MOVES,
    TITLE_MAX_LENGTH,
    InstanceStatus,
)
from govdoc.procedures.errors import InstanceStateError, InvalidProcessDataError, ProcessStepFailedError
from govdoc.procedures.lanes import lane_or_none
from govdoc.procedures.models import ProcessInstance, ProcessTask, ProcessTaskLapse
from govdoc.procedures.services import relay
from govdoc.procedures.services.parties import lane_agency, parties_of_instance


def clean_data(data: JSONObject | None) -> dict[str, Any]:
    """A copy of ``data`` in plain JSON types, or a refusal: keys are names a condition can use."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidProcessDataError(_("process data must be an object"))
    bad = [key for key in data if not isinstance(key, str) or not DATA_KEY.fullmatch(key)]
    if bad:
        raise InvalidProcessDataError(
            _("process data names must start with a letter and hold only letters, digits and _: %(keys)s")
            % {"keys": ", ".join(map(str, bad[:5]))},
            errors={str(key): _("not a valid name") for key in bad[:20]},
        )
    try:
        encoded = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidProcessDataError(_("process data must be JSON values")) from exc
    if len(encoded.encode("utf-8")) > DATA_MAX_BYTES:
        raise InvalidProcessDataError(
            _("process data is larger than %(limit)d bytes") % {"limit": DATA_MAX_BYTES}
        )
    loaded: dict[str, Any] = json.loads(encoded)
    return loaded


def instance_lock(instance_id: uuid.UUID) -> ProcessInstance:
    # of=("self",): lock the instance row only, not its agency and definition rows (PostgreSQL
    # locks every joined row otherwise, and all the agency's processes would take turns).
    return (
        ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("agency", "definition")
        .get(pk=instance_id)
    )


def require_running(instance: ProcessInstance) -> None:
    if instance.status != InstanceStatus.RUNNING:
        raise InstanceStateError(
            _("the process is %(status)s: nothing in it moves any more")
            % {"status": instance.get_status_display().lower()},
            instance_id=str(instance.pk),
            status=str(instance.status),
        )


def status_move(instance: ProcessInstance, to: InstanceStatus) -> None:
    if to not in INSTANCE_MOVES[instance.status]:  # pragma: no cover - guarded by require_running
        raise InstanceStateError(
            f"a {instance.status} instance cannot become {to}", instance_id=str(instance.pk)
        )
    instance.status = to


def step_failed(instance: ProcessInstance, exc: engine.EngineError) -> ProcessStepFailedError:
    return ProcessStepFailedError(
        _("the process cannot move on: %(reason)s") % {"reason": str(exc)},
        instance_id=str(instance.pk),
    )


def workflow_of(instance: ProcessInstance) -> Any:
    try:
        return engine.workflow_load(instance.state)
    except engine.EngineError as exc:
        raise step_failed(instance, exc) from exc


def state_save(
    instance: ProcessInstance,
    workflow: Any,
    now: dt.datetime,
    *,
    gone_lapsed: bool = False,
    done: str | None = None,
) -> bool:
    """Store the workflow, its timers and its work list; True when the process just ended.
    ``gone_lapsed``: the open tasks that leave the work list now were taken away by a timer
    (``procedures_tick``: nobody completed them), and are kept as ``ProcessTaskLapse`` rows.
    ``done``: the task just completed. A party on another node hears of each of its tasks that
    opens, and of each that leaves the list without it (``relay``)."""
    instance.state = engine.workflow_dump(workflow)
    instance.next_timer_at = engine.next_timer_at(workflow)
    instance.updated_at = now
    fields = ["state", "next_timer_at", "updated_at"]
    completed = engine.is_completed(workflow)
    if completed:
        status_move(instance, InstanceStatus.COMPLETED)
        instance.completed_at = now
        instance.next_timer_at = None
        fields += ["status", "completed_at"]
    instance.save(update_fields=fields)

    tasks = [] if completed else engine.open_tasks(workflow)
    wanted = {uuid.UUID(t.task_id): t for t in tasks}
    # The work list read once (the instance is locked: no one else changes it meanwhile): the
    # rows that leave it now, and those that stay.
    listed = list(ProcessTask.objects.filter(instance=instance))
    gone = [t for t in listed if t.task_id not in wanted]
    if gone_lapsed:
        lapses_keep(instance, gone, now)
    withdrawn = [t for t in gone if t.remote and not t.document and str(t.task_id) != done]
    if withdrawn:
        why = "taken away by a timer" if gone_lapsed else "the procedure went on without it"
        relay.tasks_withdraw(instance, withdrawn, reason=why)
    if gone:
        ProcessTask.objects.filter(pk__in=[t.pk for t in gone]).delete()
    kept = {t.task_id for t in listed if t.task_id in wanted}
    new = [
        (task_id, task, lane_or_none(task.lane)) for task_id, task in wanted.items() if task_id not in kept
    ]
    # The parties are read only when a new task's lane names one (a role lane's people are the
    # instance's agency).
    parties = parties_of_instance(instance) if any(lane and lane.party for _, _, lane in new) else {}
    documents = (
        bpmn_facts.facts(instance.definition.sha256, instance.definition.bpmn_xml).documents if new else {}
    )
    rows = []
    for task_id, task, lane in new:
        where, party = lane_agency(instance.agency, lane, parties)
        rows.append(
            ProcessTask(
                instance=instance,
                task_id=task_id,
                spec_name=task.spec_name[:200],
                title=task.title[:TITLE_MAX_LENGTH],
                lane=task.lane or "",
                role=str(lane.role) if lane is not None else "",
                party=party.name if party is not None else "",
                agency=where,
                remote=party.address if party is not None and where is None else "",
                document=task.spec_name in documents,
                since=now,
            )
        )
    ProcessTask.objects.bulk_create(rows)
    relay.tasks_announce(instance, [row for row in rows if row.remote and not row.document])
    if completed:
        record(
            EventType.PROCEDURE_COMPLETED,
            actor=None,
            target=instance,
            data={"key": str(instance.definition.key)},
        )
    return completed


def lapses_keep(instance: ProcessInstance, gone: list[ProcessTask], now: dt.datetime) -> None:
    ProcessTaskLapse.objects.bulk_create(
        [
            ProcessTaskLapse(
                instance=instance,
                task_id=task.task_id,
                spec_name=task.spec_name,
                title=task.title,
                lane=task.lane,
                role=task.role,
                party=task.party,
                agency_id=task.agency_id,
                ready_at=task.since,
                lapsed_at=now,
            )
            for task in gone
        ],
        ignore_conflicts=True,  # a task id lapses once; a second write of it changes nothing
    )


def json_list(items: list[str]) -> list[JSONValue]:
    values: list[JSONValue] = []
    values.extend(items)
    return values
