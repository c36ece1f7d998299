from govdoc.core.errors import GovDocError, InvalidInputError


class AuditError(GovDocError):
    code = "audit"


class NotInTransactionError(AuditError):
    code = "audit-outside-transaction"
    status = 500


class AccessPurposeMissingError(AuditError, InvalidInputError):
    code = "audit-access-purpose-missing"
    status = 400


class UnknownEventTypeError(AuditError):
    """A programming error: every event type is listed in ``audit.event_types``."""

    code = "audit-unknown-event-type"
    status = 500
