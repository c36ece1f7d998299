"""The figures of procedures (issue 9 §6) read from real runs: how many run, where they wait, how
long each task took from when it became ready, and deadlines met, missed (late, or taken away
by the timer) and open past them, for the agencies that run or take part in them only."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.core.performance import DeadlineTally, Period, Running, Waiting
from govdoc.procedures import services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep, ProcessTaskLapse
from govdoc.procedures.performance import procedures_performance
from govdoc.procedures.tests.conftest import BPMN_DIR, T0, Office, start

DEADLINE = (BPMN_DIR / "decision_deadline.bpmn").read_bytes()
MARCH = Period(dt.date(2027, 3, 1), dt.date(2027, 3, 1))
H = dt.timedelta(hours=1)


def _reviewed_after(office: Office, definition: ProcessDefinition, hours: int) -> ProcessInstance:
    with clock.frozen(T0):
        instance = start(office, definition)
    with clock.frozen(T0 + hours * H):
        office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    return instance


def test_a_step_keeps_when_its_task_became_ready(office: Office, definition: ProcessDefinition) -> None:
    instance = _reviewed_after(office, definition, 3)
    step = ProcessStep.objects.get(instance=instance, spec_name="review")
    assert (step.ready_at, step.completed_at) == (T0, T0 + 3 * H)


def test_running_waiting_and_the_median_and_slowest_time_of_a_task(
    office: Office, definition: ProcessDefinition
) -> None:
    for hours in (2, 4, 9):
        _reviewed_after(office, definition, hours)
    with clock.frozen(T0):
        start(office, definition)  # still waiting for its review
    with clock.frozen(T0 + 10 * H):
        figures = procedures_performance(agency_ids={office.agency.pk}, period=MARCH)

    assert figures.running == [Running("certificate_request", "Certificate request", 4)]
    assert figures.waiting == [
        Waiting("certificate_request", "Certificate request", "check_fees", "Check the fees", 3),
        Waiting("certificate_request", "Certificate request", "check_register", "Check the register", 3),
        Waiting("certificate_request", "Certificate request", "review", "Review the application", 1),
    ]
    (review,) = figures.stage_times
    assert (review.stage_key, review.count, review.median, review.slowest) == ("review", 3, 4 * H, 9 * H)


def test_stage_times_count_the_steps_completed_in_the_period(
    office: Office, definition: ProcessDefinition
) -> None:
    _reviewed_after(office, definition, 2)
    april = Period(dt.date(2027, 4, 1), dt.date(2027, 6, 1))
    assert procedures_performance(agency_ids={office.agency.pk}, period=april).stage_times == []


def test_deadlines_met_missed_taken_away_and_open_past_them(office: Office) -> None:
    definition = services.definition_load(xml_bytes=DEADLINE, actor=office.admin)

    def started() -> ProcessInstance:
        with clock.frozen(T0):
            return services.instance_start(definition=definition, agency=office.agency, actor=office.handler)

    in_time, taken_away = started(), started()
    with clock.frozen(T0 + 47 * H):
        office.complete(in_time, "decide", office.head, decision="approved")
    with clock.frozen(T0 + 48 * H + dt.timedelta(seconds=1)):
        assert services.procedures_tick()["fired"] == 1
    lapse = ProcessTaskLapse.objects.get(instance=taken_away)
    assert (lapse.spec_name, lapse.ready_at, lapse.agency_id) == ("decide", T0, office.agency.pk)
    fired = AuditEvent.objects.get(event="procedures.timer_fired")
    assert fired.data["taken_away"] == ["decide"]

    open_late = started()  # no tick has taken its task away yet
    with clock.frozen(T0 + 50 * H):
        figures = procedures_performance(agency_ids={office.agency.pk}, period=MARCH)
    # in time: met; taken away by the timer: missed; still open past its deadline: overdue.
    # ``decide_instead`` has no timer of its own, so it has no deadline and does not count.
    assert figures.deadlines == [
        DeadlineTally("mup", "Ministarstvo unutrašnjih poslova", "2027-03", met=1, missed=1, overdue=1)
    ]
    assert open_late.open_tasks.get().spec_name == "decide"


def test_a_task_completed_after_its_deadline_is_missed(office: Office) -> None:
    # The timer has not been let fire yet (no tick ran): the task was still there to complete.
    definition = services.definition_load(xml_bytes=DEADLINE, actor=office.admin)
    with clock.frozen(T0):
        instance = services.instance_start(definition=definition, agency=office.agency, actor=office.handler)
    with clock.frozen(T0 + 49 * H):
        office.complete(instance, "decide", office.head, decision="approved")
        figures = procedures_performance(agency_ids={office.agency.pk}, period=MARCH)
    assert [(d.met, d.missed, d.overdue) for d in figures.deadlines] == [(0, 1, 0)]


def test_another_agency_sees_none_of_the_figures(office: Office, definition: ProcessDefinition) -> None:
    _reviewed_after(office, definition, 2)
    other = office.outsider.memberships.get().unit.agency_id
    figures = procedures_performance(agency_ids={other}, period=MARCH)
    assert (figures.running, figures.waiting, figures.stage_times, figures.deadlines) == ([], [], [], [])
    assert procedures_performance(agency_ids=set(), period=MARCH).running == []


def test_one_procedure_is_chosen_by_its_key(office: Office, definition: ProcessDefinition) -> None:
    _reviewed_after(office, definition, 2)
    figures = procedures_performance(agency_ids={office.agency.pk}, period=MARCH, key="another_process")
    assert figures.running == figures.stage_times == []


def _queries(office: Office) -> int:
    with CaptureQueriesContext(connection) as queries:
        procedures_performance(agency_ids={office.agency.pk}, period=MARCH)
    return len(queries)


def test_the_figures_take_as_many_queries_however_many_procedures_ran(
    office: Office, definition: ProcessDefinition
) -> None:
    _reviewed_after(office, definition, 2)
    few = _queries(office)
    for hours in (3, 4, 5, 6):
        _reviewed_after(office, definition, hours)
    assert _queries(office) == few
