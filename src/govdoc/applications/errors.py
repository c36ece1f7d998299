"""Errors of the applications domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.applications.specs import FieldErrors
from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class ApplicationsError(GovDocError):
    code = "applications"


class ServiceNotFoundError(ApplicationsError, NotFoundError):
    code = "service-not-found"


class ApplicationNotFoundError(ApplicationsError, NotFoundError):
    """No such application, or one the viewer may not see: the two are not told apart."""

    code = "application-not-found"


class InboxMessageNotFoundError(ApplicationsError, NotFoundError):
    code = "inbox-message-not-found"


class FieldErrorsMixin:
    """An input error that names every field that is wrong (field path -> message)."""

    field_errors: FieldErrors


class InvalidServiceError(ApplicationsError, InvalidInputError, FieldErrorsMixin):
    """A service definition (schema, attachment rules, template, default line) is not valid."""

    code = "invalid-service"

    def __init__(self, message: str, *, errors: FieldErrors, **details: object) -> None:
        super().__init__(message, errors=errors, **details)
        self.field_errors = errors


class InvalidApplicationError(ApplicationsError, InvalidInputError, FieldErrorsMixin):
    """Form data or attachments are not valid; ``field_errors`` names them all at once."""

    code = "invalid-application"

    def __init__(self, message: str, *, errors: FieldErrors, **details: object) -> None:
        super().__init__(message, errors=errors, **details)
        self.field_errors = errors


class InvalidDecisionError(ApplicationsError, InvalidInputError):
    code = "invalid-decision"


class NotAdministratorError(ApplicationsError, PermissionDeniedError):
    code = "not-administrator-of-agency"


class NotApplicantError(ApplicationsError, PermissionDeniedError):
    """Only the citizen who applies (or applied) may do this."""

    code = "not-the-applicant"


class NotAllowedHereError(ApplicationsError, PermissionDeniedError):
    """The official holds no role in the handling unit that allows this action."""

    code = "not-allowed-in-handling-unit"


class NotOfficialOfAgencyError(ApplicationsError, PermissionDeniedError):
    """Only officials of the service's agency issue its documents without an application."""

    code = "not-official-of-agency"


class HandlerOutsideUnitError(ApplicationsError, InvalidInputError):
    code = "handler-outside-unit"


class ServiceInactiveError(ApplicationsError, ConflictError):
    code = "service-inactive"


class DuplicateServiceCodeError(ApplicationsError, ConflictError):
    code = "duplicate-service-code"


class IllegalTransitionError(ApplicationsError, ConflictError):
    """The application's status does not allow this move."""

    code = "illegal-transition"


class StepNotDueError(ApplicationsError, ConflictError):
    """The procedure that handles the application does not wait for this step now (the
    message names what it waits for)."""

    code = "handling-step-not-due"


class CompletionRequestOpenError(ApplicationsError, ConflictError):
    code = "completion-request-open"


class NoOneHoldsRoleError(ApplicationsError, ConflictError):
    """A default approval line names a role that nobody holds in the unit or agency."""

    code = "no-one-holds-role"


class DirectIssuanceRefusedError(ApplicationsError, PermissionDeniedError):
    """Direct issuance (without an application) refused; each refusal is audited."""

    code = "direct-issuance-refused"


class DirectIssuanceSystemsOnlyError(DirectIssuanceRefusedError):
    """Only an agency's system account issues directly; people go through an application."""

    code = "direct-issuance-systems-only"


class TokenScopeMissingError(DirectIssuanceRefusedError):
    """The token does not carry the scope ``issue:<service code>``."""

    code = "api-token-scope-missing"


class DirectIssuanceNotAllowedError(DirectIssuanceRefusedError):
    """The service did not opt in to direct issuance (with its legal basis)."""

    code = "direct-issuance-not-allowed"


class SystemOutsideAgencyError(DirectIssuanceRefusedError):
    """The system account belongs to another agency than the service."""

    code = "system-outside-agency"


class IdempotencyKeyReusedError(ApplicationsError, ConflictError):
    """A system sent an idempotency key again with another recipient or service: the key
    already stands for a different document."""

    code = "idempotency-key-reused"
