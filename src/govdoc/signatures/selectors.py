"""Reads of the signatures domain: verification and the state of the PKI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from django.conf import settings

from govdoc.accounts.models import Person
from govdoc.core import clock
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import ValidationReport
from govdoc.signatures.engine.validation import TrustConfig, validate_detached, validate_pdf
from govdoc.signatures.models import SigningPin
from govdoc.signatures.pki import IssuedCertificate


def pdf_verify(pdf: bytes) -> ValidationReport:
    """The four-state verdict on a PDF as of now (``clock.now()``), against this
    installation's trust anchors and CRL; signatures protected by document timestamps are
    judged at the time those prove (PAdES B-LTA)."""
    return validate_pdf(pdf, trust=keyring.trust_now())


def detached_verify(data: bytes, signature: bytes) -> ValidationReport:
    return validate_detached(data, signature, trust=keyring.trust_now())


def detached_verify_trusting(
    data: bytes, signature: bytes, *, roots: Sequence[x509.Certificate], crls: Sequence[bytes]
) -> ValidationReport:
    """A detached signature judged as of now against another installation's root CA and CRLs
    (a federation peer's, from the trust list), not this installation's."""
    return validate_detached(
        data, signature, trust=TrustConfig(roots=tuple(roots), crls=tuple(crls), moment=clock.now())
    )


@dataclass(frozen=True)
class PkiStatus:
    folder: str
    root_subject: str
    root_not_after: str
    key_backend: str
    timestamps: str
    crl_next_update: str
    certificates: tuple[IssuedCertificate, ...]


def pki_status() -> PkiStatus:
    store = keyring.ensure()
    root = store.root_certificate()
    return PkiStatus(
        folder=str(store.folder),
        root_subject=root.subject.rfc4514_string(),
        root_not_after=root.not_valid_after_utc.isoformat(),
        key_backend=settings.GOVDOC_KEY_BACKEND,
        timestamps=settings.GOVDOC_TSA_URL or "local development TSA",
        crl_next_update=store.crl_next_update().isoformat(),
        certificates=tuple(store.certificates()),
    )


def certificate_status(cert: IssuedCertificate) -> str:
    return cert.status(clock.now())


def signing_pin_current(*, person: Person) -> SigningPin | None:
    """The PIN state of ``person``'s current signing key (None: no key, or never used yet)."""
    cert = keyring.ensure().person_certificate(str(person.pk))
    if cert is None:
        return None
    return SigningPin.objects.filter(certificate_serial=format(cert.serial_number, "x")).first()


def has_signing_key(*, person: Person) -> bool:
    return keyring.ensure().person_certificate(str(person.pk)) is not None
