"""Issued e-Documents: the recipient (or an official of the issuing agency) reads and downloads
them; authorized officials revoke or supersede them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Schema, Status
from pydantic import Field

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Person
from govdoc.api.auth import api_auth, require_step_up, token_of
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.applications import selectors as apps
from govdoc.applications.errors import InvalidApplicationError, ServiceNotFoundError
from govdoc.applications.services.direct import (
    DIRECT_BATCH_MAX,
    DirectItem,
    document_issue_for_service,
    documents_issue_for_service,
    require_may_issue,
    require_system_account,
)
from govdoc.core import clock
from govdoc.core.downloads import content_disposition
from govdoc.issuance import selectors as issuance
from govdoc.issuance import services
from govdoc.issuance.errors import IssuedDocumentNotFoundError
from govdoc.issuance.models import IssuedDocument

router = Router(tags=["issued documents"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


class IssuedOut(Schema):
    id: uuid.UUID
    title: str
    registry_number: str
    verification_code: str
    agency: str
    status: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    pdf_sha256: str
    superseded_by: uuid.UUID | None


class VerificationEventOut(Schema):
    at: dt.datetime
    channel: str
    status: str
    verdict: str
    identical: bool | None
    verifier_label: str


class IssueIn(StrictSchema):
    """A service's document issued by an agency's system, without an online application."""

    # a slug, as Service.code is: anything else (a NUL byte PostgreSQL refuses, say) is a 422
    service: str = Field(
        description="The service's code, e.g. uverenje-o-prebivalistu", max_length=64, pattern=r"^[-\w]+$"
    )
    recipient_id: uuid.UUID = Field(strict=False, description="The citizen the document is issued to")
    data: dict[str, Any] = Field(description="The form data, as the service's form_schema describes them")
    script: str = Field(default=Script.LATIN.value, description="sr-latn, sr-cyrl or en", max_length=16)


_KEY_PATTERN = r"^[A-Za-z0-9._:-]+$"


class BatchItemIn(StrictSchema):
    recipient_id: uuid.UUID = Field(strict=False, description="The citizen the document is issued to")
    data: dict[str, Any] = Field(description="The form data, as the service's form_schema describes them")
    script: str = Field(default=Script.LATIN.value, description="sr-latn, sr-cyrl or en", max_length=16)
    idempotency_key: str = Field(
        min_length=1,
        max_length=100,
        pattern=_KEY_PATTERN,
        description="A key of your own for this document, new for each document: a repeated batch returns it",
    )


class BatchIn(StrictSchema):
    """Many documents of one service issued at once by an agency's system."""

    service: str = Field(description="The service's code", max_length=64, pattern=r"^[-\w]+$")
    documents: list[BatchItemIn] = Field(min_length=1, max_length=DIRECT_BATCH_MAX)


class BatchItemOut(Schema):
    idempotency_key: str
    outcome: str = Field(description="issued, already-issued or failed")
    document: IssuedOut | None
    error: str | None


class BatchOut(Schema):
    documents: list[BatchItemOut]


class ReasonIn(Schema):
    reason: str


class SupersedeIn(Schema):
    replacement_id: uuid.UUID
    reason: str


def _issued(me: Person, issued_id: uuid.UUID) -> IssuedDocument:
    """An issued document the caller may see. A system account sees only what it issued itself
    (least privilege: its token is scoped to issuing, not to reading the agency's documents)."""
    document = issuance.issued_get(viewer=me, issued_id=issued_id)
    if me.is_system and document.issued_by_id != me.pk:
        raise IssuedDocumentNotFoundError("no such issued document", issued_id=str(issued_id))
    return document


def _out(d: IssuedDocument) -> IssuedOut:
    return IssuedOut(
        id=d.pk,
        title=d.title,
        registry_number=d.registry_number,
        verification_code=d.verification_code,
        agency=d.agency.code,
        status=str(d.status_at(clock.now())),
        issued_at=d.issued_at,
        valid_until=d.valid_until,
        pdf_sha256=d.pdf_sha256,
        superseded_by=d.superseded_by_id,
    )


@router.post(
    "",
    response={201: IssuedOut, 200: IssuedOut, **problems(400, 403, 404, 409)},
    summary="Issue a service's document directly (agency systems only, with a scoped token)",
    description=(
        "For an agency's own *system* (a counter application, a register), not for people: the "
        "caller is a system account of the service's agency (`GET /api/v1/me` shows "
        "`account_kind: system`) whose bearer token carries the scope `issue:<service code>`, and "
        "the service opted in to direct issuance with its legal basis. An administrator creates "
        "the system account and its token with `govdoc token create --system ... --scope "
        "issue:<service code> --expires YYYY-MM-DD` (or in the administrators' pages); the secret "
        "is shown once.\n\nRefusals (403 problem+json, audited, nothing else written): "
        "`direct-issuance-systems-only` (a person, even with a token), `system-outside-agency`, "
        "`api-token-scope-missing`, `direct-issuance-not-allowed` (the service did not opt in). "
        "An expired or revoked token is a 401 `api-token-expired` / `api-token-revoked`. "
        "Each issuance is audited with the system's identity and the token's id.\n\n"
        "Retries: send an `Idempotency-Key` header (1 to 100 letters, digits, `.`, `_`, `:` or "
        "`-`, new for each document). A request repeated with the same key — after a timeout, "
        "say — gets the document issued the first time (200 instead of 201), never a second one; "
        "the same key with another recipient or service is a 409 `idempotency-key-reused`."
    ),
)
def issue(
    request: HttpRequest,
    body: IssueIn,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=100,
            pattern=r"^[A-Za-z0-9._:-]+$",
            description="A key of your own for this document: a retry with the same key returns it",
        ),
    ] = None,
) -> Status[IssuedOut]:
    me, token = _me(request), token_of(request)
    require_system_account(actor=me, token=token, service_code=body.service)
    service = apps.service_by_code(body.service)
    if service is None:
        raise ServiceNotFoundError(f"no service with code {body.service!r}", service=body.service)
    require_may_issue(actor=me, token=token, service=service)
    recipient = apps.people_named(ids=[str(body.recipient_id)]).first()
    if recipient is None:
        raise InvalidApplicationError(
            "no person has this id", errors={"recipient_id": "no person has this id"}
        )
    issued_id, created = document_issue_for_service(
        service=service,
        recipient=recipient,
        data=body.data,
        script=body.script,
        actor=me,
        token=token,
        idempotency_key=idempotency_key,
    )
    return Status(201 if created else 200, _out(_issued(me, issued_id)))


@router.post(
    "/batch",
    response={200: BatchOut, **problems(400, 403, 404, 409)},
    summary="Issue many documents of a service at once (agency systems only, with a scoped token)",
    description=(
        "The same as `POST /api/v1/issued` for up to 100 documents of one service: a register "
        "that issues a day's certificates in one call. The caller, its token and the service "
        "are checked as for one document; then every document's data, and the batch is refused "
        "as a whole (400 `invalid-application`, `errors` named `documents.<index>.<field>`, "
        "nothing written) if any of them is bad. Each document carries its own "
        "`idempotency_key`: a batch sent again (after a timeout, say) gets the documents issued "
        "the first time (`outcome: already-issued`), never second ones; a key used before for "
        "another recipient is a 409 `idempotency-key-reused`. The answer lists the documents in "
        "the order sent, each `issued`, `already-issued` or `failed` (with the reason; send it "
        "again with the same key to finish it). Each document issued is audited with the "
        "system's identity and the token's id."
    ),
)
def issue_batch(request: HttpRequest, body: BatchIn) -> BatchOut:
    me, token = _me(request), token_of(request)
    require_system_account(actor=me, token=token, service_code=body.service)
    service = apps.service_by_code(body.service)
    if service is None:
        raise ServiceNotFoundError(f"no service with code {body.service!r}", service=body.service)
    people = {p.pk: p for p in apps.people_named(ids=[str(d.recipient_id) for d in body.documents])}
    outcomes = documents_issue_for_service(
        service=service,
        items=[
            DirectItem(
                recipient=people.get(d.recipient_id),
                data=d.data,
                script=d.script,
                idempotency_key=d.idempotency_key,
            )
            for d in body.documents
        ],
        actor=me,
        token=token,
    )
    issued = issuance.issued_by_issuer(issuer=me, ids=[o.id for o in outcomes if o.id is not None])
    return BatchOut(
        documents=[
            BatchItemOut(
                idempotency_key=sent.idempotency_key,
                outcome="failed" if o.error else "issued" if o.created else "already-issued",
                document=_out(issued[o.id]) if o.id in issued else None,
                error=o.error,
            )
            for sent, o in zip(body.documents, outcomes, strict=True)
        ]
    )


@router.get("", response={200: list[IssuedOut], **problems()}, summary="Documents issued to me")
def mine(request: HttpRequest) -> list[IssuedOut]:
    return [_out(d) for d in issuance.issued_to(recipient=_me(request))]


@router.get("/{issued_id}", response={200: IssuedOut, **problems(404)})
def detail(request: HttpRequest, issued_id: uuid.UUID) -> IssuedOut:
    return _out(_issued(_me(request), issued_id))


@router.get(
    "/{issued_id}/pdf",
    summary="The sealed PDF (integrity-checked on read)",
    response={200: None, **problems(404, 409)},
)
def pdf(request: HttpRequest, issued_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    document = _issued(me, issued_id)
    response = HttpResponse(issuance.issued_pdf(viewer=me, issued=document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"{document.registry_number}.pdf")
    return response


@router.get(
    "/{issued_id}/verifications",
    response={200: list[VerificationEventOut], **problems(403, 404)},
    summary="Who verified it, when",
)
def verifications(request: HttpRequest, issued_id: uuid.UUID) -> list[VerificationEventOut]:
    me = _me(request)
    document = _issued(me, issued_id)
    return [
        VerificationEventOut(
            at=v.at,
            channel=v.channel,
            status=v.status,
            verdict=v.verdict,
            identical=v.identical,
            verifier_label=v.verifier_label,
        )
        for v in issuance.verifications_of(issued=document, viewer=me)
    ]


@router.post("/{issued_id}/revoke", response={200: IssuedOut, **problems(400, 403, 404, 409)})
def revoke(request: HttpRequest, issued_id: uuid.UUID, body: ReasonIn) -> IssuedOut:
    me = _me(request)
    require_step_up(request)
    document = _issued(me, issued_id)
    return _out(services.issued_revoke(issued=document, reason=body.reason, actor=me))


@router.post("/{issued_id}/supersede", response={200: IssuedOut, **problems(400, 403, 404, 409)})
def supersede(request: HttpRequest, issued_id: uuid.UUID, body: SupersedeIn) -> IssuedOut:
    me = _me(request)
    require_step_up(request)
    document = _issued(me, issued_id)
    replacement = _issued(me, body.replacement_id)
    return _out(
        services.issued_supersede(issued=document, replacement=replacement, reason=body.reason, actor=me)
    )
