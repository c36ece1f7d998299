"""Statuses and moves of process instances, limits, and the rule that maps a lane to a role."""

from __future__ import annotations

import re

from django.db import models
from django.utils.translation import pgettext_lazy

from govdoc.accounts.constants import OFFICIAL_ROLES, Role


class InstanceStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("process instance", "Running")
    COMPLETED = "completed", pgettext_lazy("process instance", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("process instance", "Cancelled")


INSTANCE_MOVES: dict[str, frozenset[str]] = {
    InstanceStatus.RUNNING: frozenset({InstanceStatus.COMPLETED, InstanceStatus.CANCELLED}),
    InstanceStatus.COMPLETED: frozenset(),
    InstanceStatus.CANCELLED: frozenset(),
}

# Roles a lane may name: the roles people hold in an agency through a unit membership.
LANE_ROLES = frozenset(OFFICIAL_ROLES)

# Data given with a task (or at the start) is an object of JSON values whose keys are names a
# condition can use; at most this large once encoded.
DATA_MAX_BYTES = 64 * 1024
DATA_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
TITLE_MAX_LENGTH = 200

# Instances whose timers are due, taken by one run of ``procedures_tick``.
TICK_BATCH = 200


def role_of_lane(name: str | None) -> Role | None:
    """The role a lane stands for, or None when the name is no such role.

    The rule (for whoever draws a process): **a lane's name is a GovDoc role**, written as its
    code or as its English name, in any case, with spaces or hyphens for the underscores:
    ``handler``, ``Head of unit``, ``head-of-agency``, ``Registry clerk``, ``archivist``,
    ``administrator``. Citizens and agency systems are no lanes (they hold no role in a
    unit). The name is what a modeler shows on the diagram, so the drawing itself says who
    works where; no mapping table has to be kept beside it. Every user or manual task must
    sit in such a lane: whoever holds the role in the instance's agency may complete it.
    """
    if not name:
        return None
    code = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return Role(code) if code in LANE_ROLES else None
