"""Many officials' clients press "approve" on the same step at once: exactly one decision."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from govdoc.approvals.errors import StepNotPendingError
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.services import StepSpec, step_decide
from govdoc.approvals.tests.conftest import PIN, Office, step_of
from govdoc.audit.models import AuditEvent

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks and lets one writer in at a time, so the race "
    "this test is about cannot happen there",
)

ATTEMPTS = 100
# Connections this test leaves to everyone else on the server (other test runs, psql).
SPARE_CONNECTIONS = 15


def connection_slots() -> int:
    """How many of the attempts may hold a database connection at the same moment.

    All ``ATTEMPTS`` threads start together; on a server with ``max_connections`` of 100
    (the default) they cannot all be connected at once, so the rest queue for a slot.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        row = cursor.fetchone()
    free = int(row[0]) if row else 0
    return max(2, min(ATTEMPTS, free - SPARE_CONNECTIONS))


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_hundred_simultaneous_approvals_of_one_step_give_exactly_one_decision(office: Office) -> None:
    line = office.submitted(
        [StepSpec("review", office.reviewer.pk, 1), StepSpec("approval", office.approver.pk, 2)]
    )
    step = step_of(line, office.reviewer)
    start = threading.Barrier(ATTEMPTS, timeout=120)
    slots = threading.BoundedSemaphore(connection_slots())

    def approve(_: int) -> str:
        start.wait()
        with slots:
            try:
                step_decide(step=step, actor=office.reviewer, decision="approve", comment="", pin=PIN)
            except StepNotPendingError:
                return "not pending"
            finally:
                connections.close_all()
        return "decided"

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        outcomes = Counter(pool.map(approve, range(ATTEMPTS)))

    assert outcomes == {"decided": 1, "not pending": ATTEMPTS - 1}
    decided = ApprovalStep.objects.get(pk=step.pk)
    assert (decided.status, decided.sequence) == ("approved", 1)
    assert AuditEvent.objects.filter(event="approvals.step_decided").count() == 1
    # the line moved on exactly once: the final approval is pending, nothing was skipped
    assert step_of(line, office.approver).status == "pending"
    line.refresh_from_db()
    assert line.decision_count == 1
