"""The one clock. Tests freeze it with ``clock.frozen(...)``; nothing else calls ``datetime.now``."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from zoneinfo import ZoneInfo

DISPLAY_TZ = ZoneInfo("Europe/Belgrade")

_local = threading.local()
_frozen_global: dt.datetime | None = None


def now() -> dt.datetime:
    """Timezone-aware current time (UTC)."""
    frozen = getattr(_local, "frozen", None) or _frozen_global
    if frozen is not None:
        return frozen
    return dt.datetime.now(dt.UTC)


def today_local() -> dt.date:
    """The calendar date in Belgrade: registry years and deadlines follow it."""
    return now().astimezone(DISPLAY_TZ).date()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[dt.datetime]:
    """Freeze ``now()`` for every thread (tests that cross threads need it global)."""
    global _frozen_global
    if at.tzinfo is None:
        raise ValueError("frozen() needs a timezone-aware datetime")
    previous = _frozen_global
    _frozen_global = at
    try:
        yield at
    finally:
        _frozen_global = previous
