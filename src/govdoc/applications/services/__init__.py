"""Writes of the applications domain, one service per action (see each module)."""

from govdoc.applications.services.applications import (
    application_assign,
    application_complete,
    application_review,
    application_submit,
    application_withdraw,
    completion_request_create,
)
from govdoc.applications.services.catalogue import ServiceChanges, service_create, service_update
from govdoc.applications.services.decisions import (
    application_issue,
    application_mark_approved,
    application_mark_issued,
    application_mark_rejected,
    application_return_to_handler,
    decision_draft_save,
    decision_outcome_record,
    decision_send_to_approval,
    default_line_resolve,
)
from govdoc.applications.services.inbox import inbox_deliver, inbox_message_read
from govdoc.applications.specs import UploadedFileData

__all__ = [
    "ServiceChanges",
    "UploadedFileData",
    "application_assign",
    "application_complete",
    "application_issue",
    "application_mark_approved",
    "application_mark_issued",
    "application_mark_rejected",
    "application_return_to_handler",
    "application_review",
    "application_submit",
    "application_withdraw",
    "completion_request_create",
    "decision_draft_save",
    "decision_outcome_record",
    "decision_send_to_approval",
    "default_line_resolve",
    "inbox_deliver",
    "inbox_message_read",
    "service_create",
    "service_update",
]
