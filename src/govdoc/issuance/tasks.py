"""Background work of the issuance domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def issued_interrupted_sweep_run() -> int:
    """A periodic job: issuances begun long ago and never finished are marked failed, so an
    administrator sees them (``services.issued_interrupted_sweep``)."""
    from govdoc.issuance.services import issued_interrupted_sweep

    return issued_interrupted_sweep()


@task()
def archive_renew_run() -> dict[str, int]:
    """A periodic job: renew the archive timestamps that are due, in every agency
    (``archive_renewal.archive_renew_all``); returns how many were renewed per agency."""
    from govdoc.issuance.archive_renewal import archive_renew_all

    return {code: len(run.renewed) for code, run in archive_renew_all().items()}
