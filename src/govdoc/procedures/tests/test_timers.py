"""A timer boundary event on a task survives the stored state: the deadline passes while the
process sits in the database, the periodic tick takes the task away and gives it to another
lane; a decision in time leaves no timer behind."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.core import clock
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance
from govdoc.procedures.tests.conftest import BPMN_DIR, T0, Office

DEADLINE = (BPMN_DIR / "decision_deadline.bpmn").read_bytes()


@pytest.fixture
def deadline_definition(office: Office) -> ProcessDefinition:
    return services.definition_load(xml_bytes=DEADLINE, actor=office.admin)


def started(office: Office, definition: ProcessDefinition) -> ProcessInstance:
    with clock.frozen(T0):
        return services.instance_start(definition=definition, agency=office.agency, actor=office.handler)


def test_the_deadline_passes_and_the_head_of_agency_decides_instead(
    office: Office, deadline_definition: ProcessDefinition
) -> None:
    instance = started(office, deadline_definition)
    decide = office.open_tasks(instance)["decide"]
    instance.refresh_from_db()
    assert instance.next_timer_at == T0 + dt.timedelta(hours=48)

    with clock.frozen(T0 + dt.timedelta(hours=48, seconds=1)):
        assert services.procedures_tick() == {"due": 1, "fired": 1, "failed": 0}
        assert office.open_tasks(instance).keys() == {"decide_instead"}
        with pytest.raises(errors.TaskNotOpenError):  # too late: the task was taken away
            services.task_complete(instance=instance, task_id=decide, actor=office.head, data={})
        office.complete(instance, "decide_instead", office.chief, decision="approved")

    instance.refresh_from_db()
    assert (instance.status, instance.next_timer_at) == ("completed", None)


def test_a_decision_in_time_leaves_no_timer(office: Office, deadline_definition: ProcessDefinition) -> None:
    instance = started(office, deadline_definition)
    with clock.frozen(T0 + dt.timedelta(hours=47)):
        office.complete(instance, "decide", office.head, decision="approved")
    instance.refresh_from_db()
    assert (instance.status, instance.next_timer_at) == ("completed", None)
    with clock.frozen(T0 + dt.timedelta(days=30)):
        assert services.procedures_tick() == {"due": 0, "fired": 0, "failed": 0}


def test_a_broken_instance_does_not_hold_up_the_others(
    office: Office, deadline_definition: ProcessDefinition
) -> None:
    broken, sound = started(office, deadline_definition), started(office, deadline_definition)
    ProcessInstance.objects.filter(pk=broken.pk).update(state='{"not": "a workflow"}')

    with clock.frozen(T0 + dt.timedelta(hours=49)):
        assert services.procedures_tick() == {"due": 2, "fired": 1, "failed": 1}
    assert office.open_tasks(sound).keys() == {"decide_instead"}
    assert office.open_tasks(broken).keys() == {"decide"}  # as it was


# Its timer leads to a gateway whose conditions read data nobody gave: the tick cannot move on.
BROKEN_TIMER = (BPMN_DIR / "broken_timer.bpmn").read_bytes()


def test_a_timer_that_cannot_move_its_procedure_on_is_tried_again_later_not_every_minute(
    office: Office,
) -> None:
    from govdoc.audit.models import AuditEvent

    definition = services.definition_load(xml_bytes=BROKEN_TIMER, actor=office.admin)
    instance = started(office, definition)
    due = T0 + dt.timedelta(hours=1, seconds=1)
    with clock.frozen(due):
        assert services.procedures_tick() == {"due": 1, "fired": 0, "failed": 1}
        assert services.procedures_tick() == {"due": 0, "fired": 0, "failed": 0}  # it waits
    instance.refresh_from_db()
    assert (instance.status, instance.timer_failures) == ("running", 1)
    assert instance.next_timer_at == due + dt.timedelta(minutes=5)
    with clock.frozen(due + dt.timedelta(minutes=5)):
        assert services.procedures_tick()["failed"] == 1
    instance.refresh_from_db()
    assert instance.next_timer_at == due + dt.timedelta(minutes=15)  # then 10 minutes later
    failed = AuditEvent.objects.filter(event="procedures.timer_failed", target_id=str(instance.pk))
    assert [e.data["failures"] for e in failed.order_by("seq")] == [1, 2]
    assert "escalate" in failed.first().data["reason"]  # type: ignore[union-attr]
    # the task is still there to be answered
    assert office.open_tasks(instance).keys() == {"wait"}
