"""Issued e-Documents: the recipient (or an official of the issuing agency) reads and downloads
them; authorized officials revoke or supersede them."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from govdoc.accounts.models import Person
from govdoc.api.auth import api_auth
from govdoc.core import clock
from govdoc.issuance import selectors as issuance
from govdoc.issuance import services
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


class ReasonIn(Schema):
    reason: str


class SupersedeIn(Schema):
    replacement_id: uuid.UUID
    reason: str


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


@router.get("", response=list[IssuedOut], summary="Documents issued to me")
def mine(request: HttpRequest) -> list[IssuedOut]:
    return [_out(d) for d in issuance.issued_to(recipient=_me(request))]


@router.get("/{issued_id}", response=IssuedOut)
def detail(request: HttpRequest, issued_id: uuid.UUID) -> IssuedOut:
    return _out(issuance.issued_get(viewer=_me(request), issued_id=issued_id))


@router.get("/{issued_id}/pdf", summary="The sealed PDF (integrity-checked on read)", response={200: None})
def pdf(request: HttpRequest, issued_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    document = issuance.issued_get(viewer=me, issued_id=issued_id)
    response = HttpResponse(issuance.issued_pdf(viewer=me, issued=document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.registry_number}.pdf"'
    return response


@router.get(
    "/{issued_id}/verifications", response=list[VerificationEventOut], summary="Who verified it, when"
)
def verifications(request: HttpRequest, issued_id: uuid.UUID) -> list[VerificationEventOut]:
    me = _me(request)
    document = issuance.issued_get(viewer=me, issued_id=issued_id)
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


@router.post("/{issued_id}/revoke", response=IssuedOut)
def revoke(request: HttpRequest, issued_id: uuid.UUID, body: ReasonIn) -> IssuedOut:
    me = _me(request)
    document = issuance.issued_get(viewer=me, issued_id=issued_id)
    return _out(services.issued_revoke(issued=document, reason=body.reason, actor=me))


@router.post("/{issued_id}/supersede", response=IssuedOut)
def supersede(request: HttpRequest, issued_id: uuid.UUID, body: SupersedeIn) -> IssuedOut:
    me = _me(request)
    document = issuance.issued_get(viewer=me, issued_id=issued_id)
    replacement = issuance.issued_get(viewer=me, issued_id=body.replacement_id)
    return _out(
        services.issued_supersede(issued=document, replacement=replacement, reason=body.reason, actor=me)
    )
