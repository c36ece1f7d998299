"""Registry numbers: per agency, per calendar year (Belgrade), gap-free and unique.

The next number is taken by locking the agency's counter row for the year, in the caller's
transaction: concurrent registrations queue on the lock, and a transaction that rolls back
returns its number with it, so no gap appears.
"""

from __future__ import annotations

from django.db import transaction

from govdoc.accounts.models import Agency
from govdoc.documents.models import RegistryCounter


def registry_number_take(*, agency: Agency, year: int, count: int = 1) -> int:
    """Take the next number (``count`` consecutive numbers: the last is returned); must run
    inside the transaction that writes the registry entries."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("registry_number_take() must run inside the registering transaction")
    # Create the year's counter race-free: a concurrent insert of the same row waits, then does nothing.
    RegistryCounter.objects.bulk_create(
        [RegistryCounter(agency=agency, year=year, last_number=0)], ignore_conflicts=True
    )
    counter = RegistryCounter.objects.select_for_update().get(agency=agency, year=year)
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return counter.last_number
