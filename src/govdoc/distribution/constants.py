"""Kinds, states and retention periods of officials' documents and their deliveries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from govdoc.accounts.constants import Role
from govdoc.approvals.policy import ApprovalPolicy


class DocumentKind(models.TextChoices):
    """What an official drafts (Serbian office practice: dopis, rešenje, zahtev, obaveštenje)."""

    LETTER = "dopis", pgettext_lazy("document kind", "Letter")
    DECISION = "resenje", pgettext_lazy("document kind", "Decision")
    REQUEST = "zahtev", pgettext_lazy("document kind", "Request")
    NOTICE = "obavestenje", pgettext_lazy("document kind", "Notice")
    AGREEMENT = "sporazum", pgettext_lazy("document kind", "Agreement or memorandum")
    REPORT = "izvestaj", pgettext_lazy("document kind", "Report")
    PLAN = "plan", pgettext_lazy("document kind", "Plan")


class OutgoingStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("outgoing document", "Draft")
    IN_APPROVAL = "in_approval", pgettext_lazy("outgoing document", "In approval")
    REJECTED = "rejected", pgettext_lazy("outgoing document", "Rejected")
    SENT = "sent", pgettext_lazy("outgoing document", "Sent")
    # An internal document (no recipients: a plan, an analysis, a report kept by the agency):
    # approved, numbered in the agency's own registry, sealed and kept there, never dispatched.
    FILED = "filed", pgettext_lazy("outgoing document", "Filed")


class DeliveryStatus(models.TextChoices):
    """One recipient's copy: planned with the draft, delivered when the approved document is
    sent (inside one installation sending and delivery are one step), then registered by the
    recipient's registry clerk or returned as misaddressed."""

    PLANNED = "planned", pgettext_lazy("delivery", "Planned")
    DELIVERED = "delivered", pgettext_lazy("delivery", "Delivered")
    REGISTERED = "registered", pgettext_lazy("delivery", "Registered")
    RETURNED = "returned", pgettext_lazy("delivery", "Returned")


class ConsignmentStatus(models.TextChoices):
    """A recipient on another node: planned with the draft, sending from approval until the
    receiving node answers (retried with back-off), then delivered (its signed receipt is kept)
    or refused (the receipt says why); failed when the sending time ran out."""

    PLANNED = "planned", pgettext_lazy("consignment", "Planned")
    SENDING = "sending", pgettext_lazy("consignment", "Sending")
    DELIVERED = "delivered", pgettext_lazy("consignment", "Delivered")
    REFUSED = "refused", pgettext_lazy("consignment", "Refused")
    FAILED = "failed", pgettext_lazy("consignment", "Failed")


# Retention periods an official may choose (years); None is "permanent" (trajno). Serbia's
# rules on office operations and Korea's records act use the same steps.
RETENTION_YEARS: tuple[int, ...] = (1, 2, 3, 5, 10, 30)

# Who may draft, and who registers and returns what arrives.
DRAFTER_ROLES = frozenset({Role.HANDLER, Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY, Role.REGISTRY_CLERK})
REGISTRY_ROLES = frozenset({Role.REGISTRY_CLERK})

# The approval policy of a kind that an agency has not set one for: one final approval by the
# head of the drafting unit (the drafter may add reviews and consents).
DEFAULT_POLICY: ApprovalPolicy = {
    "steps": [{"kind": "approval", "holders": [{"role": "head_of_unit", "scope": "unit"}]}]
}

# Kinds whose default is another: an agreement or memorandum binds the agency, so its head
# gives the final approval (a minister, for a ministry).
# A plan or a report the agency keeps (an internal document, mostly) is finally approved by the
# head of the drafting unit or by the head of the agency; a procedure's task names which.
_UNIT_OR_AGENCY_HEAD: ApprovalPolicy = {
    "steps": [
        {
            "kind": "approval",
            "holders": [
                {"role": "head_of_unit", "scope": "unit"},
                {"role": "head_of_agency", "scope": "agency"},
            ],
        }
    ]
}
DEFAULT_POLICIES: dict[str, ApprovalPolicy] = {
    "sporazum": {"steps": [{"kind": "approval", "holders": [{"role": "head_of_agency", "scope": "agency"}]}]},
    "izvestaj": _UNIT_OR_AGENCY_HEAD,
    "plan": _UNIT_OR_AGENCY_HEAD,
}

MAX_RECIPIENTS = 50
