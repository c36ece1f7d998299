"""Kinds, states and retention periods of officials' documents and their deliveries."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdoc.accounts.constants import Role
from govdoc.approvals.policy import ApprovalPolicy


class DocumentKind(models.TextChoices):
    """What an official drafts (Serbian office practice: dopis, rešenje, zahtev, obaveštenje)."""

    LETTER = "dopis", _("Letter")
    DECISION = "resenje", _("Decision")
    REQUEST = "zahtev", _("Request")
    NOTICE = "obavestenje", _("Notice")


class OutgoingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    REJECTED = "rejected", _("Rejected")
    SENT = "sent", _("Sent")


class DeliveryStatus(models.TextChoices):
    """One recipient's copy: planned with the draft, delivered when the approved document is
    sent (inside one installation sending and delivery are one step), then registered by the
    recipient's registry clerk or returned as misaddressed."""

    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    REGISTERED = "registered", _("Registered")
    RETURNED = "returned", _("Returned")


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

MAX_RECIPIENTS = 50
