"""What a procedure tells a party on another node (docs/procedures.md, "Parties on other
nodes"): a task of the party's lane opened (``procedure.task-open``: what it is and what
completing it asks), or it left the work list without the party (``procedure.task-withdrawn``:
a timer took it away, the procedure was cancelled). Written as signed messages in the
transaction that moved the instance (``distribution.messages``); the party's node keeps the task
for whoever holds the lane's role there (``remote.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

from govdoc.core.jsontypes import JSONObject, JSONValue
from govdoc.distribution.messages import message_send
from govdoc.procedures import bpmn_facts
from govdoc.procedures.models import ProcessInstance, ProcessTask
from govdoc.procedures.selectors import task_deadline, task_fields

TASK_OPEN = "procedure.task-open"
TASK_DONE = "procedure.task-done"
TASK_WITHDRAWN = "procedure.task-withdrawn"


def _address(remote: str) -> tuple[str, str]:
    agency, _, node = remote.partition("@")
    return agency, node


def field_json(field: bpmn_facts.DataField) -> JSONObject:
    choices: list[JSONValue] = [[value, label] for value, label in field.choices]
    return {"name": field.name, "kind": field.kind, "choices": choices, "label": field.label}


def tasks_announce(instance: ProcessInstance, tasks: Iterable[ProcessTask]) -> None:
    """Ask the party of each of ``tasks`` (tasks of parties on other nodes, just opened)."""
    definition = instance.definition
    for task in tasks:
        agency, node = _address(task.remote)
        deadline = task_deadline(task=task)
        fields: list[JSONValue] = [field_json(f) for f in task_fields(task=task)]
        message_send(
            kind=TASK_OPEN,
            sender=instance.agency,
            to_node=node,
            to_agency=agency,
            content={
                "instance": str(instance.pk),
                "task": str(task.task_id),
                "procedure": definition.name,
                "procedure_key": definition.key,
                "instance_title": instance.title,
                "business_key": instance.business_key,
                "spec_name": task.spec_name,
                "title": task.title,
                "lane": task.lane,
                "role": task.role,
                "party": task.party,
                "fields": fields,
                "since": task.since.isoformat(),
                "deadline": deadline.isoformat() if deadline is not None else None,
            },
        )


def tasks_withdraw(instance: ProcessInstance, tasks: Iterable[ProcessTask], *, reason: str) -> None:
    """Tell the party of each of ``tasks`` that the task no longer waits for it."""
    for task in tasks:
        agency, node = _address(task.remote)
        message_send(
            kind=TASK_WITHDRAWN,
            sender=instance.agency,
            to_node=node,
            to_agency=agency,
            content={"instance": str(instance.pk), "task": str(task.task_id), "reason": reason[:500]},
        )
