"""Kinds, statuses and the allowed moves of approval lines and their steps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class StepKind(models.TextChoices):
    REVIEW = "review", _("Review")
    # 협조: several consent steps with the same position form a parallel group.
    CONSENT = "consent", _("Consent")
    APPROVAL = "approval", _("Final approval")


class LineStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("approval line", "Draft")
    IN_PROGRESS = "in_progress", pgettext_lazy("approval line", "In progress")
    APPROVED = "approved", pgettext_lazy("approval line", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval line", "Rejected")
    RETURNED = "returned", pgettext_lazy("approval line", "Returned to the drafter")
    WITHDRAWN = "withdrawn", pgettext_lazy("approval line", "Withdrawn")


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
    WAITING = "waiting", pgettext_lazy("approval step", "Waiting")
    PENDING = "pending", pgettext_lazy("approval step", "Pending")
    APPROVED = "approved", pgettext_lazy("approval step", "Approved")
    REJECTED = "rejected", pgettext_lazy("approval step", "Rejected")
    RETURNED = "returned", pgettext_lazy("approval step", "Returned")
    SKIPPED = "skipped", pgettext_lazy("approval step", "Skipped")


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
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    RETURN = "return", _("Return to the drafter")


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

# Why a step was never decided; the exported manifest names it for every skipped step. Stored
# in English as they are here; pages show them in the reader's language (``reason_text``).
SKIP_DELEGATED = gettext_noop("delegated decision")
SKIP_BY_OUTCOME: dict[str, str] = {
    LineStatus.REJECTED: gettext_noop("line rejected"),
    LineStatus.RETURNED: gettext_noop("line returned to the drafter"),
    LineStatus.WITHDRAWN: gettext_noop("line withdrawn"),
}

# The applicant withdrew the application the line decides on (the line is withdrawn, its open
# steps skipped with this reason, and no outcome is announced).
REASON_APPLICANT_WITHDREW = gettext_noop("the applicant withdrew the application")

_STORED_REASONS = frozenset({SKIP_DELEGATED, REASON_APPLICANT_WITHDREW, *SKIP_BY_OUTCOME.values()})


def reason_text(reason: str) -> str:
    """A stored skip or end reason in the reader's language; a reason a person typed stays as typed."""
    return gettext(reason) if reason in _STORED_REASONS else reason


COMMENT_MAX_LENGTH = 2000
