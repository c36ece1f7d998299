"""Running the certificate-request procedure: the right people complete its tasks in turn,
everyone else is refused and changes nothing, and a process survives a restart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.procedures import engine, errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep, ProcessTask
from govdoc.procedures.selectors import instance_get, instance_steps
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.tasks import procedures_tick_run
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST, T0, Office, start


def events(instance: ProcessInstance) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(instance.pk)).order_by("seq").values_list("event", flat=True)
    )


def snapshot(instance: ProcessInstance) -> tuple[object, ...]:
    """Everything a refused attempt must leave as it was."""
    fresh = ProcessInstance.objects.get(pk=instance.pk)
    return (
        fresh.state,
        fresh.status,
        fresh.updated_at,
        sorted(map(str, ProcessTask.objects.filter(instance=fresh).values_list("task_id", flat=True))),
        ProcessStep.objects.filter(instance=fresh).count(),
        AuditEvent.objects.count(),
    )


def test_the_complete_branch_runs_in_parallel_to_the_end(
    office: Office, definition: ProcessDefinition, at_t0: dt.datetime
) -> None:
    instance = start(office, definition, applicant="Ana Petrović")
    assert (instance.status, instance.started_by, instance.title) == (
        "running",
        office.handler,
        "Uverenje o državljanstvu",
    )
    assert office.open_tasks(instance).keys() == {"review"}

    office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    # the exclusive gateway took "complete", the parallel split opened both checks at once
    assert office.open_tasks(instance).keys() == {"check_register", "check_fees"}
    office.complete(instance, "check_fees", office.head)
    assert office.open_tasks(instance).keys() == {"check_register"}  # the join waits for both
    office.complete(instance, "check_register", office.handler, register_entry="RB-17")
    assert office.open_tasks(instance).keys() == {"approve"}
    office.complete(instance, "approve", office.head)

    instance.refresh_from_db()
    assert (instance.status, instance.completed_at, instance.next_timer_at) == ("completed", T0, None)
    assert not office.open_tasks(instance)
    steps = [(s.spec_name, s.role, s.completed_by) for s in instance_steps(instance=instance)]
    assert steps == [
        ("review", "handler", office.handler),
        ("check_fees", "head_of_unit", office.head),
        ("check_register", "handler", office.handler),
        ("approve", "head_of_unit", office.head),
    ]
    assert ProcessStep.objects.get(instance=instance, spec_name="review").data == {
        "complete": True,
        "paid": ["fee"],
    }
    # the process data gathered along the way (first data, the review, the join of both branches)
    last = engine.workflow_load(instance.state).last_task.data
    assert last == {"applicant": "Ana Petrović", "complete": True, "paid": ["fee"], "register_entry": "RB-17"}
    assert events(instance) == [
        "procedures.instance_started",
        *["procedures.task_completed"] * 4,
        "procedures.instance_completed",
    ]


def test_the_incomplete_branch_waits_eight_days_for_the_applicant(
    office: Office, definition: ProcessDefinition
) -> None:
    with clock.frozen(T0):
        instance = start(office, definition)
        office.complete(instance, "review", office.handler, complete=False, paid=[])
        office.complete(instance, "request_completion", office.handler)
    instance.refresh_from_db()
    assert not office.open_tasks(instance)
    assert instance.next_timer_at == T0 + dt.timedelta(days=8)

    with clock.frozen(T0 + dt.timedelta(days=7, hours=23)):
        assert services.procedures_tick() == {"due": 0, "fired": 0, "failed": 0}
    assert not office.open_tasks(instance)

    with clock.frozen(T0 + dt.timedelta(days=8, minutes=1)):
        assert services.procedures_tick() == {"due": 1, "fired": 1, "failed": 0}
        assert services.procedures_tick()["due"] == 0  # fired once
        instance.refresh_from_db()
        assert instance.next_timer_at is None
        assert office.open_tasks(instance).keys() == {"decide_incomplete"}
        office.complete(instance, "decide_incomplete", office.head)

    instance.refresh_from_db()
    assert instance.status == "completed"
    assert AuditEvent.objects.get(event="procedures.timer_fired").data == {"timers": ["wait_for_applicant"]}


def test_the_periodic_job_lets_due_timers_fire(office: Office, definition: ProcessDefinition) -> None:
    with clock.frozen(T0):
        instance = start(office, definition)
        office.complete(instance, "review", office.handler, complete=False, paid=[])
        office.complete(instance, "request_completion", office.handler)
    with clock.frozen(T0 + dt.timedelta(days=9)):
        assert procedures_tick_run.call() == {"due": 1, "fired": 1, "failed": 0}
    assert office.open_tasks(instance).keys() == {"decide_incomplete"}


@pytest.mark.parametrize(
    ("task", "who"),
    [
        ("review", "head"),  # another role of the same agency
        ("review", "outsider"),  # the same role in another agency
        ("review", "chief"),
        ("check_fees", "handler"),
    ],
)
def test_a_task_is_refused_to_anyone_without_its_lane_role_and_nothing_changes(
    office: Office, definition: ProcessDefinition, task: str, who: str
) -> None:
    instance = start(office, definition)
    if task == "check_fees":
        office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    before = snapshot(instance)

    with pytest.raises(errors.NotYourTaskError) as refused:
        office.complete(instance, task, getattr(office, who))

    assert refused.value.status == 403
    assert snapshot(instance) == before


def test_a_task_completed_once_cannot_be_completed_again(
    office: Office, definition: ProcessDefinition
) -> None:
    instance = start(office, definition)
    review = office.open_tasks(instance)["review"]
    services.task_complete(instance=instance, task_id=review, actor=office.handler, data={"complete": False})
    before = snapshot(instance)

    for task_id in (review, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(errors.TaskNotOpenError):
            services.task_complete(instance=instance, task_id=task_id, actor=office.handler, data={})
    assert snapshot(instance) == before


def test_data_a_condition_cannot_read_fails_the_step_and_nothing_changes(
    office: Office, definition: ProcessDefinition
) -> None:
    instance = start(office, definition)
    before = snapshot(instance)

    with pytest.raises(errors.ProcessStepFailedError, match="paid"):
        office.complete(instance, "review", office.handler, complete=True)  # no "paid"

    assert snapshot(instance) == before


@pytest.mark.parametrize(
    "data",
    [{"__class__": 1}, {"_private": 1}, {"1st": 1}, {"a b": 1}, {"x": float("nan")}, {"x": {1, 2}}, ["x"]],
)
def test_process_data_must_be_plain_named_json(
    office: Office, definition: ProcessDefinition, data: object
) -> None:
    instance = start(office, definition)
    before = snapshot(instance)
    review = office.open_tasks(instance)["review"]
    with pytest.raises(errors.InvalidProcessDataError):
        services.task_complete(instance=instance, task_id=review, actor=office.handler, data=data)
    assert snapshot(instance) == before


def test_a_restart_in_the_middle_goes_on_from_the_stored_state_alone(
    office: Office, definition: ProcessDefinition
) -> None:
    """New Python objects from the database only: no parsed process in memory, and the
    definition itself replaced by a newer version meanwhile."""
    instance = start(office, definition)
    office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    office.complete(instance, "check_fees", office.head)

    parsed_definition.cache_clear()
    services.definition_load(xml_bytes=CERTIFICATE_REQUEST.replace(b'"P8D"', b'"P15D"'), actor=office.admin)
    del instance
    again = instance_get(ProcessInstance.objects.get().pk)
    assert not again.definition.is_active

    office.complete(again, "check_register", office.handler)
    office.complete(again, "approve", office.head)
    again.refresh_from_db()
    assert again.status == "completed"
    assert ProcessStep.objects.filter(instance=again).count() == 4


def test_a_replaced_version_starts_no_new_process(office: Office, definition: ProcessDefinition) -> None:
    services.definition_load(xml_bytes=CERTIFICATE_REQUEST.replace(b'"P8D"', b'"P15D"'), actor=office.admin)
    with pytest.raises(errors.DefinitionInactiveError):
        start(office, definition)


def test_only_officials_of_the_agency_with_the_start_lane_role_start_it(
    office: Office, definition: ProcessDefinition
) -> None:
    for who in (office.outsider, office.head):
        with pytest.raises(errors.NotAllowedToStartError):
            services.instance_start(definition=definition, agency=office.agency, actor=who)
    assert not ProcessInstance.objects.exists()
    # an agency's system (a string actor) starts it for an application that came in
    instance = services.instance_start(definition=definition, agency=office.agency, actor="applications")
    assert (instance.started_by, instance.status) == (None, "running")


def test_a_cancelled_process_moves_no_more(office: Office, definition: ProcessDefinition) -> None:
    instance = start(office, definition)
    with pytest.raises(errors.NotAllowedToCancelError):
        services.instance_cancel(instance=instance, actor=office.handler, reason="duplicate")
    services.instance_cancel(instance=instance, actor=office.chief, reason="duplicate application")

    instance.refresh_from_db()
    assert (instance.status, instance.cancel_reason) == ("cancelled", "duplicate application")
    assert not ProcessTask.objects.filter(instance=instance).exists()
    with pytest.raises(errors.InstanceStateError):
        services.task_complete(
            instance=instance, task_id=str(instance.pk), actor=office.handler, data={"complete": True}
        )
    assert events(instance)[-1] == "procedures.instance_cancelled"


def test_import_in_a_stored_condition_is_harmless_when_a_task_is_completed(
    office: Office, definition: ProcessDefinition, tmp_path: Path
) -> None:
    """Someone with write access to the database puts code in the stored process: completing
    the task fails cleanly, the code never runs, and the instance stays as it was."""
    marker = tmp_path / "pwned"
    instance = start(office, definition)
    text = instance.state.replace(
        json.dumps('complete == True and "fee" in paid')[1:-1],
        json.dumps(f"__import__('pathlib').Path({str(marker)!r}).touch() or True")[1:-1],
    )
    assert text != instance.state
    ProcessInstance.objects.filter(pk=instance.pk).update(state=text)
    before = snapshot(instance)

    with pytest.raises(errors.ProcessStepFailedError, match="not allowed"):
        office.complete(instance, "review", office.handler, complete=True, paid=["fee"])

    assert not marker.exists()
    assert snapshot(instance) == before
