from govdoc.core.errors import (
    ConfigurationError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class SignaturesError(GovDocError):
    code = "signatures"


class CertificateNotFoundError(NotFoundError):
    code = "certificate-not-found"


class PinRequiredError(InvalidInputError):
    code = "signing-pin-required"


class WrongPinError(InvalidInputError):
    code = "signing-pin-wrong"
    status = 403


class KeyBackendConfigError(ConfigurationError):
    code = "key-backend-configuration"


class PinBlockedError(PermissionDeniedError):
    """Too many wrong PINs in a row: the key waits, or waits for an administrator."""

    code = "signing-pin-blocked"


class PinChangeRequiredError(PermissionDeniedError):
    """The PIN set when the key was provisioned must be changed by its holder before signing."""

    code = "signing-pin-change-required"


class PinInvalidError(InvalidInputError):
    """A new PIN is refused (too short, not digits, too easy to guess, not repeated alike)."""

    code = "signing-pin-invalid"
