"""e-Doc distribution through the API: an official's outgoing documents (draft, correct, send on
an approval line, follow each recipient's copy), what arrived for the agency (read, register
with an incoming number and assign, or return), and the address book to name recipients.

Every operation parses its input, calls the selectors and services of ``govdoc.distribution``
and renders the result; domain errors become problem+json through ``govdoc.api.errors``.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.api.auth import api_auth
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.approvals.services import StepSpec
from govdoc.core.downloads import content_disposition
from govdoc.distribution import selectors, services
from govdoc.distribution.constants import RETENTION_YEARS
from govdoc.distribution.errors import InvalidOutgoingError
from govdoc.distribution.models import Consignment, Delivery, OutgoingDocument
from govdoc.documents.constants import max_upload_bytes
from govdoc.documents.content_types import check_size

router = Router(tags=["distribution"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


def _read_upload(upload: UploadedFile) -> bytes:
    # an oversize file is refused before it is read into memory
    check_size(upload.size or 0, filename=upload.name or "", max_bytes=max_upload_bytes())
    return bytes(upload.read())


def _pdf_response(filename: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


_PDF_ANSWER = {
    "responses": {
        200: {
            "description": "The PDF, byte for byte as stored (its SHA-256 is checked before it is sent).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


# ---------------------------------------------------------------------------- schemas


class RecipientOut(Schema):
    delivery_id: uuid.UUID = Field(description="The recipient's copy")
    agency: str = Field(description="The recipient agency's code")
    agency_name: str
    unit: str | None = Field(description="The unit's code when the document is addressed to one")
    unit_name: str | None
    status: str = Field(description="planned (until the document is sent), delivered, registered or returned")
    delivered_at: dt.datetime | None
    registered_at: dt.datetime | None
    returned_at: dt.datetime | None
    return_reason: str = Field(description="Why the recipient's registry returned it")


class ConsignmentOut(Schema):
    id: uuid.UUID = Field(description="The consignment: the envelope's consignment_id")
    node: str = Field(description="The recipient's node")
    agency: str = Field(description="The recipient agency's code on that node")
    agency_name: str
    unit: str | None
    status: str = Field(description="planned, sending, delivered, refused or failed")
    attempts: int
    last_error: str = Field(description="Why the last attempt failed, if it did")
    next_attempt_at: dt.datetime | None
    answered_at: dt.datetime | None = Field(description="When the receiving node says it arrived")
    problem_type: str = Field(description="Why the receiving node refused it, if it did")
    problem_detail: str
    batch_id: uuid.UUID | None = Field(description="The batch whose signed receipt answered it")


class ThreadItemOut(Schema):
    id: uuid.UUID = Field(description="The outgoing document (GET /outgoing/{id} for your agency's own)")
    title: str
    agency: str = Field(description="The sending agency's code")
    registry_number: str | None = Field(description="Its outgoing number, once sent")
    status: str
    sent_at: dt.datetime | None
    relation: str = Field(
        description="answered (this document answers it, directly or through earlier answers), "
        "this, or answer (an answer to this document)"
    )


class OutgoingOut(Schema):
    id: uuid.UUID
    title: str
    kind: str = Field(
        description="dopis, resenje, zahtev, obavestenje, sporazum, izvestaj or plan (GET /outgoing/kinds)"
    )
    classification_code: str
    retention_years: int | None = Field(description="Years to keep it; null: permanently")
    disclosure: str
    legal_ground: str
    agency: str
    unit: str = Field(description="The drafting unit's code")
    drafter: str
    status: str = Field(description="draft, in_approval, rejected, sent or filed (an internal document)")
    internal: bool = Field(description="An internal document: no recipients; filed once approved, never sent")
    created_at: dt.datetime
    sent_at: dt.datetime | None
    filed_at: dt.datetime | None = Field(description="When an internal document was sealed and filed")
    registry_number: str | None = Field(description="The outgoing number, once approved")
    approval_line_id: uuid.UUID | None = Field(description="GET /approvals/lines/{id}")
    version: int | None = Field(description="The current version of the PDF")
    pdf_sha256: str | None = Field(description="Of the current PDF: the sealed one once sent")
    sealed: bool
    in_reply_to: uuid.UUID | None = Field(description="The received document (delivery) it answers")
    recipients: list[RecipientOut]
    consignments: list[ConsignmentOut] = Field(description="The recipients on other nodes")


class OutgoingDetailOut(OutgoingOut):
    thread: list[ThreadItemOut] = Field(description="The correspondence, oldest first")


class OutgoingIn(StrictSchema):
    """A draft's fields (multipart, beside the PDF ``file``)."""

    title: str = Field(default="", max_length=500)
    kind: str = Field(
        default="",
        max_length=32,
        description="dopis, resenje, zahtev, obavestenje, sporazum, izvestaj or plan",
    )
    classification_code: str = Field(default="", max_length=32)
    retention_years: str = Field(
        default="",
        max_length=8,
        description="Years to keep it ("
        + ", ".join(str(y) for y in RETENTION_YEARS)
        + "); empty: permanently",
    )
    disclosure: str = Field(default="", max_length=32, description="public, partial or not_public")
    legal_ground: str = Field(default="", max_length=500, description="Required unless disclosure is public")
    recipients: list[str] = Field(
        default_factory=list,
        description='Repeat the field: "agency" or "agency/unit" codes (GET /agencies); an agency of '
        'another node of the trust list: "agency@node" or "agency/unit@node"',
    )
    in_reply_to: str = Field(
        default="", max_length=64, description="The received document (delivery id) it answers"
    )
    internal: str = Field(
        default="",
        pattern="^(true|false)?$",
        description="true: an internal document (a plan, an analysis, a report the agency keeps): no "
        "recipients; once approved it is registered, sealed and filed. Without it, a draft with no "
        "recipients is refused.",
    )
    unit: str = Field(
        default="",
        max_length=65,
        description='The unit you draft in ("agency/unit"); needed only if you draft in more than one',
    )


class LineStepIn(StrictSchema):
    kind: str = Field(description="review, consent or approval")
    assignee_id: uuid.UUID = Field(strict=False)
    position: int


class OutgoingSendIn(StrictSchema):
    steps: list[LineStepIn] = Field(description="The approval line; it must keep the kind's approval policy")


class KindPolicyHolderOut(Schema):
    role: str
    scope: str = Field(description="unit (the drafting unit), agency, or delegation (while a rule allows)")


class KindPolicyStepOut(Schema):
    kind: str = Field(description="review, consent or approval")
    holders: list[KindPolicyHolderOut]
    holders_text: str
    may_hold: list[uuid.UUID] = Field(description="Ids of the officials who may hold this step today")


class KindOut(Schema):
    code: str
    name: str
    policy: list[KindPolicyStepOut] = Field(
        description="The steps the line must have, in order; the drafter may add reviews and consents"
    )


class LineOfficialOut(Schema):
    id: uuid.UUID
    username: str
    name: str
    roles_in_unit: list[str] = Field(description="Roles in the drafting unit")
    roles_in_agency: list[str]


class KindsOut(Schema):
    unit: str = Field(description='The drafting unit ("agency/unit")')
    kinds: list[KindOut]
    retention_years: list[int] = Field(description="Retention periods to choose from; empty: permanently")
    officials: list[LineOfficialOut] = Field(description="Officials of the agency who may be on the line")


class KindsQuery(StrictSchema):
    unit: str = Field(
        default="", max_length=65, description='The unit you draft in ("agency/unit"), if more than one'
    )


class UnitOut(Schema):
    code: str
    name: str
    name_en: str


class AgencyOut(Schema):
    code: str
    name: str
    name_cyrl: str
    name_en: str
    units: list[UnitOut]


class ReadingOut(Schema):
    username: str
    name: str
    read_at: dt.datetime = Field(description="The first time they opened it")


class IncomingOut(Schema):
    id: uuid.UUID = Field(description="The delivery: this agency's copy")
    title: str
    kind: str
    sender_agency: str
    sender_agency_name: str
    sender_unit: str
    sender_registry_number: str | None = Field(description="The sender's outgoing number")
    addressed_unit: str | None = Field(description="The unit it was addressed to, if any")
    status: str = Field(description="delivered, registered or returned")
    delivered_at: dt.datetime | None
    registered_at: dt.datetime | None
    returned_at: dt.datetime | None
    return_reason: str
    registry_number: str | None = Field(description="The incoming number, once registered")
    document_id: uuid.UUID | None = Field(description="The registered document (GET /documents/{id})")
    assigned_unit: str | None
    handler: str | None
    pdf_sha256: str = Field(description="Of the sealed PDF that arrived")
    sender_node: str | None = Field(
        default=None, description="The node it arrived from; null: an agency of this installation"
    )
    consignment_id: uuid.UUID | None = Field(default=None, description="The envelope's consignment, if any")


class IncomingDetailOut(IncomingOut):
    readings: list[ReadingOut]
    answers: list[ThreadItemOut] = Field(
        description="Your agency's answers to it (POST /outgoing with in_reply_to)"
    )
    thread: list[ThreadItemOut] = Field(description="The correspondence, oldest first")


class IncomingRegisterIn(StrictSchema):
    unit: str = Field(
        min_length=1, max_length=32, description="The code of the unit of your agency it is assigned to"
    )
    handler_id: uuid.UUID | None = Field(default=None, strict=False, description="An official of that unit")
    classification_code: str = Field(
        default="", max_length=32, description="Your agency's classification; empty: the sender's"
    )


class ReturnIn(StrictSchema):
    reason: str = Field(max_length=500)


# ---------------------------------------------------------------------------- rendering


def _consignment(c: Consignment) -> ConsignmentOut:
    batch = c.batch
    return ConsignmentOut(
        id=c.pk,
        node=c.node.node_id,
        agency=c.agency_code,
        agency_name=c.agency_name,
        unit=c.unit_code or None,
        status=c.status,
        attempts=c.attempts,
        last_error=c.last_error,
        next_attempt_at=c.next_attempt_at,
        answered_at=c.answered_at,
        problem_type=c.problem_type,
        problem_detail=c.problem_detail,
        batch_id=batch.batch_id if batch is not None else None,
    )


def _recipient(d: Delivery) -> RecipientOut:
    return RecipientOut(
        delivery_id=d.pk,
        agency=d.agency.code,
        agency_name=d.agency.name,
        unit=d.unit.code if d.unit is not None else None,
        unit_name=d.unit.name if d.unit is not None else None,
        status=d.status,
        delivered_at=d.delivered_at,
        registered_at=d.registered_at,
        returned_at=d.returned_at,
        return_reason=d.return_reason,
    )


def _outgoing(o: OutgoingDocument) -> OutgoingOut:
    document = o.document
    version = o.sealed_version or document.current_version
    return OutgoingOut(
        id=o.pk,
        title=document.title,
        kind=o.kind,
        classification_code=document.classification_code,
        retention_years=o.retention_years,
        disclosure=document.disclosure,
        legal_ground=document.legal_ground,
        agency=o.agency.code,
        unit=o.unit.code,
        drafter=o.drafter.username,
        status=o.status,
        internal=o.internal,
        created_at=o.created_at,
        sent_at=o.sent_at,
        filed_at=o.filed_at,
        registry_number=o.registry_entry.registry_number if o.registry_entry is not None else None,
        approval_line_id=o.approval_line_id,
        version=version.number if version is not None else None,
        pdf_sha256=version.file_id if version is not None else None,
        sealed=o.sealed_version_id is not None,
        in_reply_to=o.in_reply_to_id,
        recipients=[_recipient(d) for d in o.deliveries.all()],
        consignments=[_consignment(c) for c in o.consignments.all()],
    )


def _thread(thread: list[OutgoingDocument], here: uuid.UUID | None) -> list[ThreadItemOut]:
    """``here``: the document the thread is seen from (None: every item answers it)."""
    position = -1 if here is None else next((i for i, o in enumerate(thread) if o.pk == here), len(thread))
    return [
        ThreadItemOut(
            id=o.pk,
            title=o.document.title,
            agency=o.agency.code,
            registry_number=o.registry_entry.registry_number if o.registry_entry is not None else None,
            status=o.status,
            sent_at=o.sent_at,
            relation="answered" if i < position else "this" if i == position else "answer",
        )
        for i, o in enumerate(thread)
    ]


def _outgoing_detail(o: OutgoingDocument, viewer: Person) -> OutgoingDetailOut:
    return OutgoingDetailOut(
        **_outgoing(o).model_dump(), thread=_thread(selectors.thread_for(viewer=viewer, outgoing=o), o.pk)
    )


def _incoming(d: Delivery) -> IncomingOut:
    received = d.received_document
    entry = getattr(received, "registry_entry", None) if received is not None else None
    sealed = d.sealed_file
    if d.outgoing is not None:
        sender = (d.outgoing.agency.code, d.outgoing.agency.name, d.outgoing.unit.code)
    else:
        assert d.arrival is not None
        a = d.arrival
        sender = (a.sender_agency_code, a.sender_agency_name, a.sender_unit_code)
    return IncomingOut(
        id=d.pk,
        title=d.title,
        kind=d.kind,
        sender_agency=sender[0],
        sender_agency_name=sender[1],
        sender_unit=sender[2],
        sender_registry_number=d.sender_registry_number or None,
        addressed_unit=d.unit.code if d.unit is not None else None,
        status=d.status,
        delivered_at=d.delivered_at,
        registered_at=d.registered_at,
        returned_at=d.returned_at,
        return_reason=d.return_reason,
        registry_number=entry.registry_number if entry is not None else None,
        document_id=d.received_document_id,
        assigned_unit=d.assigned_unit.code if d.assigned_unit is not None else None,
        handler=d.handler.username if d.handler is not None else None,
        pdf_sha256=sealed[1].sha256 if sealed is not None else "",
        sender_node=d.arrival.node.node_id if d.arrival is not None else None,
        consignment_id=d.arrival.consignment_id if d.arrival is not None else None,
    )


def _incoming_detail(d: Delivery, viewer: Person) -> IncomingDetailOut:
    answers = selectors.answers_to(viewer=viewer, delivery=d)
    return IncomingDetailOut(
        **_incoming(d).model_dump(),
        readings=[
            ReadingOut(username=r.person.username, name=r.person.get_full_name(), read_at=r.read_at)
            for r in selectors.readings_of(delivery=d)
        ],
        answers=_thread(answers, None),
        thread=_thread(selectors.thread_for(viewer=viewer, outgoing=d.outgoing), d.outgoing_id)
        if d.outgoing is not None
        else _thread(selectors.thread_for(viewer=viewer, outgoing=d.arrival.answers), None)
        if d.arrival is not None and d.arrival.answers is not None
        else [],
    )


def _retention(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 3:
        message = _("Choose one of the offered retention periods.")
        raise InvalidOutgoingError(message, errors={"retention_years": message})
    return int(raw)


# ---------------------------------------------------------------------------- address book


@router.get(
    "/agencies",
    response={200: list[AgencyOut], **problems()},
    summary="The address book: agencies and their units, to name the recipients of a document",
)
def agencies(request: HttpRequest) -> list[AgencyOut]:
    _me(request)
    return [
        AgencyOut(
            code=a.code,
            name=a.name,
            name_cyrl=a.name_cyrl,
            name_en=a.name_en,
            units=[UnitOut(code=u.code, name=u.name, name_en=u.name_en) for u in a.units.all()],
        )
        for a in selectors.address_book()
    ]


# ---------------------------------------------------------------------------- outgoing


@router.get(
    "/outgoing/kinds",
    response={200: KindsOut, **problems(400, 403)},
    summary="The kinds of document, retention periods, and each kind's approval policy (to build the line)",
)
def kinds(request: HttpRequest, query: Query[KindsQuery]) -> KindsOut:
    me = _me(request)
    unit = selectors.drafting_unit_find(person=me, code=query.unit)
    guide = selectors.drafting_guide(viewer=me, unit=unit)
    return KindsOut(
        unit=selectors.unit_label(unit),
        kinds=[
            KindOut(
                code=k.kind,
                name=k.label,
                policy=[
                    KindPolicyStepOut(
                        kind=p.step["kind"],
                        holders=[
                            KindPolicyHolderOut(role=h["role"], scope=h["scope"]) for h in p.step["holders"]
                        ],
                        holders_text=p.holders_text,
                        may_hold=[person.pk for person in p.people],
                    )
                    for p in k.policy
                ],
            )
            for k in guide.kinds
        ],
        retention_years=list(RETENTION_YEARS),
        officials=[
            LineOfficialOut(
                id=o.person.pk,
                username=o.person.username,
                name=o.person.get_full_name() or o.person.username,
                roles_in_unit=sorted(o.roles.unit_roles),
                roles_in_agency=sorted(o.roles.agency_roles),
            )
            for o in guide.officials
        ],
    )


@router.post(
    "/outgoing",
    response={201: OutgoingDetailOut, **problems(400, 403, 413, 415)},
    summary="Draft an official document (multipart: the PDF file and its fields)",
    description=(
        "The PDF `file` with the document's `title`, `kind`, `classification_code`, "
        "`retention_years` (empty: permanently), `disclosure` (and `legal_ground` unless public), "
        "`recipients` (repeat the field: `agency` or `agency/unit` codes from `GET /agencies`, or "
        "`agency@node` for an agency of another node of the trust list; none, with `internal` true, for "
        "an internal document that is filed once approved) and "
        "optionally `in_reply_to` (the id of a received document your agency registered). Every "
        "bad field is named in `errors` (400 `invalid-outgoing-document`); a file that is not a "
        "PDF is a 415 `upload-rejected`. Nothing is written on a refusal."
    ),
)
def outgoing_create(
    request: HttpRequest, payload: Form[OutgoingIn], file: File[UploadedFile]
) -> Status[OutgoingDetailOut]:
    me = _me(request)
    found = selectors.draft_references(
        viewer=me, unit=payload.unit, recipients=payload.recipients, in_reply_to=payload.in_reply_to
    )
    retention = _retention(payload.retention_years)
    content = _read_upload(file)
    outgoing = services.outgoing_draft(
        actor=me,
        unit=found.unit,
        title=payload.title,
        kind=payload.kind,
        classification_code=payload.classification_code,
        retention_years=retention,
        disclosure=payload.disclosure,
        legal_ground=payload.legal_ground,
        content=content,
        filename=file.name or "document.pdf",
        recipients=found.recipients,
        in_reply_to=found.in_reply_to,
        internal=payload.internal == "true",
    )
    return Status(201, _outgoing_detail(selectors.outgoing_get(viewer=me, outgoing_id=outgoing.pk), me))


@router.get(
    "/outgoing",
    response={200: list[OutgoingOut], **problems()},
    summary="The documents my units drafted and sent, newest first, with each recipient's state",
)
def outgoing_list(request: HttpRequest) -> list[OutgoingOut]:
    return [_outgoing(o) for o in selectors.outgoing_visible(_me(request))]


@router.get(
    "/outgoing/{outgoing_id}",
    response={200: OutgoingDetailOut, **problems(404)},
    summary="One outgoing document: each recipient's state, its number once sent, the correspondence",
)
def outgoing_detail(request: HttpRequest, outgoing_id: uuid.UUID) -> OutgoingDetailOut:
    me = _me(request)
    return _outgoing_detail(selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id), me)


@router.get(
    "/outgoing/{outgoing_id}/pdf",
    response={**problems(404, 409)},
    summary="The PDF: the current draft, or the sealed document once sent",
    openapi_extra=_PDF_ANSWER,
)
def outgoing_pdf(request: HttpRequest, outgoing_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    filename, content = selectors.outgoing_pdf(
        viewer=me, outgoing=selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
    )
    return _pdf_response(filename, content)


@router.put(
    "/outgoing/{outgoing_id}/file",
    response={200: OutgoingDetailOut, **problems(400, 403, 404, 409, 413, 415)},
    summary="A corrected PDF for a draft (multipart `file`): a new version, the earlier one kept",
)
def outgoing_file(
    request: HttpRequest, outgoing_id: uuid.UUID, file: File[UploadedFile]
) -> OutgoingDetailOut:
    me = _me(request)
    outgoing = selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
    content = _read_upload(file)
    services.outgoing_content_replace(
        outgoing=outgoing, content=content, filename=file.name or "document.pdf", actor=me
    )
    return _outgoing_detail(selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id), me)


@router.post(
    "/outgoing/{outgoing_id}/send",
    response={200: OutgoingDetailOut, **problems(400, 403, 404, 409)},
    summary="Send the draft on an approval line (it must keep the approval policy of its kind)",
    description=(
        "`steps` as in `GET /outgoing/kinds`: the kind's required steps held by officials who may "
        "hold them, plus any reviews and consents. A line that breaks the policy is a 400 "
        "`approval-line-policy` with every reason in `errors[field=steps]`; the draft stays a draft. "
        "Once the line approves it, the document takes its outgoing number, is sealed and delivered."
    ),
)
def outgoing_send(request: HttpRequest, outgoing_id: uuid.UUID, body: OutgoingSendIn) -> OutgoingDetailOut:
    me = _me(request)
    outgoing = selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
    services.outgoing_send_for_approval(
        outgoing=outgoing,
        steps=[StepSpec(s.kind, s.assignee_id, s.position) for s in body.steps],
        actor=me,
    )
    return _outgoing_detail(selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id), me)


# ---------------------------------------------------------------------------- incoming


@router.get(
    "/incoming",
    response={200: list[IncomingOut], **problems()},
    summary="What arrived for me: a registry clerk all of the agency's; others what was assigned to them",
)
def incoming_list(request: HttpRequest) -> list[IncomingOut]:
    return [_incoming(d) for d in selectors.incoming_visible(_me(request))]


@router.get(
    "/incoming/{delivery_id}",
    response={200: IncomingDetailOut, **problems(404)},
    summary="One received document: its state, numbers, who read it, the answers and the correspondence",
)
def incoming_detail(request: HttpRequest, delivery_id: uuid.UUID) -> IncomingDetailOut:
    me = _me(request)
    return _incoming_detail(selectors.delivery_get(viewer=me, delivery_id=delivery_id), me)


@router.get(
    "/incoming/{delivery_id}/pdf",
    response={**problems(404, 409)},
    summary="The sealed PDF that arrived (the reading is recorded)",
    openapi_extra=_PDF_ANSWER,
)
def incoming_pdf(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
    filename, content = selectors.delivery_pdf(delivery=delivery)
    services.delivery_read_record(delivery=delivery, actor=me)
    return _pdf_response(filename, content)


@router.post(
    "/incoming/{delivery_id}/register",
    response={200: IncomingDetailOut, **problems(400, 403, 404, 409)},
    summary="Register it under an incoming number and assign it to a unit (registry clerks)",
)
def incoming_register(
    request: HttpRequest, delivery_id: uuid.UUID, body: IncomingRegisterIn
) -> IncomingDetailOut:
    me = _me(request)
    delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
    unit, handler = selectors.registration_references(
        delivery=delivery, unit=body.unit, handler_id=body.handler_id
    )
    services.delivery_register(
        delivery=delivery, actor=me, unit=unit, handler=handler, classification_code=body.classification_code
    )
    return _incoming_detail(selectors.delivery_get(viewer=me, delivery_id=delivery_id), me)


@router.post(
    "/incoming/{delivery_id}/return",
    response={200: IncomingDetailOut, **problems(400, 403, 404, 409)},
    summary="Return a misaddressed document to its sender with the reason (registry clerks)",
)
def incoming_return(request: HttpRequest, delivery_id: uuid.UUID, body: ReturnIn) -> IncomingDetailOut:
    me = _me(request)
    delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
    services.delivery_return(delivery=delivery, actor=me, reason=body.reason)
    return _incoming_detail(selectors.delivery_get(viewer=me, delivery_id=delivery_id), me)
