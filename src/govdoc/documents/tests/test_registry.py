"""Registry numbers: per agency, per year (Belgrade calendar), gap-free and unique."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections, transaction

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents import selectors, services
from govdoc.documents.models import Document, RegistryCounter, RegistryEntry
from govdoc.documents.tests.samples import create_document

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks and lets only one writer in at a time, "
    "so concurrent registration cannot race there",
)


class Rollback(Exception):
    pass


@pytest.mark.django_db
def test_a_rolled_back_registration_leaves_no_gap(unit: Unit, clerk: Person) -> None:
    first = create_document(unit=unit, actor=clerk, title="Prvi")
    second = create_document(unit=unit, actor=clerk, title="Drugi")

    with pytest.raises(Rollback), transaction.atomic():
        taken = services.document_register(document=first, actor=clerk)
        assert taken.number == 1
        raise Rollback

    entry = services.document_register(document=second, actor=clerk)
    assert entry.number == 1
    assert list(RegistryEntry.objects.values_list("document_id", "number")) == [(second.pk, 1)]
    assert not AuditEvent.objects.filter(
        event="documents.document_registered", target_id=str(first.pk)
    ).exists()


@pytest.mark.django_db
def test_numbers_restart_each_year_and_are_independent_per_agency(
    unit: Unit, clerk: Person, other_unit: Unit, other_official: Person
) -> None:
    docs = [create_document(unit=unit, actor=clerk, title=f"Dokument {i}") for i in range(3)]
    foreign = create_document(unit=other_unit, actor=other_official)

    # 23:30 on 31 December in Belgrade (UTC+1) is still 2026 ...
    with clock.frozen(dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC)):
        a = services.document_register(document=docs[0], actor=clerk)
        b = services.document_register(document=docs[1], actor=clerk)
    # ... and one hour later, while UTC is still in 2026, Belgrade is in 2027.
    with clock.frozen(dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)):
        c = services.document_register(document=docs[2], actor=clerk)
        d = services.document_register(document=foreign, actor=other_official)

    assert [a.registry_number, b.registry_number, c.registry_number] == [
        "MUP-2026-000001",
        "MUP-2026-000002",
        "MUP-2027-000001",
    ]
    assert d.registry_number == "RGZ-2027-000001"
    assert [e.number for e in selectors.registry_entries(agency=unit.agency, year=2026)] == [1, 2]
    assert [e.document_id for e in selectors.registry_entries(agency=unit.agency, year=2027)] == [docs[2].pk]


def _run_in_thread_connection(fn: Any) -> Any:
    """Run ``fn`` and close this thread's database connection (each thread has its own)."""

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
def test_forty_simultaneous_registrations_get_exactly_1_to_40(unit: Unit) -> None:
    clerk = PersonFactory(username="clerk")
    grant(clerk, unit, Role.REGISTRY_CLERK)
    documents = [create_document(unit=unit, actor=clerk, title=f"Zahtev {i}") for i in range(40)]
    start = threading.Barrier(40, timeout=60)

    @_run_in_thread_connection
    def register(document: Document) -> int:
        start.wait()
        return services.document_register(document=document, actor=clerk).number

    with ThreadPoolExecutor(max_workers=40) as pool:
        numbers = list(pool.map(register, documents))

    assert sorted(numbers) == list(range(1, 41))
    year = clock.today_local().year
    entries = list(selectors.registry_entries(agency=unit.agency, year=year))
    assert [e.number for e in entries] == list(range(1, 41))
    assert {e.document_id for e in entries} == {d.pk for d in documents}
    assert RegistryCounter.objects.get(agency=unit.agency, year=year).last_number == 40
    assert AuditEvent.objects.filter(event="documents.document_registered").count() == 40


def _wait_until_blocked_on_a_lock(backend_pid: int, *, deadline_s: float = 30.0) -> None:
    """Poll PostgreSQL until the backend waits on a lock (not a timing assertion: a bounded wait)."""
    import time

    end = time.monotonic() + deadline_s
    with connection.cursor() as cursor:
        while time.monotonic() < end:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend_pid])
            row = cursor.fetchone()
            if row is not None and row[0] == "Lock":
                return
            time.sleep(0.02)
    raise AssertionError("the second registration never waited for the first one's lock")


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_number_given_back_by_a_rollback_goes_to_the_waiting_registration(unit: Unit) -> None:
    clerk = PersonFactory(username="clerk")
    grant(clerk, unit, Role.REGISTRY_CLERK)
    first_doc = create_document(unit=unit, actor=clerk, title="Prvi")
    second_doc = create_document(unit=unit, actor=clerk, title="Drugi")
    took_number, roll_back, second_ready = threading.Event(), threading.Event(), threading.Event()
    result: dict[str, Any] = {}

    @_run_in_thread_connection
    def first() -> None:
        try:
            with transaction.atomic():
                result["first"] = services.document_register(document=first_doc, actor=clerk).number
                took_number.set()
                roll_back.wait(60)
                raise Rollback
        except Rollback:
            pass

    @_run_in_thread_connection
    def second() -> None:
        connection.ensure_connection()
        result["pid"] = connection.connection.info.backend_pid
        second_ready.set()
        result["second"] = services.document_register(document=second_doc, actor=clerk).number

    with ThreadPoolExecutor(max_workers=2) as pool:
        first_done = pool.submit(first)
        assert took_number.wait(60)
        second_done = pool.submit(second)
        assert second_ready.wait(60)
        try:
            _wait_until_blocked_on_a_lock(result["pid"])
        finally:
            roll_back.set()
        first_done.result(60)
        second_done.result(60)

    assert (result["first"], result["second"]) == (1, 1)
    assert list(RegistryEntry.objects.values_list("document_id", "number")) == [(second_doc.pk, 1)]
