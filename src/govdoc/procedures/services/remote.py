"""Tasks of procedures that run on another node, for a party that is an agency here, and the
results of this node's parties' tasks coming back (docs/procedures.md, "Parties on other
nodes"). Messages arrive through ``distribution.signals.message_received`` in the transaction
that keeps them: a malformed one is refused (``MessageRefused``), and nothing is kept.

- ``procedure.task-open`` (here, the party's node): the task is kept as a ``RemoteTask`` for
  whoever holds its lane's role in the agency; ``remote_task_complete`` records the result and
  sends it back (``procedure.task-done``);
- ``procedure.task-withdrawn``: the task no longer waits (a timer took it away, the procedure
  was cancelled or went on);
- ``procedure.task-done`` (here, the procedure's node): the open task of the party that sent it
  completes with the data it gives, as completed by that party elsewhere.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role, role_in_sentence
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import has_role
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.distribution.messages import MessageRefused, message_send
from govdoc.procedures import bpmn_facts, engine
from govdoc.procedures.constants import TITLE_MAX_LENGTH, InstanceStatus
from govdoc.procedures.errors import (
    InvalidProcessDataError,
    NotYourTaskError,
    ProcessStepFailedError,
    TaskNotOpenError,
)
from govdoc.procedures.lanes import lane_or_none
from govdoc.procedures.models import ProcessInstance, ProcessTask, RemoteTask
from govdoc.procedures.services.instances import task_done
from govdoc.procedures.services.parties import lane_agency, parties_of_instance
from govdoc.procedures.services.relay import TASK_DONE, TASK_OPEN, TASK_WITHDRAWN, field_json
from govdoc.procedures.services.state import clean_data, instance_lock, workflow_of

FIELD_KINDS = frozenset({"choice", "flag", "items", "number", "lines"})


def on_message_received(
    sender: Any,
    *,
    kind: str,
    content: dict[str, Any],
    sender_address: str,
    recipient_agency: str,
    message_id: str,
    **kwargs: Any,
) -> bool:
    if kind == TASK_OPEN:
        _task_open(content, sender_address, recipient_agency)
    elif kind == TASK_WITHDRAWN:
        _task_withdrawn(content, sender_address)
    elif kind == TASK_DONE:
        _task_done_elsewhere(content, sender_address, recipient_agency)
    else:
        return False
    return True


def _text(content: dict[str, Any], key: str, *, limit: int, required: bool = True) -> str:
    value = content.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise MessageRefused("task-invalid", f"'{key}' must be text of at most {limit} characters")
    return value


def _uuid(content: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(content.get(key)))
    except ValueError:
        raise MessageRefused("task-invalid", f"'{key}' must be a UUID") from None


def _moment(value: object, key: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise MessageRefused("task-invalid", f"'{key}' must be an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise MessageRefused("task-invalid", f"'{key}' must name its time zone")
    return moment


def _choice_ok(choice: object) -> bool:
    return (
        isinstance(choice, list)
        and len(choice) == 2
        and isinstance(choice[1], str)
        and isinstance(choice[0], str | int | float | bool)
    )


def fields_of(raw: object) -> tuple[bpmn_facts.DataField, ...]:
    """The fields a task asks for, as its node described them (refused when malformed)."""
    if not isinstance(raw, list) or len(raw) > 50:
        raise MessageRefused("task-invalid", "'fields' must be a list of at most 50 fields")
    fields = []
    for item in raw:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and item.get("kind") in FIELD_KINDS
            and isinstance(item.get("label", ""), str)
            and isinstance(item.get("choices", []), list)
            and all(_choice_ok(c) for c in item.get("choices", []))
        )
        if not ok:
            raise MessageRefused(
                "task-invalid", "a field needs a name, a kind, a label and [value, label] choices"
            )
        fields.append(
            bpmn_facts.DataField(
                name=item["name"],
                kind=item["kind"],
                choices=tuple((c[0], c[1]) for c in item.get("choices", [])),
                label=item.get("label", ""),
            )
        )
    return tuple(fields)


def _task_open(content: dict[str, Any], origin: str, agency_code: str) -> None:
    role = _text(content, "role", limit=32)
    if role not in Role.values:
        raise MessageRefused("task-invalid", f"'{role}' is not a role GovDoc knows")
    fields = fields_of(content.get("fields", []))
    agency = Agency.objects.get(code=agency_code)
    task, created = RemoteTask.objects.get_or_create(
        origin=origin,
        origin_task=_uuid(content, "task"),
        defaults={
            "origin_instance": _uuid(content, "instance"),
            "procedure": _text(content, "procedure", limit=200),
            "instance_title": _text(content, "instance_title", limit=TITLE_MAX_LENGTH, required=False),
            "business_key": _text(content, "business_key", limit=100, required=False),
            "spec_name": _text(content, "spec_name", limit=200),
            "title": _text(content, "title", limit=TITLE_MAX_LENGTH),
            "lane": _text(content, "lane", limit=200, required=False),
            "role": role,
            "party": _text(content, "party", limit=200, required=False),
            "agency": agency,
            "fields": [field_json(f) for f in fields],
            "deadline": _moment(content.get("deadline"), "deadline"),
            "since": clock.now(),
        },
    )
    if created:
        record(
            EventType.PROCEDURE_REMOTE_TASK_RECEIVED,
            actor="federation",
            target=task,
            data={"origin": origin, "task": task.spec_name, "role": role, "agency": agency.code},
        )


def _task_withdrawn(content: dict[str, Any], origin: str) -> None:
    task = (
        RemoteTask.objects.select_for_update()
        .filter(origin=origin, origin_task=_uuid(content, "task"), status=RemoteTask.Status.OPEN)
        .first()
    )
    if task is None:  # done here already, or never heard of: nothing waits
        return
    task.status = RemoteTask.Status.WITHDRAWN
    task.withdrawn_reason = str(content.get("reason") or "")[:500]
    task.save(update_fields=["status", "withdrawn_reason"])
    record(
        EventType.PROCEDURE_REMOTE_TASK_WITHDRAWN,
        actor="federation",
        target=task,
        data={"origin": origin, "reason": task.withdrawn_reason},
    )


def data_problems(fields: tuple[bpmn_facts.DataField, ...], data: dict[str, Any]) -> list[str]:
    """What in ``data`` the task's ``fields`` do not allow (the values a person could give on
    the task's page); ``comment`` and ``done_by`` are free text."""
    problems = []
    for field in fields:
        value = data.get(field.name)
        allowed = {v for v, _label in field.choices}
        if field.kind == "flag":
            ok = isinstance(value, bool)
        elif field.kind == "choice":
            ok = value in allowed
        elif field.kind == "items":
            ok = isinstance(value, list) and all(v in allowed for v in value)
        elif field.kind == "lines":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            problems.append(field.name)
    known = {f.name for f in fields} | {"comment", "done_by"}
    problems.extend(sorted(set(data) - known))
    return problems


def _task_done_elsewhere(content: dict[str, Any], sender: str, agency_code: str) -> None:
    """The result of a task of this node's procedure, from the party's node."""
    instance_id, task_id = _uuid(content, "instance"), _uuid(content, "task")
    if not ProcessInstance.objects.filter(pk=instance_id, agency__code=agency_code).exists():
        raise MessageRefused("task-unknown", "no procedure of the recipient agency has this id")
    instance = instance_lock(instance_id)
    row = ProcessTask.objects.filter(instance=instance, task_id=task_id).first()
    if instance.status != InstanceStatus.RUNNING or row is None:
        return  # completed, withdrawn or cancelled meanwhile: the result changes nothing
    if row.remote != sender:
        raise MessageRefused("not-the-party", f"the task waits for {row.remote or 'this node'}, not {sender}")
    data = content.get("data")
    if not isinstance(data, dict):
        raise MessageRefused("task-data-invalid", "'data' must be an object")
    try:
        clean = clean_data(data)
    except InvalidProcessDataError as exc:
        raise MessageRefused("task-data-invalid", exc.message) from None
    definition = instance.definition
    asked = bpmn_facts.facts(definition.sha256, definition.bpmn_xml).fields.get(row.spec_name, ())
    if problems := data_problems(asked, clean):
        raise MessageRefused("task-data-invalid", "not what the task asks: " + ", ".join(problems))
    workflow = workflow_of(instance)
    task = engine.open_task(workflow, str(task_id))
    if task is None:
        return
    _where, party = lane_agency(instance.agency, lane_or_none(task.lane), parties_of_instance(instance))
    try:
        task_done(
            instance=instance, workflow=workflow, task=task, data=clean, actor=None, where=None, party=party
        )
    except ProcessStepFailedError as exc:
        raise MessageRefused("procedure-step-failed", exc.message) from None


# ---------------------------------------------------------------------------- the party's side


@transaction.atomic
def remote_task_complete(*, task: RemoteTask, actor: Person, data: JSONObject | None = None) -> RemoteTask:
    """Complete a task of a procedure on another node, as ``actor``, who must hold its lane's
    role in the agency it is for; the result goes back to that node (``procedure.task-done``)."""
    task = RemoteTask.objects.select_for_update().select_related("agency").get(pk=task.pk)
    if task.status != RemoteTask.Status.OPEN:
        raise TaskNotOpenError(
            _("this task is not waiting for anyone any more (it may have just been completed)"),
            task_id=str(task.pk),
        )
    if not has_role(person=actor, role=Role(task.role), agency=task.agency):
        raise NotYourTaskError(
            _("the task '%(task)s' is for the %(role)s of %(agency)s")
            % {"task": task.title, "role": role_in_sentence(Role(task.role)), "agency": task.agency.name},
            task_id=str(task.pk),
            person_id=str(actor.pk),
        )
    clean = clean_data(data)
    fields = fields_of(task.fields)
    if problems := data_problems(fields, clean):
        raise InvalidProcessDataError(
            _("give what the task asks: %(fields)s") % {"fields": ", ".join(problems)},
            errors={name: _("required") for name in problems},
        )
    now = clock.now()
    clean["done_by"] = actor.get_full_name() or actor.get_username()
    task.status, task.completed_by, task.completed_at, task.data = RemoteTask.Status.DONE, actor, now, clean
    agency_code, _at, node = task.origin.partition("@")
    task.result = message_send(
        kind=TASK_DONE,
        sender=task.agency,
        to_node=node,
        to_agency=agency_code,
        content={
            "instance": str(task.origin_instance),
            "task": str(task.origin_task),
            "data": clean,
            "completed_at": now.isoformat(),
        },
    )
    task.refusal = ""
    task.save(update_fields=["status", "completed_by", "completed_at", "data", "result", "refusal"])
    record(
        EventType.PROCEDURE_REMOTE_TASK_COMPLETED,
        actor=actor,
        target=task,
        data={"origin": task.origin, "task": task.spec_name, "data_keys": [*map(str, sorted(clean))]},
    )
    return task


def on_message_undelivered(
    sender: Any, *, message_pk: int, kind: str, status: str, why: str, **kwargs: Any
) -> None:
    """The result of a task done here did not reach the procedure's node (refused there, or
    never answered): the task waits here again, with the reason, to be completed anew."""
    if kind != TASK_DONE:
        return
    task = RemoteTask.objects.select_for_update().filter(result_id=message_pk).first()
    if task is None or task.status != RemoteTask.Status.DONE:
        return
    task.status, task.refusal = RemoteTask.Status.OPEN, why[:500] or status
    task.save(update_fields=["status", "refusal"])
    record(
        EventType.PROCEDURE_REMOTE_TASK_RETURNED,
        actor="federation",
        target=task,
        data={"origin": task.origin, "task": task.spec_name, "why": task.refusal},
    )
