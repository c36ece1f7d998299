"""Reactions to facts other domains announce (connected in ``apps.ApplicationsConfig.ready``)."""

from __future__ import annotations

import uuid
from typing import Any

from govdoc.applications.models import Application
from govdoc.applications.tasks import decision_outcome_apply


def on_line_finished(sender: Any, *, line_id: uuid.UUID | str, outcome: str, **kwargs: Any) -> None:
    """An approval line finished (sent on commit): if it carries an application's decision, enqueue
    the task that applies the outcome. Lines of other documents are none of our business."""
    application_id = (
        Application.objects.filter(approval_line_id=uuid.UUID(str(line_id)))
        .values_list("pk", flat=True)
        .first()
    )
    if application_id is None:
        return
    decision_outcome_apply.enqueue(application_id=str(application_id), line_id=str(line_id), outcome=outcome)
