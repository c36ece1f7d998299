"""The documents a procedure's tasks produce (``govdoc:draft`` and ``govdoc:countersign`` in the
BPMN file; docs/procedures.md), made with the distribution domain's own services, not copies:

1. ``task_document_draft``: a person who may complete the task drafts its document from the
   task's template (issuance's one renderer, PDF/A), addressed to the agencies of the parties the
   BPMN file names; it is an outgoing document of the party's agency, sent on an e-Approval line
   from its page like any other (``distribution.services.outgoing_send_for_approval``).
2. ``task_document_countersign``: the party that received such a document (registered by its
   registry) countersigns it: the received PDF, sealed again by this agency once approved.
3. The task waits. When its document is sent (approved, registered, sealed, dispatched), or,
   for an internal document (a ``govdoc:draft`` without ``to``), filed in the agency's registry,
   the worker hears ``distribution.signals.outgoing_settled`` and completes it
   (``on_outgoing_settled``), with the document's registry number in the process data, beside
   the decision the drafter gave with the draft (what the next gateway reads). A party on
   another node countersigns there; its answer travels back, is registered here, and completes
   that party's task here once it is shown to be the sent PDF with one more intact seal
   (``on_answer_registered``).

A rejected draft stays listed beside the task, which drafts another.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person, Unit
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.distribution.constants import DeliveryStatus, OutgoingStatus
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.distribution.services import outgoing_countersign, outgoing_draft
from govdoc.distribution.specs import Recipient, RemoteRecipient
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance.rendering import date_text, letter_pdf
from govdoc.procedures import bpmn_facts, engine, letters
from govdoc.procedures.constants import InstanceStatus
from govdoc.procedures.errors import TaskDocumentError, TaskDocumentPendingError
from govdoc.procedures.lanes import lane_or_none, party_key, role_read
from govdoc.procedures.models import ProcessInstance, ProcessParty, TaskDocument
from govdoc.procedures.selectors import countersign_delivery
from govdoc.procedures.services.instances import (
    OpenTaskHere,
    document_spec,
    task_done,
    task_for_actor,
)
from govdoc.procedures.services.parties import lane_agency, parties_of_instance
from govdoc.procedures.services.state import clean_data as clean_process_data
from govdoc.procedures.services.state import instance_lock
from govdoc.signatures.selectors import pdf_verify

TEXT_MAX = 20_000
PENDING = (OutgoingStatus.DRAFT, OutgoingStatus.IN_APPROVAL)


def _spec(found: OpenTaskHere, mode: str) -> bpmn_facts.DocumentSpec:
    spec = document_spec(found.instance, found.task.spec_name)
    if spec is None or spec.mode != mode:
        raise TaskDocumentError(
            _("the task '%(task)s' does not produce a document this way") % {"task": found.task.title},
            errors={"task": _("This task has no document to produce this way.")},
        )
    return spec


def _require_none_pending(found: OpenTaskHere) -> None:
    pending = TaskDocument.objects.filter(
        instance=found.instance, task_id=found.task.task_id, outgoing__status__in=PENDING
    ).first()
    if pending is not None:
        raise TaskDocumentPendingError(
            _("the task's document is already drafted: send it for approval, or wait for its approval"),
            instance_id=str(found.instance.pk),
            outgoing_id=str(pending.outgoing_id),
        )


def _recipients(
    spec: bpmn_facts.DocumentSpec, parties: dict[str, ProcessParty]
) -> list[Recipient | RemoteRecipient]:
    out: list[Recipient | RemoteRecipient] = []
    for name in spec.to:
        party = parties[party_key(name)]
        if party.agency is not None:
            out.append(Recipient(agency=party.agency))
        else:
            out.append(RemoteRecipient(node=party.remote_node, agency=party.remote_agency))
    return out


def _party_label(party: ProcessParty) -> str:
    if party.agency is not None:
        return str(party.agency.name)
    return f"{party.remote_agency} ({party.remote_node})"


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _retention(spec: bpmn_facts.DocumentSpec, chosen: int | str | None) -> int | None:
    if chosen != "":
        return chosen if isinstance(chosen, int) or chosen is None else None
    if spec.retention in ("", "permanent"):
        return None if spec.retention == "permanent" else 10
    return int(spec.retention)


def _approver(spec: bpmn_facts.DocumentSpec) -> str:
    """The role whose holder must give the final approval ("" : the kind's policy alone)."""
    role = role_read(spec.approved_by) if spec.approved_by else None
    return str(role) if role is not None else ""


def _created(
    found: OpenTaskHere,
    mode: str,
    outgoing: OutgoingDocument,
    actor: Person,
    data: dict[str, Any] | None = None,
) -> TaskDocument:
    document = TaskDocument.objects.create(
        instance=found.instance,
        task_id=uuid.UUID(found.task.task_id),
        spec_name=found.task.spec_name[:200],
        mode=mode,
        outgoing=outgoing,
        data=data or {},
        created_at=clock.now(),
    )
    record(
        EventType.PROCEDURE_DOCUMENT_DRAFTED,
        actor=actor,
        target=found.instance,
        data={
            "task_id": found.task.task_id,
            "task": found.task.spec_name,
            "mode": mode,
            "outgoing_id": str(outgoing.pk),
            "document_id": str(outgoing.document_id),
        },
    )
    return document


@transaction.atomic
def task_document_draft(
    *,
    instance: ProcessInstance,
    task_id: str,
    actor: Person,
    unit: Unit,
    title: str,
    text: str,
    script: str,
    classification_code: str = "",
    retention_years: int | str | None = "",
    disclosure: str = "",
    legal_ground: str = "",
    data: JSONObject | None = None,
) -> TaskDocument:
    """Draft the document of a ``govdoc:draft`` task from its template, as ``actor`` (who may
    draft in the task's agency) in ``unit`` of it; ``approved-by`` names who gives the final
    approval. Without ``to`` in the BPMN file it is an internal document, filed once approved.
    ``data``: what the task decides for the next gateway (an inspection report: are the
    deliverables accepted?), entered in the process data when the task completes.
    Empty fields take the BPMN file's values. Refused with every field's reason
    (``TaskDocumentError`` or distribution's ``InvalidOutgoingError``), nothing written; refused
    while an earlier draft of the task is neither sent nor rejected (``TaskDocumentPendingError``)."""
    found = task_for_actor(instance=instance, task_id=task_id, actor=actor, drafting=True)
    spec = _spec(found, "draft")
    _require_none_pending(found)
    errors: dict[str, str] = {}
    if unit.agency_id != found.where.pk:
        errors["unit"] = _("Draft it in a unit of %(agency)s.") % {"agency": found.where.name}
    if not text.strip():
        errors["text"] = _("Write the document's text.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("The text is longer than %(max)d characters.") % {"max": TEXT_MAX}
    if errors:
        raise TaskDocumentError(
            _("The document has errors: %(fields)s") % {"fields": ", ".join(sorted(errors))}, errors=errors
        )
    decided = clean_process_data(data)
    parties = parties_of_instance(found.instance)
    recipients = _recipients(spec, parties)
    instance = found.instance
    reference = instance.business_key or f"{instance.definition.key}/{str(instance.pk)[:8]}"
    subject = title.strip() or found.task.title
    now = clock.now()
    context: dict[str, Any] = {
        "sender": found.where.name,
        "recipients": [_party_label(parties[party_key(name)]) for name in spec.to],
        "subject": subject,
        "paragraphs": _paragraphs(text),
        "procedure": instance.title or instance.definition.name,
        "parties": [{"name": p.name, "agency": _party_label(p)} for p in parties.values()],
        "written_on": date_text(now.date(), script),
    }
    pdf = letter_pdf(
        template=letters.template_text(spec.template),
        context=context,
        script=script,
        reference=reference,
        title=subject,
        created_at=now,
    )
    outgoing = outgoing_draft(
        actor=actor,
        unit=unit,
        title=subject,
        kind=spec.kind,
        classification_code=classification_code.strip() or spec.classification,
        retention_years=_retention(spec, retention_years),
        disclosure=disclosure or spec.disclosure or "public",
        legal_ground=legal_ground,
        content=pdf,
        filename=f"{spec.template}.pdf",
        recipients=recipients,
        final_approver_role=_approver(spec),
        internal=spec.internal,
    )
    return _created(found, "draft", outgoing, actor, decided)


@transaction.atomic
def task_document_countersign(
    *, instance: ProcessInstance, task_id: str, actor: Person, unit: Unit
) -> TaskDocument:
    """Draft the countersignature of a ``govdoc:countersign`` task: the document the named task
    sent to this party, once this agency's registry registered it (``TaskDocumentError``
    otherwise, nothing written)."""
    found = task_for_actor(instance=instance, task_id=task_id, actor=actor, drafting=True)
    spec = _spec(found, "countersign")
    _require_none_pending(found)
    delivery = countersign_delivery(found.instance, spec, found.where.pk)
    if delivery is None or delivery.status != DeliveryStatus.REGISTERED:
        reason = (
            _("The document to countersign has not arrived yet.")
            if delivery is None
            else _("The document to countersign has arrived; your registry must register it first.")
        )
        raise TaskDocumentError(reason, errors={"document": reason})
    if unit.agency_id != found.where.pk:
        message = _("Draft it in a unit of %(agency)s.") % {"agency": found.where.name}
        raise TaskDocumentError(message, errors={"unit": message})
    outgoing = outgoing_countersign(
        delivery=delivery, actor=actor, unit=unit, final_approver_role=_approver(spec)
    )
    return _created(found, "countersign", outgoing, actor)


def _document_data(outgoing: OutgoingDocument) -> dict[str, Any]:
    entry = outgoing.registry_entry
    return {
        "document_registry_number": entry.registry_number if entry is not None else "",
        "document_id": str(outgoing.document_id),
    }


def on_outgoing_settled(sender: Any, *, outgoing_id: str, status: str, **kwargs: Any) -> None:
    """An outgoing document was sent, or an internal one filed: if a task of a procedure drafted
    it and still waits, it is completed, as the drafter, with the registry number and the
    decision given with the draft in the process data. Runs in the worker; idempotent (a task
    no longer open is left alone)."""
    if status not in (OutgoingStatus.SENT, OutgoingStatus.FILED):
        return
    document = (
        TaskDocument.objects.filter(outgoing_id=uuid.UUID(outgoing_id))
        .select_related("outgoing__registry_entry", "outgoing__drafter")
        .first()
    )
    if document is None or document.outgoing is None:
        return
    with transaction.atomic():
        instance = instance_lock(document.instance_id)
        if instance.status != InstanceStatus.RUNNING:
            return
        workflow = engine.workflow_load(instance.state)
        task = engine.open_task(workflow, str(document.task_id))
        if task is None:
            return
        outgoing = document.outgoing
        where, party = lane_agency(instance.agency, lane_or_none(task.lane), parties_of_instance(instance))
        task_done(
            instance=instance,
            workflow=workflow,
            task=task,
            data={**document.data, **_document_data(outgoing)},
            actor=outgoing.drafter,
            where=where,
            party=party,
        )


def countersigned(original: bytes, answer: bytes) -> bool:
    """``answer`` is ``original`` with more seals appended: it begins with the very bytes of the
    original (an incremental update keeps them) and has more signatures, every one intact."""
    if not answer.startswith(original):
        return False
    before, after = pdf_verify(original).signatures, pdf_verify(answer).signatures
    return len(after) > len(before) and all(signature.intact for signature in after)


def on_answer_registered(sender: Any, *, delivery_id: str, answers: str, **kwargs: Any) -> None:
    """An answer from another node was registered here: if it answers a document a task of a
    procedure drafted, and the party on that node that sent it has a ``govdoc:countersign`` task
    of that document still open, the answer completes it, provided it is that document
    countersigned (``countersigned``). Runs in the worker; idempotent."""
    source = (
        TaskDocument.objects.filter(outgoing_id=uuid.UUID(answers), mode="draft")
        .select_related("outgoing__sealed_version__file")
        .first()
    )
    delivery = (
        Delivery.objects.select_related("arrival__node", "received_document__current_version__file")
        .filter(pk=delivery_id)
        .first()
    )
    if source is None or source.outgoing is None or delivery is None or delivery.arrival is None:
        return
    arrival = delivery.arrival
    sender_address = f"{arrival.sender_agency_code}@{arrival.node.node_id}"
    with transaction.atomic():
        instance = instance_lock(source.instance_id)
        if instance.status != InstanceStatus.RUNNING or TaskDocument.objects.filter(answer=delivery).exists():
            return
        workflow = engine.workflow_load(instance.state)
        facts = bpmn_facts.facts(instance.definition.sha256, instance.definition.bpmn_xml)
        parties = parties_of_instance(instance)
        for task in engine.open_tasks(workflow):
            spec = facts.documents.get(task.spec_name)
            if spec is None or spec.mode != "countersign" or spec.source != source.spec_name:
                continue
            lane = lane_or_none(task.lane)
            party = parties.get(lane.party_key) if lane is not None and lane.party else None
            if party is None or party.agency is not None or party.address != sender_address:
                continue
            sealed = source.outgoing.sealed_version
            received = delivery.received_document
            if sealed is None or received is None or received.current_version is None:
                return
            if not countersigned(file_read(sealed.file), file_read(received.current_version.file)):
                record(
                    EventType.PROCEDURE_ANSWER_NOT_COUNTERSIGNED,
                    actor=None,
                    target=instance,
                    data={"task": task.spec_name, "delivery_id": str(delivery.pk), "from": sender_address},
                )
                return
            TaskDocument.objects.create(
                instance=instance,
                task_id=uuid.UUID(task.task_id),
                spec_name=task.spec_name[:200],
                mode="countersign",
                answer=delivery,
                created_at=clock.now(),
            )
            entry = RegistryEntry.objects.filter(document=received).first()
            task_done(
                instance=instance,
                workflow=workflow,
                task=task,
                data={
                    "document_registry_number": getattr(entry, "registry_number", ""),
                    "document_id": str(received.pk),
                    "sender_registry_number": arrival.sender_registry_number,
                },
                actor=None,
                where=None,
                party=party,
            )
            return
