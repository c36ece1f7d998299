"""Lists: the citizen's applications and e-inbox, a unit's inbox, overdue applications.
Each is one query, however long the list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
from govdoc.applications import selectors, services
from govdoc.applications.models import Service
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.core import clock

AssertQueries = Callable[..., Any]
# Wednesday 1 April 2026: due 8 working days later, on 15 April (Easter, 10-13 April, is skipped).
APRIL = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)


def test_the_citizen_sees_their_own_applications_newest_first_in_one_query(
    service: Service, citizen: Person, other_citizen: Person, django_assert_num_queries: AssertQueries
) -> None:
    mine = [submit(service, citizen) for _ in range(3)]
    submit(service, other_citizen)

    with django_assert_num_queries(1):
        rows = [
            (a.receipt_number, a.service.name, a.agency.code)
            for a in selectors.applications_of_citizen(citizen=citizen)
        ]

    assert rows == [(a.receipt_number, "Uverenje o prebivalištu", "mup") for a in reversed(mine)]


def test_the_unit_inbox_lists_open_applications_earliest_due_first_with_an_overdue_flag(
    service: Service,
    citizen: Person,
    handler: Person,
    head: Person,
    agency: Agency,
    django_assert_num_queries: AssertQueries,
) -> None:
    with clock.frozen(APRIL):
        old = submit(service, citizen)
        withdrawn = submit(service, citizen)
        services.application_withdraw(application=withdrawn, actor=citizen)
    with clock.frozen(APRIL + dt.timedelta(days=14)):
        fresh = submit(service, citizen)
        services.application_assign(application=fresh, handler=handler, actor=head)
    other_unit = UnitFactory(agency=agency, code="saobracaj")
    elsewhere_admin = PersonFactory(username="admin2")
    grant(elsewhere_admin, other_unit, Role.ADMINISTRATOR)
    submit(make_service(unit=other_unit, actor=elsewhere_admin, code="dozvola"), citizen)

    with clock.frozen(dt.datetime(2026, 4, 20, 8, 0, tzinfo=dt.UTC)), django_assert_num_queries(1):
        rows = [
            (a.receipt_number, a.status, a.due_date, a.is_overdue, a.handler.username if a.handler else None)  # type: ignore[attr-defined]
            for a in selectors.unit_inbox(official=handler)
        ]

    assert rows == [
        (old.receipt_number, "submitted", dt.date(2026, 4, 15), True, None),
        (fresh.receipt_number, "assigned", dt.date(2026, 4, 27), False, "handler"),
    ]


def test_overdue_lists_only_open_applications_past_their_due_date(
    service: Service, citizen: Person, agency: Agency, django_assert_num_queries: AssertQueries
) -> None:
    with clock.frozen(APRIL):
        late = submit(service, citizen)
        done = submit(service, citizen)
        services.application_withdraw(application=done, actor=citizen)
    with clock.frozen(dt.datetime(2026, 4, 13, 8, 0, tzinfo=dt.UTC)):
        submit(service, citizen)

    with clock.frozen(dt.datetime(2026, 4, 15, 8, 0, tzinfo=dt.UTC)):
        assert list(selectors.overdue(agency=agency)) == []  # due today is not late yet
    with clock.frozen(dt.datetime(2026, 4, 16, 8, 0, tzinfo=dt.UTC)), django_assert_num_queries(1):
        rows = [(a.receipt_number, a.service.code) for a in selectors.overdue(agency=agency)]

    assert rows == [(late.receipt_number, "uverenje-o-prebivalistu")]


def test_an_officials_inbox_is_empty_outside_their_units(
    service: Service, citizen: Person, other_official: Person
) -> None:
    submit(service, citizen)
    assert list(selectors.unit_inbox(official=other_official)) == []


def test_the_e_inbox_lists_messages_newest_first_in_one_query(
    assigned: Any, handler: Person, citizen: Person, django_assert_num_queries: AssertQueries
) -> None:
    services.completion_request_create(application=assigned, message_text="Prva dopuna.", actor=handler)
    services.application_complete(application=assigned, data=None, actor=citizen)
    services.completion_request_create(application=assigned, message_text="Druga dopuna.", actor=handler)

    with django_assert_num_queries(1):
        bodies = [
            (m.body, m.application.receipt_number if m.application else "")
            for m in selectors.inbox_of(citizen=citizen)
        ]

    assert bodies == [("Druga dopuna.", assigned.receipt_number), ("Prva dopuna.", assigned.receipt_number)]


def test_the_catalogue_lists_active_services_in_one_query(
    service: Service, unit: Unit, administrator: Person, django_assert_num_queries: AssertQueries
) -> None:
    retired = make_service(unit=unit, actor=administrator, code="staro-uverenje", name="Staro uverenje")
    services.service_update(service=retired, changes={"is_active": False}, actor=administrator)

    with django_assert_num_queries(1):
        rows = [(s.code, s.agency.code, s.unit.code) for s in selectors.services_active()]

    assert rows == [("uverenje-o-prebivalistu", "mup", "uprava")]
