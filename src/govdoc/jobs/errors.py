"""Errors of the jobs domain."""

from __future__ import annotations

from govdoc.core.errors import ConflictError, GovDocError


class JobsError(GovDocError):
    """Root of this domain's errors."""

    code = "jobs"


class TaskNotRetryableError(JobsError, ConflictError):
    """The task is running or finished successfully: there is nothing to retry."""

    code = "task-not-retryable"
