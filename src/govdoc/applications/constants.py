"""Statuses of an application, the moves allowed between them, and the texts a citizen reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdoc.accounts.constants import Role, Script

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ASSIGNED = "assigned", _("Assigned to a handler")
    AWAITING_COMPLETION = "awaiting_completion", _("Awaiting completion by the applicant")
    IN_APPROVAL = "in_approval", _("Decision in approval")
    APPROVED = "approved", _("Approved")
    ISSUED = "issued", _("Issued")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationStatus

# The one table of allowed moves. Each move is made by one service in ``services``; handing an
# application to another handler (``application_assign`` on an assigned one) is not a move.
# A citizen may withdraw until there is a decision (approved or rejected). An approval line that is
# returned or withdrawn sends the application back to its handler (in_approval -> assigned).
TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.SUBMITTED: frozenset({S.ASSIGNED, S.WITHDRAWN}),
    S.ASSIGNED: frozenset({S.AWAITING_COMPLETION, S.IN_APPROVAL, S.WITHDRAWN}),
    S.AWAITING_COMPLETION: frozenset({S.ASSIGNED, S.WITHDRAWN}),
    S.IN_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.ASSIGNED, S.WITHDRAWN}),
    # Back to the handler when what would be issued is no longer what the line approved.
    S.APPROVED: frozenset({S.ISSUED, S.ASSIGNED}),
    S.ISSUED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Statuses in which an application still waits for the agency (deadlines and inboxes count them).
OPEN_STATUSES = frozenset({S.SUBMITTED, S.ASSIGNED, S.AWAITING_COMPLETION, S.IN_APPROVAL, S.APPROVED})
CLOSED_STATUSES = frozenset({S.ISSUED, S.REJECTED, S.WITHDRAWN})

# Who may assign an application to a handler, in the handling unit.
ASSIGNER_ROLES = frozenset({Role.HEAD_OF_UNIT, Role.REGISTRY_CLERK})
# Who may handle (ask for completion, draft and send the decision): the assigned handler, or a head.
SUPERVISOR_ROLES = frozenset({Role.HEAD_OF_UNIT})


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ASSIGNED = "assigned", _("Assigned")
    COMPLETION_REQUESTED = "completion_requested", _("Completion requested")
    COMPLETED = "completed", _("Completed by the applicant")
    SENT_TO_APPROVAL = "sent_to_approval", _("Sent to approval")
    RETURNED = "returned", _("Returned to the handler")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ISSUED = "issued", _("Issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class HandlingStep(models.TextChoices):
    """What happens to an application, as the procedure that handles it hears of it
    (``signals.handling_step``). A task of that procedure waits for one or more of them
    (``<govdoc:application on="...">``)."""

    RECEIVED = "received", _("Received")
    ASSIGNED = "assigned", _("Assigned to a handler")
    REVIEWED = "reviewed", _("Found complete by the handler")
    COMPLETION_REQUESTED = "completion_requested", _("Completion requested")
    COMPLETED = "completed", _("Completed by the applicant")
    SENT_TO_APPROVAL = "sent_to_approval", _("Decision sent for approval")
    DECIDED = "decided", _("Decided by the approval line")
    ISSUED = "issued", _("Document issued")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Steps an official chooses to take: refused while the application's procedure waits for
# something else. The others (the applicant's, the approval line's, issuing) are never refused.
OFFICIAL_STEPS = frozenset(
    {
        HandlingStep.ASSIGNED,
        HandlingStep.REVIEWED,
        HandlingStep.COMPLETION_REQUESTED,
        HandlingStep.SENT_TO_APPROVAL,
    }
)
# Steps a task of the procedure may wait for (it starts on ``received`` and is stopped on
# ``withdrawn``).
AWAITABLE_STEPS = frozenset(HandlingStep) - {HandlingStep.RECEIVED, HandlingStep.WITHDRAWN}


# Django's language for each script a person chooses (Django's ``sr`` catalogue is Cyrillic).
LANGUAGE_OF_SCRIPT: dict[str, str] = {Script.LATIN: "sr-latn", Script.CYRILLIC: "sr", Script.ENGLISH: "en"}

# What the citizen reads on the timeline for each event, translated from the catalogues.
# ``{number}`` is the receipt number, ``{date}`` a date (d.m.yyyy.), ``{message}`` the handler's text.
PUBLIC_MESSAGES: dict[EventKind, StrPromise] = {
    EventKind.SUBMITTED: _("Your application was received under number {number}. It is due by {date}"),
    EventKind.ASSIGNED: _("Your application was assigned to an official."),
    EventKind.COMPLETION_REQUESTED: _("Your application needs completing: {message}"),
    EventKind.COMPLETED: _("Your completion was received."),
    EventKind.SENT_TO_APPROVAL: _("The decision on your application was sent for approval."),
    EventKind.RETURNED: _("Your application is back with the official."),
    EventKind.APPROVED: _("Your application was approved."),
    EventKind.REJECTED: _("Your application was rejected. {message}"),
    EventKind.ISSUED: _("The document was issued and is in your e-Inbox."),
    EventKind.WITHDRAWN: _("The application was withdrawn."),
}

RECEIPT_PREFIX = "P"  # prijem: receipt numbers read "P-MUP-2026-000042"
