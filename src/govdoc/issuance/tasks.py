"""Background work of the issuance domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def issued_interrupted_sweep_run() -> int:
    """A periodic job: issuances begun long ago and never finished are marked failed, so an
    administrator sees them (``services.issued_interrupted_sweep``)."""
    from govdoc.issuance.services import issued_interrupted_sweep

    return issued_interrupted_sweep()
