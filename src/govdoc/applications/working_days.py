"""Working days in Serbia: deadlines in administrative procedure count working days.

Non-working days are Saturdays, Sundays and the public holidays of the Law on State and Other
Holidays in the Republic of Serbia ("Službeni glasnik RS" 43/2001, 101/2007, 92/2011), art. 2:
New Year (1-2 Jan), Orthodox Christmas (7 Jan), Statehood Day (15-16 Feb), Labour Day (1-2 May),
Armistice Day (11 Nov), and Orthodox Easter from Good Friday to Easter Monday. Art. 3: when a
date of a state holiday (New Year, Statehood Day, Labour Day, Armistice Day) falls on a Sunday,
the first following working day is not worked either.
"""

from __future__ import annotations

import datetime as dt
import functools

_STATE_HOLIDAYS = ((1, 1), (1, 2), (2, 15), (2, 16), (5, 1), (5, 2), (11, 11))
_CHRISTMAS = (1, 7)


def orthodox_easter(year: int) -> dt.date:
    """Orthodox Easter Sunday as a Gregorian date (Julian computus, Meeus' algorithm)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = dt.date(year, month, day + 1)
    # The Julian calendar runs behind the Gregorian by 13 days in 1900-2099 (14 from 2100).
    return julian + dt.timedelta(days=year // 100 - year // 400 - 2)


@functools.lru_cache(maxsize=256)
def holidays(year: int) -> frozenset[dt.date]:
    """Every public non-working day of ``year`` (weekends aside)."""
    days: set[dt.date] = {dt.date(year, *_CHRISTMAS)}
    state = [dt.date(year, m, d) for m, d in _STATE_HOLIDAYS]
    days.update(state)
    easter = orthodox_easter(year)
    days.update(easter + dt.timedelta(days=offset) for offset in (-2, -1, 0, 1))
    for day in state:
        if day.weekday() == 6:  # art. 3: a state holiday on Sunday moves to the next working day
            moved = day + dt.timedelta(days=1)
            while moved.weekday() >= 5 or moved in days:
                moved += dt.timedelta(days=1)
            days.add(moved)
    return frozenset(days)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` itself does not count; ``n`` >= 0).

    With ``n == 0`` the answer is ``start`` when it is a working day, else the next working day.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    if n == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return day
    remaining = n
    while remaining:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days lie after ``start`` up to and including ``end``."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working_day(day)
    return count
