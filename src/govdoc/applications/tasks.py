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
