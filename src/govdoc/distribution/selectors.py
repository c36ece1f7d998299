"""Reads of the distribution domain: each person sees what their units drafted or received.
Also the lookups an interface needs to turn what a person names by code (a unit, a recipient,
a received document) into the domain's values, refusing every name that finds nothing at once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.selectors import (
    agencies_all,
    memberships_current,
    memberships_current_in_agency,
    officials_of_agency,
    people_by_ids,
)
from govdoc.approvals import selectors as approval_reads
from govdoc.approvals.policy import ApprovalPolicy, AssigneeRoles, PolicyStep, holders_text, may_hold
from govdoc.distribution.constants import (
    DEFAULT_POLICIES,
    DEFAULT_POLICY,
    DRAFTER_ROLES,
    MAX_RECIPIENTS,
    REGISTRY_ROLES,
    ConsignmentStatus,
    DeliveryStatus,
    DocumentKind,
    OutgoingStatus,
)
from govdoc.distribution.errors import (
    DeliveryNotFoundError,
    InvalidOutgoingError,
    NotAllowedToDraftError,
    OutgoingNotFoundError,
)
from govdoc.distribution.models import (
    Arrival,
    Consignment,
    Delivery,
    KindPolicy,
    Node,
    OutgoingDocument,
    Reading,
)
from govdoc.distribution.specs import Recipient, RemoteRecipient
from govdoc.documents.selectors import version_content
from govdoc.documents.storage import file_read


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


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
        .select_related(
            "document__current_version",
            "agency",
            "unit",
            "drafter",
            "registry_entry__agency",
            "sealed_version",
        )
        .prefetch_related(
            Prefetch("deliveries", queryset=Delivery.objects.select_related("agency", "unit")),
            Prefetch(
                "consignments",
                queryset=Consignment.objects.select_related("node", "batch").order_by(
                    "node__node_id", "agency_code"
                ),
            ),
        )
        .order_by("-created_at", "id")
    )


def outgoing_get(*, viewer: Person, outgoing_id: uuid.UUID | str) -> OutgoingDocument:
    pk = _uuid(outgoing_id)
    found = outgoing_visible(viewer).filter(pk=pk).first() if pk is not None else None
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
            "outgoing__unit",
            "outgoing__registry_entry__agency",
            "outgoing__sealed_version__file",
            "arrival__node",
            "arrival__main_file",
            "arrival__answers__document",
            "agency",
            "unit",
            "assigned_unit",
            "handler",
            "received_document__registry_entry__agency",
        )
        .order_by("-delivered_at", "id")
    )


def delivery_get(*, viewer: Person, delivery_id: uuid.UUID | str) -> Delivery:
    pk = _uuid(delivery_id)
    found = incoming_visible(viewer).filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise DeliveryNotFoundError("no such received document", delivery_id=str(delivery_id))
    return found


def consignments_of(outgoing: OutgoingDocument) -> QuerySet[Consignment]:
    """The recipients of ``outgoing`` on other nodes, and how far each consignment got."""
    return outgoing.consignments.select_related("node", "batch").order_by("node__node_id", "agency_code")


def answers_arrived(outgoing: OutgoingDocument) -> QuerySet[Arrival]:
    """What came back from other nodes in answer to ``outgoing``."""
    return Arrival.objects.filter(answers=outgoing).select_related("node", "delivery").order_by("received_at")


def consignments_failed(viewer: Person) -> QuerySet[Consignment]:
    """Consignments of the agencies whose registry ``viewer`` keeps that did not arrive: the
    sending time ran out, or the receiving node refused them. The registry clerk sees them to
    send them again or to tell the drafter."""
    _units, registries = _units_and_registries(viewer)
    return (
        Consignment.objects.filter(
            outgoing__agency_id__in=registries,
            status__in=[ConsignmentStatus.FAILED, ConsignmentStatus.REFUSED],
        )
        .select_related("node", "outgoing__document", "outgoing__registry_entry")
        .order_by("-last_attempt_at", "id")
    )


def may_resend(viewer: Person, consignment: Consignment) -> bool:
    """A consignment that did not arrive is sent again by a registry clerk of the sending
    agency, or by the drafter's unit."""
    units, registries = _units_and_registries(viewer)
    return consignment.status in (ConsignmentStatus.FAILED, ConsignmentStatus.REFUSED) and (
        consignment.outgoing.agency_id in registries or consignment.outgoing.unit_id in units
    )


def sender_name(delivery: Delivery) -> str:
    """Who sent what arrived: the agency of this installation, or the agency and its node."""
    if delivery.outgoing is not None:
        return delivery.outgoing.agency.name
    assert delivery.arrival is not None
    return f"{delivery.arrival.sender_agency_name} ({delivery.arrival.node.node_id})"


def thread_of(outgoing: OutgoingDocument) -> list[OutgoingDocument]:
    """The documents of a correspondence, oldest first: what ``outgoing`` answers, what that
    answered, ..., ``outgoing`` itself, and the answers to its deliveries."""
    chain: list[OutgoingDocument] = [outgoing]
    current = outgoing
    while current.in_reply_to_id is not None:
        current = OutgoingDocument.objects.select_related("document", "agency", "registry_entry").get(
            deliveries__pk=current.in_reply_to_id
        )
        chain.insert(0, current)
        if len(chain) > 100:
            break
    answers = (
        OutgoingDocument.objects.filter(in_reply_to__outgoing=outgoing)
        .select_related("document", "agency", "registry_entry")
        .order_by("created_at")
    )
    return chain + list(answers)


def thread_for(*, viewer: Person, outgoing: OutgoingDocument) -> list[OutgoingDocument]:
    """``thread_of`` as ``viewer`` may see it: their own units' documents in any state, other
    agencies' only once sent (an answer another agency is still drafting is none of ours)."""
    thread = thread_of(outgoing)
    own = set(outgoing_visible(viewer).filter(pk__in=[o.pk for o in thread]).values_list("pk", flat=True))
    return [o for o in thread if o.pk in own or o.status == OutgoingStatus.SENT]


def answers_to(*, viewer: Person, delivery: Delivery) -> list[OutgoingDocument]:
    """The documents ``viewer`` may see that answer a received document, oldest first."""
    return list(outgoing_visible(viewer).filter(in_reply_to=delivery).order_by("created_at", "id"))


def readings_of(delivery: Delivery) -> QuerySet[Reading]:
    """Who opened a received document, first time each (the circulation list)."""
    return delivery.readings.select_related("person").order_by("read_at", "id")


def policy_of(*, agency_id: uuid.UUID, kind: str) -> ApprovalPolicy:
    """The approval policy of ``kind`` in the agency: its own, or the kind's default
    (``DEFAULT_POLICIES``, else ``DEFAULT_POLICY``)."""
    found = KindPolicy.objects.filter(agency_id=agency_id, kind=kind).first()
    return found.approval_policy if found is not None else DEFAULT_POLICIES.get(kind, DEFAULT_POLICY)


# ---------------------------------------------------------------------------- files


def outgoing_pdf(*, viewer: Person, outgoing: OutgoingDocument) -> tuple[str, bytes]:
    """The file name and bytes of an outgoing document: the sealed PDF once sent, else the
    current draft (checked against its SHA-256; the reading is recorded by ``documents``)."""
    version = outgoing.sealed_version or outgoing.document.current_version
    if version is None:
        raise OutgoingNotFoundError(_("the document has no file"), outgoing_id=str(outgoing.pk))
    return version.filename, version_content(user=viewer, version=version)


def delivery_pdf(*, delivery: Delivery) -> tuple[str, bytes]:
    """The sealed PDF that arrived (the sender's bytes, checked against their SHA-256), for a
    delivery already found through ``delivery_get``; the caller records the reading."""
    sealed = delivery.sealed_file
    if sealed is None:  # a planned copy is never visible to its recipient
        raise DeliveryNotFoundError(_("no such received document"), delivery_id=str(delivery.pk))
    return sealed[0], file_read(sealed[1])


# ---------------------------------------------------------------------------- names


def address_book() -> QuerySet[Agency]:
    """The agencies a document may be sent to, with their units (two queries)."""
    return agencies_all().prefetch_related("units").order_by("code")


def drafting_units(person: Person) -> list[Unit]:
    """The units where ``person`` holds a role that drafts documents today."""
    units: dict[uuid.UUID, Unit] = {}
    for membership in memberships_current(person=person).filter(role__in=DRAFTER_ROLES):
        units.setdefault(membership.unit.pk, membership.unit)
    return sorted(units.values(), key=lambda u: (u.agency.code, u.code))


def unit_label(unit: Unit) -> str:
    return f"{unit.agency.code}/{unit.code}"


def _drafting_unit(units: list[Unit], code: str, errors: dict[str, str]) -> Unit | None:
    code = code.strip()
    matches = [u for u in units if code in (u.code, unit_label(u))] if code else units
    if len(matches) == 1:
        return matches[0]
    errors["unit"] = _("Name one of the units you draft in: %(units)s.") % {
        "units": ", ".join(unit_label(u) for u in units)
    }
    return None


def drafting_unit_find(*, person: Person, code: str = "") -> Unit:
    """The unit ``person`` drafts in, named by ``code`` (``agency/unit`` or the unit's code; it
    may be left out by someone who drafts in one unit only)."""
    units = drafting_units(person)
    if not units:
        raise NotAllowedToDraftError(_("you hold no role in any unit that may draft its documents"))
    errors: dict[str, str] = {}
    found = _drafting_unit(units, code, errors)
    if found is None:
        raise InvalidOutgoingError(errors["unit"], errors=errors)
    return found


def _recipients(codes: Sequence[str], errors: dict[str, str]) -> list[Recipient | RemoteRecipient]:
    """``agency`` or ``agency/unit`` of this installation; ``agency@node`` or
    ``agency/unit@node`` of another node of the trust list (checked by the service)."""
    if len(codes) > MAX_RECIPIENTS:
        errors["recipients"] = _("At most %(max)s recipients.") % {"max": MAX_RECIPIENTS}
        return []
    agencies = {
        a.code: a
        for a in agencies_all().filter(code__in=[c.strip().split("/")[0] for c in codes if "@" not in c])
    }
    units: dict[tuple[str, str], Unit] = {}
    for named in agencies.values():
        units.update({(named.code, u.code): u for u in named.units.all()})
    found: list[Recipient | RemoteRecipient] = []
    for index, raw in enumerate(codes):
        local, at, node = raw.strip().partition("@")
        agency_code, _slash, unit_code = local.partition("/")
        if at:
            found.append(RemoteRecipient(node=node.lower(), agency=agency_code, unit=unit_code or None))
            continue
        agency = agencies.get(agency_code)
        if agency is None:
            errors[f"recipients.{index}"] = _("No agency has the code %(code)s.") % {"code": agency_code}
            continue
        if not unit_code:
            found.append(Recipient(agency=agency))
            continue
        unit = units.get((agency_code, unit_code))
        if unit is None:
            errors[f"recipients.{index}"] = _("%(agency)s has no unit with the code %(unit)s.") % {
                "agency": agency.name,
                "unit": unit_code,
            }
            continue
        found.append(Recipient(agency=agency, unit=unit))
    return found


@dataclass(frozen=True)
class DraftReferences:
    """What a draft names by code, found."""

    unit: Unit
    recipients: list[Recipient | RemoteRecipient]
    in_reply_to: Delivery | None


def draft_references(
    *, viewer: Person, unit: str, recipients: Sequence[str], in_reply_to: str = ""
) -> DraftReferences:
    """Find what a draft names: the unit ``viewer`` drafts in (see ``drafting_unit_find``), the
    recipients (``agency`` or ``agency/unit`` codes) and the received document it answers (a
    delivery id ``viewer`` may see). Every name that finds nothing is refused at once
    (``InvalidOutgoingError`` naming each field); someone who drafts nowhere is refused with
    ``NotAllowedToDraftError``."""
    units = drafting_units(viewer)
    if not units:
        raise NotAllowedToDraftError(_("you hold no role in any unit that may draft its documents"))
    errors: dict[str, str] = {}
    found_unit = _drafting_unit(units, unit, errors)
    found_recipients = _recipients(recipients, errors)
    reply: Delivery | None = None
    if in_reply_to.strip():
        reply = delivery_get_or_none(viewer=viewer, delivery_id=in_reply_to)
        if reply is None:
            errors["in_reply_to"] = _("No document that arrived for you has this id.")
    if errors or found_unit is None:
        raise InvalidOutgoingError(
            _("The draft has errors: %(fields)s") % {"fields": ", ".join(sorted(errors))}, errors=errors
        )
    return DraftReferences(unit=found_unit, recipients=found_recipients, in_reply_to=reply)


def delivery_get_or_none(*, viewer: Person, delivery_id: uuid.UUID | str) -> Delivery | None:
    pk = _uuid(delivery_id)
    return incoming_visible(viewer).filter(pk=pk).first() if pk is not None else None


def registration_references(
    *, delivery: Delivery, unit: str, handler_id: uuid.UUID | None
) -> tuple[Unit, Person | None]:
    """The unit of the recipient agency (by code) and the handler (by id) a received document
    is to be assigned to; ``InvalidOutgoingError`` names each one not found."""
    errors: dict[str, str] = {}
    found_unit = delivery.agency.units.filter(code=unit.strip()).first()
    if found_unit is None:
        errors["unit"] = _("Your agency has no unit with the code %(unit)s.") % {"unit": unit}
    handler: Person | None = None
    if handler_id is not None:
        handler = people_by_ids([str(handler_id)]).first()
        if handler is None:
            errors["handler_id"] = _("No official has this id.")
    if errors or found_unit is None:
        raise InvalidOutgoingError(
            _("The registration has errors: %(fields)s") % {"fields": ", ".join(sorted(errors))},
            errors=errors,
        )
    return found_unit, handler


# ---------------------------------------------------------------------------- line building


@dataclass(frozen=True)
class Official:
    person: Person
    roles: AssigneeRoles


@dataclass(frozen=True)
class PolicyStepHolders:
    step: PolicyStep
    holders_text: str
    people: list[Person]


@dataclass(frozen=True)
class KindGuide:
    kind: str
    label: str
    policy: list[PolicyStepHolders]


@dataclass(frozen=True)
class DraftingGuide:
    """What a drafter in ``unit`` needs to build an approval line for each kind."""

    unit: Unit
    officials: list[Official]
    kinds: list[KindGuide]


def drafting_guide(*, viewer: Person, unit: Unit) -> DraftingGuide:
    """The kinds of document, and for each the approval policy of the unit's agency with the
    officials who may hold each step today (never the drafter: no one approves their own)."""
    people = [p for p in officials_of_agency(agency_id=unit.agency_id) if p.pk != viewer.pk]
    roles = approval_reads.assignee_roles(
        person_ids=[str(p.pk) for p in people], agency_id=unit.agency_id, unit_id=unit.pk
    )
    officials = [Official(person=p, roles=roles[str(p.pk)]) for p in people if str(p.pk) in roles]
    kinds: list[KindGuide] = []
    for kind in DocumentKind:
        delegated = approval_reads.delegated_roles(agency_id=unit.agency_id, doc_type=kind.value)
        steps = [
            PolicyStepHolders(
                step=step,
                holders_text=holders_text(step["holders"]),
                people=[
                    o.person
                    for o in officials
                    if may_hold(step["holders"], o.roles, delegated_roles=delegated)
                ],
            )
            for step in policy_of(agency_id=unit.agency_id, kind=kind.value)["steps"]
        ]
        kinds.append(KindGuide(kind=kind.value, label=str(kind.label), policy=steps))
    return DraftingGuide(unit=unit, officials=officials, kinds=kinds)


# ---------------------------------------------------------------------------- for the pages


def recipients_offered() -> list[tuple[Agency, list[Unit]]]:
    """The agencies of the installation a document may be addressed to, each with its units
    (two queries)."""
    agencies = list(agencies_all().order_by("name"))
    units: dict[uuid.UUID, list[Unit]] = {a.pk: [] for a in agencies}
    for unit in Unit.objects.filter(agency__in=agencies).order_by("name"):
        units[unit.agency_id].append(unit)
    return [(a, units[a.pk]) for a in agencies]


def remote_recipients_offered() -> list[tuple[Node, list[tuple[str, str]]]]:
    """The agencies of the other nodes of the trust list, node by node: (code, name) each."""
    return [(n, sorted(n.agencies.items(), key=lambda i: i[1])) for n in Node.objects.filter(is_active=True)]


def recipients_named(keys: list[str]) -> tuple[list[Recipient | RemoteRecipient], list[str]]:
    """The recipients that keys such as ``agency:<id>``, ``unit:<id>`` and (an agency of
    another node) ``remote:<node>:<agency code>`` name, in the order given, and the keys that
    name nothing (an agency or unit that does not exist)."""
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
    found: list[Recipient | RemoteRecipient] = []
    unknown: list[str] = []
    for key in keys:
        kind, _sep, value = key.partition(":")
        if kind == "remote" and value.count(":") == 1:
            node, _sep, code = value.partition(":")
            found.append(RemoteRecipient(node=node, agency=code))
            continue
        try:
            pk = uuid.UUID(value)
        except ValueError:
            unknown.append(key)
            continue
        if kind == "agency" and pk in agencies:
            found.append(Recipient(agency=agencies[pk]))
        elif kind == "unit" and pk in units:
            found.append(Recipient(agency=units[pk].agency, unit=units[pk]))
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


def deliveries_of(outgoing: OutgoingDocument) -> QuerySet[Delivery]:
    """Each recipient's copy, with who registered or returned it."""
    return outgoing.deliveries.select_related("agency", "unit", "status_changed_by").order_by(
        "agency__name", "unit__name", "id"
    )


def outgoing_on_lines(line_ids: list[uuid.UUID]) -> dict[uuid.UUID, OutgoingDocument]:
    """The outgoing documents that approval lines approve, by line (for the approval queue)."""
    found = (
        OutgoingDocument.objects.filter(approval_line_id__in=line_ids)
        .select_related("unit", "drafter")
        .prefetch_related("deliveries__agency", "deliveries__unit")
    )
    return {o.approval_line_id: o for o in found if o.approval_line_id is not None}
