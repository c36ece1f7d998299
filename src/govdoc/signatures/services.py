"""Writes of the signatures domain: sealing PDFs, issuing and revoking certificates.

Signing is slow (tens of milliseconds) and touches no database row, so it runs outside the
transaction; the audit event that records it is written right after, in its own transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction

from govdoc.accounts.models import Agency, Person
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.signatures import keyring
from govdoc.signatures.engine import archive, cms, pades
from govdoc.signatures.engine.errors import CorruptPdfError, NotAPdfError
from govdoc.signatures.engine.keys import KeyBackend
from govdoc.signatures.pki import IssuedCertificate, Progress

SEAL_LOCATION = "Republic of Serbia"


def pdf_seal(
    *,
    pdf: bytes,
    agency: Agency,
    actor: Person | str | None,
    reason: str | None = None,
    certify: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """Seal a PDF with the agency's e-seal as PAdES B-LTA: a signature timestamp, the
    validation data (certificates, CRLs) in the document security store, and a document
    timestamp over it all, so the seal can be checked at its proven time for decades
    (renewed by :func:`archive_timestamp_renew`). A PDF 1.x input keeps its version (ADR 0009).
    """
    key = keyring.eseal_key(agency.code, name=agency.name, progress=progress)
    try:
        signed = pades.sign_pdf(
            pdf,
            key=key,
            timestamper=keyring.timestamper(),
            reason=reason or f"Electronic seal of {agency.name}",
            location=SEAL_LOCATION,
            certify=certify,
            embed_validation_info=keyring.trust_now(),
            archive_timestamp=True,
        )
    except (NotAPdfError, CorruptPdfError) as exc:
        with transaction.atomic():
            record(
                "signatures.pdf_seal_refused",
                actor=actor,
                target=agency,
                data={
                    "input_sha256": hashlib.sha256(pdf).hexdigest(),
                    "code": exc.code,
                    "reason": exc.message,
                },
            )
        raise
    with transaction.atomic():
        record(
            "signatures.pdf_sealed",
            actor=actor,
            target=agency,
            data={
                "input_sha256": hashlib.sha256(pdf).hexdigest(),
                "output_sha256": hashlib.sha256(signed).hexdigest(),
                "certificate_serial": format(key.certificate.serial_number, "x"),
                "certified": certify,
            },
        )
    return signed


def archive_timestamp_renew(pdf: bytes) -> bytes:
    """``pdf`` with a new archive timestamp: the validation data of its newest document
    timestamp stored, and a new document timestamp from this installation's TSA over all of it.

    Pure with respect to the database (a periodic job stores the result: see
    ``issuance.services.issued_archive_renew``). Raises the engine's NotAPdfError /
    CorruptPdfError for bad input and ArchiveRenewalError when the document no longer verifies
    as authentic (then a new timestamp would prove nothing).
    """
    return archive.archive_timestamp_add(pdf, timestamper=keyring.timestamper(), trust=keyring.trust_now())


def archive_renewal_due(pdf: bytes, *, margin: dt.timedelta = archive.DEFAULT_MARGIN) -> bool:
    """True when ``pdf``'s newest archive timestamp must be renewed now (none yet, its TSA
    certificate expires within ``margin``, or its hash algorithm is no longer strong)."""
    return archive.archive_status(pdf).renewal_due(at=clock.now(), margin=margin)


def detached_seal(*, data: bytes, key: KeyBackend) -> bytes:
    """A detached CMS signature with a timestamp over ``data`` (no audit: callers record the act)."""
    return cms.sign_detached(data, key=key, timestamper=keyring.timestamper())


@transaction.atomic
def person_certificate_issue(
    *, person: Person, pin: str, organization: str, actor: Person | str | None
) -> str:
    """Give an official a personal signing key, encrypted under their PIN. Returns the serial."""
    cert = keyring.pki().person_certificate_issue(
        str(person.pk),
        full_name=person.get_full_name() or person.username,
        organization=organization,
        email=person.email or None,
        pin=pin,
    )
    serial = format(cert.serial_number, "x")
    record(
        "signatures.certificate_issued", actor=actor, target=person, data={"serial": serial, "kind": "person"}
    )
    return serial


@transaction.atomic
def certificate_revoke(
    *, serial: str, reason: str, actor: Person | str | None, effective_at: dt.datetime | None = None
) -> IssuedCertificate:
    """Revoke a certificate now, or from ``effective_at`` (a key compromise dated back to when
    the key was last known safe: every seal made after that stops being authentic, while
    seals made before stay authentic because their timestamps prove when they were made)."""
    revoked = keyring.pki().revoke(serial, reason=reason, effective_at=effective_at)
    keyring.forget()
    record(
        "signatures.certificate_revoked",
        actor=actor,
        data={
            "serial": revoked.serial,
            "holder": revoked.holder,
            "reason": reason,
            "effective_at": revoked.revoked_at.isoformat() if revoked.revoked_at else None,
        },
    )
    return revoked
