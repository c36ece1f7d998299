"""The shape of the performance figures of procedures and services (issue 9 §6), one for both:
how many run, where they wait, how long each stage takes, and deadlines met and missed per
unit and month. ``procedures.performance`` and ``applications.performance`` fill it from their
own rows; the officials' page draws and exports it; the open-data statistics will read it.

Aggregates only: no person, no application and no process appears in them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from govdoc.core.clock import DISPLAY_TZ


@dataclass(frozen=True)
class Period:
    """Whole calendar months in Belgrade, ``first`` to ``last`` (both included: 2027-01..2027-03)."""

    first: dt.date  # the first day of the first month
    last: dt.date  # the first day of the last month

    @classmethod
    def months_to(cls, month: dt.date, count: int = 12) -> Period:
        """``count`` months ending with ``month``'s (this month and the eleven before it)."""
        end = month.replace(day=1)
        total = end.year * 12 + end.month - 1 - (count - 1)
        return cls(dt.date(total // 12, total % 12 + 1, 1), end)

    @property
    def start(self) -> dt.datetime:
        """The first moment inside the period (aware)."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=DISPLAY_TZ)

    @property
    def end_date(self) -> dt.date:
        """The first day after the period."""
        return _next_month(self.last)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period (aware)."""
        return dt.datetime.combine(self.end_date, dt.time(), tzinfo=DISPLAY_TZ)

    def holds(self, when: dt.datetime | dt.date) -> bool:
        if isinstance(when, dt.datetime):
            return self.start <= when < self.end
        return self.first <= when < self.end_date


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_of(when: dt.datetime | dt.date) -> str:
    """'2027-03': the month in Belgrade of a moment, or of a date."""
    if isinstance(when, dt.datetime):
        when = when.astimezone(DISPLAY_TZ).date()
    return f"{when:%Y-%m}"


@dataclass(frozen=True)
class Running:
    """How many of one procedure or service are under way now."""

    subject_key: str
    subject: str
    count: int


@dataclass(frozen=True)
class Waiting:
    """How many wait in one stage (an open task; an application's status) now."""

    subject_key: str
    subject: str
    stage_key: str
    stage: str
    count: int


@dataclass(frozen=True)
class StageTime:
    """How long one stage took, over the stages that ended in the period."""

    subject_key: str
    subject: str
    stage_key: str
    stage: str
    count: int
    median: dt.timedelta
    slowest: dt.timedelta


@dataclass(frozen=True)
class DeadlineTally:
    """Deadlines of one unit falling in one month: met, missed (done late or taken away by the
    deadline), and still open past it."""

    unit_key: str
    unit: str
    month: str
    met: int
    missed: int
    overdue: int

    @property
    def total(self) -> int:
        return self.met + self.missed + self.overdue


@dataclass(frozen=True)
class Performance:
    running: list[Running] = field(default_factory=list)
    waiting: list[Waiting] = field(default_factory=list)
    stage_times: list[StageTime] = field(default_factory=list)
    deadlines: list[DeadlineTally] = field(default_factory=list)


def stage_time(
    subject_key: str, subject: str, stage_key: str, stage: str, durations: Iterable[dt.timedelta]
) -> StageTime:
    """The median and the slowest of some durations (at least one)."""
    seconds = sorted(max(d.total_seconds(), 0.0) for d in durations)
    return StageTime(
        subject_key=subject_key,
        subject=subject,
        stage_key=stage_key,
        stage=stage,
        count=len(seconds),
        median=dt.timedelta(seconds=round(statistics.median(seconds))),
        slowest=dt.timedelta(seconds=round(seconds[-1])),
    )


class DeadlineCounter:
    """Counts deadlines by (unit, month) as they are found, then gives the tallies in order."""

    def __init__(self) -> None:
        self._units: dict[str, str] = {}
        self._counts: dict[tuple[str, str], list[int]] = {}

    def add(self, *, unit_key: str, unit: str, month: str, outcome: str) -> None:
        self._units.setdefault(unit_key, unit)
        counts = self._counts.setdefault((unit_key, month), [0, 0, 0])
        counts[("met", "missed", "overdue").index(outcome)] += 1

    def tallies(self) -> list[DeadlineTally]:
        return [
            DeadlineTally(unit_key, self._units[unit_key], month, *counts)
            for (unit_key, month), counts in sorted(
                self._counts.items(), key=lambda item: (self._units[item[0][0]], item[0][0], item[0][1])
            )
        ]
