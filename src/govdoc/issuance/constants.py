"""Statuses of issued documents and the allowed moves; verification channels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdoc.accounts.constants import Role


class IssuedStatus(models.TextChoices):
    """The stored status. ``expired`` is never stored: it is derived from ``valid_until`` when
    read (``IssuedDocument.status_at``), so a document turns expired at the exact moment, with
    no task that could run late or not at all."""

    PENDING = "pending", "Being issued"
    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    SUPERSEDED = "superseded", "Superseded"
    FAILED = "failed", "Issuance failed"


class ShownStatus(models.TextChoices):
    """The status a verifier is told (DESIGN.md "Verification result")."""

    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    SUPERSEDED = "superseded", "Superseded"
    EXPIRED = "expired", "Expired"


ALLOWED_MOVES: dict[str, frozenset[str]] = {
    IssuedStatus.PENDING: frozenset({IssuedStatus.VALID, IssuedStatus.FAILED}),
    IssuedStatus.VALID: frozenset({IssuedStatus.REVOKED, IssuedStatus.SUPERSEDED}),
    IssuedStatus.REVOKED: frozenset(),
    IssuedStatus.SUPERSEDED: frozenset(),
    # A failed issuance with an issue key is taken up again by its retried task: the registry
    # number it holds gets its document, so no number is skipped.
    IssuedStatus.FAILED: frozenset({IssuedStatus.PENDING}),
}


class Channel(models.TextChoices):
    CODE = "code", _("Typed code")
    QR = "qr", _("Scanned QR code")
    UPLOAD = "upload", _("Uploaded file")
    API = "api", "API"


# Who may revoke or supersede a document in the name of the issuing agency.
CHANGE_ROLES = (Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR)

# The registered document's disclosure: issued documents name a person.
ISSUED_LEGAL_GROUND = "Sadrži podatke o ličnosti (Zakon o zaštiti podataka o ličnosti, čl. 5)"
