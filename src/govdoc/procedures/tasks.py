"""Background work of the procedures domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def procedures_tick_run() -> dict[str, int]:
    """Let due timers of running processes fire (the periodic job ``procedures-timers``)."""
    from govdoc.procedures.services import procedures_tick

    return procedures_tick()
