"""Reads of the procedures domain: definitions, instances, their history and work lists."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.procedures.constants import LANE_ROLES, InstanceStatus
from govdoc.procedures.errors import DefinitionNotFoundError, InstanceNotFoundError
from govdoc.procedures.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessParty,
    ProcessStep,
    ProcessTask,
)


def tasks_for(*, person: Person) -> QuerySet[ProcessTask]:
    """The open user and manual tasks of running processes that ``person`` may complete: those
    whose lane's role the person holds today in the agency the task is for (the process's
    agency, or the agency of the lane's party). Two queries, however long the list."""
    held = {(m.unit.agency_id, m.role) for m in memberships_current(person=person) if m.role in LANE_ROLES}
    if not held:
        return ProcessTask.objects.none()
    where = Q()
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
        raise InstanceNotFoundError(f"no process instance {instance_id}", instance_id=str(instance_id))
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
