"""Receipt numbers: per handling agency, per calendar year (Belgrade), gap-free and unique.

The same pattern as ``documents.numbering``, on a counter of its own (receipts are not registry
entries): the agency's counter row for the year is locked in the caller's transaction, so
concurrent submissions queue on it and a rolled-back submission returns its number.
"""

from __future__ import annotations

from django.db import transaction

from govdoc.accounts.models import Agency
from govdoc.applications.constants import RECEIPT_PREFIX
from govdoc.applications.models import ReceiptCounter


def receipt_number_take(*, agency: Agency, year: int) -> int:
    """Take the next number; must run inside the transaction that writes the application."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("receipt_number_take() must run inside the submitting transaction")
    ReceiptCounter.objects.bulk_create(
        [ReceiptCounter(agency=agency, year=year, last_number=0)], ignore_conflicts=True
    )
    counter = ReceiptCounter.objects.select_for_update().get(agency=agency, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def receipt_number_format(*, agency_code: str, year: int, number: int) -> str:
    """E.g. ``P-MUP-2026-000042``."""
    return f"{RECEIPT_PREFIX}-{agency_code.upper()}-{year}-{number:06d}"
