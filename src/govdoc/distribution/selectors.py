"""Reads of the distribution domain: each person sees what their units drafted or received."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.distribution.constants import REGISTRY_ROLES, DeliveryStatus
from govdoc.distribution.errors import DeliveryNotFoundError, OutgoingNotFoundError
from govdoc.distribution.models import Delivery, OutgoingDocument


def _units_and_registries(person: Person) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The units ``person`` holds a role in today, and the agencies whose registry they keep."""
    units: set[uuid.UUID] = set()
    registries: set[uuid.UUID] = set()
    for unit_id, agency_id, role in memberships_current(person=person).values_list(
        "unit_id", "unit__agency_id", "role"
    ):
        units.add(unit_id)
        if role in REGISTRY_ROLES:
            registries.add(agency_id)
    return units, registries


def outgoing_visible(viewer: Person) -> QuerySet[OutgoingDocument]:
    """What ``viewer`` may see of the documents sent: those drafted in their units."""
    units, _registries = _units_and_registries(viewer)
    return (
        OutgoingDocument.objects.filter(Q(unit_id__in=units) | Q(drafter=viewer))
        .select_related("document", "agency", "unit", "drafter", "registry_entry__agency")
        .order_by("-created_at")
    )


def outgoing_get(*, viewer: Person, outgoing_id: uuid.UUID | str) -> OutgoingDocument:
    found = outgoing_visible(viewer).filter(pk=outgoing_id).first()
    if found is None:
        raise OutgoingNotFoundError("no such outgoing document", outgoing_id=str(outgoing_id))
    return found


def incoming_visible(viewer: Person) -> QuerySet[Delivery]:
    """What arrived for ``viewer``: everything delivered to an agency whose registry they keep;
    once registered, what was assigned to their units or to them."""
    units, registries = _units_and_registries(viewer)
    return (
        Delivery.objects.exclude(status=DeliveryStatus.PLANNED)
        .filter(Q(agency_id__in=registries) | Q(assigned_unit_id__in=units) | Q(handler=viewer))
        .select_related(
            "outgoing__document",
            "outgoing__agency",
            "outgoing__registry_entry__agency",
            "agency",
            "unit",
            "assigned_unit",
            "handler",
            "received_document__registry_entry__agency",
        )
        .order_by("-delivered_at", "id")
    )


def delivery_get(*, viewer: Person, delivery_id: uuid.UUID | str) -> Delivery:
    found = incoming_visible(viewer).filter(pk=delivery_id).first()
    if found is None:
        raise DeliveryNotFoundError("no such received document", delivery_id=str(delivery_id))
    return found


def thread_of(outgoing: OutgoingDocument) -> list[OutgoingDocument]:
    """The documents of a correspondence, oldest first: what ``outgoing`` answers, what that
    answered, ..., ``outgoing`` itself, and the answers to its deliveries."""
    chain: list[OutgoingDocument] = [outgoing]
    current = outgoing
    while current.in_reply_to_id is not None:
        current = OutgoingDocument.objects.select_related("document").get(
            deliveries__pk=current.in_reply_to_id
        )
        chain.insert(0, current)
        if len(chain) > 100:
            break
    answers = (
        OutgoingDocument.objects.filter(in_reply_to__outgoing=outgoing)
        .select_related("document")
        .order_by("created_at")
    )
    return chain + list(answers)
