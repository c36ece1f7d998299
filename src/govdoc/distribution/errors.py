"""Errors of the distribution domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class DistributionError(GovDocError):
    """Root of this domain's errors."""

    code = "distribution"


class InvalidOutgoingError(DistributionError, InvalidInputError):
    """A draft's fields or recipients are not valid; ``field_errors`` names them all."""

    code = "invalid-outgoing-document"

    def __init__(self, message: str, *, errors: dict[str, str], **details: object) -> None:
        super().__init__(message, errors=errors, **details)
        self.field_errors = errors


class OutgoingNotFoundError(DistributionError, NotFoundError):
    """No outgoing document with this id that the person may see."""

    code = "outgoing-document-not-found"


class DeliveryNotFoundError(DistributionError, NotFoundError):
    """No received document with this id that the person may see."""

    code = "delivery-not-found"


class NotAllowedToDraftError(DistributionError, PermissionDeniedError):
    """The person holds no drafting role in the unit."""

    code = "drafting-not-allowed"


class NotTheDrafterError(DistributionError, PermissionDeniedError):
    """Only the drafter changes a draft or sends it for approval."""

    code = "not-the-drafter"


class NotRegistryClerkError(DistributionError, PermissionDeniedError):
    """Only a registry clerk of the recipient agency registers or returns what arrived."""

    code = "registry-clerk-only"


class NotAllowedToResendError(DistributionError, PermissionDeniedError):
    """Only a registry clerk of the sending agency, or the drafting unit, sends again."""

    code = "resend-not-allowed"


class OutgoingStateError(DistributionError, ConflictError):
    """The document is not in a state that allows this (e.g. sent for approval twice)."""

    code = "outgoing-document-state"


class DeliveryStateError(DistributionError, ConflictError):
    """The received document is not in a state that allows this (e.g. registered twice)."""

    code = "delivery-state"


class NodeNotFoundError(DistributionError, NotFoundError):
    """No node with this identifier in the trust list."""

    code = "node-not-found"
