"""Long-term validity (PAdES B-LTA): a sealed document stays authentic for decades.

A real PKI whose certificates expire on known dates, a real TSA whose tokens state the time
the test chooses, and CRLs issued "years later": the clock moves ahead by validating with
``TrustConfig(moment=...)`` and the CRL a verifier would hold at that moment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader

from govdoc.signatures.engine import devpki
from govdoc.signatures.engine.archive import ArchiveRenewalError, archive_status, archive_timestamp_add
from govdoc.signatures.engine.devpki import CertifiedKey
from govdoc.signatures.engine.errors import SigningError
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import ValidationReport, Verdict
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.timestamps import LocalTimestampAuthority
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf
from govdoc.signatures.tests.conftest import make_sample_pdf

YEAR = timedelta(days=365)
CRL_URL = "http://pki.govdoc.test/crl/ltv.crl"


@dataclass(frozen=True)
class LtvPki:
    """``t0``: when the document is sealed. The e-seal is valid for one year; the first TSA
    for two; the second TSA (the one that renews archive timestamps) from year one to six."""

    t0: datetime
    root: CertifiedKey
    eseal: CertifiedKey
    tsa1: CertifiedKey
    tsa2: CertifiedKey

    def crl(self, at: datetime, revoked: tuple[tuple[CertifiedKey, datetime], ...] = ()) -> bytes:
        crl = devpki.make_crl(
            self.root,
            revoked=[(holder.certificate.serial_number, when) for holder, when in revoked],
            this_update=at - timedelta(hours=1),
            next_update=at + timedelta(days=7),
            number=int(at.timestamp()),
        )
        return crl.public_bytes(serialization.Encoding.DER)

    def trust(self, at: datetime, revoked: tuple[tuple[CertifiedKey, datetime], ...] = ()) -> TrustConfig:
        return TrustConfig(roots=(self.root.certificate,), crls=(self.crl(at, revoked),), moment=at)

    def tsa(self, which: CertifiedKey, at: datetime) -> LocalTimestampAuthority:
        return LocalTimestampAuthority(which, clock=lambda: at)

    def eseal_key(self) -> SoftwareKey:
        return SoftwareKey(
            key_pem=devpki.encrypt_key(self.eseal.private_key, "pass-phrase"),
            passphrase="pass-phrase",
            certificate=self.eseal.certificate,
            chain=self.eseal.chain,
            label="ltv e-seal",
        )


@pytest.fixture(scope="module")
def pki() -> LtvPki:
    t0 = datetime.now(UTC).replace(microsecond=0)
    root = devpki.create_root_ca(
        "LTV Test Root", organization="GovDoc Test PKI", not_before=t0 - YEAR, not_after=t0 + 30 * YEAR
    )

    def issue(kind: devpki.CertKind, name: str, start: datetime, end: datetime) -> CertifiedKey:
        return devpki.issue_certified_key(
            root,
            kind=kind,
            common_name=name,
            organization="GovDoc Test PKI",
            not_before=start,
            not_after=end,
            crl_url=CRL_URL,
        )

    return LtvPki(
        t0=t0,
        root=root,
        eseal=issue("eseal", "LTV e-seal", t0 - timedelta(days=1), t0 + YEAR),
        tsa1=issue("tsa", "LTV TSA 1", t0 - timedelta(days=1), t0 + 2 * YEAR),
        tsa2=issue("tsa", "LTV TSA 2", t0 + YEAR - timedelta(days=1), t0 + 6 * YEAR),
    )


@pytest.fixture(scope="module")
def sealed_lta(pki: LtvPki) -> bytes:
    """A certified B-LTA document sealed at ``t0``."""
    return sign_pdf(
        make_sample_pdf(),
        key=pki.eseal_key(),
        timestamper=pki.tsa(pki.tsa1, pki.t0).timestamper(),
        certify=True,
        embed_validation_info=pki.trust(pki.t0),
        archive_timestamp=True,
    )


def verdict(pdf: bytes, trust: TrustConfig) -> ValidationReport:
    return validate_pdf(pdf, trust=trust)


def test_sealed_document_has_validation_data_and_a_document_timestamp(sealed_lta: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(sealed_lta))
    assert "/DSS" in reader.root
    assert [sig.sig_object_type for sig in reader.embedded_signatures] == ["/Sig", "/DocTimeStamp"]


def test_sealed_document_is_authentic_today(pki: LtvPki, sealed_lta: bytes) -> None:
    report = verdict(sealed_lta, pki.trust(pki.t0 + timedelta(days=1)))
    assert report.state is Verdict.AUTHENTIC, report.reasons


def test_authentic_after_the_eseal_certificate_expired(pki: LtvPki, sealed_lta: bytes) -> None:
    later = pki.t0 + YEAR + YEAR // 2
    report = verdict(sealed_lta, pki.trust(later))
    assert report.state is Verdict.AUTHENTIC, report.reasons
    seal = report.signatures[0]
    assert seal.trusted and not seal.expired
    assert any("a later expiry or revocation does not change that" in r for r in seal.reasons)


def test_authentic_after_the_eseal_is_revoked_later_for_a_reason_that_does_not_reach_back(
    pki: LtvPki, sealed_lta: bytes
) -> None:
    later = pki.t0 + YEAR + YEAR // 2
    revoked = ((pki.eseal, pki.t0 + YEAR // 2),)
    report = verdict(sealed_lta, pki.trust(later, revoked))
    assert report.state is Verdict.AUTHENTIC, report.reasons


def test_not_authentic_when_the_revocation_reaches_back_before_sealing(
    pki: LtvPki, sealed_lta: bytes
) -> None:
    """A key compromise found later and dated back before the seal: the seal proves nothing."""
    later = pki.t0 + YEAR // 2
    revoked = ((pki.eseal, pki.t0 - timedelta(hours=2)),)
    report = verdict(sealed_lta, pki.trust(later, revoked))
    assert report.state is Verdict.CERTIFICATE_PROBLEM
    assert report.signatures[0].revoked
    assert any("revoked" in reason for reason in report.reasons)


def test_without_archive_timestamp_an_expired_eseal_is_a_certificate_problem(pki: LtvPki) -> None:
    b_lt = sign_pdf(
        make_sample_pdf(),
        key=pki.eseal_key(),
        timestamper=pki.tsa(pki.tsa1, pki.t0).timestamper(),
        certify=True,
        embed_validation_info=pki.trust(pki.t0),
    )
    report = verdict(b_lt, pki.trust(pki.t0 + YEAR + YEAR // 2))
    assert report.state is Verdict.CERTIFICATE_PROBLEM


def test_once_the_timestamp_authority_expired_an_unrenewed_document_cannot_prove_its_time(
    pki: LtvPki, sealed_lta: bytes
) -> None:
    report = verdict(sealed_lta, pki.trust(pki.t0 + 3 * YEAR))
    assert report.state is not Verdict.AUTHENTIC


def test_renewed_archive_timestamp_keeps_the_document_authentic_for_years(
    pki: LtvPki, sealed_lta: bytes
) -> None:
    renewal = pki.t0 + YEAR + YEAR // 2
    status = archive_status(sealed_lta)
    assert status.document_timestamps == 1
    assert status.renewal_due(at=renewal)  # TSA 1 expires within a year of then
    assert not status.renewal_due(at=pki.t0 + timedelta(days=1))

    renewed = archive_timestamp_add(
        sealed_lta, timestamper=pki.tsa(pki.tsa2, renewal).timestamper(), trust=pki.trust(renewal)
    )
    assert renewed.startswith(sealed_lta)  # an incremental update: the sealed bytes are kept
    after = archive_status(renewed)
    assert after.document_timestamps == 2
    assert after.latest_time == renewal
    assert not after.renewal_due(at=renewal)

    for years in (3, 5):
        report = verdict(renewed, pki.trust(pki.t0 + years * YEAR, ((pki.eseal, pki.t0 + 2 * YEAR),)))
        assert report.state is Verdict.AUTHENTIC, (years, report.reasons)
        assert len(report.signatures) == 3


def test_a_timestamp_that_no_longer_validates_cannot_be_renewed(pki: LtvPki, sealed_lta: bytes) -> None:
    too_late = pki.t0 + 3 * YEAR
    with pytest.raises(ArchiveRenewalError):
        archive_timestamp_add(
            sealed_lta, timestamper=pki.tsa(pki.tsa2, too_late).timestamper(), trust=pki.trust(too_late)
        )


def test_a_key_revoked_or_expired_after_a_seal_cannot_seal_again(pki: LtvPki) -> None:
    """The validation data of one seal is reused for the next ones, but never across a new CRL
    or past a certificate's end: then the key is checked again, and a revoked or expired e-seal
    is refused instead of producing documents that fail verification."""
    key, stamper = pki.eseal_key(), pki.tsa(pki.tsa1, pki.t0).timestamper()

    def seal(trust: TrustConfig) -> bytes:
        return sign_pdf(
            make_sample_pdf(),
            key=key,
            timestamper=stamper,
            embed_validation_info=trust,
            archive_timestamp=True,
        )

    assert validate_pdf(seal(pki.trust(pki.t0)), trust=pki.trust(pki.t0)).state is Verdict.AUTHENTIC
    later = pki.t0 + timedelta(minutes=1)
    assert validate_pdf(seal(pki.trust(later)), trust=pki.trust(later)).state is Verdict.AUTHENTIC
    with pytest.raises(SigningError, match="revoked"):
        seal(pki.trust(later, revoked=((pki.eseal, pki.t0),)))
    with pytest.raises(SigningError, match="cannot seal"):
        seal(pki.trust(pki.t0 + 2 * YEAR))
