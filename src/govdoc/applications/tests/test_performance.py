"""The figures of services (issue 9 §6) read from real applications: how many are open, in which
status they wait, how long they stayed in each status, and the legal deadline met, missed or
open past it per handling unit and month, for the service's own agency only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from govdoc.accounts.models import Agency, Person
from govdoc.applications import services
from govdoc.applications.models import Application, Service
from govdoc.applications.performance import services_performance
from govdoc.applications.tests.conftest import submit
from govdoc.core import clock
from govdoc.core.performance import DeadlineTally, Period, Running, Waiting

T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)  # a Monday, 9:00 in Belgrade
DAY = dt.timedelta(days=1)
MARCH = Period(dt.date(2027, 3, 1), dt.date(2027, 3, 1))


@pytest.fixture(autouse=True)
def _in_english() -> object:
    with translation.override("en"):
        yield


def _decided(
    service: Service, citizen: Person, head: Person, handler: Person, *, assign: int, send: int, decide: int
) -> Application:
    """Submitted at T0, assigned, sent to approval and approved so many days later."""
    with clock.frozen(T0):
        application = submit(service, citizen)
    with clock.frozen(T0 + assign * DAY):
        services.application_assign(application=application, handler=handler, actor=head)
    with clock.frozen(T0 + send * DAY):
        services.decision_send_to_approval(application=application, steps=None, actor=handler)
    with clock.frozen(T0 + decide * DAY):
        return services.application_mark_approved(application=application)


@pytest.fixture
def applications(service: Service, citizen: Person, head: Person, handler: Person) -> None:
    """Due on 11 March (eight working days): one decided on 4 March, one on 15 March, one never
    looked at, one withdrawn after four days."""
    _decided(service, citizen, head, handler, assign=1, send=2, decide=3)
    _decided(service, citizen, head, handler, assign=2, send=5, decide=14)
    with clock.frozen(T0):
        submit(service, citizen)
        withdrawn = submit(service, citizen)
    with clock.frozen(T0 + 4 * DAY):
        services.application_withdraw(application=withdrawn, actor=citizen)


def test_open_applications_where_they_wait_and_how_long_each_status_took(
    applications: None, agency: Agency
) -> None:
    with clock.frozen(T0 + 19 * DAY):
        figures = services_performance(agency_ids={agency.pk}, period=MARCH)
    code, name = "uverenje-o-prebivalistu", "Uverenje o prebivalištu"
    assert figures.running == [Running(code, name, 3)]
    assert figures.waiting == [
        Waiting(code, name, "submitted", "Submitted", 1),
        Waiting(code, name, "approved", "Approved", 2),
    ]
    times = {s.stage_key: (s.count, s.median, s.slowest) for s in figures.stage_times}
    assert times == {
        "submitted": (3, 2 * DAY, 4 * DAY),  # 1, 2 and 4 days (the withdrawn one too)
        "assigned": (2, 2 * DAY, 3 * DAY),  # 1 and 3 days: the median of two is their mean
        "in_approval": (2, 5 * DAY, 9 * DAY),
    }


def test_the_legal_deadline_met_missed_and_open_past_it_per_unit_and_month(
    applications: None, agency: Agency
) -> None:
    with clock.frozen(T0 + 19 * DAY):
        figures = services_performance(agency_ids={agency.pk}, period=MARCH)
    # The withdrawn application has no decision and does not count.
    assert figures.deadlines == [
        DeadlineTally("mup/uprava", "Uprava za upravne poslove", "2027-03", met=1, missed=1, overdue=1)
    ]


def test_an_undecided_application_within_its_deadline_is_not_counted_yet(
    service: Service, citizen: Person, agency: Agency
) -> None:
    with clock.frozen(T0):
        submit(service, citizen)
    with clock.frozen(T0 + 2 * DAY):
        assert services_performance(agency_ids={agency.pk}, period=MARCH).deadlines == []


def test_the_period_chooses_the_stays_and_deadlines_counted(applications: None, agency: Agency) -> None:
    with clock.frozen(T0 + 40 * DAY):
        april = services_performance(
            agency_ids={agency.pk}, period=Period(dt.date(2027, 4, 1), dt.date(2027, 4, 1))
        )
    assert april.stage_times == april.deadlines == []
    assert [r.count for r in april.running] == [3]  # what is open now does not depend on it


def test_another_agency_sees_none_of_the_figures(applications: None, other_agency: Agency) -> None:
    figures = services_performance(agency_ids={other_agency.pk}, period=MARCH)
    assert (figures.running, figures.waiting, figures.stage_times, figures.deadlines) == ([], [], [], [])


def test_services_are_named_in_the_pages_script(applications: None, agency: Agency) -> None:
    figures = services_performance(agency_ids={agency.pk}, period=MARCH, script="sr-cyrl")
    assert figures.running[0].subject == "Уверење о пребивалишту"


def _queries(agency: Agency) -> int:
    with CaptureQueriesContext(connection) as queries, clock.frozen(T0 + 19 * DAY):
        services_performance(agency_ids={agency.pk}, period=MARCH)
    return len(queries)


def test_the_figures_take_as_many_queries_however_many_applications(
    service: Service, citizen: Person, head: Person, handler: Person, agency: Agency
) -> None:
    _decided(service, citizen, head, handler, assign=1, send=2, decide=3)
    few = _queries(agency)
    for days in (4, 5, 6):
        _decided(service, citizen, head, handler, assign=1, send=2, decide=days)
    assert _queries(agency) == few
