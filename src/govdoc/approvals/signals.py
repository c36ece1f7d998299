"""Facts this domain announces upward. Sent on commit, never inside the transaction.

``line_finished(sender=ApprovalLine, line_id: str, outcome: str)``: a line ended approved,
rejected, returned or withdrawn. ``outcome`` is a ``LineStatus`` value. Sent with
``send_robust``: a receiver's exception is logged, not raised into the committed decision.
"""

from __future__ import annotations

from django.dispatch import Signal

line_finished = Signal()
