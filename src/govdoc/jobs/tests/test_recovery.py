"""Work that a dead or failing worker left behind is taken again, with back-off, and given up
where an administrator sees it; periodic jobs are enqueued once per interval, not per worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult
from pytest_django import Settings
from tests.support import log_in

from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.jobs import selectors
from govdoc.jobs.models import PeriodicJob, WorkerHeartbeat
from govdoc.jobs.services import PeriodicSpec, periodic_tick, work_recover, worker_beat, worker_stopped
from govdoc.jobs.tasks import work_recover_run

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _limits(settings: Settings) -> None:
    settings.GOVDOC_WORKER_LOST_AFTER_SECONDS = 60
    settings.GOVDOC_TASK_RETRY_SECONDS = 10
    settings.GOVDOC_TASK_MAX_ATTEMPTS = 3


def _running(worker_ids: list[str], *, started: dt.datetime) -> DBTaskResult[Any, Any]:
    result = work_recover_run.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status="RUNNING", worker_ids=worker_ids, started_at=started
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_a_task_held_by_a_worker_whose_heartbeat_stopped_runs_again_after_a_back_off() -> None:
    with clock.frozen(T0):
        worker_beat(worker_id="w-dead")
        worker_beat(worker_id="w-alive")
        lost = _running(["w-dead"], started=T0)
        held = _running(["w-alive"], started=T0)
    with clock.frozen(T0 + dt.timedelta(seconds=90)):
        worker_beat(worker_id="w-alive")  # still beating; w-dead fell silent at T0
        assert work_recover() == {"retried": 1, "given_up": 0}

    lost.refresh_from_db()
    held.refresh_from_db()
    assert lost.status == "READY"
    assert lost.run_after == T0 + dt.timedelta(seconds=90 + 10)  # first retry: the base delay
    assert "w-dead stopped while running it" in lost.traceback
    assert held.status == "RUNNING"
    event = AuditEvent.objects.get(event="jobs.task_retried")
    assert event.data["task"] == str(lost.pk) and event.data["attempts"] == 1


def test_a_worker_that_stopped_cleanly_does_not_keep_its_task_waiting() -> None:
    with clock.frozen(T0):
        worker_beat(worker_id="w1")
        task = _running(["w1"], started=T0)
        worker_stopped(worker_id="w1")
        assert work_recover()["retried"] == 1
    task.refresh_from_db()
    assert task.status == "READY"


def test_a_worker_without_heartbeats_is_trusted_until_the_lease_runs_out() -> None:
    with clock.frozen(T0):
        task = _running(["plain-db-worker"], started=T0)
    with clock.frozen(T0 + dt.timedelta(seconds=30)):
        assert work_recover() == {"retried": 0, "given_up": 0}
    with clock.frozen(T0 + dt.timedelta(seconds=61)):
        assert work_recover() == {"retried": 1, "given_up": 0}
    task.refresh_from_db()
    assert task.status == "READY"


def test_back_off_doubles_and_the_last_attempt_is_given_up_for_an_administrator() -> None:
    result = work_recover_run.enqueue()
    delays = []
    for attempt in (1, 2):
        with clock.frozen(T0):
            DBTaskResult.objects.filter(pk=result.id).update(
                status="FAILED",
                worker_ids=[f"w{i}" for i in range(attempt)],
                exception_class_path="psycopg.OperationalError",
                traceback="server closed the connection",
                finished_at=T0,
            )
            assert work_recover() == {"retried": 1, "given_up": 0}
        task = DBTaskResult.objects.get(pk=result.id)
        delays.append((task.run_after - T0).total_seconds())
    assert delays == [10, 20]

    with clock.frozen(T0):
        DBTaskResult.objects.filter(pk=result.id).update(status="FAILED", worker_ids=["w0", "w1", "w2"])
        assert work_recover() == {"retried": 0, "given_up": 1}
        assert work_recover() == {"retried": 0, "given_up": 0}  # given up once, not at every sweep
    task = DBTaskResult.objects.get(pk=result.id)
    assert task.status == "FAILED"
    assert list(selectors.tasks_needing_attention()) == [task]
    [gave_up] = AuditEvent.objects.filter(event="jobs.task_given_up")
    assert gave_up.data["attempts"] == 3 and gave_up.data["task_path"].endswith("work_recover_run")


def test_a_worker_killed_on_its_last_attempt_leaves_a_failed_task_saying_why() -> None:
    with clock.frozen(T0):
        worker_beat(worker_id="w-dead")
        task = _running(["a", "b", "w-dead"], started=T0)
    with clock.frozen(T0 + dt.timedelta(seconds=120)):
        assert work_recover() == {"retried": 0, "given_up": 1}
    task.refresh_from_db()
    assert (task.status, task.exception_class_path) == ("FAILED", "govdoc.jobs.WorkerLost")
    assert "w-dead stopped while running it" in task.traceback


def test_a_periodic_job_is_enqueued_once_per_interval_whatever_the_number_of_workers() -> None:
    spec = PeriodicSpec("work-recover", work_recover_run, 30)
    with clock.frozen(T0):
        enqueued = [periodic_tick(specs=[spec]) for _worker in range(4)]
    assert enqueued == [["work-recover"], [], [], []]
    with clock.frozen(T0 + dt.timedelta(seconds=29)):
        assert periodic_tick(specs=[spec]) == []
    with clock.frozen(T0 + dt.timedelta(seconds=30)):
        assert periodic_tick(specs=[spec]) == ["work-recover"]
        assert periodic_tick(specs=[spec]) == []
    assert DBTaskResult.objects.filter(task_path__endswith="work_recover_run").count() == 2
    job = PeriodicJob.objects.get(name="work-recover")
    assert job.next_run_at == T0 + dt.timedelta(seconds=60)


def test_heartbeats_record_when_a_worker_was_last_seen() -> None:
    with clock.frozen(T0):
        worker_beat(worker_id="w1")
    with clock.frozen(T0 + dt.timedelta(seconds=5)):
        worker_beat(worker_id="w1")
    beat = WorkerHeartbeat.objects.get(pk="w1")
    assert (beat.started_at, beat.seen_at, beat.stopped_at) == (T0, T0 + dt.timedelta(seconds=5), None)


def test_an_administrator_sees_given_up_work_and_sends_it_round_again(client: Any) -> None:
    from django.contrib.auth import get_user_model

    from govdoc.jobs.errors import TaskNotRetryableError
    from govdoc.jobs.services import task_retry_now

    with clock.frozen(T0):
        task = _running(["a", "b"], started=T0)
        worker_beat(worker_id="b")
    with clock.frozen(T0 + dt.timedelta(minutes=5)):
        worker_beat(worker_id="c")
        assert work_recover() == {"retried": 1, "given_up": 0}  # third attempt allowed
        DBTaskResult.objects.filter(pk=task.pk).update(status="RUNNING", worker_ids=["a", "b", "c"])
        WorkerHeartbeat.objects.filter(pk="c").update(stopped_at=T0 + dt.timedelta(minutes=5))
        assert work_recover() == {"retried": 0, "given_up": 1}

    admin = get_user_model().objects.create_user(username="root", is_staff=True, is_superuser=True)
    log_in(client, admin)
    page = client.get("/admin/jobs/taskneedingattention/")
    assert page.status_code == 200
    assert "govdoc.jobs.tasks.work_recover_run" in page.content.decode()

    response = client.post(
        "/admin/jobs/taskneedingattention/",
        {"action": "retry_now", "_selected_action": [str(task.pk)]},
        follow=True,
    )
    assert "1 task(s) sent round again." in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.queue_name) == ("READY", "default")
    event = AuditEvent.objects.get(event="jobs.task_retried_by_administrator")
    assert event.actor_id == str(admin.pk)

    DBTaskResult.objects.filter(pk=task.pk).update(status="SUCCESSFUL")
    with pytest.raises(TaskNotRetryableError):
        task_retry_now(task_id=task.pk, actor=admin)
