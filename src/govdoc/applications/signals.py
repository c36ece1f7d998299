"""What the applications domain tells the domains above it (procedures) while it works.

``handling_step`` is sent inside the transaction of the service that took the step, after the
application's row changed: a receiver that raises ``errors.StepNotDueError`` refuses the step
and the whole service rolls back; a receiver's own writes commit with the step or not at all.
Receivers: ``procedures.services.handling``.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: application (the locked Application), step (constants.HandlingStep), actor (Person or
# a system actor's name), values (dict: what the step gives the procedure, e.g. the outcome).
handling_step = Signal()
