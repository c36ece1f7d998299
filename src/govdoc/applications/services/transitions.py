"""The one place an application's status changes, with its timeline entry.

Every service that moves an application calls ``move`` on a row it locked; ``move`` refuses a
move that ``constants.TRANSITIONS`` does not allow.
"""

from __future__ import annotations

import uuid

from django.utils import translation

from govdoc.accounts.models import Person
from govdoc.applications.constants import (
    LANGUAGE_OF_SCRIPT,
    PUBLIC_MESSAGES,
    TRANSITIONS,
    ApplicationStatus,
    EventKind,
    HandlingStep,
)
from govdoc.applications.errors import IllegalTransitionError
from govdoc.applications.models import Application, ApplicationEvent
from govdoc.applications.signals import handling_step
from govdoc.core import clock
from govdoc.core.jsontypes import JSONValue


def locked(application: Application | uuid.UUID) -> Application:
    """The application row, locked for the rest of the transaction."""
    pk = application.pk if isinstance(application, Application) else application
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("service", "agency", "unit", "applicant")
        .get(pk=pk)
    )


def check_move(application: Application, to: ApplicationStatus, *, action: str) -> None:
    current = ApplicationStatus(application.status)
    if to not in TRANSITIONS[current]:
        with translation.override("en"):  # the code's own (English) words, like ``action``
            label = str(current.label).lower()
        raise IllegalTransitionError(
            f"an application that is {label} cannot {action}",
            application_id=str(application.pk),
            status=current.value,
            to=to.value,
        )


def event_add(
    application: Application,
    *,
    kind: EventKind,
    status_from: str = "",
    status_to: str = "",
    **values: object,
) -> ApplicationEvent:
    # Kept in the applicant's own script (the e-mails and receipt use it); pages show each entry
    # in the reader's language (``selectors.event_text``).
    with translation.override(LANGUAGE_OF_SCRIPT.get(application.script, "sr-latn")):
        text = str(PUBLIC_MESSAGES[kind])
    return ApplicationEvent.objects.create(
        application=application,
        occurred_at=clock.now(),
        kind=kind,
        status_from=status_from,
        status_to=status_to,
        message=text.format(**values).strip(),
    )


def move(
    application: Application,
    to: ApplicationStatus,
    *,
    kind: EventKind,
    action: str,
    extra_fields: tuple[str, ...] = (),
    **values: object,
) -> ApplicationEvent:
    """Move ``application`` (locked by the caller) to ``to`` and add the timeline entry."""
    check_move(application, to, action=action)
    previous = application.status
    application.status = to
    application.updated_at = clock.now()
    if to in {ApplicationStatus.ISSUED, ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN}:
        application.closed_at = application.updated_at
        extra_fields = (*extra_fields, "closed_at")
    application.save(update_fields=["status", "updated_at", *extra_fields])
    return event_add(application, kind=kind, status_from=previous, status_to=to, **values)


def step_taken(
    application: Application, step: HandlingStep, *, actor: Person | str, **values: JSONValue
) -> None:
    """Tell the procedure that handles ``application`` (if any) that ``step`` was taken, in the
    caller's transaction; it may refuse the step (``errors.StepNotDueError``)."""
    handling_step.send(sender=Application, application=application, step=step, actor=actor, values=values)
