"""Writes of the issuance domain: issuing, revoking and superseding e-Documents, and the record
of each verification.

Issuing runs in three steps so that no lock is held while the slow work runs (rendering and
sealing take ~100-200 ms; with 200 issuances at once a lock held that long would queue them):

1. a short transaction takes the registry number (the agency's counter row is locked only
   here), creates the document without content and the issued document as ``pending``;
2. outside any transaction: the data file, the signed QR payload, the PDF/A and the e-seal;
3. a short transaction stores the sealed PDF as the document's sealed version and makes the
   issued document ``valid``.

If step 2 or 3 fails, the issued document is marked ``failed`` with the reason (its registry
entry stays: the registry is gap-free, so a number once taken is accounted for, not reused).
A process killed in between leaves it ``pending``; pending and failed documents are never
shown to verifiers.

Exactly once: a caller that may run twice (a retried task) passes an ``issue_key`` (for an
application, ``application:<id>``). The key is unique in the database, so at most one issued
document exists per key; a second call finds it and returns it when it is issued, or takes a
``pending`` or ``failed`` one up again with the registry number it already holds, so a number
once taken is used and never skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.selectors import has_role, memberships_current
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject, canonical_json
from govdoc.core.transliteration import to_script
from govdoc.documents.constants import WRITER_ROLES, Disclosure
from govdoc.documents.models import DocumentVersion
from govdoc.documents.services import document_create_registered, version_add_sealed
from govdoc.issuance import rendering
from govdoc.issuance.codes import code_new
from govdoc.issuance.constants import (
    ALLOWED_MOVES,
    CHANGE_ROLES,
    ISSUED_LEGAL_GROUND,
    IssuedStatus,
)
from govdoc.issuance.errors import (
    InvalidIssueInputError,
    IssuanceFailedError,
    IssuanceInterruptedError,
    IssuedStatusError,
    NotAllowedToChangeIssuedError,
    NotAllowedToIssueError,
)
from govdoc.issuance.models import ApprovalRef, IssuedDocument, KeyFields
from govdoc.issuance.qr_payload import QrPayload, payload_sign, qr_text
from govdoc.signatures import keyring
from govdoc.signatures.services import pdf_seal

DATA_FORMAT = "govdoc.issued/1"
_CODE_ATTEMPTS = 5


def verification_url(code: str) -> str:
    """The public page where anyone checks the document with this code."""
    return f"{settings.PUBLIC_URL}/verify/{code}"


def _writer_unit(*, actor: Person, agency: Agency) -> Unit:
    membership = (
        memberships_current(person=actor)
        .filter(unit__agency=agency, role__in=WRITER_ROLES)
        .order_by("valid_from", "id")
        .first()
    )
    if membership is None:
        raise NotAllowedToIssueError(
            _("%(username)s holds no role in %(agency)s that may issue its documents")
            % {"username": actor.get_username(), "agency": agency.code},
            person_id=str(actor.pk),
            agency_id=str(agency.pk),
        )
    return membership.unit


def _agency_name(agency: Agency, script: str) -> str:
    if script == Script.CYRILLIC:
        return agency.name_cyrl or to_script(agency.name, script)
    if script == Script.ENGLISH:
        return agency.name_en or agency.name
    return agency.name


def _local_date(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(clock.DISPLAY_TZ).date().isoformat()


def _holder_name(recipient: Person | None, context: dict[str, Any]) -> str:
    if recipient is not None:
        return recipient.get_full_name() or recipient.get_username()
    return str(context.get("holder_name", ""))


def _key_fields(
    *, holder: str, title: str, script: str, number: str, at: dt.datetime, until: dt.datetime | None
) -> KeyFields:
    """What the QR code and the verification page show of an issued document."""
    return {
        "holder_name": holder,
        "document_number": number,
        "issue_date": _local_date(at) or "",
        "subject": to_script(title, script),
        "valid_until": _local_date(until),
    }


def _check_input(*, title: str, script: str, data: JSONObject, valid_until: dt.datetime | None) -> str:
    title = title.strip()
    if not title or len(title) > 500:
        raise InvalidIssueInputError(_("the title must have 1 to 500 characters"), field="title")
    if script not in Script.values:
        raise InvalidIssueInputError(
            _("%(field)s must be one of %(values)s")
            % {"field": "script", "values": ", ".join(Script.values)},
            field="script",
        )
    if valid_until is not None and valid_until.tzinfo is None:
        raise InvalidIssueInputError(
            _("%(field)s must carry a time zone") % {"field": "valid_until"}, field="valid_until"
        )
    try:
        canonical_json(data)
    except (TypeError, ValueError) as exc:
        raise InvalidIssueInputError(
            _("%(field)s must be plain JSON: %(error)s") % {"field": "data", "error": exc}, field="data"
        ) from None
    return title


@transaction.atomic
def _issue_begin(
    *,
    agency: Agency,
    owner_unit: Unit,
    recipient: Person | None,
    title: str,
    key_fields_of: Any,
    script: str,
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
    issue_key: str | None,
    approval: ApprovalRef | None,
) -> IssuedDocument:
    entry = document_create_registered(
        agency=agency,
        owner_unit=owner_unit,
        author=actor,
        title=title,
        doc_type=doc_type,
        classification_code=classification_code,
        disclosure=Disclosure.NOT_PUBLIC,
        legal_ground=ISSUED_LEGAL_GROUND,
        subject=title,
        actor=actor,
    )
    issued_at = clock.now()
    for attempt in range(_CODE_ATTEMPTS):
        issued = IssuedDocument(
            verification_code=code_new(),
            agency=agency,
            document=entry.document,
            registry_entry=entry,
            registry_number=entry.registry_number,
            recipient=recipient,
            title=title,
            key_fields=key_fields_of(entry.registry_number, issued_at),
            script=script,
            valid_until=valid_until,
            issued_at=issued_at,
            issued_by=actor,
            issue_key=issue_key,
            approval_line_id=uuid.UUID(approval["line_id"]) if approval else None,
            approval_chain_head=approval["chain_head"] if approval else "",
            approved_content_sha256=approval["content_sha256"] if approval else "",
        )
        try:
            with transaction.atomic():  # a savepoint: a (practically impossible) code clash retries
                issued.save(force_insert=True)
            break
        except IntegrityError:
            if issue_key is not None and IssuedDocument.objects.filter(issue_key=issue_key).exists():
                # Another call began this key first: give the registry number back (the whole
                # transaction rolls back) and take that one up instead.
                raise _KeyTakenError(issue_key) from None
            if attempt == _CODE_ATTEMPTS - 1:
                raise
    record(
        "issuance.document_issue_started",
        actor=actor,
        target=issued,
        data={
            "registry_number": issued.registry_number,
            "document_id": str(entry.document_id),
            "recipient": str(recipient.pk) if recipient is not None else None,
            "title": title,
            "issue_key": issue_key,
        },
    )
    return issued


_RESUMABLE = frozenset({IssuedStatus.PENDING, IssuedStatus.FAILED})


class _KeyTakenError(Exception):
    """Raised inside ``_issue_begin`` to roll it back when its issue key is already taken."""


@transaction.atomic
def _issue_resume(issued_id: uuid.UUID, *, actor: Person) -> IssuedDocument:
    """Take up an issuance that a killed or failed attempt left ``pending`` or ``failed``."""
    issued = IssuedDocument.objects.select_for_update().get(pk=issued_id)
    if issued.status == IssuedStatus.FAILED:
        _move(issued, IssuedStatus.PENDING)
        issued.reason = ""  # the failure stays in the audit trail (issuance.document_issue_failed)
        issued.save(update_fields=["status", "reason"])
    if issued.status == IssuedStatus.PENDING:
        record(
            "issuance.document_issue_resumed",
            actor=actor,
            target=issued,
            data={"registry_number": issued.registry_number, "issue_key": issued.issue_key},
        )
    return issued


def _data_file(issued: IssuedDocument, *, agency: Agency, data: JSONObject) -> bytes:
    envelope: JSONObject = {
        "format": DATA_FORMAT,
        "verification_code": issued.verification_code,
        "registry_number": issued.registry_number,
        "agency": {"code": agency.code, "name": agency.name},
        "issued_at": issued.issued_at.isoformat(),
        "valid_until": None if issued.valid_until is None else issued.valid_until.isoformat(),
        "script": issued.script,
        "title": issued.title,
        "key_fields": dict(issued.key_fields),
        "data": data,
    }
    if issued.approval_line_id is not None:
        # The signed decisions this document rests on: anyone holding the approval manifest
        # (``govdoc verify-approvals``) can check that its chain ends at this head and that
        # every decision signed this content.
        envelope["approval"] = {
            "line_id": str(issued.approval_line_id),
            "chain_head": issued.approval_chain_head,
            "content_sha256": issued.approved_content_sha256,
        }
    return canonical_json(envelope)


def _produce(
    issued: IssuedDocument,
    *,
    agency: Agency,
    template_html: str,
    context: dict[str, Any],
    data: JSONObject,
    actor: Person,
) -> tuple[bytes, str]:
    """The sealed PDF and the SHA-256 of its data file. Touches no database row but the
    audit event of the seal."""
    data_json = _data_file(issued, agency=agency, data=data)
    data_sha256 = hashlib.sha256(data_json).hexdigest()
    key = keyring.eseal_key(agency.code, name=agency.name)
    fields = issued.key_fields
    payload: QrPayload = {
        "agency": agency.code,
        "code": issued.verification_code,
        "holder_name": fields["holder_name"],
        "document_number": fields["document_number"],
        "subject": fields["subject"],
        "issued_at": issued.issued_at,
        "valid_until": issued.valid_until,
        "data_sha256": data_sha256,
    }
    url = verification_url(issued.verification_code)
    seal = rendering.SealBlock(
        agency_name=_agency_name(agency, issued.script),
        sealed_at=issued.issued_at,
        verification_code=issued.verification_code,
        verification_url=url,
        qr_text=qr_text(settings.PUBLIC_URL, issued.verification_code, payload_sign(payload, key=key)),
    )
    pdf = rendering.document_pdf(
        template=template_html,
        context={
            # ``data`` (the embedded machine-readable data), the agency's name and the title in
            # the script, unless the caller's own context names them: the caller's template
            # decides what it shows (an application's context is the one its draft was rendered
            # with, so the approvers saw the same text).
            "data": data,
            "agency_name": seal.agency_name,
            "title": issued.title,
            **context,
            "holder_name": fields["holder_name"],
            "issue_date": issued.issued_at,
            "valid_until": issued.valid_until,
        },
        script=issued.script,
        registry_number=issued.registry_number,
        title=issued.title,
        seal=seal,
        data_json=data_json,
    )
    sealed = pdf_seal(
        pdf=pdf,
        agency=agency,
        actor=actor,
        reason=f"Issued e-Document {issued.registry_number}",
        certify=True,
    )
    return sealed, data_sha256


@transaction.atomic
def _issue_complete(issued: IssuedDocument, *, pdf: bytes, data_sha256: str, actor: Person) -> IssuedDocument:
    # The issued row first, before any audit event locks the audit head (the order every
    # service of this domain keeps: row, then audit).
    issued = IssuedDocument.objects.select_for_update().select_related("document").get(pk=issued.pk)
    if issued.status == IssuedStatus.VALID and issued.issue_key is not None:
        return issued  # a concurrent attempt for the same key finished first: its PDF stands
    version = version_add_sealed(
        document=issued.document,
        content=pdf,
        filename=f"{issued.registry_number}.pdf",
        media_type="application/pdf",
        note="Issued e-Document (PAdES certified, PDF/A-3b)",
        actor=actor,
    )
    _mark_issued(issued, version=version, data_sha256=data_sha256, actor=actor).save(
        update_fields=_ISSUED_FIELDS
    )
    return issued


_ISSUED_FIELDS = ["version", "pdf_sha256", "data_sha256", "status"]


def _mark_issued(
    issued: IssuedDocument, *, version: DocumentVersion, data_sha256: str, actor: Person
) -> IssuedDocument:
    """``issued`` (locked by the caller, pending) made valid with its sealed version, and its
    event; the caller writes the row (``_ISSUED_FIELDS``)."""
    _move(issued, IssuedStatus.VALID)
    issued.version, issued.pdf_sha256, issued.data_sha256 = version, version.file_id, data_sha256
    record(
        "issuance.document_issued",
        actor=actor,
        target=issued,
        data={
            "registry_number": issued.registry_number,
            "version_id": str(version.pk),
            "pdf_sha256": issued.pdf_sha256,
            "data_sha256": data_sha256,
            "script": issued.script,
        },
    )
    return issued


_FAILED_FIELDS = ["status", "reason", "status_changed_at", "status_changed_by"]


def _mark_failed(issued: IssuedDocument, *, error: Exception, actor: Person | str) -> IssuedDocument:
    """``issued`` (locked by the caller, pending) marked failed with the reason, and its event;
    the caller writes the row (``_FAILED_FIELDS``)."""
    issued.status = IssuedStatus.FAILED
    issued.reason = f"{type(error).__name__}: {error}"[:1000]
    issued.status_changed_at = clock.now()
    issued.status_changed_by = actor if isinstance(actor, Person) else None  # None: the system
    record(
        "issuance.document_issue_failed",
        actor=actor,
        target=issued,
        data={"registry_number": issued.registry_number, "error": issued.reason},
    )
    return issued


@transaction.atomic
def _issue_fail(issued_id: uuid.UUID, *, error: Exception, actor: Person | str) -> None:
    issued = IssuedDocument.objects.select_for_update().get(pk=issued_id)
    if issued.status != IssuedStatus.PENDING:
        return
    _mark_failed(issued, error=error, actor=actor).save(update_fields=_FAILED_FIELDS)


def _issued_for_key(issue_key: str | None) -> IssuedDocument | None:
    if issue_key is None:
        return None
    return IssuedDocument.objects.filter(issue_key=issue_key).first()


def document_issue(
    *,
    agency: Agency,
    recipient: Person | None,
    title: str,
    template_html: str,
    context: dict[str, Any],
    data: JSONObject,
    script: str,
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
    issue_key: str | None = None,
    approval: ApprovalRef | None = None,
) -> IssuedDocument:
    """Issue an e-Document: registered, rendered as PDF/A-3b in ``script``, certified with the
    agency e-seal (PAdES B-LTA, no changes allowed), with QR code and verification code.

    Call it outside a transaction: it commits in steps (see the module docstring); inside a
    caller's transaction the registry counter stays locked until that transaction ends.
    Raises InvalidIssueInputError / TemplateRenderError before anything is written,
    NotAllowedToChangeIssuedError if the actor may not write the agency's documents, and
    IssuanceFailedError (the issued document then exists with status ``failed``).

    With ``issue_key``, at most one document is ever issued for the key (see the module
    docstring): calling again returns the document already issued, or finishes the one an
    interrupted or failed call began. ``approval``: the approval line whose signed decisions
    approved the document; it is embedded in the data and shown to verifiers.
    """
    title = _check_input(title=title, script=script, data=data, valid_until=valid_until)
    rendering.template_check(template_html)  # a broken template fails before a number is taken
    owner_unit = _writer_unit(actor=actor, agency=agency)
    holder = to_script(_holder_name(recipient, context), script)

    def key_fields_of(registry_number: str, issued_at: dt.datetime) -> KeyFields:
        return _key_fields(
            holder=holder, title=title, script=script, number=registry_number, at=issued_at, until=valid_until
        )

    issued = _issued_for_key(issue_key)
    if issued is not None and issued.status not in _RESUMABLE:
        return issued
    if issued is None:
        try:
            issued = _issue_begin(
                agency=agency,
                owner_unit=owner_unit,
                recipient=recipient,
                title=title,
                key_fields_of=key_fields_of,
                script=script,
                valid_until=valid_until,
                actor=actor,
                doc_type=doc_type,
                classification_code=classification_code,
                issue_key=issue_key,
                approval=approval,
            )
        except _KeyTakenError:
            issued = _issued_for_key(issue_key)
            assert issued is not None
            issued = _issue_resume(issued.pk, actor=actor)
    else:
        issued = _issue_resume(issued.pk, actor=actor)
    if issued.status != IssuedStatus.PENDING:
        return issued  # another call for the same key finished it meanwhile
    try:
        pdf, data_sha256 = _produce(
            issued, agency=agency, template_html=template_html, context=context, data=data, actor=actor
        )
        return _issue_complete(issued, pdf=pdf, data_sha256=data_sha256, actor=actor)
    except Exception as exc:
        _issue_fail(issued.pk, error=exc, actor=actor)
        raise IssuanceFailedError(
            _("issuing %(number)s failed: %(error)s") % {"number": issued.registry_number, "error": exc},
            issued_id=str(issued.pk),
            registry_number=issued.registry_number,
        ) from exc


# Longer than any issuance takes (seconds), and than a retried task waits for its turn.
INTERRUPTED_AFTER = dt.timedelta(minutes=30)


def issued_interrupted_sweep(*, older_than: dt.timedelta = INTERRUPTED_AFTER) -> int:
    """Mark ``failed`` the issuances begun more than ``older_than`` ago and never finished (the
    process died: a web request of a direct issuance, a worker whose task was given up), so
    none stays ``pending`` forever unseen. Its registry number stays accounted for; a later
    call with the same issue key still takes it up again. Returns how many were marked."""
    cutoff = clock.now() - older_than
    stale = IssuedDocument.objects.filter(status=IssuedStatus.PENDING, issued_at__lt=cutoff)
    marked = 0
    for pk, number in list(stale.values_list("pk", "registry_number")[:1000]):
        error = IssuanceInterruptedError(
            _("issuing %(number)s was interrupted and not finished") % {"number": number}, issued_id=str(pk)
        )
        _issue_fail(pk, error=error, actor="issuance")
        marked += 1
    return marked


# --------------------------------------------------------------------------- status changes


def _move(issued: IssuedDocument, target: IssuedStatus) -> None:
    if target not in ALLOWED_MOVES[issued.status]:
        raise IssuedStatusError(
            _("an issued document that is %(status)s cannot become %(target)s")
            % {
                "status": IssuedStatus(issued.status).label.lower(),
                "target": IssuedStatus(target).label.lower(),
            },
            issued_id=str(issued.pk),
            status=issued.status,
            target=str(target),
        )
    issued.status = target


def _require_changer(*, actor: Person, issued: IssuedDocument) -> None:
    if not any(has_role(person=actor, role=role, agency=issued.agency) for role in CHANGE_ROLES):
        raise NotAllowedToChangeIssuedError(
            _(
                "only a head of unit, head of agency or administrator of the issuing agency may "
                "revoke or supersede its documents"
            ),
            person_id=str(actor.pk),
            issued_id=str(issued.pk),
        )


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > 1000:
        raise InvalidIssueInputError(_("give the reason (1 to 1000 characters)"), field="reason")
    return reason


@transaction.atomic
def issued_revoke(*, issued: IssuedDocument, reason: str, actor: Person) -> IssuedDocument:
    """Revoke a valid issued document: verifiers are told it is revoked from now on."""
    _require_changer(actor=actor, issued=issued)
    reason = _reason(reason)
    issued = IssuedDocument.objects.select_for_update().get(pk=issued.pk)
    _move(issued, IssuedStatus.REVOKED)
    issued.reason, issued.status_changed_at, issued.status_changed_by = reason, clock.now(), actor
    issued.save(update_fields=["status", "reason", "status_changed_at", "status_changed_by"])
    record(
        "issuance.document_revoked",
        actor=actor,
        target=issued,
        data={"registry_number": issued.registry_number, "reason": reason},
    )
    return issued


@transaction.atomic
def issued_supersede(
    *, issued: IssuedDocument, replacement: IssuedDocument, reason: str, actor: Person
) -> IssuedDocument:
    """Mark a valid issued document superseded by a valid replacement of the same agency."""
    _require_changer(actor=actor, issued=issued)
    reason = _reason(reason)
    if replacement.pk == issued.pk:
        raise IssuedStatusError(_("a document cannot supersede itself"), issued_id=str(issued.pk))
    # Both rows, in one order, so two opposite supersessions cannot deadlock.
    locked = {
        row.pk: row
        for row in IssuedDocument.objects.select_for_update()
        .filter(pk__in=[issued.pk, replacement.pk])
        .order_by("pk")
    }
    issued, replacement = locked[issued.pk], locked[replacement.pk]
    if replacement.agency_id != issued.agency_id:
        raise IssuedStatusError(
            _("the replacement was issued by another agency"),
            issued_id=str(issued.pk),
            replacement_id=str(replacement.pk),
        )
    if replacement.status != IssuedStatus.VALID:
        raise IssuedStatusError(
            _("the replacement is %(status)s, not valid")
            % {"status": IssuedStatus(replacement.status).label.lower()},
            issued_id=str(issued.pk),
            replacement_id=str(replacement.pk),
        )
    _move(issued, IssuedStatus.SUPERSEDED)
    issued.superseded_by, issued.reason = replacement, reason
    issued.status_changed_at, issued.status_changed_by = clock.now(), actor
    issued.save(update_fields=["status", "superseded_by", "reason", "status_changed_at", "status_changed_by"])
    record(
        "issuance.document_superseded",
        actor=actor,
        target=issued,
        data={
            "registry_number": issued.registry_number,
            "replacement": replacement.registry_number,
            "replacement_id": str(replacement.pk),
            "reason": reason,
        },
    )
    return issued
