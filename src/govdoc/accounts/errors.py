from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class AccountsError(GovDocError):
    code = "accounts"


class AgencyNotFoundError(NotFoundError):
    code = "agency-not-found"


class DuplicateCodeError(ConflictError):
    code = "duplicate-code"


class UnitOutsideAgencyError(InvalidInputError):
    code = "unit-outside-agency"


class CitizenCannotHoldOfficeError(InvalidInputError):
    code = "citizen-cannot-hold-office"


class AccountLockedError(GovDocError):
    code = "account-locked"
    status = 429


class InvalidCredentialsError(GovDocError):
    code = "invalid-credentials"
    status = 401


class RegistrationInvalidError(InvalidInputError):
    code = "registration-invalid"


class ApiTokenInvalidError(InvalidInputError):
    """A token cannot be issued as asked (no name, no or too long an expiry, a bad scope)."""

    code = "api-token-invalid"


class ApiTokenNotFoundError(NotFoundError):
    code = "api-token-not-found"


class ApiTokenRefusedError(GovDocError):
    """A known token that no longer opens the API: the refusal is audited."""

    code = "api-token-refused"
    status = 401


class ApiTokenExpiredError(ApiTokenRefusedError):
    code = "api-token-expired"


class ApiTokenRevokedError(ApiTokenRefusedError):
    code = "api-token-revoked"


class SystemAccountInvalidError(InvalidInputError):
    code = "system-account-invalid"


class SystemAccountOutsideScopeError(PermissionDeniedError):
    """A system account's token used where its scopes do not reach."""

    code = "system-account-outside-scope"


class PasswordInvalidError(InvalidInputError):
    """A new password (change or reset) is refused; ``errors`` says why, per field."""

    code = "password-invalid"


class AccountLinkInvalidError(InvalidInputError):
    """A confirmation or password-reset link that is wrong, used or expired."""

    code = "account-link-invalid"
