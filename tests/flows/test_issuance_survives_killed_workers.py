"""Exactly once, after any crash: applications are approved while ``govdoc worker`` processes
are killed with SIGKILL at random moments and started again, on PostgreSQL. Every application
ends issued exactly once, no registry number is used twice or skipped, and the audit chain
verifies.

What a kill can interrupt, and what takes the work up again: a decision's announcement task
(written in the decision's transaction: it survives), an issuance between taking its registry
number and sealing (the retried task finds the ``pending`` document by its issue key and
finishes it with that number), a task marked running by a worker that died (its heartbeat
stops; the recovery sweep, a periodic job of the surviving workers, makes it ready again).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.db import connection

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.approvals import selectors as approvals
from govdoc.approvals import services as approval_services
from govdoc.audit.models import AuditEvent
from govdoc.documents.models import RegistryEntry
from govdoc.issuance.models import IssuedDocument
from govdoc.signatures.audit_anchor import audit_verify
from tests.support import PIN, applications_sent

pytestmark = [pytest.mark.slow]

COUNT = int(os.environ.get("GOVDOC_CRASH_ISSUANCE", "200"))
WORKERS = 2
KILLS = 8
SERVICE = "uverenje-o-prebivalistu"
DEADLINE_SECONDS = 1200


def _worker_env() -> dict[str, str]:
    s = connection.settings_dict
    return {
        **os.environ,
        "GOVDOC_DATABASE_URL": f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        "DJANGO_SETTINGS_MODULE": "govdoc.settings",
        # a dead worker is noticed within seconds, and its work retried at once
        "GOVDOC_WORKER_HEARTBEAT_SECONDS": "0.5",
        "GOVDOC_WORKER_LOST_AFTER_SECONDS": "3",
        "GOVDOC_RECOVER_INTERVAL": "1",
        "GOVDOC_TASK_RETRY_SECONDS": "0.5",
        "GOVDOC_TASK_MAX_ATTEMPTS": "50",
    }


def _start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "govdoc.cli.main", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _decide_all(username: str) -> None:
    person = Person.objects.get(username=username)
    for step in list(approvals.queue_for(person=person)):
        approval_services.step_decide(step=step, actor=person, decision="approve", pin=PIN)


class Killer:
    """Kills a worker at random moments while it holds a task (its heartbeat names its pid),
    and starts a new one in its place."""

    def __init__(self, env: dict[str, str], seed: int) -> None:
        self.env = env
        self.rng = random.Random(seed)
        self.workers = [_start_worker(env) for _ in range(WORKERS)]
        self.kills = 0
        self.stop = threading.Event()

    def _victim(self) -> int | None:
        from django_tasks_db.models import DBTaskResult

        from govdoc.jobs.models import WorkerHeartbeat

        running = DBTaskResult.objects.filter(status="RUNNING").values_list("worker_ids", flat=True)
        holders = {ids[-1] for ids in running if ids}
        pids = set(WorkerHeartbeat.objects.filter(worker_id__in=holders).values_list("pid", flat=True))
        busy = [i for i, worker in enumerate(self.workers) if worker.pid in pids]
        return self.rng.choice(busy) if busy else None

    def run(self) -> None:
        try:
            while self.kills < KILLS and not self.stop.wait(self.rng.uniform(0.05, 0.6)):
                victim = self._victim()
                if victim is None:
                    continue
                self.workers[victim].send_signal(signal.SIGKILL)
                self.workers[victim].wait()
                self.workers[victim] = _start_worker(self.env)
                self.kills += 1
        finally:
            connection.close()

    def shutdown(self) -> None:
        for worker in self.workers:
            worker.send_signal(signal.SIGTERM)
        for worker in self.workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_every_application_is_issued_exactly_once_while_workers_are_killed(demo: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: several worker processes share the queue (SKIP LOCKED)")
    ids = set(applications_sent(COUNT, prefix="crash"))
    # The default line: head of unit, registry, head of agency. The final approvals are given
    # while workers run and are killed, so announcements and issuance both race with the kills.
    _decide_all("head-unit")
    _decide_all("registry")
    killer = Killer(_worker_env(), seed=20261129)
    chaos = threading.Thread(target=killer.run, name="killer")
    chaos.start()
    try:
        _decide_all("head-agency")
        started = time.monotonic()
        while time.monotonic() - started < DEADLINE_SECONDS:
            if Application.objects.filter(pk__in=ids, status="issued").count() == COUNT:
                break
            time.sleep(1)
    finally:
        killer.stop.set()
        chaos.join()
        killer.shutdown()

    statuses = list(Application.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses.count("issued") == COUNT, {s: statuses.count(s) for s in set(statuses)}
    issued = list(IssuedDocument.objects.all())
    assert len(issued) == COUNT
    assert {d.status for d in issued} == {"valid"}
    assert {d.issue_key for d in issued} == {f"application:{pk}" for pk in ids}
    delivered = Application.objects.filter(pk__in=ids).values_list("issued_document_id", flat=True)
    assert len(set(delivered)) == COUNT

    entries = list(RegistryEntry.objects.select_related("agency"))
    numbers = sorted(entry.number for entry in entries)
    assert numbers == list(range(1, COUNT + 1)), "a registry number was skipped or used twice"
    assert sorted(d.registry_number for d in issued) == sorted(e.registry_number for e in entries)

    report = audit_verify()
    assert report.ok, report.first
    # the kills were real and hit workers holding a task: that work was taken up again
    print(f"\n{killer.kills} workers killed while holding a task")
    assert killer.kills > 0
    # (a kill can land just after its task finished, so not every kill leaves work behind)
    retried = AuditEvent.objects.filter(event="jobs.task_retried").count()
    assert retried > 0, killer.kills
