"""Starting a process, completing its tasks, letting its timers fire, cancelling it.

Every move of an instance locks its row, loads the workflow from the stored state (with the
safe engine, ``engine.workflow_load``), moves it, and saves the new state, the work list, the
step row and the audit events in that one transaction: two people completing tasks of one
instance at once take turns, and the second sees the first's result.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role, role_in_sentence
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import agency_ids_of, has_role
from govdoc.applications.models import Application
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject, JSONValue
from govdoc.procedures import bpmn_facts, engine
from govdoc.procedures.constants import (
    DATA_KEY,
    DATA_MAX_BYTES,
    INSTANCE_MOVES,
    TICK_BATCH,
    TIMER_RETRY_FIRST,
    TIMER_RETRY_MAX,
    TITLE_MAX_LENGTH,
    InstanceStatus,
)
from govdoc.procedures.errors import (
    DefinitionInactiveError,
    InstanceStateError,
    InvalidProcessDataError,
    NotAllowedToCancelError,
    NotAllowedToStartError,
    NotYourTaskError,
    ProcessStepFailedError,
    TaskDoneOnApplicationError,
    TaskNotOpenError,
    TaskOnOtherNodeError,
    TaskWaitsForDocumentError,
)
from govdoc.procedures.lanes import Lane, lane_or_none, party_key
from govdoc.procedures.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessParty,
    ProcessStep,
    ProcessTask,
    ProcessTaskLapse,
)
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.services.parties import lane_agency, parties_of_instance, parties_resolve

logger = logging.getLogger(__name__)

# Who may cancel a running instance of their agency.
CANCEL_ROLES = frozenset({Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR})


def _clean_data(data: JSONObject | None) -> dict[str, Any]:
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


def _move(instance: ProcessInstance, to: InstanceStatus) -> None:
    if to not in INSTANCE_MOVES[instance.status]:  # pragma: no cover - guarded by require_running
        raise InstanceStateError(
            f"a {instance.status} instance cannot become {to}", instance_id=str(instance.pk)
        )
    instance.status = to


def _failed(instance: ProcessInstance, exc: engine.EngineError) -> ProcessStepFailedError:
    return ProcessStepFailedError(
        _("the process cannot move on: %(reason)s") % {"reason": str(exc)},
        instance_id=str(instance.pk),
    )


def _load(instance: ProcessInstance) -> Any:
    try:
        return engine.workflow_load(instance.state)
    except engine.EngineError as exc:
        raise _failed(instance, exc) from exc


def _save_state(
    instance: ProcessInstance, workflow: Any, now: dt.datetime, *, gone_lapsed: bool = False
) -> bool:
    """Store the workflow, its timers and its work list; True when the process just ended.
    ``gone_lapsed``: the open tasks that leave the work list now were taken away by a timer
    (``procedures_tick``: nobody completed them), and are kept as ``ProcessTaskLapse`` rows."""
    instance.state = engine.workflow_dump(workflow)
    instance.next_timer_at = engine.next_timer_at(workflow)
    instance.updated_at = now
    fields = ["state", "next_timer_at", "updated_at"]
    completed = engine.is_completed(workflow)
    if completed:
        _move(instance, InstanceStatus.COMPLETED)
        instance.completed_at = now
        instance.next_timer_at = None
        fields += ["status", "completed_at"]
    instance.save(update_fields=fields)

    tasks = [] if completed else engine.open_tasks(workflow)
    wanted = {uuid.UUID(t.task_id): t for t in tasks}
    gone = ProcessTask.objects.filter(instance=instance).exclude(task_id__in=list(wanted))
    if gone_lapsed:
        _lapses_keep(instance, list(gone), now)
    gone.delete()
    kept = set(ProcessTask.objects.filter(instance=instance).values_list("task_id", flat=True))
    new = [(task_id, task) for task_id, task in wanted.items() if task_id not in kept]
    parties = parties_of_instance(instance) if new else {}
    documents = (
        bpmn_facts.facts(instance.definition.sha256, instance.definition.bpmn_xml).documents if new else {}
    )
    rows = []
    for task_id, task in new:
        lane = lane_or_none(task.lane)
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
    if completed:
        record(EventType.PROCEDURE_COMPLETED, actor=None, target=instance, data={"key": _key(instance)})
    return completed


def _lapses_keep(instance: ProcessInstance, gone: list[ProcessTask], now: dt.datetime) -> None:
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


def _json_list(items: list[str]) -> list[JSONValue]:
    values: list[JSONValue] = []
    values.extend(items)
    return values


def _key(instance: ProcessInstance) -> str:
    return str(instance.definition.key)


@transaction.atomic
def instance_start(
    *,
    definition: ProcessDefinition,
    agency: Agency,
    actor: Person | str,
    data: JSONObject | None = None,
    title: str = "",
    business_key: str = "",
    parties: Mapping[str, str] | None = None,
    parent: ProcessInstance | None = None,
    application: Application | None = None,
) -> ProcessInstance:
    """Start the active version of a process in ``agency`` with ``data`` as its first data.

    ``parties`` names the agency of every party the process's lanes name (``lanes.py``): party
    name → agency code here, or ``code@node`` for an agency of a trusted node; a missing or
    unknown party or a wrong address is refused (``PartiesInvalidError``). A person must be an
    official of ``agency`` and, when the start event is drawn in a lane, hold that lane's role
    where the lane's people are (the agency, or the lane's party's agency here); a string names
    a system actor (set-up, an agency system).
    """
    definition = ProcessDefinition.objects.get(pk=definition.pk)
    if not definition.is_active:
        raise DefinitionInactiveError(
            _("version %(version)d of '%(key)s' was replaced; start the active version")
            % {"version": definition.version, "key": definition.key},
            definition_id=str(definition.pk),
        )
    parsed = parsed_definition(definition.sha256, definition.bpmn_xml)
    chosen = parties_resolve(parsed, parties)
    by_key = {p.key: p for p in chosen}
    if isinstance(actor, Person):
        allowed = agency.pk in agency_ids_of(person=actor)
        for name in parsed.start_lanes:
            lane = lane_or_none(name)
            where, _party = lane_agency(agency, lane, by_key)
            allowed = allowed and (
                lane is not None
                and where is not None
                and has_role(person=actor, role=lane.role, agency=where)
            )
        if not allowed:
            raise NotAllowedToStartError(
                _("you may not start '%(name)s' in %(agency)s")
                % {"name": definition.name, "agency": agency.name},
                definition_id=str(definition.pk),
                agency_id=str(agency.pk),
                person_id=str(actor.pk),
            )
    clean = _clean_data(data)
    now = clock.now()
    try:
        workflow = engine.workflow_new(parsed, clean)
    except engine.EngineError as exc:
        raise ProcessStepFailedError(
            _("the process cannot start: %(reason)s") % {"reason": str(exc)}
        ) from exc
    instance = ProcessInstance.objects.create(
        definition=definition,
        agency=agency,
        title=title[:TITLE_MAX_LENGTH],
        business_key=business_key[:100],
        state="",
        started_by=actor if isinstance(actor, Person) else None,
        parent=parent,
        application=application,
        started_at=now,
        updated_at=now,
    )
    for party in chosen:
        party.instance = instance
    ProcessParty.objects.bulk_create(chosen)
    party_addresses: dict[str, JSONValue] = {p.name: p.address for p in chosen}
    record(
        EventType.PROCEDURE_STARTED,
        actor=actor,
        target=instance,
        data={
            "key": definition.key,
            "version": definition.version,
            "agency": agency.code,
            "title": instance.title,
            "business_key": instance.business_key,
            "data_keys": _json_list(sorted(clean)),
            "parties": party_addresses,
            "parent": str(parent.pk) if parent is not None else None,
            "application": application.receipt_number if application is not None else None,
        },
    )
    _save_state(instance, workflow, now)
    return instance


@dataclass(frozen=True)
class OpenTaskHere:
    """An open task of a locked instance, with the lane it is drawn in and where its people are."""

    instance: ProcessInstance
    workflow: Any
    task: engine.OpenTask
    lane: Lane
    where: Agency
    party: ProcessParty | None


def task_open(instance: ProcessInstance, task_id: str) -> tuple[Any, engine.OpenTask]:
    workflow = _load(instance)
    task = engine.open_task(workflow, task_id)
    if task is None:
        raise TaskNotOpenError(
            _("this task is not waiting for anyone (it may have just been completed)"),
            instance_id=str(instance.pk),
            task_id=str(task_id),
        )
    return workflow, task


def task_for_actor(
    *, instance: ProcessInstance, task_id: str, actor: Person, drafting: bool = False
) -> OpenTaskHere:
    """Lock ``instance`` and return its open task ``task_id`` if ``actor`` holds the role of the
    task's lane where the lane's people are (the instance's agency, or the agency of the lane's
    party); refused otherwise, and for a task of a party on another node (completed there).
    ``drafting``: the task's document is drafted, by any official there (the lane's role gives
    its final approval). Call inside a transaction."""
    instance = instance_lock(instance.pk)
    require_running(instance)
    workflow, task = task_open(instance, task_id)
    lane = lane_or_none(task.lane)
    where, party = lane_agency(instance.agency, lane, parties_of_instance(instance))
    if party is not None and where is None:
        raise TaskOnOtherNodeError(
            _("the task '%(task)s' is waiting for %(party)s on %(node)s: it is completed there")
            % {"task": task.title, "party": party.name, "node": party.remote_node},
            instance_id=str(instance.pk),
            task_id=task.task_id,
        )
    if drafting:
        allowed = where is not None and where.pk in agency_ids_of(person=actor)
    else:
        allowed = (
            lane is not None and where is not None and has_role(person=actor, role=lane.role, agency=where)
        )
    if drafting and not allowed and where is not None:
        raise NotYourTaskError(
            _("the document of the task '%(task)s' is drafted by an official of %(agency)s")
            % {"task": task.title, "agency": where.name},
            instance_id=str(instance.pk),
            task_id=task.task_id,
            person_id=str(actor.pk),
        )
    if not allowed or lane is None or where is None:
        raise NotYourTaskError(
            _("the task '%(task)s' is for the %(role)s of %(agency)s")
            % {
                "task": task.title,
                "role": role_in_sentence(lane.role) if lane is not None else "?",
                "agency": where.name if where is not None else "?",
            },
            instance_id=str(instance.pk),
            task_id=task.task_id,
            person_id=str(actor.pk),
        )
    return OpenTaskHere(instance, workflow, task, lane, where, party)


def task_done(
    *,
    instance: ProcessInstance,
    workflow: Any,
    task: engine.OpenTask,
    data: dict[str, Any],
    actor: Person | None,
    where: Agency | None,
    party: ProcessParty | None,
) -> ProcessStep:
    """Run an open task of a locked ``instance`` with ``data``, keep the step and its audit
    event and save the instance, in the caller's transaction. ``actor`` None and ``where`` None:
    the task's ``party``, on another node, completed it there (what it sent back says so)."""
    try:
        engine.task_run(workflow, task.task_id, data)
    except engine.EngineError as exc:
        raise _failed(instance, exc) from exc
    now = clock.now()
    lane = lane_or_none(task.lane)
    elsewhere = party.address if party is not None and where is None else ""
    # When the task became ready is its work-list row's ``since`` (None only if the work list
    # missed the task, which ``_save_state`` never lets happen).
    ready_at = (
        ProcessTask.objects.filter(instance=instance, task_id=task.task_id)
        .values_list("since", flat=True)
        .first()
    )
    step = ProcessStep.objects.create(
        instance=instance,
        task_id=uuid.UUID(task.task_id),
        spec_name=task.spec_name[:200],
        title=task.title[:TITLE_MAX_LENGTH],
        lane=task.lane or "",
        role=str(lane.role) if lane is not None else "",
        party=party.name if party is not None else "",
        agency=where,
        completed_by=actor,
        completed_elsewhere=elsewhere,
        ready_at=ready_at,
        completed_at=now,
        data=data,
    )
    record(
        EventType.PROCEDURE_TASK_COMPLETED,
        actor=actor,
        target=instance,
        data={
            "task_id": task.task_id,
            "task": task.spec_name,
            "role": str(lane.role) if lane is not None else "",
            "party": party.name if party is not None else "",
            "agency": where.code if where is not None else elsewhere,
            "step_id": step.pk,
        },
    )
    _children_start(instance, task, data)
    _save_state(instance, workflow, now)
    return step


def _children_start(instance: ProcessInstance, task: engine.OpenTask, data: dict[str, Any]) -> None:
    """The procedures the task starts (``govdoc:start``): one instance of the active version of
    the named process per title in ``data[each]``, in the party's agency here (or the
    instance's), started by the procedure itself; refused, with nothing written, when that
    process is not installed or the party is on another node."""
    definition = instance.definition
    start = bpmn_facts.facts(definition.sha256, definition.bpmn_xml).starts.get(task.spec_name)
    if start is None:
        return
    titles = [str(t).strip() for t in data.get(start.each) or [] if str(t).strip()]
    if not titles:
        return
    child = ProcessDefinition.objects.filter(key=start.process, is_active=True).first()
    if child is None:
        raise ProcessStepFailedError(
            _("the task starts the procedure '%(key)s', which is not installed") % {"key": start.process},
            instance_id=str(instance.pk),
        )
    agency = instance.agency
    if start.party:
        party = parties_of_instance(instance).get(party_key(start.party))
        if party is None or party.agency is None:
            raise ProcessStepFailedError(
                _("the task starts procedures for %(party)s, which is on another node")
                % {"party": start.party},
                instance_id=str(instance.pk),
            )
        agency = party.agency
    prefix = instance.business_key or f"{definition.key}-{str(instance.pk)[:8]}"
    done = ProcessInstance.objects.filter(parent=instance).count()
    for n, title in enumerate(titles, start=done + 1):
        instance_start(
            definition=child,
            agency=agency,
            actor=f"procedure:{instance.pk}",
            title=title,
            business_key=f"{prefix}/{n}",
            parent=instance,
        )


@transaction.atomic
def task_complete(
    *, instance: ProcessInstance, task_id: str, actor: Person, data: JSONObject | None = None
) -> ProcessStep:
    """Complete an open task of ``instance`` as ``actor``, who must hold the role of the task's
    lane where the lane's people are: the instance's agency, or the agency of the lane's party.
    A task of a party on another node is completed there (``TaskOnOtherNodeError``); a task that
    produces a document completes when its document is sent (``TaskWaitsForDocumentError``).
    ``data`` goes into the process data the next conditions read."""
    as_uuid = _uuid_or_none(task_id)
    listed = (
        ProcessTask.objects.filter(instance_id=instance.pk, task_id=as_uuid).first()
        if as_uuid is not None
        else None
    )
    if listed is not None and listed.document:  # said to anyone who sees it: no one ticks it off
        raise TaskWaitsForDocumentError(
            _("the task '%(task)s' is completed when its document is approved and sent")
            % {"task": listed.title},
            instance_id=str(instance.pk),
            task_id=str(task_id),
        )
    found = task_for_actor(instance=instance, task_id=task_id, actor=actor)
    if application_steps(found.instance, found.task.spec_name):
        raise TaskDoneOnApplicationError(
            _("the task '%(task)s' is done on the page of the application it handles")
            % {"task": found.task.title},
            instance_id=str(found.instance.pk),
            task_id=found.task.task_id,
        )
    if document_spec(found.instance, found.task.spec_name) is not None:
        raise TaskWaitsForDocumentError(
            _("the task '%(task)s' is completed when its document is approved and sent")
            % {"task": found.task.title},
            instance_id=str(found.instance.pk),
            task_id=found.task.task_id,
        )
    return task_done(
        instance=found.instance,
        workflow=found.workflow,
        task=found.task,
        data=_clean_data(data),
        actor=actor,
        where=found.where,
        party=found.party,
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def document_spec(instance: ProcessInstance, spec_name: str) -> bpmn_facts.DocumentSpec | None:
    """The document the task ``spec_name`` of ``instance``'s process produces, if any."""
    definition = instance.definition
    return bpmn_facts.facts(definition.sha256, definition.bpmn_xml).documents.get(spec_name)


def application_steps(instance: ProcessInstance, spec_name: str) -> tuple[str, ...]:
    """The steps of the handled application the task ``spec_name`` waits for (none: an
    ordinary task)."""
    definition = instance.definition
    return bpmn_facts.facts(definition.sha256, definition.bpmn_xml).awaits.get(spec_name, ())


@transaction.atomic
def instance_cancel(*, instance: ProcessInstance, actor: Person | str, reason: str) -> ProcessInstance:
    """Stop a running instance for good (the head of the agency or an administrator)."""
    instance = instance_lock(instance.pk)
    require_running(instance)
    if isinstance(actor, Person) and not any(
        has_role(person=actor, role=role, agency=instance.agency) for role in CANCEL_ROLES
    ):
        raise NotAllowedToCancelError(
            _("only the head of the agency or an administrator may cancel a process"),
            instance_id=str(instance.pk),
            person_id=str(actor.pk),
        )
    if not reason.strip():
        raise InvalidProcessDataError(_("say why the process is cancelled"), errors={"reason": _("required")})
    now = clock.now()
    _move(instance, InstanceStatus.CANCELLED)
    instance.cancelled_at, instance.cancel_reason, instance.updated_at = now, reason.strip()[:500], now
    instance.next_timer_at = None
    instance.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at", "next_timer_at"])
    ProcessTask.objects.filter(instance=instance).delete()
    record(
        EventType.PROCEDURE_CANCELLED, actor=actor, target=instance, data={"reason": instance.cancel_reason}
    )
    return instance


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
    workflow = _load(instance)
    try:
        fired = engine.timers_refresh(workflow)
    except engine.EngineError as exc:
        raise _failed(instance, exc) from exc
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
        data: JSONObject = {"timers": _json_list(fired)}
        if taken:
            data["taken_away"] = _json_list(taken)
        record(EventType.PROCEDURE_TIMER_FIRED, actor=None, target=instance, data=data)
    if instance.timer_failures:
        instance.timer_failures = 0
        instance.save(update_fields=["timer_failures"])
    _save_state(instance, workflow, now, gone_lapsed=True)
    return bool(fired)
