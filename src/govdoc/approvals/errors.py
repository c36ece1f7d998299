"""Errors of the approvals domain. Each carries ids and plain values, never model objects."""

from __future__ import annotations

from govdoc.core.errors import (
    ConflictError,
    GovDocError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)


class ApprovalsError(GovDocError):
    code = "approvals"


class LineNotFoundError(ApprovalsError, NotFoundError):
    code = "approval-line-not-found"


class StepNotFoundError(ApprovalsError, NotFoundError):
    code = "approval-step-not-found"


class InvalidLineError(ApprovalsError, InvalidInputError):
    """The steps of a line break a rule (one final approval, last; no one twice; ...)."""

    code = "approval-line-invalid"


class NotDrafterError(ApprovalsError, PermissionDeniedError):
    """Only the drafter builds, changes, submits and withdraws a line."""

    code = "approval-not-drafter"


class LineStateError(ApprovalsError, ConflictError):
    """The line is not in a state that allows this move."""

    code = "approval-line-state"


class LineAlreadyOpenError(ApprovalsError, ConflictError):
    """The version already has a line in draft or in progress."""

    code = "approval-line-already-open"


class StepNotPendingError(ApprovalsError, ConflictError):
    """The step is waiting for an earlier position, or was already decided or skipped."""

    code = "approval-step-not-pending"


class NotYourStepError(ApprovalsError, PermissionDeniedError):
    """The actor is neither the step's assignee nor the deputy of an absent assignee."""

    code = "approval-not-your-step"


class InvalidDecisionError(ApprovalsError, InvalidInputError):
    code = "approval-decision-invalid"


class CommentRequiredError(InvalidDecisionError):
    """A rejection or a return must say why."""

    code = "approval-comment-required"


class InvalidDelegationRuleError(ApprovalsError, InvalidInputError):
    code = "approval-delegation-rule-invalid"


class InvalidAbsenceError(ApprovalsError, InvalidInputError):
    code = "approval-absence-invalid"


class NotAllowedToManageError(ApprovalsError, PermissionDeniedError):
    """Delegation rules and absences are set by the agency's management (or the absent person)."""

    code = "approval-not-allowed-to-manage"


class PostReportNotFoundError(ApprovalsError, NotFoundError):
    code = "approval-post-report-not-found"


class ContentChangedError(ApprovalsError, ConflictError):
    """What the line would approve is no longer what it was sent with: the data or the
    template changed after it was sent. The drafter withdraws it and sends the new content."""

    code = "approval-content-changed"


class LinePolicyError(ApprovalsError, InvalidInputError):
    """The line lacks a step its approval policy requires, or puts a step in the hands of
    someone who may not hold it. ``errors={"steps": ...}`` names every reason."""

    code = "approval-line-policy"
