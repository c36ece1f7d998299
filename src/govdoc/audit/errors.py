from govdoc.core.errors import GovDocError, InvalidInputError


class AuditError(GovDocError):
    code = "audit"


class NotInTransactionError(AuditError):
    code = "audit-outside-transaction"
    status = 500


class AccessPurposeMissingError(AuditError, InvalidInputError):
    code = "audit-access-purpose-missing"
    status = 400
