"""Citizens' applications handled by a procedure (``Service.handling_procedure``).

The applications domain tells each step it takes (``applications.signals.handling_step``) in
the transaction that takes it; here:

- ``received``: an instance of the service's procedure starts, bound to the application, with
  ``service`` (its code) and ``application`` (the receipt number) as its first data;
- a step a task of that procedure waits for (``<govdoc:application on="...">``) completes the
  task, with ``step`` and what the step gives (``outcome`` of the approval line) as its data;
- an official's step (assign, review, ask for completion, send to approval) that no open task
  waits for is refused: the procedure waits for something else first, for example a second
  review an agency drew into the diagram. The applicant's steps and the approval line's
  outcome are never refused;
- ``withdrawn``: the procedure is cancelled.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.translation import gettext as _

from govdoc.accounts.constants import role_in_sentence
from govdoc.accounts.models import Person
from govdoc.applications.constants import OFFICIAL_STEPS, HandlingStep
from govdoc.applications.errors import StepNotDueError
from govdoc.applications.models import Application
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.procedures import engine
from govdoc.procedures.constants import InstanceStatus
from govdoc.procedures.drawn_names import name_shown
from govdoc.procedures.lanes import lane_or_none
from govdoc.procedures.models import ProcessDefinition, ProcessInstance
from govdoc.procedures.services.instances import (
    application_steps,
    instance_cancel,
    instance_start,
    task_done,
)
from govdoc.procedures.services.state import clean_data, instance_lock, workflow_of

log = logging.getLogger(__name__)


def on_handling_step(
    sender: Any,
    *,
    application: Application,
    step: str,
    actor: Person | str,
    values: dict[str, Any],
    **kwargs: Any,
) -> None:
    if step == HandlingStep.RECEIVED:
        _start(application, actor)
        return
    found = (
        ProcessInstance.objects.filter(application=application, status=InstanceStatus.RUNNING)
        .values_list("pk", flat=True)
        .first()
    )
    if found is None:
        return
    instance = instance_lock(found)
    if step == HandlingStep.WITHDRAWN:
        why = str(values.get("reason") or "")
        instance_cancel(
            instance=instance,
            actor="applications",
            reason=f"{_('The applicant withdrew the application.')} {why}".strip(),
        )
        return
    _advance(instance, application, step, actor, values)


def _start(application: Application, actor: Person | str) -> None:
    service = application.service
    key = service.handling_procedure
    if not key:
        return
    definition = ProcessDefinition.objects.filter(key=key, is_active=True).first()
    if definition is None:
        # The application is not refused for a set-up mistake: it is handled without the
        # procedure, and the audit log says so (the agency's administrators see it).
        log.warning("service %s names the procedure %s, which is not installed", service.code, key)
        record(
            EventType.PROCEDURE_HANDLING_MISSING,
            actor="applications",
            target=application,
            data={"service": service.code, "procedure": key, "receipt_number": application.receipt_number},
        )
        return
    instance_start(
        definition=definition,
        agency=application.agency,
        actor="applications",
        data={"service": service.code, "application": application.receipt_number},
        title=f"{service.name} — {application.receipt_number}",
        business_key=application.receipt_number,
        application=application,
    )


def _advance(
    instance: ProcessInstance,
    application: Application,
    step: str,
    actor: Person | str,
    values: dict[str, Any],
) -> None:
    workflow = workflow_of(instance)
    waiting = [t for t in engine.open_tasks(workflow) if step in application_steps(instance, t.spec_name)]
    if not waiting:
        if step in OFFICIAL_STEPS:
            raise StepNotDueError(
                _("the procedure handling this application waits first for: %(tasks)s")
                % {"tasks": "; ".join(_waiting_for(workflow)) or _("nothing (it has ended)")},
                application_id=str(application.pk),
                step=step,
                instance_id=str(instance.pk),
            )
        log.info("application %s: procedure %s does not wait for %s", application.pk, instance.pk, step)
        return
    task = waiting[0]
    task_done(
        instance=instance,
        workflow=workflow,
        task=task,
        data=clean_data({"step": step, **values}),
        actor=actor if isinstance(actor, Person) else None,
        where=instance.agency,
        party=None,
    )


def _waiting_for(workflow: Any) -> list[str]:
    """The open tasks, as a person reads them: "Review the application a second time (head of
    unit)"."""
    named = []
    for task in engine.open_tasks(workflow):
        lane = lane_or_none(task.lane)
        title, _translated = name_shown(task.title)
        named.append(f"{title} ({role_in_sentence(lane.role)})" if lane is not None else title)
    return named
