"""Starting a process, completing its tasks, cancelling it (its timers: ``timers``).

Every move of an instance locks its row, loads the workflow from the stored state (with the
safe engine, ``engine.workflow_load``), moves it, and saves the new state, the work list, the
step row and the audit events in that one transaction: two people completing tasks of one
instance at once take turns, and the second sees the first's result.
"""

from __future__ import annotations

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
    TITLE_MAX_LENGTH,
    InstanceStatus,
)
from govdoc.procedures.errors import (
    DefinitionInactiveError,
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
)
from govdoc.procedures.services import relay
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.services.parties import lane_agency, parties_of_instance, parties_resolve
from govdoc.procedures.services.state import (
    clean_data,
    instance_lock,
    json_list,
    require_running,
    state_save,
    status_move,
    step_failed,
    workflow_of,
)

# Who may cancel a running instance of their agency.
CANCEL_ROLES = frozenset({Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR})


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
    clean = clean_data(data)
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
            "data_keys": json_list(sorted(clean)),
            "parties": party_addresses,
            "parent": str(parent.pk) if parent is not None else None,
            "application": application.receipt_number if application is not None else None,
        },
    )
    state_save(instance, workflow, now)
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
    workflow = workflow_of(instance)
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
    parties = parties_of_instance(instance) if lane is not None and lane.party else {}
    where, party = lane_agency(instance.agency, lane, parties)
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
        raise step_failed(instance, exc) from exc
    now = clock.now()
    lane = lane_or_none(task.lane)
    elsewhere = party.address if party is not None and where is None else ""
    # When the task became ready is its work-list row's ``since`` (None only if the work list
    # missed the task, which ``state_save`` never lets happen).
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
    state_save(instance, workflow, now, done=task.task_id)
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
        data=clean_data(data),
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
    status_move(instance, InstanceStatus.CANCELLED)
    instance.cancelled_at, instance.cancel_reason, instance.updated_at = now, reason.strip()[:500], now
    instance.next_timer_at = None
    instance.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at", "next_timer_at"])
    open_rows = ProcessTask.objects.filter(instance=instance)
    relay.tasks_withdraw(
        instance, [t for t in open_rows if t.remote and not t.document], reason=instance.cancel_reason
    )
    open_rows.delete()
    record(
        EventType.PROCEDURE_CANCELLED, actor=actor, target=instance, data={"reason": instance.cancel_reason}
    )
    return instance
