"""Who may read an agency's documents: need to know, not membership of the agency.

An official reads a document when they serve in the unit that owns it (the unit that handles
it), or when their role in the agency is to keep all of its documents (the registry, the
archive, the head of the agency). Domains above this one add the people their work involves
(the approvers of a document's approval line): they register a grant in their ``AppConfig.ready``;
documents knows no other domain.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current

# Roles that keep every document of their agency.
AGENCY_WIDE_ROLES = (Role.REGISTRY_CLERK, Role.ARCHIVIST, Role.HEAD_OF_AGENCY)

# person -> a condition on Document rows this person may read besides the rules above
Grant = Callable[[Person], Q]

_grants: list[Grant] = []


def grant_register(grant: Grant) -> None:
    if grant not in _grants:
        _grants.append(grant)


def readable_by(person: Person) -> Q:
    """The condition on Document rows that ``person`` may read."""
    current = memberships_current(person=person)
    condition = Q(owner_unit_id__in=current.values("unit_id")) | Q(
        agency_id__in=current.filter(role__in=AGENCY_WIDE_ROLES).values("unit__agency_id")
    )
    for grant in _grants:
        condition |= grant(person)
    return condition
