"""How long a silent worker is trusted, and how lost or failed work is taken again."""

from __future__ import annotations

from django.conf import settings

# Given-up tasks are moved to this queue name, which no worker listens on (``govdoc worker``
# takes the "default" queue), so they are never taken again by accident and are easy to list.
GIVEN_UP_QUEUE = "given-up"
DEFAULT_QUEUE = "default"

# Task paths (django-tasks) whose failures are not retried: none today; a task that must not
# run twice would be listed here (every GovDoc task is idempotent).
NOT_RETRIED: frozenset[str] = frozenset()


def heartbeat_seconds() -> float:
    """How often a worker says it is alive."""
    return float(settings.GOVDOC_WORKER_HEARTBEAT_SECONDS)


def lost_after_seconds() -> float:
    """A worker silent this long is taken for dead, and the task it held is taken again."""
    return float(settings.GOVDOC_WORKER_LOST_AFTER_SECONDS)


def max_attempts() -> int:
    """Attempts of one task before it is given up and shown to an administrator."""
    return int(settings.GOVDOC_TASK_MAX_ATTEMPTS)


def retry_delay_seconds(attempts: int) -> float:
    """Exponential back-off: base, 2x base, 4x base ... capped at one hour."""
    base = float(settings.GOVDOC_TASK_RETRY_SECONDS)
    return float(min(base * (2 ** max(attempts - 1, 0)), 3600.0))
