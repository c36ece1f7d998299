"""Reads of the audit log. Other domains read events through these, never through the models."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from govdoc.audit.chain import GENESIS_HASH
from govdoc.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from govdoc.audit.verification import HeadRow


def events_for_target(*, target_type: str, target_id: str) -> QuerySet[AuditEvent]:
    """The history of one object, oldest first. ``target_type`` is a model label such as
    ``"accounts.person"`` (what ``record`` stores for a model instance)."""
    return AuditEvent.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("seq")


def events_recent(limit: int = 50) -> QuerySet[AuditEvent]:
    """The latest ``limit`` events, newest first."""
    return AuditEvent.objects.order_by("-seq")[: max(0, limit)]


def chain_head() -> HeadRow:
    """The last event's position and hash; ``(0, genesis hash)`` before the first event."""
    row = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    return HeadRow(seq=row[0], hash=row[1]) if row is not None else HeadRow(seq=0, hash=GENESIS_HASH)


def checkpoint_latest() -> AuditCheckpoint | None:
    """The most recent signed checkpoint (highest seq), or None before the first."""
    return AuditCheckpoint.objects.order_by("-seq", "-created_at").first()


PERSONAL_DATA_VIEWED = "audit.personal_data_viewed"


def personal_data_views(*, targets: dict[str, list[str]]) -> QuerySet[AuditEvent]:
    """Recorded readings of personal data held by the given objects (``{model label: [ids]}``),
    newest first."""
    condition = Q(pk__in=[])
    for target_type, ids in targets.items():
        if ids:
            condition |= Q(target_type=target_type, target_id__in=[str(i) for i in ids])
    return AuditEvent.objects.filter(condition, event=PERSONAL_DATA_VIEWED).order_by("-seq")


def last_event(*, event: str, target_type: str, target_id: str) -> AuditEvent | None:
    """The newest event of one kind about one object, or None."""
    return (
        AuditEvent.objects.filter(event=event, target_type=target_type, target_id=str(target_id))
        .order_by("-seq")
        .first()
    )
