"""Reactions to facts other domains announce (connected in ``apps.DistributionConfig.ready``)."""

from __future__ import annotations

import uuid
from typing import Any

from govdoc.distribution.models import OutgoingDocument


def on_line_finished(sender: Any, *, line_id: uuid.UUID | str, outcome: str, **kwargs: Any) -> None:
    """An approval line finished: if it approves an outgoing document, send it (or close it, or
    give it back to the drafter). Runs in the worker; idempotent; an error propagates so that
    the announcing task is retried. Lines of other documents are none of our business."""
    from govdoc.distribution.services import outgoing_finish

    line = uuid.UUID(str(line_id))
    outgoing_id = OutgoingDocument.objects.filter(approval_line_id=line).values_list("pk", flat=True).first()
    if outgoing_id is not None:
        outgoing_finish(outgoing_id=outgoing_id, line_id=line, outcome=outcome)


def line_content_sha256(line_id: uuid.UUID) -> str | None:
    """What an outgoing document's line approves, as it is now (None for other lines)."""
    from govdoc.distribution.services import content_sha256

    outgoing = (
        OutgoingDocument.objects.select_related("document__current_version")
        .filter(approval_line_id=line_id)
        .first()
    )
    return content_sha256(outgoing) if outgoing is not None else None
