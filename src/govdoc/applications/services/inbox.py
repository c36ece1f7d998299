"""The citizen's e-inbox: messages written with the change they announce, mailed afterwards."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import translation

from govdoc.accounts.models import Person
from govdoc.applications.errors import InboxMessageNotFoundError
from govdoc.applications.models import Application, InboxMessage
from govdoc.applications.tasks import inbox_email_send
from govdoc.audit.services import record
from govdoc.core import clock


def inbox_deliver(
    *,
    recipient: Person,
    subject: str,
    body: str,
    application: Application | None = None,
    issued_document_id: uuid.UUID | None = None,
) -> InboxMessage:
    """Put a message in ``recipient``'s e-inbox, in the caller's transaction, and enqueue the
    e-mail that tells them (the task row commits or rolls back with the message)."""
    message = InboxMessage.objects.create(
        recipient=recipient,
        application=application,
        subject=subject[:300],
        body=body,
        issued_document_id=issued_document_id,
        created_at=clock.now(),
    )
    if recipient.email:
        inbox_email_send.enqueue(message_id=str(message.pk))
    return message


@transaction.atomic
def inbox_message_read(*, message: InboxMessage, actor: Person) -> InboxMessage:
    """Mark a message read by its recipient; reading it again changes nothing."""
    message = InboxMessage.objects.select_for_update().get(pk=message.pk)
    if message.recipient_id != actor.pk:
        # Someone else's message does not exist for this person.
        raise InboxMessageNotFoundError(translation.gettext("no such message"), message_id=str(message.pk))
    if message.read_at is None:
        message.read_at = clock.now()
        message.save(update_fields=["read_at"])
        record("applications.inbox_message_read", actor=actor, target=message, data={})
    return message
