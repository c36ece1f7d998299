"""Background work of the signatures domain (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def audit_checkpoint_make() -> int | None:
    """Sign and timestamp the head of the audit chain if events were added since the last
    checkpoint; returns the sequence number signed (None when there was nothing new). A
    periodic job: once per ``GOVDOC_CHECKPOINT_INTERVAL`` across all workers."""
    from govdoc.audit.selectors import chain_head
    from govdoc.signatures.audit_anchor import audit_checkpoint, last_checkpoint_seq

    head = chain_head()
    if head is None or head.seq <= last_checkpoint_seq():
        return None
    return audit_checkpoint(actor="worker").seq
