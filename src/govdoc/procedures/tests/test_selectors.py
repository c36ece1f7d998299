"""Work lists: each official sees the open tasks of the lanes whose role they hold, in their
own agency, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import DjangoAssertNumQueries

from govdoc.accounts.models import Membership
from govdoc.procedures import services
from govdoc.procedures.models import ProcessDefinition
from govdoc.procedures.selectors import tasks_for
from govdoc.procedures.tests.conftest import Office, start


def titles(office: Office, who: str) -> list[tuple[str, str]]:
    return [(t.instance.title, t.spec_name) for t in tasks_for(person=getattr(office, who))]


def test_each_official_sees_the_tasks_of_their_lanes(office: Office, definition: ProcessDefinition) -> None:
    instance = start(office, definition)
    assert titles(office, "handler") == [("Uverenje o državljanstvu", "review")]
    assert titles(office, "head") == titles(office, "outsider") == titles(office, "chief") == []

    office.complete(instance, "review", office.handler, complete=True, paid=["fee"])
    assert titles(office, "handler") == [("Uverenje o državljanstvu", "check_register")]
    assert titles(office, "head") == [("Uverenje o državljanstvu", "check_fees")]

    services.instance_cancel(instance=instance, actor=office.chief, reason="withdrawn by the applicant")
    assert titles(office, "handler") == titles(office, "head") == []


def test_an_ended_membership_takes_the_tasks_off_the_list(
    office: Office, definition: ProcessDefinition
) -> None:
    start(office, definition)
    Membership.objects.filter(person=office.handler).update(valid_to=dt.date(2021, 1, 1))
    assert titles(office, "handler") == []


@pytest.mark.parametrize("instances", [1, 12])
def test_a_work_list_takes_two_queries_however_long(
    office: Office,
    definition: ProcessDefinition,
    django_assert_num_queries: DjangoAssertNumQueries,
    instances: int,
) -> None:
    for _ in range(instances):
        start(office, definition)
    with django_assert_num_queries(2):  # the person's memberships, then the tasks with their processes
        rows = [
            (t.title, t.instance.definition.key, t.instance.agency.code)
            for t in tasks_for(person=office.handler)
        ]
    assert rows == [("Review the application", "certificate_request", "mup")] * instances
