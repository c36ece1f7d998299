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


@task()
def outgoing_settled_announce(*, outgoing_id: str, status: str) -> int:
    """Tell the domains above that an outgoing document was sent, or an internal one filed
    (``signals.outgoing_settled``); enqueued in the transaction that did it. Returns
    how many receivers heard it."""
    from govdoc.distribution.models import OutgoingDocument
    from govdoc.distribution.signals import outgoing_settled

    return len(outgoing_settled.send(sender=OutgoingDocument, outgoing_id=outgoing_id, status=status))


@task()
def answer_registered_announce(*, delivery_id: str, answers: str) -> int:
    """Tell the domains above that an answer from another node was registered
    (``signals.answer_registered``); enqueued in the registration's transaction."""
    from govdoc.distribution.models import Delivery
    from govdoc.distribution.signals import answer_registered

    return len(answer_registered.send(sender=Delivery, delivery_id=delivery_id, answers=answers))


@task()
def message_post_run(*, message_id: str) -> str:
    """One attempt to post a message to another node (``messages.message_post``); written in the
    transaction that sends the message or records the failed attempt before."""
    from govdoc.distribution.messages import message_post

    return message_post(message_pk=int(message_id))
