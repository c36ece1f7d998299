"""Running queued tasks inside a test's transaction.

``manage.py db_worker`` calls ``close_old_connections()`` between tasks; inside the transaction
that wraps a ``django_db`` test on PostgreSQL that closes the test's own connection. This runs
the same ``Worker.run_task`` (claim, run, record success or failure) on the test's connection,
one ready task after another, until none is left.
"""

from __future__ import annotations

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

WORKER_ID = "test-worker"


def run_queued_tasks(*, limit: int = 1000) -> int:
    """Run every READY task of the default queue (and those they enqueue); returns how many ran."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=WORKER_ID,
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().filter(queue_name="default").get_locked()
            if task is None:
                return ran
            task.claim(WORKER_ID)
        worker.run_task(task)
        ran += 1
    return ran
