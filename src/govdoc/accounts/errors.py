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


class RateLimitedError(GovDocError):
    """Too many tries or requests from this client: wait ``retry_after`` seconds."""

    code = "rate-limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int, **details: object) -> None:
        super().__init__(message, retry_after=retry_after, **details)
        self.retry_after = retry_after


class LoginThrottledError(RateLimitedError):
    code = "login-throttled"


class SecondFactorInvalidError(GovDocError):
    code = "second-factor-invalid"
    status = 401


class ReauthenticationRequiredError(GovDocError):
    """Signing, issuing and revoking need a recent log-in (step-up): log in again first."""

    code = "reauthentication-required"
    status = 401
