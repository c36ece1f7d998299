"""Errors of the issuance domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class IssuanceError(GovDocError):
    """Root of this domain's errors."""

    code = "issuance"


class IssuedDocumentNotFoundError(IssuanceError, NotFoundError):
    """No issued document has this verification code (or it was never completed)."""

    code = "issued-document-not-found"


class InvalidVerificationCodeError(IssuanceError, InvalidInputError):
    """What was typed cannot be a verification code (wrong length or characters)."""

    code = "verification-code-invalid"


class NotAllowedToChangeIssuedError(IssuanceError, PermissionDeniedError):
    """Only heads and administrators of the issuing agency revoke or supersede its documents."""

    code = "issued-change-not-allowed"


class NotAllowedToIssueError(IssuanceError, PermissionDeniedError):
    """The acting person holds no role in the agency that may write (and so issue) its documents."""

    code = "issue-not-allowed"


class NotTheRecipientError(IssuanceError, PermissionDeniedError):
    """Only the recipient sees who verified their document."""

    code = "issued-not-recipient"


class IssuedStatusError(IssuanceError, ConflictError):
    """The move is not allowed from the document's current status."""

    code = "issued-status-conflict"


class InvalidIssueInputError(IssuanceError, InvalidInputError):
    code = "issue-input-invalid"


class TemplateRenderError(IssuanceError, InvalidInputError):
    """The service's template could not be compiled or rendered."""

    code = "issue-template-invalid"


class IssuanceFailedError(IssuanceError, ConflictError):
    """Rendering or sealing failed; the issued document is kept with status ``failed``."""

    code = "issuance-failed"
    status = 500


class IssuanceInterruptedError(IssuanceError, ConflictError):
    """An issuance was begun and never finished: the process doing it stopped."""

    code = "issuance-interrupted"


class ArchiveKeeperError(IssuanceError, ConflictError):
    """An agency has no unit in which its archive keeper (a system account) can be made."""

    code = "archive-keeper-missing"


class PayloadInvalidError(IssuanceError, InvalidInputError):
    """A QR payload is malformed or its signature does not verify."""

    code = "qr-payload-invalid"
