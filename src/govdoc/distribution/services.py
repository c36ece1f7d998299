"""Writes of the distribution domain: drafting an official document, sending it for approval,
sending it once approved, and registering, returning and reading what arrives.

The journey of an outgoing document:

1. ``outgoing_draft``: an official of a unit drafts it (a PDF, its title, kind, classification,
   retention period, disclosure level and recipients); it is a document of the agency with
   one version, not yet registered.
2. ``outgoing_send_for_approval``: the drafter proposes an e-Approval line; it must keep the
   approval policy of the document's kind (the agency's, or one final approval by the head of
   the drafting unit). Every decision signs the content: the PDF's hash and every field above.
3. the line ends (``receivers.on_line_finished``, in the worker): approved, ``outgoing_finish``
   takes the outgoing number in the agency's registry, seals the PDF with the agency's e-seal
   (PAdES B-LTA) and delivers a copy to each recipient; rejected, the document is closed;
   returned or withdrawn, it is a draft again. An internal document (drafted as such, with no
   recipients) takes an internal number instead, is sealed the same way and filed: kept in the
   agency's registry, never dispatched.

A delivered copy waits for the recipient agency's registry clerk: ``delivery_register`` makes
it a document of the recipient agency with an incoming number, assigned to a unit (and a
handler); ``delivery_return`` sends a misaddressed one back with the reason. Every opening of
a received document is recorded (``delivery_open``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from cryptography import x509
from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role, role_in_sentence
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.selectors import has_role, memberships_current
from govdoc.approvals import selectors as approval_reads
from govdoc.approvals import services as approvals
from govdoc.approvals.errors import LinePolicyError
from govdoc.approvals.policy import ProposedStep
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import canonical_json
from govdoc.distribution.consignments import consignments_queue
from govdoc.distribution.constants import (
    DRAFTER_ROLES,
    MAX_RECIPIENTS,
    REGISTRY_ROLES,
    RETENTION_YEARS,
    DeliveryStatus,
    DocumentKind,
    OutgoingStatus,
)
from govdoc.distribution.errors import (
    DeliveryStateError,
    InvalidOutgoingError,
    NotAllowedToDraftError,
    NotRegistryClerkError,
    NotTheDrafterError,
    OutgoingStateError,
)
from govdoc.distribution.models import Consignment, Delivery, Node, OutgoingDocument, Reading
from govdoc.distribution.nodes import peer_trust
from govdoc.distribution.selectors import policy_of, sender_name
from govdoc.distribution.specs import Recipient, RemoteRecipient
from govdoc.distribution.tasks import answer_registered_announce, outgoing_settled_announce
from govdoc.documents.constants import Direction, Disclosure
from govdoc.documents.models import RegistryEntry
from govdoc.documents.refusals import audited_upload_refusals
from govdoc.documents.services import document_create, document_register, version_add, version_add_sealed
from govdoc.documents.storage import file_read
from govdoc.signatures.services import pdf_seal

PDF = "application/pdf"


def _roles_in(person: Person, *, agency_id: uuid.UUID, unit_id: uuid.UUID | None = None) -> set[str]:
    held = memberships_current(person=person).filter(unit__agency_id=agency_id)
    if unit_id is not None:
        held = held.filter(unit_id=unit_id)
    return {str(role) for role in held.values_list("role", flat=True)}


AnyRecipient = Recipient | RemoteRecipient


def _remote_recipient_error(r: RemoteRecipient, nodes: dict[str, Node]) -> str:
    node = nodes.get(r.node)
    if node is None:
        return _("No node %(node)s in the trust list.") % {"node": r.node}
    if r.agency not in node.agencies:
        return _("Node %(node)s lists no agency %(agency)s.") % {"node": r.node, "agency": r.agency}
    if r.unit is not None and not (0 < len(r.unit) <= 64):
        return _("The unit's code is 1 to 64 characters.")
    return ""


def _recipient_errors(recipients: Sequence[AnyRecipient], *, unit: Unit, internal: bool) -> dict[str, str]:
    if internal:
        # kept by the agency itself: a recipient named with it is a mistake, not a wish to send
        return {"recipients": _("An internal document has no recipients.")} if recipients else {}
    if not recipients:
        return {"recipients": _("Name at least one recipient.")}
    if len(recipients) > MAX_RECIPIENTS:
        return {"recipients": _("At most %(max)s recipients.") % {"max": MAX_RECIPIENTS}}
    nodes = {
        n.node_id: n
        for n in Node.objects.filter(
            is_active=True, node_id__in=[r.node for r in recipients if isinstance(r, RemoteRecipient)]
        )
    }
    seen: set[tuple[str, ...]] = set()
    for index, r in enumerate(recipients):
        if isinstance(r, RemoteRecipient):
            problem = _remote_recipient_error(r, nodes)
            if problem:
                return {f"recipients.{index}": problem}
            key: tuple[str, ...] = (r.node, r.agency, r.unit or "")
        else:
            key = ("", str(r.agency.pk), str(r.unit.pk) if r.unit is not None else "")
            if r.unit is not None and r.unit.agency_id != r.agency.pk:
                return {f"recipients.{index}": _("The unit belongs to another agency.")}
            if r.unit is not None and r.unit.pk == unit.pk:
                return {f"recipients.{index}": _("A document is not sent to the unit that drafts it.")}
        if key in seen:
            return {f"recipients.{index}": _("This recipient is named twice.")}
        seen.add(key)
    return {}


def outgoing_draft_refusals(
    *,
    title: str,
    kind: str,
    classification_code: str,
    retention_years: int | None,
    disclosure: str,
    legal_ground: str,
    recipients: Sequence[AnyRecipient],
    unit: Unit,
    internal: bool = False,
) -> dict[str, str]:
    """What ``outgoing_draft`` refuses in these fields (nothing written), so that a page can name
    every error at once even when its own part of the form (the file) is missing. A document
    with no recipients is refused unless it is drafted as ``internal`` (deliberately), and an
    internal one is refused recipients."""
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = _("Enter the title.")
    if not classification_code.strip():
        errors["classification_code"] = _("Enter the classification code.")
    if kind not in DocumentKind.values:
        errors["kind"] = _("Choose one of the offered kinds.")
    if retention_years is not None and retention_years not in RETENTION_YEARS:
        errors["retention_years"] = _("Choose one of the offered retention periods.")
    if disclosure not in Disclosure.values:
        errors["disclosure"] = _("Choose one of the offered disclosure levels.")
    elif disclosure != Disclosure.PUBLIC and not legal_ground.strip():
        errors["legal_ground"] = _(
            "A document that is not fully public needs the legal ground for withholding it."
        )
    errors.update(_recipient_errors(recipients, unit=unit, internal=internal))
    return errors


@audited_upload_refusals
@transaction.atomic
def outgoing_draft(
    *,
    actor: Person,
    unit: Unit,
    title: str,
    kind: str,
    classification_code: str,
    retention_years: int | None,
    disclosure: str,
    legal_ground: str = "",
    content: bytes,
    filename: str,
    recipients: Sequence[AnyRecipient],
    in_reply_to: Delivery | None = None,
    final_approver_role: str = "",
    internal: bool = False,
) -> OutgoingDocument:
    """Draft an official document in ``unit`` (the actor drafts there) from a PDF. Refuses
    every bad field at once (``InvalidOutgoingError``), nothing written. ``final_approver_role``:
    the role whoever gives its final approval must hold in the agency (a procedure's task).
    ``internal``: a document the agency keeps (a plan, an analysis, a report): no recipients;
    once approved it is registered, sealed and filed, never sent."""
    if not _roles_in(actor, agency_id=unit.agency_id, unit_id=unit.pk) & DRAFTER_ROLES:
        raise NotAllowedToDraftError(
            _("you hold no role in this unit that may draft its documents"), unit_id=str(unit.pk)
        )
    errors = outgoing_draft_refusals(
        title=title,
        kind=kind,
        classification_code=classification_code,
        retention_years=retention_years,
        disclosure=disclosure,
        legal_ground=legal_ground,
        recipients=recipients,
        unit=unit,
        internal=internal,
    )
    if in_reply_to is not None and internal:
        errors["in_reply_to"] = _("An answer goes back to its sender; it cannot be an internal document.")
    elif in_reply_to is not None and (
        in_reply_to.agency_id != unit.agency_id or in_reply_to.status != DeliveryStatus.REGISTERED
    ):
        errors["in_reply_to"] = _("Only a document your agency registered can be answered.")
    if errors:
        raise InvalidOutgoingError(
            _("The draft has errors: %(fields)s") % {"fields": ", ".join(sorted(errors))}, errors=errors
        )
    document = document_create(
        agency=unit.agency,
        owner_unit=unit,
        author=actor,
        title=title,
        doc_type=kind,
        classification_code=classification_code,
        disclosure=disclosure,
        legal_ground=legal_ground,
        content=content,
        filename=filename,
        media_type=PDF,
        actor=actor,
    )
    _require_pdf(document.current_version.media_type if document.current_version else "")
    outgoing = OutgoingDocument.objects.create(
        agency=unit.agency,
        unit=unit,
        drafter=actor,
        document=document,
        kind=kind,
        retention_years=retention_years,
        in_reply_to=in_reply_to,
        final_approver_role=final_approver_role,
        internal=internal,
        created_at=clock.now(),
    )
    Delivery.objects.bulk_create(
        [
            Delivery(outgoing=outgoing, agency=r.agency, unit=r.unit)
            for r in recipients
            if isinstance(r, Recipient)
        ]
    )
    remote = [r for r in recipients if isinstance(r, RemoteRecipient)]
    nodes = {n.node_id: n for n in Node.objects.filter(node_id__in=[r.node for r in remote])}
    Consignment.objects.bulk_create(
        [
            Consignment(
                outgoing=outgoing,
                node=nodes[r.node],
                agency_code=r.agency,
                agency_name=nodes[r.node].agencies[r.agency],
                unit_code=r.unit or "",
            )
            for r in remote
        ]
    )
    record(
        "distribution.outgoing_drafted",
        actor=actor,
        target=outgoing,
        data={
            "document_id": str(document.pk),
            "kind": kind,
            "classification_code": document.classification_code,
            "retention_years": retention_years,
            "disclosure": disclosure,
            "recipients": [_recipient_label(r) for r in recipients],
            "in_reply_to": str(in_reply_to.pk) if in_reply_to is not None else None,
            "internal": internal,
        },
    )
    return outgoing


def sender_as_recipient(delivery: Delivery) -> AnyRecipient:
    """Who sent a delivered document, as a recipient of the answer (the agency and unit it came
    from, here or on its node)."""
    if delivery.outgoing is not None:
        return Recipient(agency=delivery.outgoing.agency, unit=delivery.outgoing.unit)
    arrival = delivery.arrival
    assert arrival is not None
    return RemoteRecipient(
        node=arrival.node.node_id, agency=arrival.sender_agency_code, unit=arrival.sender_unit_code or None
    )


def outgoing_countersign(
    *, delivery: Delivery, actor: Person, unit: Unit, title: str = "", final_approver_role: str = ""
) -> OutgoingDocument:
    """Draft the countersignature of a registered document (a memorandum, an agreement): an
    answer to its sender whose content is the received PDF itself, byte for byte, as its
    sender sealed it. Once this agency's approval line approves it, ``outgoing_finish`` seals it with this
    agency's e-seal as an incremental update, so the sender's seal stays valid beside this one and
    both parties hold one PDF signed by both."""
    delivery = Delivery.objects.select_related(
        "outgoing__agency", "outgoing__unit", "outgoing__document", "arrival__node", "received_document"
    ).get(pk=delivery.pk)
    if delivery.agency_id != unit.agency_id or delivery.status != DeliveryStatus.REGISTERED:
        raise InvalidOutgoingError(
            _("Only a document your agency registered can be countersigned."),
            errors={"in_reply_to": _("Only a document your agency registered can be countersigned.")},
        )
    received = delivery.received_document
    assert received is not None and received.current_version is not None
    version = received.current_version
    return outgoing_draft(
        actor=actor,
        unit=unit,
        title=title or delivery.title,
        kind=delivery.kind,
        classification_code=received.classification_code,
        retention_years=delivery.retention_years,
        disclosure=delivery.disclosure,
        legal_ground=delivery.legal_ground,
        content=file_read(version.file),
        filename=version.filename,
        recipients=[sender_as_recipient(delivery)],
        in_reply_to=delivery,
        final_approver_role=final_approver_role,
    )


def _require_pdf(media_type: str) -> None:
    if media_type != PDF:
        raise InvalidOutgoingError(
            _("An official document is sent as a PDF."), errors={"file": _("Upload the document as a PDF.")}
        )


def _recipient_label(r: AnyRecipient) -> str:
    if isinstance(r, RemoteRecipient):
        return f"{r.agency}@{r.node}" + (f"/{r.unit}" if r.unit else "")
    return r.agency.code + (f"/{r.unit.code}" if r.unit is not None else "")


def _locked(outgoing: OutgoingDocument) -> OutgoingDocument:
    return (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("document", "agency", "unit")
        .get(pk=outgoing.pk)
    )


def _require_draft_of(outgoing: OutgoingDocument, actor: Person) -> None:
    if outgoing.drafter_id != actor.pk:
        raise NotTheDrafterError(
            _("only the drafter may change or send this draft"), outgoing_id=str(outgoing.pk)
        )
    if outgoing.status != OutgoingStatus.DRAFT:
        raise OutgoingStateError(
            _("the document is %(status)s, not a draft")
            % {"status": OutgoingStatus(outgoing.status).label.lower()},
            outgoing_id=str(outgoing.pk),
        )


@audited_upload_refusals
@transaction.atomic
def outgoing_content_replace(
    *, outgoing: OutgoingDocument, content: bytes, filename: str, actor: Person
) -> OutgoingDocument:
    """A corrected PDF for a draft: a new version (the earlier one stays)."""
    outgoing = _locked(outgoing)
    _require_draft_of(outgoing, actor)
    version = version_add(
        document=outgoing.document, content=content, filename=filename, media_type=PDF, actor=actor
    )
    _require_pdf(version.media_type)
    record(
        "distribution.outgoing_content_replaced",
        actor=actor,
        target=outgoing,
        data={"version": version.number, "sha256": version.file_id},
    )
    return outgoing


def content_sha256(outgoing: OutgoingDocument) -> str:
    """What the approvers approve and sign: the PDF's hash and everything the document is
    sent with (title, kind, classification, retention, disclosure, recipients)."""
    document = outgoing.document
    version = document.current_version
    recipients = sorted(
        f"{agency}/{unit or ''}" for agency, unit in outgoing.deliveries.values_list("agency_id", "unit_id")
    )
    return hashlib.sha256(
        canonical_json(
            {
                "format": "govdoc.outgoing/1",
                "document_id": str(document.pk),
                "pdf_sha256": version.file_id if version is not None else "",
                "title": document.title,
                "kind": outgoing.kind,
                "classification_code": document.classification_code,
                "retention_years": outgoing.retention_years,
                "disclosure": document.disclosure,
                "legal_ground": document.legal_ground,
                "recipients": [*recipients],
                "in_reply_to": str(outgoing.in_reply_to_id) if outgoing.in_reply_to_id else None,
                # named only when true, so that what a sent document's approvers signed is unchanged
                **({"internal": True} if outgoing.internal else {}),
            }
        )
    ).hexdigest()


@transaction.atomic
def outgoing_send_for_approval(
    *, outgoing: OutgoingDocument, steps: Sequence[approvals.StepSpec], actor: Person
) -> OutgoingDocument:
    """The drafter sends the draft on an e-Approval line of ``steps``; refused with every
    reason if the line breaks the policy of the document's kind (nothing written but the
    audited refusal of the approvals domain)."""
    outgoing = _locked(outgoing)
    _require_draft_of(outgoing, actor)
    document = outgoing.document
    reasons = approval_reads.line_policy_refusals(
        policy=policy_of(agency_id=outgoing.agency_id, kind=outgoing.kind),
        steps=[ProposedStep(kind=s.kind, assignee_id=str(s.assignee_id), position=s.position) for s in steps],
        agency_id=outgoing.agency_id,
        unit_id=outgoing.unit_id,
        doc_type=outgoing.kind,
    )
    reasons += _final_approver_refusals(outgoing, steps)
    if reasons:
        raise LinePolicyError(
            _("The approval line breaks the policy for this kind of document: %(reasons)s")
            % {"reasons": "; ".join(reasons)},
            errors={"steps": "; ".join(reasons)},
        )
    assert document.current_version is not None
    line = approvals.line_create(
        content_sha256=content_sha256(outgoing),
        document=document,
        version=document.current_version,
        drafter=actor,
        doc_type=outgoing.kind,
        steps=steps,
        actor=actor,
    )
    approvals.line_submit(line=line, actor=actor)
    outgoing.status, outgoing.approval_line_id = OutgoingStatus.IN_APPROVAL, line.pk
    outgoing.save(update_fields=["status", "approval_line_id"])
    record(
        "distribution.outgoing_sent_for_approval",
        actor=actor,
        target=outgoing,
        data={"line_id": str(line.pk), "steps": len(steps)},
    )
    return outgoing


def _final_approver_refusals(outgoing: OutgoingDocument, steps: Sequence[approvals.StepSpec]) -> list[str]:
    """Why the line's final approval is not held by the role the document requires ([] if it is)."""
    if not outgoing.final_approver_role:
        return []
    approvals_ = [s for s in steps if s.kind == "approval"]
    final = max(approvals_, key=lambda s: s.position, default=None)
    role = Role(outgoing.final_approver_role)
    holder = None
    if final is not None:
        try:
            holder = Person.objects.filter(pk=uuid.UUID(str(final.assignee_id))).first()
        except ValueError:
            holder = None
    if holder is not None and has_role(person=holder, role=role, agency=outgoing.agency):
        return []
    return [
        _("the final approval of this document is given by the %(role)s of %(agency)s")
        % {"role": role_in_sentence(role), "agency": outgoing.agency.name}
    ]


def outgoing_finish(*, outgoing_id: uuid.UUID, line_id: uuid.UUID, outcome: str) -> OutgoingDocument:
    """Apply the end of the document's approval line (the worker's task body). Idempotent: a
    retried announcement changes nothing twice, and an approved document interrupted halfway
    (number taken, not yet sealed) is finished under the number it took."""
    with transaction.atomic():
        outgoing = (
            OutgoingDocument.objects.select_for_update(of=("self",))
            .select_related("document")
            .get(pk=outgoing_id)
        )
        if outgoing.approval_line_id != line_id or outgoing.status != OutgoingStatus.IN_APPROVAL:
            return outgoing
        if outcome == "approved":
            approved = approval_reads.approved_content(line_id=line_id)
            if approved is None or approved.content_sha256 != content_sha256(outgoing):
                # the decisions did not all sign this content (it changed after they were
                # taken): the drafter sends it again
                outcome = "content-changed"
        if outcome == "rejected":
            return _close(outgoing, OutgoingStatus.REJECTED, "distribution.outgoing_rejected", line_id)
        if outcome != "approved":
            return _close(
                outgoing, OutgoingStatus.DRAFT, "distribution.outgoing_back_to_draft", line_id, outcome
            )
        if outgoing.registry_entry_id is None:
            outgoing.registry_entry = document_register(
                document=outgoing.document,
                actor=outgoing.drafter,
                direction=Direction.INTERNAL if outgoing.internal else Direction.OUTGOING,
                correspondent=", ".join(_correspondents(outgoing)),
                # an answer is a further act of the case of what it answers (02-05-12/2026-1)
                in_case_of=_case_of(outgoing),
            )
            outgoing.save(update_fields=["registry_entry"])
            record(
                "distribution.outgoing_registered",
                actor=outgoing.drafter,
                target=outgoing,
                data={"registry_number": outgoing.registry_entry.registry_number, "line_id": str(line_id)},
            )
    entry = outgoing.registry_entry
    assert entry is not None and outgoing.document.current_version is not None
    # Sealed outside any transaction (a remote TSA or an HSM may take seconds): the number is
    # taken and committed, so a crash here leaves a document that the retried task seals.
    sealed = pdf_seal(
        pdf=file_read(outgoing.document.current_version.file),
        agency=outgoing.agency,
        actor=outgoing.drafter,
        reason=f"{'Internal' if outgoing.internal else 'Outgoing'} document {entry.registry_number}",
        also_trusted=_sender_trust(outgoing),
    )
    with transaction.atomic():
        outgoing = (
            OutgoingDocument.objects.select_for_update(of=("self",))
            .select_related("document")
            .get(pk=outgoing_id)
        )
        if outgoing.status != OutgoingStatus.IN_APPROVAL:
            return outgoing  # a concurrent retry finished it first
        if outgoing.internal:
            return _file(outgoing, entry, sealed)
        version = version_add_sealed(
            document=outgoing.document,
            content=sealed,
            filename=f"{entry.registry_number}.pdf",
            media_type=PDF,
            note="Sent (PAdES e-seal of the agency)",
            actor=outgoing.drafter,
        )
        now = clock.now()
        outgoing.status, outgoing.sealed_version, outgoing.sent_at = OutgoingStatus.SENT, version, now
        outgoing.save(update_fields=["status", "sealed_version", "sent_at"])
        delivered = outgoing.deliveries.filter(status=DeliveryStatus.PLANNED).update(
            status=DeliveryStatus.DELIVERED, delivered_at=now
        )
        # To other nodes: each consignment goes out through the outbox (a task row written in
        # this transaction), so an approved document is sent even if this process dies now.
        consignments_queue(outgoing=outgoing)
        outgoing_settled_announce.enqueue(outgoing_id=str(outgoing.pk), status=str(OutgoingStatus.SENT))
        record(
            "distribution.outgoing_sent",
            actor=outgoing.drafter,
            target=outgoing,
            data={
                "registry_number": entry.registry_number,
                "version_id": str(version.pk),
                "pdf_sha256": version.file_id,
                "deliveries": delivered,
                "consignments": outgoing.consignments.count(),
            },
        )
    return outgoing


def _file(outgoing: OutgoingDocument, entry: RegistryEntry, sealed: bytes) -> OutgoingDocument:
    """Keep an approved internal document in the agency's registry (in the caller's transaction,
    the row locked): its sealed version, the status filed, the announcement; nothing is sent."""
    version = version_add_sealed(
        document=outgoing.document,
        content=sealed,
        filename=f"{entry.registry_number}.pdf",
        media_type=PDF,
        note="Filed (PAdES e-seal of the agency)",
        actor=outgoing.drafter,
    )
    outgoing.status, outgoing.sealed_version, outgoing.filed_at = OutgoingStatus.FILED, version, clock.now()
    outgoing.save(update_fields=["status", "sealed_version", "filed_at"])
    outgoing_settled_announce.enqueue(outgoing_id=str(outgoing.pk), status=str(OutgoingStatus.FILED))
    record(
        "distribution.outgoing_filed",
        actor=outgoing.drafter,
        target=outgoing,
        data={
            "registry_number": entry.registry_number,
            "version_id": str(version.pk),
            "pdf_sha256": version.file_id,
        },
    )
    return outgoing


def _sender_trust(outgoing: OutgoingDocument) -> tuple[tuple[x509.Certificate, ...], tuple[bytes, ...]]:
    """The root and CRL of the node an answered document came from: a countersignature seals
    that node's sealed PDF again, and the new seal's validation data covers its timestamps."""
    answered = outgoing.in_reply_to
    if answered is None or answered.arrival is None:
        return (), ()
    peer = peer_trust(answered.arrival.node.node_id)
    return (peer.roots, peer.crls) if peer is not None else ((), ())


def _case_of(outgoing: OutgoingDocument) -> RegistryEntry | None:
    answered = outgoing.in_reply_to
    if answered is None or answered.received_document_id is None:
        return None
    return RegistryEntry.objects.filter(document_id=answered.received_document_id).first()


def _correspondents(outgoing: OutgoingDocument) -> list[str]:
    return [
        d.agency.name + (f" ({d.unit.name})" if d.unit is not None else "")
        for d in outgoing.deliveries.select_related("agency", "unit")
    ] + [f"{c.agency_name} ({c.node.node_id})" for c in outgoing.consignments.select_related("node")]


def _close(
    outgoing: OutgoingDocument, status: OutgoingStatus, event: str, line_id: uuid.UUID, outcome: str = ""
) -> OutgoingDocument:
    outgoing.status = status
    if status == OutgoingStatus.DRAFT:
        outgoing.approval_line_id = None  # a new line starts when the drafter sends it again
    outgoing.save(update_fields=["status", "approval_line_id"])
    record(
        event, actor=None, target=outgoing, data={"line_id": str(line_id), "outcome": outcome or str(status)}
    )
    return outgoing


# ---------------------------------------------------------------------------- received


def _require_registry_clerk(delivery: Delivery, actor: Person) -> None:
    if not _roles_in(actor, agency_id=delivery.agency_id) & REGISTRY_ROLES:
        raise NotRegistryClerkError(
            _("only a registry clerk of the recipient agency registers or returns what arrived"),
            delivery_id=str(delivery.pk),
        )


def _locked_delivery(delivery: Delivery) -> Delivery:
    return (
        Delivery.objects.select_for_update(of=("self",))
        .select_related(
            "outgoing__document",
            "outgoing__agency",
            "outgoing__registry_entry__agency",
            "outgoing__sealed_version__file",
            "arrival__node",
            "arrival__main_file",
            "agency",
        )
        .get(pk=delivery.pk)
    )


def _require_delivered(delivery: Delivery) -> None:
    if delivery.status != DeliveryStatus.DELIVERED:
        raise DeliveryStateError(
            _("the document is %(status)s already")
            % {"status": DeliveryStatus(delivery.status).label.lower()},
            delivery_id=str(delivery.pk),
        )


@transaction.atomic
def delivery_register(
    *,
    delivery: Delivery,
    actor: Person,
    unit: Unit,
    handler: Person | None = None,
    classification_code: str = "",
) -> Delivery:
    """The recipient's registry clerk registers a delivered document: it becomes a document of
    the recipient agency (the same sealed PDF) under an incoming number, assigned to ``unit``
    (and ``handler``, an official of that unit)."""
    delivery = _locked_delivery(delivery)
    _require_registry_clerk(delivery, actor)
    _require_delivered(delivery)
    errors: dict[str, str] = {}
    if unit.agency_id != delivery.agency_id:
        errors["unit"] = _("Assign it to a unit of your agency.")
    elif handler is not None and not _roles_in(handler, agency_id=unit.agency_id, unit_id=unit.pk):
        errors["handler"] = _("The handler must be an official of the assigned unit.")
    if errors:
        raise InvalidOutgoingError(
            _("The registration has errors: %(fields)s") % {"fields": ", ".join(sorted(errors))},
            errors=errors,
        )
    sealed = delivery.sealed_file
    assert sealed is not None
    filename, stored = sealed
    received = document_create(
        agency=delivery.agency,
        owner_unit=unit,
        author=actor,
        title=delivery.title,
        doc_type=delivery.kind,
        classification_code=classification_code.strip() or delivery.sender_classification_code,
        disclosure=delivery.disclosure,
        legal_ground=delivery.legal_ground,
        content=file_read(stored),
        filename=filename,
        media_type=PDF,
        actor=actor,
    )
    entry = document_register(
        document=received,
        actor=actor,
        direction=Direction.INCOMING,
        correspondent=f"{sender_name(delivery)}, {delivery.sender_registry_number}",
    )
    now = clock.now()
    delivery.status, delivery.registered_at, delivery.received_document = (
        DeliveryStatus.REGISTERED,
        now,
        received,
    )
    delivery.assigned_unit, delivery.handler, delivery.status_changed_by = unit, handler, actor
    delivery.save(
        update_fields=[
            "status",
            "registered_at",
            "received_document",
            "assigned_unit",
            "handler",
            "status_changed_by",
        ]
    )
    record(
        "distribution.delivery_registered",
        actor=actor,
        target=delivery,
        data={
            "registry_number": entry.registry_number,
            "sender_registry_number": delivery.sender_registry_number,
            "document_id": str(received.pk),
            "unit": str(unit.pk),
            "handler": str(handler.pk) if handler is not None else None,
        },
    )
    if delivery.arrival is not None and delivery.arrival.answers_id is not None:
        answer_registered_announce.enqueue(
            delivery_id=str(delivery.pk), answers=str(delivery.arrival.answers_id)
        )
    return delivery


@transaction.atomic
def delivery_return(*, delivery: Delivery, actor: Person, reason: str) -> Delivery:
    """The recipient's registry clerk sends a misaddressed document back, with the reason; the
    sender sees it beside that recipient."""
    delivery = _locked_delivery(delivery)
    _require_registry_clerk(delivery, actor)
    _require_delivered(delivery)
    if delivery.arrival_id is not None:
        # Returning across nodes needs a signed notice back to the sender's node (format 2):
        # until then the clerk tells the sender by a reply.
        raise DeliveryStateError(
            _("a document from another node is answered, not returned: draft a reply saying why"),
            delivery_id=str(delivery.pk),
        )
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidOutgoingError(
            _("Say why the document is returned (at most 500 characters)."),
            errors={"reason": _("Say why the document is returned (at most 500 characters).")},
        )
    delivery.status, delivery.returned_at, delivery.return_reason = (
        DeliveryStatus.RETURNED,
        clock.now(),
        reason,
    )
    delivery.status_changed_by = actor
    delivery.save(update_fields=["status", "returned_at", "return_reason", "status_changed_by"])
    record("distribution.delivery_returned", actor=actor, target=delivery, data={"reason": reason})
    return delivery


@transaction.atomic
def delivery_read_record(*, delivery: Delivery, actor: Person) -> Reading:
    """``actor`` opened the received document: the first time is kept on the delivery (who
    read it and when, for the circulation list), every time is an audit event."""
    reading, _created = Reading.objects.get_or_create(
        delivery=delivery, person=actor, defaults={"read_at": clock.now()}
    )
    record("distribution.delivery_read", actor=actor, target=delivery, data={"first": _created})
    return reading
