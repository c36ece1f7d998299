"""Receipt numbers: per handling agency, per year (Belgrade calendar), gap-free and unique."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections, transaction

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.applications.models import Application, ReceiptCounter, Service
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.audit.models import AuditEvent
from govdoc.core import clock

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks and lets only one writer in at a time, "
    "so concurrent submissions cannot race there",
)


class Rollback(Exception):
    pass


def test_numbers_follow_each_other_per_agency_and_restart_each_year(
    service: Service, citizen: Person, other_citizen: Person
) -> None:
    other_agency = AgencyFactory(code="beograd", name="Gradska uprava grada Beograda")
    other_unit = UnitFactory(agency=other_agency, code="maticna")
    admin = PersonFactory(username="bg-admin")
    grant(admin, other_unit, Role.ADMINISTRATOR)
    birth = make_service(unit=other_unit, actor=admin, code="izvod")

    # 23:30 on 31 December in Belgrade is still 2026 ...
    with clock.frozen(dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)):
        a = submit(service, citizen)
        b = submit(service, other_citizen)
        c = submit(birth, citizen)
    # ... and an hour later it is 2027 in Belgrade while UTC is still in 2026.
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)):
        d = submit(service, citizen)

    assert [a.receipt_number, b.receipt_number, c.receipt_number, d.receipt_number] == [
        "P-MUP-2026-000001",
        "P-MUP-2026-000002",
        "P-BEOGRAD-2026-000001",
        "P-MUP-2027-000001",
    ]


def test_a_rolled_back_submission_leaves_no_gap(service: Service, citizen: Person) -> None:
    with pytest.raises(Rollback), transaction.atomic():
        taken = submit(service, citizen)
        assert taken.receipt_number.endswith("-000001")
        raise Rollback

    again = submit(service, citizen)
    assert again.receipt_number.endswith("-000001")
    assert list(Application.objects.values_list("receipt_seq", flat=True)) == [1]


def _own_connection(fn: Any) -> Any:
    def wrapper(*args: Any) -> Any:
        try:
            return fn(*args)
        finally:
            connections.close_all()

    return wrapper


@pytest.mark.postgres
@pytest.mark.slow
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_thirty_citizens_submitting_at_once_get_exactly_1_to_30(unit: Unit) -> None:
    admin = PersonFactory(username="admin")
    grant(admin, unit, Role.ADMINISTRATOR)
    service = make_service(unit=unit, actor=admin)
    citizens = [PersonFactory(username=f"gradjanin{i}", is_citizen=True) for i in range(30)]
    start = threading.Barrier(30, timeout=60)

    @_own_connection
    def apply(citizen: Person) -> int:
        start.wait()
        return submit(service, citizen).receipt_seq

    with ThreadPoolExecutor(max_workers=30) as pool:
        numbers = list(pool.map(apply, citizens))

    assert sorted(numbers) == list(range(1, 31))
    year = clock.today_local().year
    assert sorted(Application.objects.values_list("receipt_number", flat=True)) == [
        f"P-MUP-{year}-{n:06d}" for n in range(1, 31)
    ]
    assert ReceiptCounter.objects.get(agency=unit.agency, year=year).last_number == 30
    assert AuditEvent.objects.filter(event="applications.application_submitted").count() == 30
