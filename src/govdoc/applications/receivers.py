"""Reactions to facts other domains announce (connected in ``apps.ApplicationsConfig.ready``)."""

from __future__ import annotations

import uuid
from typing import Any

from govdoc.applications.models import Application


def on_line_finished(sender: Any, *, line_id: uuid.UUID | str, outcome: str, **kwargs: Any) -> None:
    """An approval line finished: if it carries an application's decision, apply the outcome
    (approve and issue, reject, or return to the handler). Runs in the worker, inside the
    approvals task that announces the line's end; idempotent, so a retried announcement
    changes nothing twice, and an error propagates so that the task is retried. Lines of
    other documents are none of our business."""
    from govdoc.applications.services.decisions import decision_outcome_record

    line = uuid.UUID(str(line_id))
    application_id = Application.objects.filter(approval_line_id=line).values_list("pk", flat=True).first()
    if application_id is None:
        return
    decision_outcome_record(application_id=application_id, line_id=line, outcome=outcome)


def line_content_sha256(line_id: uuid.UUID) -> str | None:
    """The content an application's approval line is about, as it is now (None for the lines
    of other documents)."""
    from govdoc.applications.binding import content_sha256_of

    application = (
        Application.objects.select_related("service", "applicant").filter(approval_line_id=line_id).first()
    )
    return content_sha256_of(application) if application is not None else None
