from govdoc.core.errors import ConfigurationError, GovDocError, InvalidInputError, NotFoundError


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
