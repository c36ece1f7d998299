"""Statuses and moves of process instances, limits, and the roles a lane may name."""

from __future__ import annotations

import datetime as dt
import re

from django.db import models
from django.utils.translation import pgettext_lazy

from govdoc.accounts.constants import OFFICIAL_ROLES


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
# A party's name in a lane (``lanes.py``).
PARTY_NAME_MAX = 100

# Instances whose timers are due, taken by one run of ``procedures_tick``.
TICK_BATCH = 200
# A running instance whose due timers cannot move it on is tried again later: after 5 minutes,
# then twice as long each time, at most once a day (every failure is audited).
TIMER_RETRY_FIRST = dt.timedelta(minutes=5)
TIMER_RETRY_MAX = dt.timedelta(days=1)
