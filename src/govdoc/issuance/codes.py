"""Verification codes: 16 characters of Crockford base32 (80 random bits), shown in four groups.

``ABCD-EFGH-JKMN-PQRS``: no I, L, O or U, so nothing is mistaken for 1 or 0; what a person
types is normalised the Crockford way (any case, dashes and spaces ignored, O → 0, I/L → 1).
80 bits from ``secrets`` make guessing a valid code hopeless (2^80 codes for, say, 10^9
documents: one chance in 10^15 per guess).
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4

_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1"})
_ALLOWED = frozenset(ALPHABET)


def code_new() -> str:
    """A fresh code in its display form, e.g. ``7Q2M-K9XD-4H1B-ZC0T``."""
    return code_display("".join(secrets.choice(ALPHABET) for _ in range(LENGTH)))


def code_display(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def code_normalise(typed: str) -> str | None:
    """The display form of what a person typed, or None when it cannot be a code."""
    compact = "".join(ch for ch in typed.upper() if ch not in "- \t\r\n").translate(_TYPED)
    if len(compact) != LENGTH or not set(compact) <= _ALLOWED:
        return None
    return code_display(compact)
