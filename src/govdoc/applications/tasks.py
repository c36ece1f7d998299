"""Background work of the applications domain (django-tasks; enqueued inside the transaction
of the change that needs it, so a rolled-back change leaves no task)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task


@task()
def inbox_email_send(*, message_id: str) -> bool:
    """Tell the recipient by e-mail that a message waits in their e-inbox. True when sent."""
    from govdoc.applications.models import InboxMessage

    message = InboxMessage.objects.select_related("recipient").filter(pk=uuid.UUID(message_id)).first()
    if message is None or not message.recipient.email:
        return False
    link = f"{settings.PUBLIC_URL}/inbox/{message.pk}/"
    sent = send_mail(
        subject=message.subject,
        message=f"{message.body}\n\n{link}\n",
        from_email=None,
        recipient_list=[message.recipient.email],
    )
    return bool(sent)


@task()
def decision_outcome_apply(*, application_id: str, line_id: str, outcome: str) -> str:
    """Apply the outcome of an application's approval line; returns the application's status.

    ``approved``: the application is approved, the document issued and delivered to the e-inbox.
    ``rejected``: the application is rejected and the applicant told. ``returned`` or
    ``withdrawn``: the application goes back to its handler. Safe to run twice.
    """
    from govdoc.applications.services.decisions import decision_outcome_record

    application = decision_outcome_record(
        application_id=uuid.UUID(application_id), line_id=uuid.UUID(line_id), outcome=outcome
    )
    return application.status
