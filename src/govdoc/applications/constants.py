"""Statuses of an application, the moves allowed between them, and the texts a citizen reads."""

from __future__ import annotations

from django.db import models

from govdoc.accounts.constants import Role, Script


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ASSIGNED = "assigned", "Assigned to a handler"
    AWAITING_COMPLETION = "awaiting_completion", "Awaiting completion by the applicant"
    IN_APPROVAL = "in_approval", "Decision in approval"
    APPROVED = "approved", "Approved"
    ISSUED = "issued", "Issued"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


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
    SUBMITTED = "submitted", "Submitted"
    ASSIGNED = "assigned", "Assigned"
    COMPLETION_REQUESTED = "completion_requested", "Completion requested"
    COMPLETED = "completed", "Completed by the applicant"
    SENT_TO_APPROVAL = "sent_to_approval", "Sent to approval"
    RETURNED = "returned", "Returned to the handler"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ISSUED = "issued", "Issued"
    WITHDRAWN = "withdrawn", "Withdrawn"


# What the citizen reads on the timeline for each event, in the script they chose.
# ``{number}`` is the receipt number, ``{date}`` a date (d.m.yyyy.), ``{message}`` the handler's text.
PUBLIC_MESSAGES: dict[EventKind, dict[str, str]] = {
    EventKind.SUBMITTED: {
        Script.LATIN: "Zahtev je primljen pod brojem {number}. Rok za rešavanje je {date}",
        Script.CYRILLIC: "Захтев је примљен под бројем {number}. Рок за решавање је {date}",
        Script.ENGLISH: "Your application was received under number {number}. It is due by {date}",
    },
    EventKind.ASSIGNED: {
        Script.LATIN: "Zahtev je dodeljen službeniku u radu.",
        Script.CYRILLIC: "Захтев је додељен службенику у раду.",
        Script.ENGLISH: "Your application was assigned to an official.",
    },
    EventKind.COMPLETION_REQUESTED: {
        Script.LATIN: "Potrebna je dopuna zahteva: {message}",
        Script.CYRILLIC: "Потребна је допуна захтева: {message}",
        Script.ENGLISH: "Your application needs completing: {message}",
    },
    EventKind.COMPLETED: {
        Script.LATIN: "Dopuna zahteva je primljena.",
        Script.CYRILLIC: "Допуна захтева је примљена.",
        Script.ENGLISH: "Your completion was received.",
    },
    EventKind.SENT_TO_APPROVAL: {
        Script.LATIN: "Odluka o zahtevu je upućena na odobrenje.",
        Script.CYRILLIC: "Одлука о захтеву је упућена на одобрење.",
        Script.ENGLISH: "The decision on your application was sent for approval.",
    },
    EventKind.RETURNED: {
        Script.LATIN: "Zahtev je ponovo u radu kod službenika.",
        Script.CYRILLIC: "Захтев је поново у раду код службеника.",
        Script.ENGLISH: "Your application is back with the official.",
    },
    EventKind.APPROVED: {
        Script.LATIN: "Zahtev je usvojen.",
        Script.CYRILLIC: "Захтев је усвојен.",
        Script.ENGLISH: "Your application was approved.",
    },
    EventKind.REJECTED: {
        Script.LATIN: "Zahtev je odbijen. {message}",
        Script.CYRILLIC: "Захтев је одбијен. {message}",
        Script.ENGLISH: "Your application was rejected. {message}",
    },
    EventKind.ISSUED: {
        Script.LATIN: "Dokument je izdat i nalazi se u vašem e-sandučetu.",
        Script.CYRILLIC: "Документ је издат и налази се у вашем е-сандучету.",
        Script.ENGLISH: "The document was issued and is in your e-inbox.",
    },
    EventKind.WITHDRAWN: {
        Script.LATIN: "Zahtev je povučen.",
        Script.CYRILLIC: "Захтев је повучен.",
        Script.ENGLISH: "The application was withdrawn.",
    },
}

RECEIPT_PREFIX = "P"  # prijem: receipt numbers read "P-MUP-2026-000042"
