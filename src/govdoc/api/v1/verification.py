"""Public verification of issued e-Documents for machines: by code, or by uploading the PDF."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from govdoc.accounts import throttle
from govdoc.api.errors import problem, problems
from govdoc.api.v1.signatures import MAX_VERIFY_BYTES, VerificationOut, verification_out
from govdoc.issuance.constants import Channel
from govdoc.issuance.qr_payload import payload_from_url
from govdoc.issuance.selectors import (
    CodeVerification,
    PayloadVerification,
    verify_code,
    verify_payload,
    verify_upload,
)

router = Router(tags=["verification"])


class KeyFieldsOut(Schema):
    holder_name: str | None = None
    document_number: str | None = None
    issue_date: str | None = None
    subject: str | None = None


class DecisionOut(Schema):
    position: int
    kind: str = Field(description="review, consent or approval")
    decision: str = Field(description="approve (the chain of an issued document holds approvals only)")
    decided_by: str
    acting_for: str | None = Field(
        description="id of the official the decider stood in for (acting approval)"
    )
    delegated: bool = Field(description="decided finally by delegation (전결)")
    decided_at: dt.datetime | None
    manifest_sha256: str


class ApprovalChainOut(Schema):
    intact: bool = Field(
        description="The line's signed decisions still end at the head recorded at issuing and all "
        "signed the content this document was issued from"
    )
    decisions: list[DecisionOut]


class CodeVerificationOut(Schema):
    verification_code: str
    status: str
    title: str
    registry_number: str
    agency_name: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    superseded_by_code: str | None
    key_fields: KeyFieldsOut
    approval: ApprovalChainOut | None = Field(
        default=None, description="The signed approval decisions this document rests on"
    )


class PayloadIn(Schema):
    payload: str = Field(description="The GD1: text from the QR code (or the whole scanned URL)")


class SignedFieldsOut(Schema):
    agency: str
    verification_code: str
    holder_name: str
    document_number: str
    subject: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    data_sha256: str


class PayloadVerificationOut(Schema):
    signature: str = Field(description="Always 'valid' here: a payload that does not verify is a 400 problem")
    kid: str
    signer_agency: str
    signer_certificate_status: str
    signed: SignedFieldsOut
    expired: bool
    registered: CodeVerificationOut | None
    differences: list[str] = Field(description="Signed fields that differ from the registered document")


def _code_out(result: CodeVerification) -> CodeVerificationOut:
    return CodeVerificationOut(
        verification_code=result.verification_code,
        status=str(result.status),
        title=result.title,
        registry_number=result.registry_number,
        agency_name=result.agency_name,
        issued_at=result.issued_at,
        valid_until=result.valid_until,
        superseded_by_code=result.superseded_by_code,
        key_fields=KeyFieldsOut(**{k: v for k, v in dict(result.key_fields).items() if isinstance(v, str)}),
        approval=None
        if result.approval is None
        else ApprovalChainOut(
            intact=result.approval.intact,
            decisions=[
                DecisionOut(
                    position=d.position,
                    kind=d.kind,
                    decision=d.decision,
                    decided_by=d.decided_by,
                    acting_for=d.acting_for,
                    delegated=d.delegated,
                    decided_at=d.decided_at,
                    manifest_sha256=d.manifest_sha256,
                )
                for d in result.approval.decisions
            ],
        ),
    )


def payload_out(result: PayloadVerification) -> PayloadVerificationOut:
    content = result.content
    return PayloadVerificationOut(
        signature="valid",
        kid=content["kid"],
        signer_agency=result.signer_agency,
        signer_certificate_status=result.signer_status,
        signed=SignedFieldsOut(
            agency=content["agency"],
            verification_code=content["code"],
            holder_name=content["holder_name"],
            document_number=content["document_number"],
            subject=content["subject"],
            issued_at=content["issued_at"],
            valid_until=content["valid_until"],
            data_sha256=content["data_sha256"],
        ),
        expired=result.expired,
        registered=_code_out(result.issued) if result.issued is not None else None,
        differences=list(result.differences),
    )


class FileVerificationOut(Schema):
    state: str
    identical_to_registered_original: bool
    document_status: str | None
    verification_code: str | None
    registry_number: str | None
    signature: VerificationOut


def _limit(request: HttpRequest) -> None:
    """Public and unauthenticated: a 429 (with Retry-After) past the per-address rate."""
    throttle.rate_limit(request, scope="verify", rate=settings.GOVDOC_RATE_VERIFY)


@router.post(
    "/file",
    auth=None,
    response={200: FileVerificationOut, **problems(413, 429, auth=False)},
    summary="Verify an issued document's PDF: signature verdict and byte-identity with the original",
)
# Declared before "/{code}", which would otherwise take "file" for a code.
def by_file(
    request: HttpRequest, file: File[UploadedFile], verifier: Form[str] = ""
) -> HttpResponse | FileVerificationOut:
    _limit(request)
    if file.size is not None and file.size > MAX_VERIFY_BYTES:
        return problem(413, "file-too-large", f"The file is larger than {MAX_VERIFY_BYTES // 2**20} MB.")
    result = verify_upload(
        file.read(),
        channel=Channel.API,
        verifier_label=verifier[:200],
        client_address=throttle.client_address(request),
    )
    issued = result.issued
    return FileVerificationOut(
        state=result.report.state.value,
        identical_to_registered_original=result.identical,
        document_status=str(result.status) if result.status else None,
        verification_code=issued.verification_code if issued else None,
        registry_number=issued.registry_number if issued else None,
        signature=verification_out(result.report),
    )


@router.get(
    "/file",
    auth=None,
    include_in_schema=False,
    response={200: CodeVerificationOut, **problems(400, 404, 429, auth=False)},
)
def by_code_file(request: HttpRequest, verifier: str = "") -> CodeVerificationOut:
    """GET /verify/file is a code lookup like any other (``file`` is no code): without this it
    would meet the upload's POST-only route and answer an HTML 405."""
    return by_code(request, "file", verifier)


@router.post(
    "/payload",
    auth=None,
    response={200: PayloadVerificationOut, **problems(400, 429, auth=False)},
    summary="Verify the signed payload of a QR code (COSE_Sign1, docs/offline-verification.md)",
)
def by_payload(request: HttpRequest, body: PayloadIn) -> PayloadVerificationOut:
    """The payload's signature is checked against the published signer certificates
    (/pki/signers.json) and its fields against the registered document. A malformed or
    changed payload is a ``qr-payload-invalid`` problem whose ``details.reason`` says why."""
    _limit(request)
    text = payload_from_url(body.payload.strip()) or body.payload.strip()
    return payload_out(verify_payload(text))


@router.get(
    "/{code}",
    auth=None,
    response={200: CodeVerificationOut, **problems(400, 404, 429, auth=False)},
    summary="Status of an issued document by its verification code",
)
def by_code(request: HttpRequest, code: str, verifier: str = "") -> CodeVerificationOut:
    _limit(request)
    result = verify_code(
        code,
        channel=Channel.API,
        verifier_label=verifier[:200],
        client_address=throttle.client_address(request),
    )
    return _code_out(result)
