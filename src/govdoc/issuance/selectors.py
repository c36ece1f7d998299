"""Reads of the issuance domain, above all verification.

``verify_code`` and ``verify_upload`` are reads that leave a trace: each successful check of a
document is recorded (``verification_log.verification_record``) so its holder sees who checked it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass

from cryptography import x509
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.approvals.selectors import SignedDecision, approved_content, line_participants
from govdoc.audit.services import record_access
from govdoc.core import clock
from govdoc.documents.selectors import documents_visible_to
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
from govdoc.issuance.qr_payload import VerifiedPayload, certificate_kid, payload_verify
from govdoc.issuance.rendering import DATA_ATTACHMENT
from govdoc.issuance.verification_log import verification_record
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import ValidationReport
from govdoc.signatures.selectors import pdf_verify

# Pending and failed documents were never handed to anyone: to a verifier they do not exist.
_SHOWN = (IssuedStatus.VALID, IssuedStatus.REVOKED, IssuedStatus.SUPERSEDED)


@dataclass(frozen=True)
class ApprovalChain:
    """The signed decisions an issued document rests on, as a verifier is shown them.

    ``intact``: the line's chain of signed decisions still ends at the head recorded when the
    document was issued, and every decision signed the content the document was issued from.
    Officials' comments are internal and not shown."""

    decisions: tuple[SignedDecision, ...]
    intact: bool


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
    approval: ApprovalChain | None = None
    # The document's own script (its title and key fields are in it) and the agency's other names.
    script: str = ""
    agency_name_cyrl: str = ""
    agency_name_en: str = ""


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
            _("a verification code has 16 letters and digits, e.g. ABCD-EFGH-JKMN-PQRS"), field="code"
        )
    issued = (
        IssuedDocument.objects.select_related("agency", "superseded_by")
        .filter(verification_code=normal, status__in=_SHOWN)
        .first()
    )
    if issued is None:
        raise IssuedDocumentNotFoundError(
            _("no document was issued with the verification code %(code)s; check the code on the paper")
            % {"code": normal},
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
    return _code_verification(issued, status)


def approval_chain(issued: IssuedDocument) -> ApprovalChain | None:
    """The decisions → issued document chain (None for a document issued without a line)."""
    if issued.approval_line_id is None:
        return None
    approved = approved_content(line_id=issued.approval_line_id)
    if approved is None:
        return ApprovalChain(decisions=(), intact=False)
    intact = (
        approved.chain_head == issued.approval_chain_head
        and bool(approved.content_sha256)
        and approved.content_sha256 == issued.approved_content_sha256
    )
    return ApprovalChain(decisions=approved.decisions, intact=intact)


def _code_verification(issued: IssuedDocument, status: ShownStatus) -> CodeVerification:
    return CodeVerification(
        approval=approval_chain(issued),
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
        script=issued.script,
        agency_name_cyrl=issued.agency.name_cyrl,
        agency_name_en=issued.agency.name_en,
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
            _("only the recipient of a document sees who verified it"),
            issued_id=str(issued.pk),
            person_id=str(viewer.pk),
        )
    return VerificationEvent.objects.filter(issued=issued).order_by("-at", "id")


def _visible_to(issued: IssuedDocument, viewer: Person) -> bool:
    """Who reads an issued document: its recipient, the agency system that issued it, and the
    officials who may read its registered document (``documents.access``: the issuing unit, the
    registry, the archive, the head of the agency) or who decided on its approval line."""
    if viewer.pk in (issued.recipient_id, issued.issued_by_id):
        return True
    if not viewer.is_active or viewer.is_citizen:
        return False
    if documents_visible_to(user=viewer).filter(pk=issued.document_id).exists():
        return True
    return (
        issued.approval_line_id is not None
        and line_participants(issued.approval_line_id).filter(pk=viewer.pk).exists()
    )


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
        raise IssuedDocumentNotFoundError(_("no such issued document"), issued_id=str(issued_id))
    return issued


ISSUED_READ_PURPOSE = "reading an issued document"


def issued_pdf(*, viewer: Person, issued: IssuedDocument) -> bytes:
    """The sealed PDF as registered, re-hashed on read (documents' FileIntegrityError if not)."""
    if not _visible_to(issued, viewer) or issued.version is None:
        raise IssuedDocumentNotFoundError(_("no such issued document"), issued_id=str(issued.pk))
    if viewer.pk != issued.recipient_id:
        # Anyone but the holder reading it reads the holder's personal data: recorded (the holder
        # sees it on their data-access page).
        record_access(
            actor=viewer,
            target=issued,
            purpose=ISSUED_READ_PURPOSE,
            fields=["document.pdf", "holder.name", *(f"data.{name}" for name in sorted(issued.key_fields))],
        )
    return file_read(issued.version.file)


def issued_to(*, recipient: Person) -> QuerySet[IssuedDocument]:
    """The documents issued to a person (what a citizen sees in their inbox), newest first."""
    return (
        IssuedDocument.objects.filter(recipient=recipient, status__in=_SHOWN)
        .select_related("agency", "version")
        .order_by("-issued_at", "id")
    )


# -- the signed payload of the QR code -------------------------------------------------------


@dataclass(frozen=True)
class PublishedSigner:
    """An agency e-seal certificate that signs QR payloads, as published at /pki/signers.json."""

    kid: str
    agency: str
    certificate: x509.Certificate
    status: str  # valid, expired, revoked (now)


def payload_signers() -> list[PublishedSigner]:
    """Every agency e-seal certificate this installation issued, current and replaced: a
    payload is checked against the certificate that signed it, found by its ``kid``."""
    store = keyring.ensure()
    rows = {row.serial: row for row in store.certificates()}
    now = clock.now()
    signers = []
    for certificate in store.agency_certificates_all():
        row = rows.get(format(certificate.serial_number, "x"))
        if row is None or not row.holder.startswith("agency:"):
            continue
        signers.append(
            PublishedSigner(
                kid=certificate_kid(certificate).hex(),
                agency=row.holder.removeprefix("agency:"),
                certificate=certificate,
                status=row.status(now),
            )
        )
    return sorted(signers, key=lambda s: (s.agency, s.certificate.not_valid_before_utc))


@dataclass(frozen=True)
class PayloadVerification:
    """A QR payload whose signature verified, and how it compares with the registered document.

    ``differences`` names the signed fields that differ from the registered document (empty
    when they all agree); ``issued`` is None when no shown document has the signed code.
    """

    content: VerifiedPayload
    signer_agency: str
    signer_status: str
    expired: bool
    issued: CodeVerification | None
    differences: tuple[str, ...]


def _differences(content: VerifiedPayload, issued: IssuedDocument) -> tuple[str, ...]:
    def seconds(moment: dt.datetime | None) -> int | None:
        return None if moment is None else int(moment.timestamp())

    registered = {
        "agency": issued.agency.code,
        "holder_name": issued.key_fields.get("holder_name"),
        "document_number": issued.registry_number,
        "subject": issued.key_fields.get("subject"),
        "issued_at": seconds(issued.issued_at),
        "valid_until": seconds(issued.valid_until),
        "data_sha256": issued.data_sha256,
    }
    signed = {
        **{name: content[name] for name in ("agency", "holder_name", "document_number", "subject")},  # type: ignore[literal-required]
        "issued_at": seconds(content["issued_at"]),
        "valid_until": seconds(content["valid_until"]),
        "data_sha256": content["data_sha256"],
    }
    return tuple(name for name, value in signed.items() if registered[name] != value)


def verify_payload(text: str) -> PayloadVerification:
    """Check a scanned QR payload: its signature against the published signer certificates
    and its fields against the registered document with the signed code. Raises
    PayloadInvalidError (``details["reason"]``) when the payload is malformed or changed.

    Records nothing: the page that receives a payload has already recorded the visit by code.
    """
    signers = payload_signers()
    content = payload_verify(text, [s.certificate for s in signers], allow_expired=True)
    signer = next(s for s in signers if s.kid == content["kid"])
    now = clock.now()
    expired = content["valid_until"] is not None and content["valid_until"] < now
    try:
        issued = issued_by_code(content["code"])
    except (InvalidVerificationCodeError, IssuedDocumentNotFoundError):
        return PayloadVerification(content, signer.agency, signer.status, expired, None, ("code",))
    shown = _code_verification(issued, _shown(issued))
    return PayloadVerification(
        content, signer.agency, signer.status, expired, shown, _differences(content, issued)
    )


def issued_by_key(issue_key: str) -> IssuedDocument | None:
    """The document issued, or being issued, for ``issue_key`` (at most one exists)."""
    return IssuedDocument.objects.filter(issue_key=issue_key).first()


def issued_by_issuer(*, issuer: Person, ids: list[uuid.UUID]) -> dict[uuid.UUID, IssuedDocument]:
    """The documents among ``ids`` that ``issuer`` issued (a system reads back what it issued
    itself), by id."""
    found = IssuedDocument.objects.filter(pk__in=ids, issued_by=issuer).select_related("agency")
    return {d.pk: d for d in found}
