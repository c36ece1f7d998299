from govdoc.core.errors import ConflictError, GovDocError, InvalidInputError, NotFoundError


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
