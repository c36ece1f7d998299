"""Facts this domain announces upward.

``line_finished(sender=ApprovalLine, line_id: str, outcome: str)``: a line ended approved,
rejected, returned or withdrawn. ``outcome`` is a ``LineStatus`` value. Sent by the task
``tasks.line_finished_announce``, which the decision that ended the line wrote in its own
transaction; a receiver runs in the worker, outside any transaction, may be called more than
once for one line (a retried task), and raises if its work failed (the task is then retried).
"""

from __future__ import annotations

from django.dispatch import Signal

line_finished = Signal()
