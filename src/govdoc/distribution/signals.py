"""What the distribution domain announces to the domains above it (procedures). Each signal is
sent by a task (``tasks.py``) that the service wrote into its own transaction (an outbox row), so
an announcement is made if and only if the fact committed; receivers run in the worker, must be
idempotent, and an error in one fails the task, which is retried."""

from __future__ import annotations

from django.dispatch import Signal

# An outgoing document was sent (approved, registered, sealed, dispatched), or an internal one
# was filed (approved, registered, sealed, kept in the agency's registry):
# kwargs outgoing_id (str), status ("sent" or "filed").
outgoing_settled = Signal()

# A document that arrived from another node answering an outgoing document of this node was
# registered: kwargs delivery_id (str), answers (the answered outgoing document's id, str).
answer_registered = Signal()

# A signed message from an agency on another node reached an agency here (``messages.py``):
# kwargs kind (str), content (dict), sender (agency@node), recipient_agency (code), message_id
# (str). Sent in the transaction that keeps the message; a receiver refuses it by raising
# ``messages.MessageRefused`` (nothing is kept, the sending node is told why).
message_received = Signal()

# An outgoing message will not reach its node: refused there (a 4xx problem) or its sending time
# ran out: kwargs message_pk (int), kind (str), status ("refused" or "failed"), why (str). Sent
# in the transaction that records it, so the domain that sent it can undo what it assumed.
message_undelivered = Signal()
