"""Values the distribution domain takes in and gives out (no models of its own)."""

from __future__ import annotations

from dataclasses import dataclass

from govdoc.accounts.models import Agency, Unit


@dataclass(frozen=True)
class Recipient:
    """An agency, and the unit of it the document is addressed to (None: the agency)."""

    agency: Agency
    unit: Unit | None = None


@dataclass(frozen=True)
class RemoteRecipient:
    """An agency of another node of the trust list (by the codes of that node's address book),
    and the unit of it the document is addressed to (None: the agency)."""

    node: str
    agency: str
    unit: str | None = None
