# ruff: noqa: S105  (names such as "accounts.api_token_issued" are event types, not secrets)
"""Every kind of event GovDoc records: one enumerated list, with what each means.

``record`` refuses a name that is not here, so the audit log never holds a free-form string a
reader has to guess at; a test checks that every ``record("...")`` in the code names one of
these, and docs/audit-events.md is this list for readers (a test keeps it in step).
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    # accounts: people, agencies, log-in, tokens
    AGENCY_CREATED = "accounts.agency_created"
    UNIT_CREATED = "accounts.unit_created"
    PERSON_CREATED = "accounts.person_created"
    SYSTEM_ACCOUNT_CREATED = "accounts.system_account_created"
    MEMBERSHIP_GRANTED = "accounts.membership_granted"
    MEMBERSHIP_ENDED = "accounts.membership_ended"
    SCRIPT_CHANGED = "accounts.script_changed"
    LOGIN_SUCCEEDED = "accounts.login_succeeded"
    LOGIN_FAILED = "accounts.login_failed"
    LOGIN_THROTTLED = "accounts.login_throttled"
    REAUTHENTICATED = "accounts.reauthenticated"
    SECOND_FACTOR_ENROLMENT_STARTED = "accounts.second_factor_enrolment_started"
    SECOND_FACTOR_ENROLLED = "accounts.second_factor_enrolled"
    SECOND_FACTOR_FAILED = "accounts.second_factor_failed"
    SECOND_FACTOR_RESET = "accounts.second_factor_reset"
    RECOVERY_CODE_USED = "accounts.recovery_code_used"
    API_TOKEN_ISSUED = "accounts.api_token_issued"
    API_TOKEN_REFUSED = "accounts.api_token_refused"
    API_TOKEN_REVOKED = "accounts.api_token_revoked"
    API_TOKEN_USED = "accounts.api_token_used"
    SIGNUP_REFUSED = "accounts.signup_refused"
    SIGNUP_EXPIRED_REMOVED = "accounts.signup_expired_removed"
    EMAIL_CONFIRMED = "accounts.email_confirmed"
    PASSWORD_CHANGED = "accounts.password_changed"
    PASSWORD_CHANGE_REFUSED = "accounts.password_change_refused"
    PASSWORD_RESET_REQUESTED = "accounts.password_reset_requested"
    # requests refused anywhere (401/403 of the API and the pages)
    REQUEST_REFUSED = "security.request_refused"
    # the administrators' pages
    ADMIN_OBJECT_CREATED = "admin.object_created"
    ADMIN_OBJECT_CHANGED = "admin.object_changed"
    ADMIN_OBJECT_DELETED = "admin.object_deleted"
    ADMIN_PASSWORD_SET = "admin.password_set"
    # applications: the citizen's journey
    SERVICE_CREATED = "applications.service_created"
    SERVICE_UPDATED = "applications.service_updated"
    APPLICATION_SUBMITTED = "applications.application_submitted"
    APPLICATION_ASSIGNED = "applications.application_assigned"
    APPLICATION_REVIEWED = "applications.application_reviewed"
    COMPLETION_REQUESTED = "applications.completion_requested"
    APPLICATION_COMPLETED = "applications.application_completed"
    DECISION_DRAFTED = "applications.decision_drafted"
    DECISION_SENT_TO_APPROVAL = "applications.decision_sent_to_approval"
    APPROVAL_LINE_REFUSED = "applications.approval_line_refused"
    APPLICATION_APPROVED = "applications.application_approved"
    APPLICATION_REJECTED = "applications.application_rejected"
    APPLICATION_RETURNED = "applications.application_returned"
    APPLICATION_WITHDRAWN = "applications.application_withdrawn"
    APPLICATION_ISSUED = "applications.application_issued"
    DOCUMENT_ISSUED_DIRECTLY = "applications.document_issued_directly"
    DIRECT_ISSUANCE_REFUSED = "applications.direct_issuance_refused"
    ATTACHMENT_REFUSED = "applications.attachment_refused"
    INBOX_MESSAGE_READ = "applications.inbox_message_read"
    # approvals: e-Approval lines and signed decisions
    LINE_CREATED = "approvals.line_created"
    LINE_SUBMITTED = "approvals.line_submitted"
    LINE_STEPS_REPLACED = "approvals.line_steps_replaced"
    LINE_WITHDRAWN = "approvals.line_withdrawn"
    LINE_CANCELLED = "approvals.line_cancelled"
    STEP_DECIDED = "approvals.step_decided"
    STEP_APPROVED = "approvals.step_approved"
    DECISION_REFUSED = "approvals.decision_refused"
    POST_REPORT_ACKNOWLEDGED = "approvals.post_report_acknowledged"
    MANIFEST_EXPORTED = "approvals.manifest_exported"
    DELEGATION_RULE_CREATED = "approvals.delegation_rule_created"
    DELEGATION_RULE_ENDED = "approvals.delegation_rule_ended"
    ABSENCE_CREATED = "approvals.absence_created"
    ABSENCE_ENDED = "approvals.absence_ended"
    # audit itself
    CHECKPOINT_CREATED = "audit.checkpoint_created"
    PERSONAL_DATA_VIEWED = "audit.personal_data_viewed"
    # documents: registry, versions, files
    DOCUMENT_CREATED = "documents.document_created"
    DOCUMENT_REGISTERED = "documents.document_registered"
    VERSION_ADDED = "documents.version_added"
    VERSION_SEALED = "documents.version_sealed"
    VERSION_NOTE_CHANGED = "documents.version_note_changed"
    ATTACHMENT_ADDED = "documents.attachment_added"
    FILE_INTEGRITY_FAILED = "documents.file_integrity_failed"
    UPLOAD_REFUSED = "documents.upload_refused"
    FILE_REPAIRED = "documents.file_repaired"
    REGISTRY_ENTRY_CANCELLED = "documents.registry_entry_cancelled"
    REGISTRY_EXPORTED = "documents.registry_exported"
    # issuance: issued e-Documents
    DOCUMENT_ISSUE_STARTED = "issuance.document_issue_started"
    DOCUMENT_ISSUE_RESUMED = "issuance.document_issue_resumed"
    DOCUMENT_ISSUE_FAILED = "issuance.document_issue_failed"
    DOCUMENT_ISSUED = "issuance.document_issued"
    DOCUMENT_REVOKED = "issuance.document_revoked"
    DOCUMENT_SUPERSEDED = "issuance.document_superseded"
    ARCHIVE_TIMESTAMP_RENEWED = "issuance.archive_timestamp_renewed"
    # distribution: officials' own documents, sent and received
    OUTGOING_DRAFTED = "distribution.outgoing_drafted"
    OUTGOING_CONTENT_REPLACED = "distribution.outgoing_content_replaced"
    OUTGOING_SENT_FOR_APPROVAL = "distribution.outgoing_sent_for_approval"
    OUTGOING_REGISTERED = "distribution.outgoing_registered"
    OUTGOING_SENT = "distribution.outgoing_sent"
    OUTGOING_FILED = "distribution.outgoing_filed"
    OUTGOING_REJECTED = "distribution.outgoing_rejected"
    OUTGOING_BACK_TO_DRAFT = "distribution.outgoing_back_to_draft"
    DELIVERY_REGISTERED = "distribution.delivery_registered"
    DELIVERY_RETURNED = "distribution.delivery_returned"
    DELIVERY_READ = "distribution.delivery_read"
    NODE_TRUSTED = "distribution.node_trusted"
    NODE_UNTRUSTED = "distribution.node_untrusted"
    TRUST_LIST_SIGNED = "distribution.trust_list_signed"
    NODE_CRL_REFRESHED = "distribution.node_crl_refreshed"
    CONSIGNMENT_DELIVERED = "distribution.consignment_delivered"
    CONSIGNMENT_REFUSED = "distribution.consignment_refused"
    CONSIGNMENT_FAILED = "distribution.consignment_failed"
    CONSIGNMENT_RESENT = "distribution.consignment_resent"
    ENVELOPE_RECEIVED = "distribution.envelope_received"
    ENVELOPE_REFUSED = "distribution.envelope_refused"
    MESSAGE_RECEIVED = "distribution.message_received"
    MESSAGE_FAILED = "distribution.message_failed"
    # jobs: background work
    TASK_RETRIED = "jobs.task_retried"
    TASK_RETRIED_BY_ADMINISTRATOR = "jobs.task_retried_by_administrator"
    TASK_GIVEN_UP = "jobs.task_given_up"
    # procedures: BPMN processes, their instances, tasks and timers
    PROCEDURE_DEFINITION_LOADED = "procedures.definition_loaded"
    PROCEDURE_STARTED = "procedures.instance_started"
    PROCEDURE_TASK_COMPLETED = "procedures.task_completed"
    PROCEDURE_TIMER_FIRED = "procedures.timer_fired"
    PROCEDURE_TIMER_FAILED = "procedures.timer_failed"
    PROCEDURE_COMPLETED = "procedures.instance_completed"
    PROCEDURE_CANCELLED = "procedures.instance_cancelled"
    PROCEDURE_DOCUMENT_DRAFTED = "procedures.document_drafted"
    PROCEDURE_ANSWER_NOT_COUNTERSIGNED = "procedures.answer_not_countersigned"
    PROCEDURE_HANDLING_MISSING = "procedures.handling_procedure_missing"
    PROCEDURE_REMOTE_TASK_RECEIVED = "procedures.remote_task_received"
    PROCEDURE_REMOTE_TASK_COMPLETED = "procedures.remote_task_completed"
    PROCEDURE_REMOTE_TASK_WITHDRAWN = "procedures.remote_task_withdrawn"
    PROCEDURE_REMOTE_TASK_RETURNED = "procedures.remote_task_returned"
    # signatures: keys, certificates, seals
    CERTIFICATE_ISSUED = "signatures.certificate_issued"
    CERTIFICATE_REVOKED = "signatures.certificate_revoked"
    PDF_SEALED = "signatures.pdf_sealed"
    PDF_SEAL_REFUSED = "signatures.pdf_seal_refused"
    PIN_WRONG = "signatures.pin_wrong"
    PIN_REFUSED = "signatures.pin_refused"
    PIN_BLOCKED = "signatures.pin_blocked"
    PIN_UNBLOCKED = "signatures.pin_unblocked"
    PIN_CHANGED = "signatures.pin_changed"


# Security events: what an IT security officer watches (log-ins, refusals, tokens, keys).
SECURITY_EVENTS = frozenset(
    {
        EventType.LOGIN_SUCCEEDED,
        EventType.LOGIN_FAILED,
        EventType.LOGIN_THROTTLED,
        EventType.REAUTHENTICATED,
        EventType.SECOND_FACTOR_ENROLLED,
        EventType.SECOND_FACTOR_FAILED,
        EventType.SECOND_FACTOR_RESET,
        EventType.RECOVERY_CODE_USED,
        EventType.API_TOKEN_ISSUED,
        EventType.API_TOKEN_REFUSED,
        EventType.API_TOKEN_REVOKED,
        EventType.API_TOKEN_USED,
        EventType.SIGNUP_REFUSED,
        EventType.PASSWORD_CHANGED,
        EventType.PASSWORD_CHANGE_REFUSED,
        EventType.PASSWORD_RESET_REQUESTED,
        EventType.REQUEST_REFUSED,
        EventType.ADMIN_PASSWORD_SET,
        EventType.CERTIFICATE_ISSUED,
        EventType.CERTIFICATE_REVOKED,
        EventType.DIRECT_ISSUANCE_REFUSED,
        EventType.DECISION_REFUSED,
        EventType.PDF_SEAL_REFUSED,
        EventType.FILE_INTEGRITY_FAILED,
        EventType.UPLOAD_REFUSED,
        EventType.ATTACHMENT_REFUSED,
        EventType.PIN_WRONG,
        EventType.PIN_REFUSED,
        EventType.PIN_BLOCKED,
        EventType.PIN_UNBLOCKED,
        EventType.PIN_CHANGED,
        EventType.NODE_TRUSTED,
        EventType.NODE_UNTRUSTED,
        EventType.ENVELOPE_REFUSED,
    }
)

KNOWN = frozenset(e.value for e in EventType)


def markdown() -> str:
    """docs/audit-events.md: ``python -m govdoc.audit.event_types > docs/audit-events.md``."""
    lines = [
        "# Audit event types",
        "",
        "Every event in GovDoc's hash-chained audit log has one of these types (the list is",
        "`govdoc.audit.event_types.EventType`; `record` refuses any other). Each event also holds",
        "who acted, on what, when, its data, and where the act came from: the client address and",
        "user agent of the request, or `cli` / `worker` and the command. Security events are marked.",
        "",
        "| event type | security |",
        "|---|:---:|",
    ]
    lines += [f"| `{e.value}` | {'yes' if e in SECURITY_EVENTS else ''} |" for e in EventType]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown())
