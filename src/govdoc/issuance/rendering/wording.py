"""Words a citizen reads on a document: dates in the genitive, the page labels, the seal block.

Serbian writes a date in a sentence with the month in the genitive and an ordinal full stop
after the day and the year (Pravopis srpskoga jezika, Matica srpska: "28. maja 2027."); English
"28 May 2027". The Cyrillic forms are the Latin ones transliterated.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from govdoc.accounts.constants import Script
from govdoc.core.clock import DISPLAY_TZ
from govdoc.core.transliteration import to_script

_MONTHS_GENITIVE: Final = (
    "januara",
    "februara",
    "marta",
    "aprila",
    "maja",
    "juna",
    "jula",
    "avgusta",
    "septembra",
    "oktobra",
    "novembra",
    "decembra",
)
_MONTHS_EN: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def date_text(value: dt.date | dt.datetime | None, script: str) -> str:
    """``28. maja 2027.`` / ``28. маја 2027.`` / ``28 May 2027``; a moment counts in Belgrade
    time; ``""`` for none."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(DISPLAY_TZ).date()
    if script == Script.ENGLISH:
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    return to_script(f"{value.day}. {_MONTHS_GENITIVE[value.month - 1]} {value.year}.", script)


def month_names(script: str) -> list[str]:
    """The months as a date in a sentence names them (genitive in Serbian), in ``script``."""
    if script == Script.ENGLISH:
        return list(_MONTHS_EN)
    return [to_script(month, script) for month in _MONTHS_GENITIVE]


def moment_text(value: dt.datetime, script: str) -> str:
    """A date with the time of day, Belgrade time: ``28. maja 2027. u 10:15`` / ``28 May 2027, 10:15``."""
    local = value.astimezone(DISPLAY_TZ)
    if script == Script.ENGLISH:
        return f"{date_text(local, script)}, {local:%H:%M}"
    return f"{date_text(local, script)} {to_script('u', script)} {local:%H:%M}"


# (number, page, of), draft mark, draft notice, QR placeholder, seal block texts.
_LABELS: Final[dict[str, dict[str, str]]] = {
    Script.LATIN: {
        "number": "Broj",
        "page": "Strana",
        "of": "od",
        "draft_mark": "NACRT",
        "draft_notice": "NACRT — nije izdat dokument; QR kod i elektronski pečat dodaju se pri izdavanju",
        "placeholder": "QR kod pri izdavanju",
        "draft_seal": "Elektronski pečat, verifikacioni kod i QR kod dodaju se kada se dokument izda.",
        "headline": "Ovaj dokument je elektronski potpisan",
        "seal": "Elektronski pečat",
        "time": "Vreme",
        "code": "Verifikacioni kod",
        "verify": "Proverite na",
    },
    Script.ENGLISH: {
        "number": "No.",
        "page": "Page",
        "of": "of",
        "draft_mark": "DRAFT",
        "draft_notice": (
            "DRAFT — not an issued document; the QR code and the e-seal are added when it is issued"
        ),
        "placeholder": "QR code when issued",
        "draft_seal": (
            "The e-seal, the verification code and the QR code are added when the document is issued."
        ),
        "headline": "This document is signed electronically",
        "seal": "Electronic seal",
        "time": "Time",
        "code": "Verification code",
        "verify": "Verify at",
    },
}


def labels(script: str) -> dict[str, str]:
    """The fixed texts of the page in ``script`` (Cyrillic: the Latin ones transliterated).
    ``draft_mark`` and ``headline`` stand beside their English (or, in English, Serbian) twin:
    ``draft_mark_other`` and ``headline_other`` in ``other_lang``."""
    if script == Script.ENGLISH:
        own = dict(_LABELS[Script.ENGLISH])
        other, other_lang = _LABELS[Script.LATIN], "sr"
    else:
        own = {key: to_script(value, script) for key, value in _LABELS[Script.LATIN].items()}
        own["placeholder"] = own["placeholder"].replace(to_script("QR", script), "QR")
        own["draft_notice"] = own["draft_notice"].replace(to_script("QR", script), "QR")
        own["draft_seal"] = own["draft_seal"].replace(to_script("QR", script), "QR")
        other, other_lang = _LABELS[Script.ENGLISH], "en"
    own["draft_mark_other"], own["headline_other"] = other["draft_mark"], other["headline"]
    own["other_lang"] = other_lang
    return own
