"""The JMBG (jedinstveni matični broj građana, Unique Master Citizen Number): 13 digits
DDMMYYYRRBBBK, a date of birth, a register region, a serial and a control digit.

The control digit is the official mod-11 rule (Uredba o jedinstvenom matičnom broju građana):
m = 11 - ((7(a1+a7) + 6(a2+a8) + 5(a3+a9) + 4(a4+a10) + 3(a5+a11) + 2(a6+a12)) mod 11);
K = m for m from 1 to 9, and K = 0 when m is 10 or 11.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

_WEIGHTS = (7, 6, 5, 4, 3, 2)


def control_digit(first12: str) -> int:
    digits = [int(c) for c in first12]
    total = sum(w * (digits[i] + digits[i + 6]) for i, w in enumerate(_WEIGHTS))
    m = 11 - total % 11
    return 0 if m > 9 else m


def birth_date(jmbg: str) -> dt.date | None:
    """The date of birth the JMBG carries, or None when it is not a calendar date."""
    day, month, year3 = int(jmbg[0:2]), int(jmbg[2:4]), int(jmbg[4:7])
    # Three digits of the year: 9xx are the 1900s, 0xx the 2000s (a few 8xx for the 1800s).
    year = 1000 + year3 if year3 >= 800 else 2000 + year3
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def jmbg_problem(value: str, *, today: dt.date) -> str | None:
    """What is wrong with ``value`` as a JMBG, in words for the person who typed it; None if
    nothing is."""
    if not re.fullmatch(r"\d{13}", value):
        return _("The JMBG has exactly 13 digits.")
    born = birth_date(value)
    if born is None or born > today:
        return _("The first seven digits of a JMBG are a date of birth (DDMMYYY); this one is not.")
    if control_digit(value[:12]) != int(value[12]):
        return _("This JMBG is not valid: its last (control) digit does not match. Check for a typo.")
    return None
