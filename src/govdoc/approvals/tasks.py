"""Background work of the approvals domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def line_finished_announce(*, line_id: str, outcome: str) -> int:
    """Tell the domains above that a line ended (``signals.line_finished``).

    Enqueued in the transaction of the decision that ended the line (an outbox row): if that
    transaction commits, the announcement will be made, whatever happens to the process next.
    Sent with ``send``, not ``send_robust``: a receiver that fails fails the task, which is
    then retried (``govdoc.jobs``), so every receiver must be idempotent. Returns how many
    receivers heard it.
    """
    from govdoc.approvals.models import ApprovalLine
    from govdoc.approvals.signals import line_finished

    return len(line_finished.send(sender=ApprovalLine, line_id=line_id, outcome=outcome))
