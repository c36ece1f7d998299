from govdoc.core.errors import GovDocError


class AuditError(GovDocError):
    code = "audit"


class NotInTransactionError(AuditError):
    code = "audit-outside-transaction"
    status = 500
