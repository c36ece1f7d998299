"""Kinds, statuses and the allowed moves of approval lines and their steps."""

from __future__ import annotations

from django.db import models


class StepKind(models.TextChoices):
    REVIEW = "review", "Review"
    # 협조: several consent steps with the same position form a parallel group.
    CONSENT = "consent", "Consent"
    APPROVAL = "approval", "Final approval"


class LineStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_PROGRESS = "in_progress", "In progress"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Returned to the drafter"
    WITHDRAWN = "withdrawn", "Withdrawn"


LINE_MOVES: dict[str, frozenset[str]] = {
    LineStatus.DRAFT: frozenset({LineStatus.IN_PROGRESS, LineStatus.WITHDRAWN}),
    LineStatus.IN_PROGRESS: frozenset(
        {LineStatus.APPROVED, LineStatus.REJECTED, LineStatus.RETURNED, LineStatus.WITHDRAWN}
    ),
    LineStatus.APPROVED: frozenset(),
    LineStatus.REJECTED: frozenset(),
    LineStatus.RETURNED: frozenset(),
    LineStatus.WITHDRAWN: frozenset(),
}

LINE_FINISHED = frozenset(
    {LineStatus.APPROVED, LineStatus.REJECTED, LineStatus.RETURNED, LineStatus.WITHDRAWN}
)


class StepStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Returned"
    SKIPPED = "skipped", "Skipped"


STEP_MOVES: dict[str, frozenset[str]] = {
    StepStatus.WAITING: frozenset({StepStatus.PENDING, StepStatus.SKIPPED}),
    StepStatus.PENDING: frozenset(
        {StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.RETURNED, StepStatus.SKIPPED}
    ),
    StepStatus.APPROVED: frozenset(),
    StepStatus.REJECTED: frozenset(),
    StepStatus.RETURNED: frozenset(),
    StepStatus.SKIPPED: frozenset(),
}

STEP_DECIDED = frozenset({StepStatus.APPROVED, StepStatus.REJECTED, StepStatus.RETURNED})
STEP_OPEN = frozenset({StepStatus.WAITING, StepStatus.PENDING})


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    RETURN = "return", "Return to the drafter"


# What a decision does to its step and, when it ends the line, to the line.
DECISION_STEP_STATUS: dict[str, StepStatus] = {
    Decision.APPROVE: StepStatus.APPROVED,
    Decision.REJECT: StepStatus.REJECTED,
    Decision.RETURN: StepStatus.RETURNED,
}
DECISION_ENDS_LINE: dict[str, LineStatus] = {
    Decision.REJECT: LineStatus.REJECTED,
    Decision.RETURN: LineStatus.RETURNED,
}
# A rejection or a return must say why: the drafter has to know what to change.
DECISIONS_NEEDING_COMMENT = frozenset({Decision.REJECT, Decision.RETURN})

# Why a step was never decided; the exported manifest names it for every skipped step.
SKIP_DELEGATED = "delegated decision"
SKIP_BY_OUTCOME: dict[str, str] = {
    LineStatus.REJECTED: "line rejected",
    LineStatus.RETURNED: "line returned to the drafter",
    LineStatus.WITHDRAWN: "line withdrawn",
}

# The applicant withdrew the application the line decides on (the line is withdrawn, its open
# steps skipped with this reason, and no outcome is announced).
REASON_APPLICANT_WITHDREW = "the applicant withdrew the application"

COMMENT_MAX_LENGTH = 2000
