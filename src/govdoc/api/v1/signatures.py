"""Public verification of signed PDFs: anyone who holds a file may ask for the verdict."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile

from govdoc.api.errors import Problem, problem, problems
from govdoc.signatures.engine.model import ValidationReport
from govdoc.signatures.selectors import pdf_verify

router = Router(tags=["verification"])

MAX_VERIFY_BYTES = 50 * 1024 * 1024


class SignatureOut(Schema):
    field_name: str | None
    signer_subject: str
    signer_serial: str
    signing_time: dt.datetime | None
    timestamp_time: dt.datetime | None
    intact: bool
    trusted: bool
    revoked: bool
    expired: bool
    covers_whole_file: bool
    modification_level: str | None
    certified: bool
    reasons: list[str]
    kind: str = Field(
        description='"signature", or "document_timestamp" (an archive timestamp; its signer is the TSA)'
    )


class VerificationOut(Schema):
    state: str
    reasons: list[str]
    signatures: list[SignatureOut]


# Problem lives in api/errors.py now; it is still importable from here for the other routers.
__all__ = ["MAX_VERIFY_BYTES", "Problem", "VerificationOut", "router", "verification_out"]


@router.post(
    "/verify",
    auth=None,
    response={200: VerificationOut, **problems(413, auth=False)},
    summary="Verify a signed PDF",
    description=(
        "Upload a PDF; the answer is one of four states: authentic, altered, certificate_problem"
        " (the signer's certificate is untrusted, revoked or expired) or, as a 422 problem, "
        "cannot_be_verified (not a PDF, truncated, or no signature)."
    ),
)
def verify(request: HttpRequest, file: File[UploadedFile]) -> HttpResponse | VerificationOut:
    if file.size is not None and file.size > MAX_VERIFY_BYTES:
        return problem(413, "file-too-large", f"The file is larger than {MAX_VERIFY_BYTES // 2**20} MB.")
    report = pdf_verify(file.read())
    if report.state.value == "cannot_be_verified":
        title = report.reasons[0] if report.reasons else "The file cannot be verified."
        return problem(422, "cannot-be-verified", title, details={"state": report.state.value})
    return verification_out(report)


def verification_out(report: ValidationReport) -> VerificationOut:
    return VerificationOut(
        state=report.state.value,
        reasons=list(report.reasons),
        signatures=[
            SignatureOut(
                field_name=s.field_name,
                signer_subject=s.signer_subject,
                signer_serial=s.signer_serial,
                signing_time=s.signing_time,
                timestamp_time=s.timestamp_time,
                intact=s.intact,
                trusted=s.trusted,
                revoked=s.revoked,
                expired=s.expired,
                covers_whole_file=s.covers_whole_file,
                modification_level=s.modification_level,
                certified=s.certified,
                reasons=list(s.reasons),
                kind=s.kind,
            )
            for s in report.signatures
        ],
    )
