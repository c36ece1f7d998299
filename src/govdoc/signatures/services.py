"""Writes of the signatures domain: sealing PDFs, issuing and revoking certificates.

Signing is slow (tens of milliseconds) and touches no database row, so it runs outside the
transaction; the audit event that records it is written right after, in its own transaction.
"""

from __future__ import annotations

import hashlib

from django.db import transaction

from govdoc.accounts.models import Agency, Person
from govdoc.audit.services import record
from govdoc.signatures import keyring
from govdoc.signatures.engine import cms, pades
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
    """Seal a PDF with the agency's e-seal as PAdES B-LT (timestamped, validation data embedded)."""
    key = keyring.eseal_key(agency.code, name=agency.name, progress=progress)
    signed = pades.sign_pdf(
        pdf,
        key=key,
        timestamper=keyring.timestamper(),
        reason=reason or f"Electronic seal of {agency.name}",
        location=SEAL_LOCATION,
        certify=certify,
        embed_validation_info=keyring.trust(),
    )
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
def certificate_revoke(*, serial: str, reason: str, actor: Person | str | None) -> IssuedCertificate:
    revoked = keyring.pki().revoke(serial, reason=reason)
    keyring.forget()
    record(
        "signatures.certificate_revoked",
        actor=actor,
        data={"serial": revoked.serial, "holder": revoked.holder, "reason": reason},
    )
    return revoked
