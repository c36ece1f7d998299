"""The signatures domain as the rest of GovDoc uses it: the installation's own PKI, agency
e-seals from the keyring, officials' keys opened by their PIN, revocation through the CRL."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from govdoc.accounts.models import Agency, Person
from govdoc.accounts.tests.factories import AgencyFactory
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.signatures import keyring, services
from govdoc.signatures.engine.errors import NotAPdfError, UncoveredBytesError
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.errors import CertificateNotFoundError, WrongPinError
from govdoc.signatures.selectors import detached_verify, pdf_verify
from govdoc.signatures.tests.conftest import make_sample_pdf

pytestmark = pytest.mark.django_db


def test_sealed_pdf_is_authentic_and_the_act_is_audited(agency: Agency) -> None:
    pdf = make_sample_pdf("Uverenje o prebivalistu")
    sealed = services.pdf_seal(pdf=pdf, agency=agency, actor="test")
    report = pdf_verify(sealed)
    assert report.state is Verdict.AUTHENTIC, report.reasons
    signature = report.signatures[0]
    assert agency.name in signature.signer_subject
    assert signature.timestamp_time is not None
    event = AuditEvent.objects.get(event="signatures.pdf_sealed")
    assert event.target_id == str(agency.pk)
    assert event.data["output_sha256"] == hashlib.sha256(sealed).hexdigest()


def test_certified_seal_then_any_change_is_altered(agency: Agency) -> None:
    pdf = make_sample_pdf("Izvod iz maticne knjige")
    sealed = services.pdf_seal(pdf=pdf, agency=agency, actor="test", certify=True)
    assert pdf_verify(sealed).signatures[0].certified
    flipped = bytearray(sealed)
    flipped[flipped.index(b"Izvod")] ^= 0x01
    assert pdf_verify(bytes(flipped)).state is Verdict.ALTERED


def test_not_a_pdf_is_refused_and_nothing_is_recorded(agency: Agency) -> None:
    with pytest.raises(NotAPdfError):
        services.pdf_seal(pdf=b"\x89PNG\r\n\x1a\n", agency=agency, actor="test")
    assert not AuditEvent.objects.filter(event="signatures.pdf_sealed").exists()
    assert AuditEvent.objects.get(event="signatures.pdf_seal_refused").data["code"] == "not-a-pdf"


def test_a_pdf_with_data_glued_to_its_end_is_refused_and_the_refusal_audited(agency: Agency) -> None:
    with pytest.raises(UncoveredBytesError, match="12 bytes in it belong to no revision"):
        services.pdf_seal(pdf=make_sample_pdf() + b"hello world!", agency=agency, actor="test")
    assert not AuditEvent.objects.filter(event="signatures.pdf_sealed").exists()
    refused = AuditEvent.objects.get(event="signatures.pdf_seal_refused")
    assert refused.data["code"] == "pdf-uncovered-bytes"


def test_an_eseal_revoked_from_before_sealing_makes_its_documents_a_certificate_problem() -> None:
    agency = AgencyFactory(code="revoked-seal", name="Agencija sa opozvanim pečatom")
    sealed_at = clock.now()
    sealed = services.pdf_seal(pdf=make_sample_pdf(), agency=agency, actor="test")
    serial = format(keyring.eseal_key(agency.code, name=agency.name).certificate.serial_number, "x")

    services.certificate_revoke(
        serial=serial, reason="keyCompromise", actor="test", effective_at=sealed_at - dt.timedelta(minutes=1)
    )
    report = pdf_verify(sealed)
    assert report.state is Verdict.CERTIFICATE_PROBLEM
    assert any("revoked" in reason.lower() for reason in report.reasons)
    assert AuditEvent.objects.filter(event="signatures.certificate_revoked", data__serial=serial).exists()


def test_official_key_opens_only_with_the_pin(handler: Person) -> None:
    services.person_certificate_issue(person=handler, pin="246810", organization="MUP", actor="test")
    with pytest.raises(WrongPinError):
        keyring.person_key(str(handler.pk), pin="000000")
    key = keyring.person_key(str(handler.pk), pin="246810")
    manifest = b'{"decision":"approved","step":1}'
    signature = services.detached_seal(data=manifest, key=key)
    assert detached_verify(manifest, signature).state is Verdict.AUTHENTIC
    assert detached_verify(manifest.replace(b"approved", b"rejected"), signature).state is Verdict.ALTERED


def test_official_without_certificate_cannot_sign(citizen: Person) -> None:
    with pytest.raises(CertificateNotFoundError):
        keyring.person_key(str(citizen.pk), pin="123456")


def test_pin_shorter_than_six_is_refused(handler: Person) -> None:
    from govdoc.signatures.engine.errors import KeyBackendError

    with pytest.raises(KeyBackendError, match="at least 6"):
        services.person_certificate_issue(person=handler, pin="12", organization="MUP", actor="test")


def _dss(pdf: bytes) -> tuple[set[bytes], set[bytes], int]:
    """The certificates and CRLs in a file's DSS, and how many revisions it has."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    dss = reader.root["/DSS"]
    certs = {ref.get_object().data for ref in dss["/Certs"]}
    crls = {ref.get_object().data for ref in dss["/CRLs"]}
    return certs, crls, reader.xrefs.total_revisions


def test_every_seal_of_a_run_is_b_lta_with_the_same_validation_data(agency: Agency) -> None:
    """The first seal collects the validation data; the next ones reuse it (one pyHanko path
    check per key and CRL, not per document) and their files hold the same data."""
    first = services.pdf_seal(pdf=make_sample_pdf("prvi"), agency=agency, actor="test", certify=True)
    second = services.pdf_seal(pdf=make_sample_pdf("drugi"), agency=agency, actor="test", certify=True)
    for sealed in (first, second):
        report = pdf_verify(sealed)
        assert report.state is Verdict.AUTHENTIC, report.reasons
        assert any("document timestamp" in reason for reason in report.reasons)
        assert sealed.startswith(b"%PDF-1.")
    certs_1, crls_1, _ = _dss(first)
    certs_2, crls_2, revisions_2 = _dss(second)
    assert (certs_2, crls_2, revisions_2) == (certs_1, crls_1, 3)
    root = keyring.pki().root_certificate()
    eseal = keyring.eseal_key(agency.code, name=agency.name).certificate
    from cryptography.hazmat.primitives.serialization import Encoding

    assert {root.public_bytes(Encoding.DER), eseal.public_bytes(Encoding.DER)} <= certs_2
    assert crls_2 == {keyring.pki().crl_der()}


def test_after_its_eseal_is_revoked_an_agency_seals_with_a_new_certificate() -> None:
    """Validation data reused between seals never outlives the CRL it was checked against: the
    revocation publishes a new CRL, and the next seal is made, and checked, with a new e-seal."""
    agency = AgencyFactory(code="opozvan", name="Agencija čiji je pečat opozvan")
    before = services.pdf_seal(pdf=make_sample_pdf("pre opoziva"), agency=agency, actor="test")
    serial = format(keyring.eseal_key(agency.code, name=agency.name).certificate.serial_number, "x")
    services.certificate_revoke(serial=serial, reason="keyCompromise", actor="test")
    after = services.pdf_seal(pdf=make_sample_pdf("posle opoziva"), agency=agency, actor="test")
    report = pdf_verify(after)
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert report.signatures[0].signer_serial != serial
    assert pdf_verify(before).signatures[0].signer_serial == serial
    assert crl_holds(_dss(after)[1], serial)


def crl_holds(crls: set[bytes], serial: str) -> bool:
    from cryptography import x509

    return any(
        x509.load_der_x509_crl(der).get_revoked_certificate_by_serial_number(int(serial, 16)) for der in crls
    )
