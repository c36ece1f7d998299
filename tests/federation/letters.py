"""Official letters between real nodes (harness.py), as the services of each node write them:
a letter drafted and approved by demo officials, the consignment it makes to another node,
what arrived there and its registration by the recipient's registry clerk.

Each helper is a snippet run inside the node's Django (``Node.run_json``) that prints one JSON
line, or an SQL look (``Node.query``) where a count or a status is all that is needed: the
tests see each node only as another installation would, through its own code and database.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.federation.harness import Node, wait_for

# Demo people (src/govdoc/cli/demo_data.py): who drafts, approves and registers in each agency.
MUP = {
    "agency": "mup",
    "unit": "pu-beograd",
    "drafter": "handler",
    "approver": "head-unit",
    "clerk": "registry",
}
BEOGRAD = {
    "agency": "beograd",
    "unit": "maticna",
    "drafter": "handler-bg",
    "approver": "head-unit-bg",
    "clerk": "registry-bg",
}

# A consignment is over when it is in one of these states (sending: still being tried).
ANSWERED = ("delivered", "refused", "failed")


def _snippet(args: dict[str, Any], body: str) -> str:
    """``body`` with ``A``: the arguments (passed as an ASCII JSON literal, so that any text,
    Serbian letters too, reaches the node exactly)."""
    return f"import json\nA = json.loads({json.dumps(args)!r})\n{body}"


_LETTER_SEND = """
from govdoc.accounts.models import Person, Unit
from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.cli.demo_data import DEMO_SIGNING_PIN
from govdoc.distribution import services
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.distribution.specs import RemoteRecipient
from govdoc.documents.tests.samples import text_pdf

drafter = Person.objects.get(username=A["drafter"])
approver = Person.objects.get(username=A["approver"])
outgoing = services.outgoing_draft(
    actor=drafter,
    unit=Unit.objects.get(agency__code=A["agency"], code=A["unit"]),
    title=A["title"],
    kind="dopis",
    classification_code="02-05",
    retention_years=10,
    disclosure="not_public",
    legal_ground=A["legal_ground"],
    content=text_pdf(A["text"]),
    filename="dopis.pdf",
    recipients=[RemoteRecipient(node=A["to_node"], agency=A["to_agency"])],
    in_reply_to=Delivery.objects.get(pk=A["in_reply_to"]) if A["in_reply_to"] else None,
)
services.outgoing_send_for_approval(
    outgoing=outgoing, steps=[approvals.StepSpec("approval", approver.pk, 1)], actor=drafter
)
step = ApprovalStep.objects.get(line_id=OutgoingDocument.objects.get(pk=outgoing.pk).approval_line_id)
approvals.step_decide(step=step, actor=approver, decision="approve", comment="", pin=DEMO_SIGNING_PIN)
print(json.dumps({"outgoing": str(outgoing.pk)}))
"""


def letter_send(
    node: Node,
    *,
    office: dict[str, str],
    to_node: str,
    to_agency: str,
    title: str,
    text: str,
    in_reply_to: str | None = None,
) -> str:
    """An official of ``office`` drafts a letter (a one-line PDF of ``text``, latin-1) to
    ``to_agency`` on ``to_node`` (in reply to a registered delivery, by id), sends it for
    approval to the head of the unit, who approves it with the signing PIN. The node's worker
    then registers, seals and sends it. Returns the outgoing document's id."""
    args = {
        **office,
        "title": title,
        "text": text,
        "legal_ground": "Zakon o zaštiti podataka o ličnosti, čl. 12",
        "to_node": to_node,
        "to_agency": to_agency,
        "in_reply_to": in_reply_to,
    }
    return str(node.run_json(_snippet(args, _LETTER_SEND))["outgoing"])


def consignment_state(node: Node, outgoing_id: str) -> dict[str, Any]:
    """The outgoing document's status and its (one) consignment's, read from the database."""
    rows = node.query(
        "SELECT o.status, c.id, c.status, c.attempts, c.last_error, c.receipt IS NOT NULL"
        " FROM distribution_outgoingdocument o"
        " LEFT JOIN distribution_consignment c ON c.outgoing_id = o.id WHERE o.id = %s",
        (outgoing_id,),
    )
    if not rows:
        return {}
    outgoing, consignment, status, attempts, error, has_receipt = rows[0]
    return {
        "outgoing": outgoing,
        "consignment": str(consignment) if consignment else None,
        "status": status,
        "attempts": attempts,
        "last_error": error,
        "receipt": has_receipt,
    }


def wait_answered(
    node: Node, outgoing_id: str, *, timeout: float, others: tuple[Node, ...] = ()
) -> dict[str, Any]:
    """Until the outgoing document is sent and its consignment answered (delivered, refused or
    failed); its state then."""

    def answered() -> dict[str, Any] | None:
        state = consignment_state(node, outgoing_id)
        return state if state.get("status") in ANSWERED else None

    result: dict[str, Any] = wait_for(
        answered,
        timeout=timeout,
        what=f"the consignment of {outgoing_id} on {node.node_id} answered",
        nodes=(node, *others),
    )
    return result


_SENT = """
import base64, hashlib
from govdoc.distribution.models import OutgoingDocument
from govdoc.documents.storage import file_read

o = OutgoingDocument.objects.select_related("sealed_version__file", "registry_entry").get(pk=A["outgoing"])
c = o.consignments.select_related("node").get()
print(json.dumps({
    "status": o.status,
    "registry_number": o.registry_entry.registry_number,
    "pdf_sha256": hashlib.sha256(file_read(o.sealed_version.file)).hexdigest(),
    "consignment": str(c.pk),
    "consignment_status": c.status,
    "to": [c.node.node_id, c.agency_code],
    "attempts": c.attempts,
    "manifest": base64.b64encode(bytes(c.manifest)).decode(),
    "receipt": base64.b64encode(bytes(c.receipt)).decode(),
    "receipt_signature": base64.b64encode(bytes(c.receipt_signature)).decode(),
}))
"""


def sent_letter(node: Node, outgoing_id: str) -> dict[str, Any]:
    """What the sending node keeps of a sent letter: its number, the SHA-256 of the sealed PDF
    (of the bytes), the consignment with its manifest and signed receipt (base64)."""
    result: dict[str, Any] = node.run_json(_snippet({"outgoing": outgoing_id}, _SENT))
    return result


_ARRIVAL_REGISTER = """
import base64, hashlib
from govdoc.accounts.models import Person, Unit
from govdoc.distribution import services
from govdoc.distribution.models import Arrival, Delivery
from govdoc.documents.storage import file_read

arrivals = Arrival.objects.filter(node__node_id=A["sender_node"], consignment_id=A["consignment"])
arrival = arrivals.select_related("main_file").get()
deliveries = Delivery.objects.filter(arrival=arrival)
delivery = deliveries.select_related("agency").get()
before = delivery.status
registered = services.delivery_register(
    delivery=delivery,
    actor=Person.objects.get(username=A["clerk"]),
    unit=Unit.objects.get(agency__code=A["agency"], code=A["unit"]),
    handler=None,
)
received = registered.received_document
entry = received.registry_entry
print(json.dumps({
    "arrivals": arrivals.count(),
    "deliveries": deliveries.count(),
    "delivery": str(delivery.pk),
    "agency": delivery.agency.code,
    "status_before": before,
    "status": registered.status,
    "title": arrival.title,
    "sender_registry_number": arrival.sender_registry_number,
    "answers": str(arrival.answers_id) if arrival.answers_id else None,
    "manifest": json.loads(bytes(arrival.manifest)),
    "receipt": base64.b64encode(bytes(arrival.receipt)).decode(),
    "pdf_sha256": hashlib.sha256(file_read(arrival.main_file)).hexdigest(),
    "registered_pdf_sha256": hashlib.sha256(file_read(received.current_version.file)).hexdigest(),
    "incoming_number": entry.registry_number,
    "direction": entry.direction,
    "correspondent": entry.correspondent,
}))
"""


def arrival_register(
    node: Node, *, sender_node: str, consignment_id: str, office: dict[str, str]
) -> dict[str, Any]:
    """The registry clerk of ``office`` registers what arrived on ``node`` as ``consignment_id``
    of ``sender_node`` (into the office's unit): what arrived (how many arrivals and deliveries
    that consignment made, the SHA-256 of the PDF that came, what it answers) and the incoming
    registry entry it got."""
    args = {"sender_node": sender_node, "consignment": consignment_id, **office}
    result: dict[str, Any] = node.run_json(_snippet(args, _ARRIVAL_REGISTER))
    return result


def audit_verify(node: Node) -> dict[str, Any]:
    """``govdoc audit verify --json`` on the node (exit 0 only when the chain is intact)."""
    report: dict[str, Any] = json.loads(node.govdoc("audit", "verify", "--json").stdout)
    return report


MAKE_PER_RUN = 250  # letters made by one snippet (each run its own process, within its timeout)
MAKE_PER_TRANSACTION = 50

_MAKE = """
import json, time
from django.db import transaction
from govdoc.audit.services import events_batched, record
from govdoc.core import clock
from govdoc.distribution.consignments import consignments_queue
from govdoc.distribution.constants import OutgoingStatus
from govdoc.distribution.models import Consignment, OutgoingDocument
from govdoc.documents.constants import Direction
from govdoc.documents.services import document_create, document_register, version_add_sealed
from govdoc.documents.storage import file_read

A = json.loads(ARGS)
PDF = "application/pdf"
model = OutgoingDocument.objects.select_related(
    "document", "agency", "unit", "drafter", "sealed_version__file"
).get(pk=A["model"])
sent_to = model.consignments.select_related("node").get()
draft_pdf = file_read(model.document.versions.order_by("number").first().file)
sealed_pdf = file_read(model.sealed_version.file)
drafter, document_of = model.drafter, model.document
started = time.monotonic()
made = 0
numbers = list(range(A["first"], A["first"] + A["count"]))
for at in range(0, len(numbers), A["per_transaction"]):
    with events_batched() as events, transaction.atomic():
        for number in numbers[at : at + A["per_transaction"]]:
            document = document_create(
                agency=model.agency,
                owner_unit=model.unit,
                author=drafter,
                title=f"{document_of.title} ({number})",
                doc_type=model.kind,
                classification_code=document_of.classification_code,
                disclosure=document_of.disclosure,
                legal_ground=document_of.legal_ground,
                content=draft_pdf,
                filename="dopis.pdf",
                media_type=PDF,
                actor=drafter,
            )
            outgoing = OutgoingDocument.objects.create(
                agency=model.agency,
                unit=model.unit,
                drafter=drafter,
                document=document,
                kind=model.kind,
                retention_years=model.retention_years,
                created_at=clock.now(),
            )
            Consignment.objects.create(
                outgoing=outgoing,
                node=sent_to.node,
                agency_code=sent_to.agency_code,
                agency_name=sent_to.agency_name,
                unit_code=sent_to.unit_code,
            )
            # what outgoing_finish does once the line is approved, but the seal: the number in
            # the registry, the sealed PDF as the sent version, the consignment queued
            entry = document_register(
                document=document,
                actor=drafter,
                direction=Direction.OUTGOING,
                correspondent=f"{sent_to.agency_name} ({sent_to.node.node_id})",
            )
            version = version_add_sealed(
                document=document,
                content=sealed_pdf,
                filename=f"{entry.registry_number}.pdf",
                media_type=PDF,
                note="Sent (PAdES e-seal of the agency)",
                actor=drafter,
            )
            now = clock.now()
            outgoing.registry_entry, outgoing.sealed_version = entry, version
            outgoing.status, outgoing.sent_at = OutgoingStatus.SENT, now
            outgoing.save(update_fields=["registry_entry", "sealed_version", "status", "sent_at"])
            if A["queue"]:
                assert consignments_queue(outgoing=outgoing) == 1
            record(
                "distribution.outgoing_sent",
                actor=drafter,
                target=outgoing,
                data={
                    "registry_number": entry.registry_number,
                    "version_id": str(version.pk),
                    "pdf_sha256": version.file_id,
                    "deliveries": 0,
                    "consignments": 1,
                },
            )
            made += 1
        events.flush()
print(json.dumps({"made": made, "seconds": round(time.monotonic() - started, 1)}))
"""


def letters_make(a: Node, *, model: str, count: int, queue: bool = True) -> float:
    """``count`` more sent letters on ``a`` like ``model`` (a letter sent for real: the same
    sealed PDF, the same recipient), made by the node's own services as ``outgoing_finish``
    makes a sent letter, without sealing each again; each consignment queued (``queue``) or
    left planned for ``letters_queue``. Returns the seconds it took."""
    started = time.monotonic()
    made = 0
    while made < count:
        size = min(MAKE_PER_RUN, count - made)
        args = {
            "model": model,
            "first": made + 2,
            "count": size,
            "per_transaction": MAKE_PER_TRANSACTION,
            "queue": queue,
        }
        done = a.run_json(f"ARGS = {json.dumps(args)!r}\n{_MAKE}", timeout=600)
        assert done["made"] == size
        made += size
        print(f"made {made}/{count} letters on {a.node_id} ({done['seconds']} s for the last {size})")
    return time.monotonic() - started


_QUEUE = """
import json, time
from django.db import transaction
from govdoc.distribution.consignments import consignments_queue
from govdoc.distribution.models import OutgoingDocument

started = time.monotonic()
with transaction.atomic():
    planned = OutgoingDocument.objects.filter(status="sent", consignments__status="planned").distinct()
    queued = sum(consignments_queue(outgoing=o) for o in planned)
print(json.dumps({"queued": queued, "committed_at": time.time(), "seconds": time.monotonic() - started}))
"""


def letters_queue(a: Node) -> tuple[int, float, float]:
    """Queue every planned consignment of the node's sent letters, in one transaction (the
    worker sees them all at once). Returns how many, when (``time.time()``) the transaction
    committed, and the seconds it took (the snippet's Python and Django start-up is in
    neither)."""
    done = a.run_json(_QUEUE, timeout=600)
    return int(done["queued"]), float(done["committed_at"]), float(done["seconds"])
