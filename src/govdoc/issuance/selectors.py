"""Reads of the issuance domain, above all verification.

``verify_code`` and ``verify_upload`` are reads that leave a trace: each successful check of a
document is recorded (``services.verification_record``) so its holder sees who checked it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.core import clock
from govdoc.documents.storage import file_read
from govdoc.issuance.codes import code_normalise
from govdoc.issuance.constants import Channel, IssuedStatus, ShownStatus
from govdoc.issuance.errors import (
    InvalidVerificationCodeError,
    IssuedDocumentNotFoundError,
    NotTheRecipientError,
)
from govdoc.issuance.models import IssuedDocument, KeyFields, VerificationEvent
from govdoc.issuance.pdf_data import embedded_json
from govdoc.issuance.rendering import DATA_ATTACHMENT
from govdoc.issuance.services import verification_record
from govdoc.signatures.engine.model import ValidationReport
from govdoc.signatures.selectors import pdf_verify

# Pending and failed documents were never handed to anyone: to a verifier they do not exist.
_SHOWN = (IssuedStatus.VALID, IssuedStatus.REVOKED, IssuedStatus.SUPERSEDED)


@dataclass(frozen=True)
class CodeVerification:
    """What a verifier learns from a code: the document's status and the fields to compare."""

    issued_id: str
    verification_code: str
    status: ShownStatus
    key_fields: KeyFields
    registry_number: str
    agency_name: str
    title: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    superseded_by_code: str | None


@dataclass(frozen=True)
class UploadVerification:
    """The verdict on an uploaded file and, when it is one of ours, the document it claims to be.

    ``identical``: the bytes are exactly the registered original (SHA-256 match). ``issued``
    is found by that hash, or else by the verification code in the file's embedded data.
    """

    report: ValidationReport
    identical: bool
    issued: IssuedDocument | None
    status: ShownStatus | None


def _shown(issued: IssuedDocument) -> ShownStatus:
    status = issued.status_at(clock.now())
    assert status is not None  # only shown statuses are selected
    return status


def issued_by_code(code: str) -> IssuedDocument:
    """The issued document with this (typed) code. Raises InvalidVerificationCodeError or
    IssuedDocumentNotFoundError."""
    normal = code_normalise(code)
    if normal is None:
        raise InvalidVerificationCodeError(
            "a verification code has 16 letters and digits, e.g. ABCD-EFGH-JKMN-PQRS", field="code"
        )
    issued = (
        IssuedDocument.objects.select_related("agency", "superseded_by")
        .filter(verification_code=normal, status__in=_SHOWN)
        .first()
    )
    if issued is None:
        raise IssuedDocumentNotFoundError(
            f"no document was issued with the verification code {normal}; check the code on the paper",
            code=normal,
        )
    return issued


def verify_code(
    code: str, *, channel: str = Channel.CODE, verifier_label: str = "", client_address: str = ""
) -> CodeVerification:
    """The status (valid, revoked, superseded, expired) and key fields of the document with this
    code; the check is recorded for the holder."""
    issued = issued_by_code(code)
    status = _shown(issued)
    verification_record(
        issued=issued,
        channel=channel,
        status=status,
        verifier_label=verifier_label,
        client_address=client_address,
    )
    return CodeVerification(
        issued_id=str(issued.pk),
        verification_code=issued.verification_code,
        status=status,
        key_fields=issued.key_fields,
        registry_number=issued.registry_number,
        agency_name=issued.agency.name,
        title=issued.title,
        issued_at=issued.issued_at,
        valid_until=issued.valid_until,
        superseded_by_code=issued.superseded_by.verification_code if issued.superseded_by else None,
    )


def _claimed(pdf: bytes) -> IssuedDocument | None:
    data = embedded_json(pdf, DATA_ATTACHMENT)
    code = data.get("verification_code") if data is not None else None
    if not isinstance(code, str):
        return None
    normal = code_normalise(code)
    if normal is None:
        return None
    return (
        IssuedDocument.objects.select_related("agency")
        .filter(verification_code=normal, status__in=_SHOWN)
        .first()
    )


def verify_upload(
    pdf: bytes, *, channel: str = Channel.UPLOAD, verifier_label: str = "", client_address: str = ""
) -> UploadVerification:
    """The four-state signature verdict on ``pdf``, whether it is the registered original, and
    the issued document it is (or claims to be); recorded for the holder when one is found."""
    report = pdf_verify(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    issued = (
        IssuedDocument.objects.select_related("agency").filter(pdf_sha256=digest, status__in=_SHOWN).first()
    )
    if issued is None:  # a copy from before an archive timestamp renewal is a registered version too
        issued = (
            IssuedDocument.objects.select_related("agency")
            .filter(document__versions__file_id=digest, status__in=_SHOWN)
            .first()
        )
    identical = issued is not None
    if issued is None:
        issued = _claimed(pdf)
    status = _shown(issued) if issued is not None else None
    if issued is not None and status is not None:
        verification_record(
            issued=issued,
            channel=channel,
            status=status,
            verifier_label=verifier_label,
            client_address=client_address,
            verdict=report.state.value,
            identical=identical,
        )
    return UploadVerification(report=report, identical=identical, issued=issued, status=status)


def verifications_of(*, issued: IssuedDocument, viewer: Person) -> QuerySet[VerificationEvent]:
    """Who checked this document and when, newest first; only its recipient may see this."""
    if issued.recipient_id is None or viewer.pk != issued.recipient_id:
        raise NotTheRecipientError(
            "only the recipient of a document sees who verified it",
            issued_id=str(issued.pk),
            person_id=str(viewer.pk),
        )
    return VerificationEvent.objects.filter(issued=issued).order_by("-at", "id")


def _visible_to(issued: IssuedDocument, viewer: Person) -> bool:
    """The recipient, and officials of the issuing agency, see an issued document."""
    if issued.recipient_id is not None and viewer.pk == issued.recipient_id:
        return True
    return memberships_current(person=viewer).filter(unit__agency_id=issued.agency_id).exists()


def issued_get(*, viewer: Person, issued_id: uuid.UUID | str) -> IssuedDocument:
    """One issued document its viewer may see; anyone else is told it does not exist."""
    try:
        pk = uuid.UUID(str(issued_id))
    except ValueError:
        pk = None
    issued = (
        IssuedDocument.objects.select_related("agency", "version__file", "superseded_by")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if issued is None or not _visible_to(issued, viewer):
        raise IssuedDocumentNotFoundError("no such issued document", issued_id=str(issued_id))
    return issued


def issued_pdf(*, viewer: Person, issued: IssuedDocument) -> bytes:
    """The sealed PDF as registered, re-hashed on read (documents' FileIntegrityError if not)."""
    if not _visible_to(issued, viewer) or issued.version is None:
        raise IssuedDocumentNotFoundError("no such issued document", issued_id=str(issued.pk))
    return file_read(issued.version.file)


def issued_to(*, recipient: Person) -> QuerySet[IssuedDocument]:
    """The documents issued to a person (what a citizen sees in their inbox), newest first."""
    return (
        IssuedDocument.objects.filter(recipient=recipient, status__in=_SHOWN)
        .select_related("agency", "version")
        .order_by("-issued_at", "id")
    )
