"""Issued seals stay authentic for decades: the installation's own PKI, TSA and CRL, and the
project's one clock moved years ahead (``clock.frozen``).

Each test gets its own PKI folder: these tests renew the timestamp authority's certificate
years in the future, which must not leak into other tests.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django import Settings

from govdoc.accounts.models import Agency
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.signatures import keyring, services
from govdoc.signatures.engine.archive import ArchiveRenewalError, archive_status
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify
from govdoc.signatures.tests.conftest import make_sample_pdf

pytestmark = pytest.mark.django_db
YEAR = dt.timedelta(days=365)


@pytest.fixture(autouse=True)
def private_pki(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    settings.GOVDOC_PKI_DIR = tmp_path / "pki"
    settings.GOVDOC_TSA_URL = ""
    keyring.forget()
    yield settings.GOVDOC_PKI_DIR
    keyring.forget()


@pytest.fixture
def t0() -> dt.datetime:
    return clock.now().replace(microsecond=0)


@pytest.fixture
def sealed(agency: Agency, t0: dt.datetime) -> bytes:
    with clock.frozen(t0):
        return services.pdf_seal(pdf=make_sample_pdf("Uverenje"), agency=agency, actor="test", certify=True)


def verdict_at(pdf: bytes, at: dt.datetime) -> Verdict:
    with clock.frozen(at):
        report = pdf_verify(pdf)
    return report.state


def eseal_serial(agency: Agency) -> str:
    return format(keyring.pki().agency_certificate(agency.code).serial_number, "x")  # type: ignore[union-attr]


def test_a_sealed_pdf_is_b_lta_and_keeps_pdf_1_7(sealed: bytes) -> None:
    status = archive_status(sealed)
    assert status.document_timestamps == 1
    assert sealed.startswith(b"%PDF-1.7")
    assert b"/Version /2.0" not in sealed
    # no ISO 32002 developer extension in the catalogue (the bare digits may well occur in a
    # cross-reference offset or in signature bytes, so the extension's own keys are looked for)
    assert re.search(rb"/ExtensionLevel\s+32002\b", sealed) is None
    assert b"/BaseVersion /2.0" not in sealed


def test_authentic_after_the_eseal_certificate_expired(sealed: bytes, t0: dt.datetime) -> None:
    """The dev e-seal and TSA certificates last three years; at 2.5 years the archive timestamp
    is renewed by a new TSA certificate; at four years the seal is still authentic."""
    renewal = t0 + 2 * YEAR + YEAR // 2
    with clock.frozen(renewal):
        assert services.archive_renewal_due(sealed)
        renewed = services.archive_timestamp_renew(sealed)
        assert not services.archive_renewal_due(renewed)
    assert renewed.startswith(sealed)
    assert verdict_at(renewed, t0 + 4 * YEAR) is Verdict.AUTHENTIC
    assert verdict_at(sealed, t0 + 4 * YEAR) is not Verdict.AUTHENTIC  # never renewed


def test_authentic_after_the_eseal_is_revoked_later_for_a_reason_that_does_not_reach_back(
    agency: Agency, sealed: bytes, t0: dt.datetime
) -> None:
    with clock.frozen(t0 + YEAR):
        services.certificate_revoke(serial=eseal_serial(agency), reason="cessationOfOperation", actor="test")
    assert verdict_at(sealed, t0 + YEAR + dt.timedelta(days=30)) is Verdict.AUTHENTIC


def test_a_key_compromise_dated_back_before_issuance_is_not_authentic(
    agency: Agency, sealed: bytes, t0: dt.datetime
) -> None:
    with clock.frozen(t0 + YEAR):
        services.certificate_revoke(
            serial=eseal_serial(agency),
            reason="keyCompromise",
            actor="test",
            effective_at=t0 - dt.timedelta(days=1),
        )
    assert verdict_at(sealed, t0 + YEAR + dt.timedelta(days=30)) is Verdict.CERTIFICATE_PROBLEM
    event = AuditEvent.objects.get(event="signatures.certificate_revoked")
    assert event.data["effective_at"] == (t0 - dt.timedelta(days=1)).isoformat()


def test_a_document_sealed_after_revocation_is_a_certificate_problem(agency: Agency, t0: dt.datetime) -> None:
    """A seal made with a certificate already revoked (a stolen key used after the fact)."""
    key = keyring.eseal_key(agency.code, name=agency.name)
    with clock.frozen(t0):
        services.certificate_revoke(serial=eseal_serial(agency), reason="keyCompromise", actor="test")
    from govdoc.signatures.engine.pades import sign_pdf

    with clock.frozen(t0 + dt.timedelta(hours=1)):
        forged = sign_pdf(make_sample_pdf(), key=key, timestamper=keyring.timestamper(), certify=True)
    assert verdict_at(forged, t0 + dt.timedelta(hours=2)) is Verdict.CERTIFICATE_PROBLEM


def test_renewal_of_a_document_that_no_longer_verifies_is_refused(sealed: bytes, t0: dt.datetime) -> None:
    with clock.frozen(t0 + 4 * YEAR), pytest.raises(ArchiveRenewalError):
        services.archive_timestamp_renew(sealed)
