"""Reads of the distribution domain: each person sees what their units drafted or received."""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, Q, QuerySet

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.selectors import agencies_all, memberships_current, memberships_current_in_agency
from govdoc.distribution.constants import DRAFTER_ROLES, REGISTRY_ROLES, DeliveryStatus
from govdoc.distribution.errors import DeliveryNotFoundError, OutgoingNotFoundError
from govdoc.distribution.models import Delivery, OutgoingDocument, Reading
from govdoc.documents.storage import file_read


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


# ---------------------------------------------------------------------------- for the pages


def drafting_units(viewer: Person) -> list[Unit]:
    """The units ``viewer`` may draft in today (a drafting role held there), by name."""
    units = {
        m.unit.pk: m.unit
        for m in memberships_current(person=viewer)
        .filter(role__in=DRAFTER_ROLES)
        .select_related("unit__agency")
    }
    return sorted(units.values(), key=lambda u: (u.agency.name, u.name))


def recipients_offered() -> list[tuple[Agency, list[Unit]]]:
    """The agencies of the installation a document may be addressed to, each with its units
    (two queries)."""
    agencies = list(agencies_all().order_by("name"))
    units: dict[uuid.UUID, list[Unit]] = {a.pk: [] for a in agencies}
    for unit in Unit.objects.filter(agency__in=agencies).order_by("name"):
        units[unit.agency_id].append(unit)
    return [(a, units[a.pk]) for a in agencies]


def recipients_named(keys: list[str]) -> tuple[list[tuple[Agency, Unit | None]], list[str]]:
    """The recipients that keys such as ``agency:<id>`` and ``unit:<id>`` name, in the order
    given, and the keys that name nothing (an agency or unit that does not exist)."""
    agency_ids: list[uuid.UUID] = []
    unit_ids: list[uuid.UUID] = []
    for key in keys:
        kind, _sep, value = key.partition(":")
        try:
            pk = uuid.UUID(value)
        except ValueError:
            continue
        (agency_ids if kind == "agency" else unit_ids if kind == "unit" else []).append(pk)
    agencies = {a.pk: a for a in agencies_all().filter(pk__in=agency_ids)}
    units = {
        u.pk: u for u in Unit.objects.filter(pk__in=unit_ids, agency__is_active=True).select_related("agency")
    }
    found: list[tuple[Agency, Unit | None]] = []
    unknown: list[str] = []
    for key in keys:
        kind, _sep, value = key.partition(":")
        try:
            pk = uuid.UUID(value)
        except ValueError:
            unknown.append(key)
            continue
        if kind == "agency" and pk in agencies:
            found.append((agencies[pk], None))
        elif kind == "unit" and pk in units:
            found.append((units[pk].agency, units[pk]))
        else:
            unknown.append(key)
    return found, unknown


def heads_of_unit(unit: Unit) -> QuerySet[Person]:
    """Who heads ``unit`` today: the default policy's final approval."""
    heads = memberships_current_in_agency(agency_id=unit.agency_id).filter(unit=unit, role=Role.HEAD_OF_UNIT)
    return Person.objects.filter(pk__in=heads.values("person_id")).order_by("last_name", "first_name")


def assignable_officials(agency_id: uuid.UUID) -> list[tuple[Unit, Person]]:
    """Each (unit, official) of the agency today: whom a registry clerk may assign a received
    document to (the handler must serve in the assigned unit)."""
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
    out: list[tuple[Unit, Person]] = []
    for m in (
        memberships_current_in_agency(agency_id=agency_id)
        .exclude(role=Role.SYSTEM)
        .order_by("unit__name", "person__last_name", "person__first_name")
    ):
        if (m.unit_id, m.person_id) not in seen:
            seen.add((m.unit_id, m.person_id))
            out.append((m.unit, m.person))
    return out


def is_registry_clerk_of(viewer: Person, agency_id: uuid.UUID) -> bool:
    _units, registries = _units_and_registries(viewer)
    return agency_id in registries


def delivery_content(*, viewer: Person, delivery_id: uuid.UUID | str) -> tuple[Delivery, str, bytes]:
    """The PDF of a received document ``viewer`` may see, checked against its SHA-256: the
    recipient agency's registered copy, or (before registration) the sealed copy that arrived.
    Recording the reading is ``services.delivery_read_record``'s work."""
    delivery = delivery_get(viewer=viewer, delivery_id=delivery_id)
    received = delivery.received_document
    version = received.current_version if received is not None else delivery.outgoing.sealed_version
    if version is None:
        raise DeliveryNotFoundError("the received document has no file", delivery_id=str(delivery_id))
    return delivery, version.filename, file_read(version.file)


def outgoing_content(*, viewer: Person, outgoing_id: uuid.UUID | str) -> tuple[OutgoingDocument, str, bytes]:
    """The PDF of an outgoing document ``viewer`` may see: the sealed one once sent, else the
    current draft version."""
    outgoing = outgoing_get(viewer=viewer, outgoing_id=outgoing_id)
    version = outgoing.sealed_version or outgoing.document.current_version
    if version is None:
        raise OutgoingNotFoundError("the document has no file", outgoing_id=str(outgoing_id))
    return outgoing, version.filename, file_read(version.file)


def deliveries_of(outgoing: OutgoingDocument) -> QuerySet[Delivery]:
    """Each recipient's copy, with who registered or returned it."""
    return outgoing.deliveries.select_related("agency", "unit", "status_changed_by").order_by(
        "agency__name", "unit__name", "id"
    )


def readings_of(delivery: Delivery) -> QuerySet[Reading]:
    return delivery.readings.select_related("person").order_by("read_at", "id")


def outgoing_on_lines(line_ids: list[uuid.UUID]) -> dict[uuid.UUID, OutgoingDocument]:
    """The outgoing documents that approval lines approve, by line (for the approval queue)."""
    found = (
        OutgoingDocument.objects.filter(approval_line_id__in=line_ids)
        .select_related("unit", "drafter")
        .prefetch_related("deliveries__agency", "deliveries__unit")
    )
    return {o.approval_line_id: o for o in found if o.approval_line_id is not None}


def outgoing_listed(viewer: Person) -> QuerySet[OutgoingDocument]:
    """``outgoing_visible`` with each document's recipients (a fixed number of queries)."""
    return outgoing_visible(viewer).prefetch_related(
        Prefetch("deliveries", queryset=Delivery.objects.select_related("agency", "unit"))
    )


def answers_to(delivery: Delivery) -> QuerySet[OutgoingDocument]:
    """The documents drafted as answers to a received document."""
    return delivery.replies.select_related("document", "registry_entry").order_by("created_at")
