"""How an agency writes its registry numbers (zavodni broj): a template with named parts.

Serbia's rules on office operations build the number from the classification mark, the serial
number and the year (``02-05-123/2026``), with a sub-number for each further act of the same
case (``02-05-123/2026-1``). GovDoc's default, for agencies that set nothing, puts the agency's
code first so that numbers read on their own: ``MUP-2026-000123``.

Parts: ``{agency}`` (the agency's code in capitals), ``{classification}`` (the document's
classification mark), ``{year}``, ``{number}`` (the serial number) and ``{number6}`` (the same,
six digits with leading zeros). A template must hold the serial number and the year, so that
two entries of one agency never read alike; it may hold nothing else in braces.
"""

from __future__ import annotations

import string

from django.utils.translation import gettext as _

DEFAULT_TEMPLATE = "{agency}-{year}-{number6}"
PARTS = frozenset({"agency", "classification", "year", "number", "number6"})
MAX_LENGTH = 64


def template_errors(template: str) -> list[str]:
    """What is wrong with ``template`` (empty: it may be used; "" means the default)."""
    if not template:
        return []
    try:
        parsed = [
            (name, spec, conversion) for _text, name, spec, conversion in string.Formatter().parse(template)
        ]
    except ValueError:
        return [_("Braces must pair up: {part}.")]
    names = [name for name, _spec, _conversion in parsed if name is not None]
    specs = [(spec, conversion) for name, spec, conversion in parsed if name is not None]
    errors: list[str] = []
    unknown = sorted({n for n in names if n not in PARTS})
    if unknown:
        errors.append(
            _("Unknown parts: %(parts)s. Use %(known)s.")
            % {"parts": ", ".join(unknown), "known": ", ".join(f"{{{p}}}" for p in sorted(PARTS))}
        )
    if any(spec or conversion for spec, conversion in specs):
        errors.append(_("Parts take no format of their own: write {number6} for six digits."))
    if "year" not in names or not {"number", "number6"} & set(names):
        errors.append(_("The number must hold {year} and {number} (or {number6})."))
    if len(template) > MAX_LENGTH:
        errors.append(_("At most %(max)s characters.") % {"max": MAX_LENGTH})
    return errors


def registry_number_text(
    template: str, *, agency_code: str, classification: str, year: int, number: int
) -> str:
    """The number as the agency writes it (``template`` "" is the default)."""
    return (template or DEFAULT_TEMPLATE).format(
        agency=agency_code.upper(),
        classification=classification,
        year=year,
        number=number,
        number6=f"{number:06d}",
    )[:MAX_LENGTH]
