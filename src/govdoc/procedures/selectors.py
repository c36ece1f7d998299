"""Reads of the procedures domain: definitions, instances, their history and work lists."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import agency_ids_of, memberships_current
from govdoc.distribution.constants import DRAFTER_ROLES, OutgoingStatus
from govdoc.distribution.models import Delivery
from govdoc.procedures import bpmn_facts, lanes
from govdoc.procedures.constants import LANE_ROLES, InstanceStatus
from govdoc.procedures.drawn_names import name_shown
from govdoc.procedures.errors import DefinitionNotFoundError, InstanceNotFoundError
from govdoc.procedures.lanes import lane_or_none
from govdoc.procedures.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessParty,
    ProcessStep,
    ProcessTask,
    RemoteTask,
    TaskDocument,
)


def tasks_for(*, person: Person) -> QuerySet[ProcessTask]:
    """The open user and manual tasks of running processes that ``person`` may complete: those
    whose lane's role the person holds today in the agency the task is for (the process's
    agency, or the agency of the lane's party), and the tasks that produce a document in an
    agency where the person drafts (any drafter prepares it; its approval line ends with whom
    the BPMN file names). Two queries, however long the list."""
    current = list(memberships_current(person=person))
    held = {(m.unit.agency_id, m.role) for m in current if m.role in LANE_ROLES}
    drafts = {m.unit.agency_id for m in current if m.role in DRAFTER_ROLES}
    if not held and not drafts:
        return ProcessTask.objects.none()
    where = Q(document=True, agency_id__in=drafts) if drafts else Q()
    for agency_id, role in held:
        where |= Q(agency_id=agency_id, role=role)
    return (
        ProcessTask.objects.filter(where, instance__status=InstanceStatus.RUNNING)
        .select_related("instance", "instance__definition", "instance__agency")
        .order_by("since", "id")
    )


def definitions_active() -> QuerySet[ProcessDefinition]:
    return ProcessDefinition.objects.filter(is_active=True).order_by("key")


def definition_active(*, key: str) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(key=key, is_active=True).first()
    if definition is None:
        raise DefinitionNotFoundError(f"no active process definition '{key}'", key=key)
    return definition


def definition_versions(*, key: str) -> QuerySet[ProcessDefinition]:
    return ProcessDefinition.objects.filter(key=key).order_by("-version")


def instance_get(instance_id: uuid.UUID | str) -> ProcessInstance:
    try:
        instance = (
            ProcessInstance.objects.select_related("definition", "agency").filter(pk=instance_id).first()
        )
    except (ValueError, ValidationError):
        instance = None
    if instance is None:
        raise InstanceNotFoundError(_("no such procedure"), instance_id=str(instance_id))
    return instance


def instance_steps(*, instance: ProcessInstance) -> QuerySet[ProcessStep]:
    """What people did in the instance, oldest first."""
    return (
        ProcessStep.objects.filter(instance=instance)
        .select_related("completed_by")
        .order_by("completed_at", "id")
    )


def instance_open_tasks(*, instance: ProcessInstance) -> QuerySet[ProcessTask]:
    """The tasks the instance waits for, here and (``ProcessTask.waiting_for``) on other nodes."""
    return ProcessTask.objects.filter(instance=instance).select_related("agency").order_by("since", "id")


def instance_parties(*, instance: ProcessInstance) -> QuerySet[ProcessParty]:
    """The organizations that work the instance's party lanes, by name."""
    return ProcessParty.objects.filter(instance=instance).select_related("agency").order_by("name")


# ------------------------------------------------------------ for the officials' pages


def _facts(definition: ProcessDefinition) -> bpmn_facts.BpmnFacts:
    return bpmn_facts.facts(definition.sha256, definition.bpmn_xml)


def task_fields(*, task: ProcessTask) -> tuple[bpmn_facts.DataField, ...]:
    """The process data a person gives when completing ``task``: what the conditions of the
    exclusive gateway right after it test (the rule is in ``bpmn_facts``)."""
    return _facts(task.instance.definition).fields.get(task.spec_name, ())


def task_application_steps(*, task: ProcessTask) -> tuple[str, ...]:
    """The steps of the handled application ``task`` waits for (none: an ordinary task)."""
    return _facts(task.instance.definition).awaits.get(task.spec_name, ())


def task_deadline(*, task: ProcessTask) -> dt.datetime | None:
    """When the earliest timer drawn on the task's border fires (the task may be taken away or
    escalated then); None when no timer is drawn there."""
    timers = _facts(task.instance.definition).timers.get(task.spec_name, ())
    due = [when for when in (bpmn_facts.timer_due(t, task.since) for t in timers) if when is not None]
    return min(due) if due else None


def task_open(*, instance: ProcessInstance, task_id: uuid.UUID | str) -> ProcessTask | None:
    """One open task of ``instance`` as the work list stores it (None: not open, or no such id)."""
    try:
        return (
            ProcessTask.objects.select_related("instance", "instance__definition", "instance__agency")
            .filter(instance=instance, task_id=task_id)
            .first()
        )
    except (ValueError, ValidationError):
        return None


def _of_agencies(agency_ids: set[object]) -> Q:
    return Q(agency_id__in=agency_ids) | Q(parties__agency_id__in=agency_ids)


def instance_visible_to(*, instance: ProcessInstance, agency_ids: set[object]) -> bool:
    """Whether officials of these agencies see ``instance``: it runs in one of them, or one of
    them is one of its parties (whose people work its lanes)."""
    return ProcessInstance.objects.filter(_of_agencies(agency_ids), pk=instance.pk).exists()


def instances_of_agencies(
    *, agency_ids: set[object], key: str = "", status: str = ""
) -> QuerySet[ProcessInstance]:
    """The instances these agencies run or take part in (``instance_visible_to``), newest
    first, optionally of one process and status, with their open tasks (three queries however
    many)."""
    qs = ProcessInstance.objects.filter(_of_agencies(agency_ids)).distinct()
    if key:
        qs = qs.filter(definition__key=key)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("definition", "agency", "started_by")
        .prefetch_related("open_tasks")
        .order_by("-started_at", "id")
    )


def definitions_all() -> QuerySet[ProcessDefinition]:
    """Every version of every process, by key, newest version first (without the files)."""
    return (
        ProcessDefinition.objects.select_related("uploaded_by").defer("bpmn_xml").order_by("key", "-version")
    )


def definition_parties(*, definition: ProcessDefinition) -> list[str]:
    """The parties the process's lanes name (``lanes.py``), each once, as first drawn: the
    organizations a person starting it says (``instance_start(parties=...)``)."""
    found: dict[str, str] = {}
    for name in _facts(definition).lanes:
        lane = lane_or_none(name)  # a malformed lane was refused when the file was loaded
        if lane is not None and lane.party:
            found.setdefault(lane.party_key, lane.party)
    return list(found.values())


def definition_start_roles(*, definition: ProcessDefinition) -> set[Role]:
    """The roles a person needs to start the process (the lanes of its start events); empty
    when its start events are in no lane (any official of the agency may start it)."""
    lanes = (lane_or_none(name) for name in _facts(definition).start_lanes if name)
    return {lane.role for lane in lanes if lane is not None}


def definitions_startable(*, person: Person, agency_ids: set[object]) -> list[ProcessDefinition]:
    """The active processes ``person`` may start in one of these agencies, as ``instance_start``
    decides it (which still decides: this only spares a form that would be refused)."""
    held = {m.role for m in memberships_current(person=person) if m.unit.agency_id in agency_ids}
    if not held:
        return []
    return [d for d in definitions_active() if definition_start_roles(definition=d) <= held]


def instance_data(*, instance: ProcessInstance) -> dict[str, object]:
    """The process data people gave at the completed steps, later values over earlier ones."""
    merged: dict[str, object] = {}
    for data in (
        ProcessStep.objects.filter(instance=instance)
        .order_by("completed_at", "id")
        .values_list("data", flat=True)
    ):
        if isinstance(data, dict):
            merged.update(data)
    return merged


def element_names(*, definition: ProcessDefinition) -> dict[str, str]:
    """BPMN element id -> its drawn name (the id when it has none)."""
    return dict(_facts(definition).names)


def task_document_spec(*, task: ProcessTask) -> bpmn_facts.DocumentSpec | None:
    """The document ``task`` produces (``govdoc:draft`` / ``govdoc:countersign``), if any."""
    return _facts(task.instance.definition).documents.get(task.spec_name)


def task_documents(
    *, instance: ProcessInstance, task_id: uuid.UUID | str | None = None
) -> QuerySet[TaskDocument]:
    """The documents the instance's tasks drafted or received (of one task, if given), oldest
    first, with their outgoing documents and registry entries."""
    found = TaskDocument.objects.filter(instance=instance).select_related(
        "outgoing__registry_entry", "outgoing__document", "answer__arrival"
    )
    return found.filter(task_id=task_id) if task_id is not None else found


def countersign_source(instance: ProcessInstance, spec: bpmn_facts.DocumentSpec) -> TaskDocument | None:
    """The sent document of the task a ``govdoc:countersign`` names (its latest), if any."""
    return (
        TaskDocument.objects.filter(
            instance=instance, spec_name=spec.source, outgoing__status=OutgoingStatus.SENT
        )
        .select_related("outgoing")
        .order_by("-created_at", "-id")
        .first()
    )


def countersign_delivery(
    instance: ProcessInstance, spec: bpmn_facts.DocumentSpec, agency_id: uuid.UUID
) -> Delivery | None:
    """The copy of that document the countersigning party's agency (here) received."""
    source = countersign_source(instance, spec)
    if source is None:
        return None
    return Delivery.objects.filter(outgoing=source.outgoing, agency_id=agency_id).first()


def document_recipients(*, instance: ProcessInstance, spec: bpmn_facts.DocumentSpec) -> list[str]:
    """Whom a ``govdoc:draft`` document goes to, as a person reads it: "party: agency"."""
    parties = {p.key: p for p in ProcessParty.objects.filter(instance=instance).select_related("agency")}
    out = []
    for name in spec.to:
        party = parties.get(lanes.party_key(name))
        if party is not None:
            where = party.agency.name if party.agency is not None else party.address
            out.append(f"{name_shown(party.name)[0]}: {where}")
    return out


def instances_related(*, instance: ProcessInstance) -> list[ProcessInstance]:
    """The procedure that started ``instance`` (``govdoc:start``) and those it started."""
    related = ProcessInstance.objects.select_related("definition", "agency")
    parent = [related.get(pk=instance.parent_id)] if instance.parent_id is not None else []
    return parent + list(related.filter(parent=instance).order_by("started_at", "business_key"))


def instance_for(*, person: Person, instance_id: uuid.UUID | str) -> ProcessInstance:
    """The instance, if an agency ``person`` works in runs it or is one of its parties;
    ``InstanceNotFoundError`` otherwise (as if it did not exist)."""
    instance = instance_get(instance_id)
    if not instance_visible_to(instance=instance, agency_ids=agency_ids_of(person=person)):
        raise InstanceNotFoundError(_("no such procedure"), instance_id=str(instance_id))
    return instance


# ------------------------------------------------------------ applications handled by a procedure


@dataclass(frozen=True)
class HandlingTask:
    """An open task of the procedure that handles an application, as its page shows it."""

    task: ProcessTask
    steps: tuple[str, ...]  # the application's steps it waits for (none: done in the work list)

    @property
    def on_application(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class Handling:
    instance: ProcessInstance
    tasks: list[HandlingTask]

    def waits_for(self, step: str) -> bool:
        return any(step in t.steps for t in self.tasks)

    @property
    def waits_for_review(self) -> bool:
        return self.waits_for("reviewed")


def handling_of(*, application_id: uuid.UUID | str) -> Handling | None:
    """The procedure that handles the application (the newest, if any) and what it waits for.
    The caller has checked that the viewer may see the application."""
    instance = (
        ProcessInstance.objects.filter(application_id=application_id).select_related("definition").first()
    )
    if instance is None:
        return None
    awaits = _facts(instance.definition).awaits
    tasks = [
        HandlingTask(task=t, steps=awaits.get(t.spec_name, ()))
        for t in instance_open_tasks(instance=instance).select_related("instance__definition")
    ]
    return Handling(instance=instance, tasks=tasks)


# ------------------------------------------------------------ tasks of procedures on other nodes


def remote_tasks_for(*, person: Person) -> QuerySet[RemoteTask]:
    """The open tasks that procedures on other nodes ask of an agency here, for whoever holds
    the task's lane's role there today."""
    held = {(m.unit.agency_id, m.role) for m in memberships_current(person=person) if m.role in LANE_ROLES}
    if not held:
        return RemoteTask.objects.none()
    where = Q()
    for agency_id, role in held:
        where |= Q(agency_id=agency_id, role=role)
    return (
        RemoteTask.objects.filter(where, status=RemoteTask.Status.OPEN)
        .select_related("agency")
        .order_by("since", "id")
    )


def remote_task_for(*, person: Person, task_id: int | str) -> RemoteTask:
    """One task of a procedure on another node, for an official of the agency it is for (done
    ones too, to read); refused as not found otherwise."""
    agencies = agency_ids_of(person=person)
    found = (
        RemoteTask.objects.filter(pk=int(task_id) if str(task_id).isdigit() else -1, agency_id__in=agencies)
        .select_related("agency", "completed_by")
        .first()
    )
    if found is None:
        raise InstanceNotFoundError(_("no such task"), task_id=str(task_id))
    return found
