"""Two people act on one process at the same moment: the instance row lock makes them take
turns, so no step is lost and no task is completed twice."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction

from govdoc.accounts.models import Person
from govdoc.audit.models import AuditEvent
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep
from govdoc.procedures.tests.conftest import Office, start

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite lets one writer in at a time, so the race cannot happen there",
)
pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db(transaction=True)]


def at_once(*calls: tuple[Person, str, dict[str, object]], instance: ProcessInstance) -> Counter[str]:
    barrier = threading.Barrier(len(calls), timeout=60)

    def run(call: tuple[Person, str, dict[str, object]]) -> str:
        actor, task_id, data = call
        barrier.wait()
        try:
            services.task_complete(instance=instance, task_id=task_id, actor=actor, data=data)
        except errors.TaskNotOpenError:
            return "not open"
        finally:
            connections.close_all()
        return "completed"

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(run, calls))


def test_the_two_parallel_checks_completed_at_once_both_count(
    office: Office, definition: ProcessDefinition
) -> None:
    """Without the lock both would load the same state and the later save would drop the
    other's step: the join would wait forever."""
    instance = start(office, definition)
    office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    tasks = office.open_tasks(instance)

    outcomes = at_once(
        (office.handler, tasks["check_register"], {"register_entry": "RB-17"}),
        (office.head, tasks["check_fees"], {"fees_ok": True}),
        instance=instance,
    )

    assert outcomes == {"completed": 2}
    assert office.open_tasks(instance).keys() == {"approve"}
    assert ProcessStep.objects.filter(instance=instance).count() == 3


def test_one_task_completed_by_two_people_at_once_is_completed_once(
    office: Office, definition: ProcessDefinition
) -> None:
    second_handler = Person.objects.create(username="second.handler")
    office.unit.memberships.create(person=second_handler, role="handler", valid_from="2020-01-01")
    instance = start(office, definition)
    review = office.open_tasks(instance)["review"]

    outcomes = at_once(
        (office.handler, review, {"complete": True, "paid": ["fee"]}),
        (second_handler, review, {"complete": False, "paid": []}),
        instance=instance,
    )

    assert outcomes == {"completed": 1, "not open": 1}
    assert ProcessStep.objects.filter(instance=instance).count() == 1
    assert AuditEvent.objects.filter(event="procedures.task_completed").count() == 1


def test_a_process_being_moved_holds_up_no_other_process_of_its_agency(
    office: Office, definition: ProcessDefinition
) -> None:
    """Only the instance row is locked, not the agency and definition rows joined to it."""
    from govdoc.procedures.services.state import instance_lock

    first, second = start(office, definition), start(office, definition)
    review = office.open_tasks(second)["review"]
    outcome: list[str] = []

    def complete_the_other() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '3s'")
            services.task_complete(
                instance=second, task_id=review, actor=office.handler, data={"complete": False}
            )
            outcome.append("completed")
        except Exception as exc:
            outcome.append(repr(exc))
        finally:
            connections.close_all()

    with transaction.atomic():
        instance_lock(first.pk)  # someone is completing a task of the first process right now
        other = threading.Thread(target=complete_the_other)
        other.start()
        other.join(30)

    assert outcome == ["completed"]
