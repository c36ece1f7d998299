"""Issuing many documents of one kind at once: a register or a counter system of an agency that
issues a day's certificates in one call.

Each document is issued exactly as ``services.document_issue`` issues one (registered, PDF/A in
its script, QR code, certified B-LTA e-seal, stored as a sealed version, audited, exactly once
per issue key), in the same three steps, but each step is taken for the whole batch:

1. one short transaction takes consecutive registry numbers and creates the documents and the
   issued documents (``pending``), with their events;
2. outside any transaction, each document is produced (data file, signed QR payload, PDF/A,
   e-seal); a failure fails that document only;
3. one short transaction stores every sealed PDF as its document's sealed version, makes the
   issued documents ``valid`` (or ``failed``, with the reason) and writes the events of steps 2
   and 3.

The rows of a step go in with a few statements for the whole batch, and the step's audit events
with one move of the chain's head (``audit.services.events_batched``). The events of the seals
(step 2) are written in step 3's transaction: a seal whose PDF was never stored (the process
died in between) was never seen outside this process, and its document stays ``pending`` until
the sweep marks it ``failed`` and a retry with the same key issues it.

A document whose key names an issuance begun before (by an earlier call that was retried, or by
another caller at the same moment) is left to ``services.document_issue``, which returns the
issued document or finishes the interrupted one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govdoc.accounts.models import Agency, Person, Unit
from govdoc.audit.services import events_batched, record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.core.transliteration import to_script
from govdoc.documents.constants import Disclosure
from govdoc.documents.services import documents_create_registered, versions_add_sealed
from govdoc.issuance import rendering
from govdoc.issuance.codes import code_new
from govdoc.issuance.constants import ISSUED_LEGAL_GROUND, IssuedStatus
from govdoc.issuance.errors import IssuanceFailedError
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.services import (
    _FAILED_FIELDS,
    _ISSUED_FIELDS,
    _check_input,
    _holder_name,
    _issue_fail,
    _key_fields,
    _mark_failed,
    _mark_issued,
    _produce,
    _writer_unit,
    document_issue,
)

# At most this many documents in one call: a batch holds its PDFs in memory until step 3
# (~40 kB each) and its registry numbers are taken in one transaction.
BATCH_MAX = 100


@dataclass(frozen=True)
class BatchItem:
    """One document of a batch: who it is for, its template context and embedded data, its
    script, and the caller's key for it (a retry with the same key never issues it twice)."""

    recipient: Person
    context: dict[str, Any]
    data: JSONObject
    script: str
    issue_key: str


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one item: the issued document (None only if it failed before it had
    one), whether this call issued it (False: issued before under the same key), and the
    failure, if any."""

    issued: IssuedDocument | None
    created: bool
    error: IssuanceFailedError | None = None


class _KeysTakenError(Exception):
    """Rolls step 1 back when another caller took one of the batch's keys at the same moment."""


def documents_issue(
    *,
    agency: Agency,
    title: str,
    template_html: str,
    items: Sequence[BatchItem],
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
) -> list[BatchOutcome]:
    """Issue one document for each item (see the module docstring); the outcomes in the
    items' order. Raises, before anything is written, what ``document_issue`` raises for bad
    input (for the first bad item), and ValueError for more than ``BATCH_MAX`` items or a key
    given twice. Call it outside a transaction."""
    if len(items) > BATCH_MAX:
        raise ValueError(f"at most {BATCH_MAX} documents in one batch")
    keys = [item.issue_key for item in items]
    if len(set(keys)) != len(keys):
        raise ValueError("each document of a batch needs its own issue key")
    for item in items:
        title = _check_input(title=title, script=item.script, data=item.data, valid_until=valid_until)
    rendering.template_check(template_html)
    owner_unit = _writer_unit(actor=actor, agency=agency)
    earlier = {d.issue_key: d for d in IssuedDocument.objects.filter(issue_key__in=keys)}
    fresh = [item for item in items if item.issue_key not in earlier]
    outcomes: dict[str, BatchOutcome] = {}
    if fresh:
        try:
            begun = _begin(
                agency=agency,
                owner_unit=owner_unit,
                title=title,
                items=fresh,
                valid_until=valid_until,
                actor=actor,
                doc_type=doc_type,
                classification_code=classification_code,
            )
        except _KeysTakenError:
            begun = {}  # another caller began one of them: each goes the one-by-one way below
        if begun:
            with events_batched() as batch:
                produced = _produce_all(
                    begun, items=fresh, agency=agency, template_html=template_html, actor=actor
                )
                outcomes.update(_complete(begun, produced=produced, actor=actor, flush=batch.flush))
    for item in items:
        if item.issue_key not in outcomes:
            outcomes[item.issue_key] = _one_by_one(
                item,
                before=earlier.get(item.issue_key),
                agency=agency,
                title=title,
                template_html=template_html,
                valid_until=valid_until,
                actor=actor,
                doc_type=doc_type,
                classification_code=classification_code,
            )
    return [outcomes[key] for key in keys]


def _begin(
    *,
    agency: Agency,
    owner_unit: Unit,
    title: str,
    items: Sequence[BatchItem],
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
) -> dict[str, IssuedDocument]:
    """Step 1 for the whole batch; the pending issued documents by key."""
    with events_batched() as batch, transaction.atomic():
        entries = documents_create_registered(
            agency=agency,
            owner_unit=owner_unit,
            author=actor,
            titles=[title] * len(items),
            doc_type=doc_type,
            classification_code=classification_code,
            disclosure=Disclosure.NOT_PUBLIC,
            legal_ground=ISSUED_LEGAL_GROUND,
            actor=actor,
        )
        issued_at = clock.now()
        rows = [
            IssuedDocument(
                verification_code=code_new(),
                agency=agency,
                document=entry.document,
                registry_entry=entry,
                registry_number=entry.registry_number,
                recipient=item.recipient,
                title=title,
                key_fields=_key_fields(
                    holder=to_script(_holder_name(item.recipient, item.context), item.script),
                    title=title,
                    script=item.script,
                    number=entry.registry_number,
                    at=issued_at,
                    until=valid_until,
                ),
                script=item.script,
                valid_until=valid_until,
                issued_at=issued_at,
                issued_by=actor,
                issue_key=item.issue_key,
            )
            for item, entry in zip(items, entries, strict=True)
        ]
        try:
            with transaction.atomic():  # a savepoint: a key taken meanwhile, or a code clash
                IssuedDocument.objects.bulk_create(rows)
        except IntegrityError:
            # The whole step rolls back (the registry numbers with it); the one-by-one way
            # then sorts out which keys are taken and retries a (practically impossible)
            # verification code clash.
            raise _KeysTakenError from None
        for issued in rows:
            record(
                "issuance.document_issue_started",
                actor=actor,
                target=issued,
                data={
                    "registry_number": issued.registry_number,
                    "document_id": str(issued.document_id),
                    "recipient": str(issued.recipient_id),
                    "title": title,
                    "issue_key": issued.issue_key,
                },
            )
        batch.flush()
    return {str(issued.issue_key): issued for issued in rows}


def _produce_all(
    begun: dict[str, IssuedDocument],
    *,
    items: Sequence[BatchItem],
    agency: Agency,
    template_html: str,
    actor: Person,
) -> dict[str, tuple[bytes, str] | Exception]:
    """Step 2: each begun document's sealed PDF and data hash, or what went wrong with it. The
    seals' events are kept for step 3 (see the module docstring)."""
    produced: dict[str, tuple[bytes, str] | Exception] = {}
    for item in items:
        issued = begun.get(item.issue_key)
        if issued is None:
            continue
        try:
            produced[item.issue_key] = _produce(
                issued,
                agency=agency,
                template_html=template_html,
                context=item.context,
                data=item.data,
                actor=actor,
            )
        except Exception as exc:  # one document's failure fails that document only
            produced[item.issue_key] = exc
    return produced


def _complete(
    begun: dict[str, IssuedDocument],
    *,
    produced: dict[str, tuple[bytes, str] | Exception],
    actor: Person,
    flush: Callable[[], int],
) -> dict[str, BatchOutcome]:
    """Step 3 for the whole batch, and ``flush`` of the batch's events (the seals' too) in its
    transaction. A failure here fails every document of the batch (each with its event)."""
    try:
        with transaction.atomic():
            # The issued rows first, before any audit event locks the audit head (the order
            # every service of this domain keeps: rows, then audit).
            locked = {
                str(d.issue_key): d
                for d in IssuedDocument.objects.select_for_update(of=("self",))
                .select_related("document")
                .filter(pk__in=[d.pk for d in begun.values()])
                .order_by("pk")
            }
            sealed = {
                key: result
                for key, result in produced.items()
                if not isinstance(result, Exception) and locked[key].status == IssuedStatus.PENDING
            }
            versions = versions_add_sealed(
                contents=[
                    (locked[key].document, pdf, f"{locked[key].registry_number}.pdf")
                    for key, (pdf, _data_sha256) in sealed.items()
                ],
                media_type="application/pdf",
                note="Issued e-Document (PAdES certified, PDF/A-3b)",
                actor=actor,
            )
            outcomes: dict[str, BatchOutcome] = {}
            changed: list[IssuedDocument] = []
            for (key, (_pdf, data_sha256)), version in zip(sealed.items(), versions, strict=True):
                issued = _mark_issued(locked[key], version=version, data_sha256=data_sha256, actor=actor)
                changed.append(issued)
                outcomes[key] = BatchOutcome(issued=issued, created=True)
            IssuedDocument.objects.bulk_update(changed, _ISSUED_FIELDS)
            failed: list[IssuedDocument] = []
            for key, result in produced.items():
                if isinstance(result, Exception) and locked[key].status == IssuedStatus.PENDING:
                    failed.append(_mark_failed(locked[key], error=result, actor=actor))
                    outcomes[key] = BatchOutcome(
                        issued=locked[key], created=True, error=_failure(locked[key], result)
                    )
            IssuedDocument.objects.bulk_update(failed, _FAILED_FIELDS)
            flush()
    except Exception as exc:
        for issued in begun.values():
            _issue_fail(issued.pk, error=exc, actor=actor)
        raise _failure(next(iter(begun.values())), exc) from exc
    return outcomes


def _failure(issued: IssuedDocument, error: Exception) -> IssuanceFailedError:
    return IssuanceFailedError(
        _("issuing %(number)s failed: %(error)s") % {"number": issued.registry_number, "error": error},
        issued_id=str(issued.pk),
        registry_number=issued.registry_number,
    )


def _one_by_one(
    item: BatchItem,
    *,
    before: IssuedDocument | None,
    agency: Agency,
    title: str,
    template_html: str,
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
) -> BatchOutcome:
    """An item whose key was taken before or meanwhile: ``document_issue`` returns the document
    issued under it, or finishes the interrupted one."""
    try:
        issued = document_issue(
            agency=agency,
            recipient=item.recipient,
            title=title,
            template_html=template_html,
            context=item.context,
            data=item.data,
            script=item.script,
            valid_until=valid_until,
            actor=actor,
            doc_type=doc_type,
            classification_code=classification_code,
            issue_key=item.issue_key,
        )
    except IssuanceFailedError as exc:
        failed = IssuedDocument.objects.filter(issue_key=item.issue_key).first()
        return BatchOutcome(issued=failed, created=before is None, error=exc)
    finished_before = before is not None and before.status not in {IssuedStatus.PENDING, IssuedStatus.FAILED}
    return BatchOutcome(issued=issued, created=not finished_before)
