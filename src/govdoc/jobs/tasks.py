"""The periodic job of this domain: take lost and failed work again."""

from __future__ import annotations

from django_tasks import task


@task()
def work_recover_run() -> dict[str, int]:
    """Requeue the tasks of dead workers and failed tasks (with back-off); give up after the
    last attempt. Run by every worker's scheduler, once per interval across the installation."""
    from govdoc.jobs.services import work_recover

    return work_recover()
