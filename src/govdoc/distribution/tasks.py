"""Background work of the distribution domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def consignment_send_run(*, consignment_id: str) -> str:
    """One attempt to send a consignment to another node (``consignments.consignment_send``);
    written in the transaction that sends the document or records the failed attempt before."""
    from govdoc.distribution.consignments import consignment_send

    return consignment_send(consignment_id=consignment_id)


@task()
def node_crls_refresh_run() -> dict[str, int]:
    """Fetch the trusted nodes' CRLs again (the periodic job ``federation-crl-refresh``)."""
    from govdoc.distribution.nodes import node_crls_refresh

    return node_crls_refresh()


@task()
def consignments_overdue_run() -> int:
    """Give a task again to consignments that lost theirs (the periodic job
    ``federation-overdue``)."""
    from govdoc.distribution.consignments import consignments_overdue_requeue

    return consignments_overdue_requeue()
