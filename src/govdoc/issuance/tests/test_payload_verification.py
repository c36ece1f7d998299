"""A scanned QR code checked online: the page the QR opens, POST /api/v1/verify/payload, and
the published signer certificates (/pki/signers.json)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.test import Client
from pytest_django import Settings

from govdoc.accounts.models import Agency, Person
from govdoc.issuance import services
from govdoc.issuance.constants import Channel
from govdoc.issuance.models import IssuedDocument, VerificationEvent
from govdoc.issuance.qr_payload import QrPayload, certificate_kid, payload_sign, qr_text
from govdoc.issuance.services import issued_revoke
from govdoc.issuance.tests.conftest import Issue
from govdoc.signatures import keyring

pytestmark = pytest.mark.django_db
API = "/api/v1/verify/payload"


@pytest.fixture
def signed_payloads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The payloads issuance signs, as it put them in the QR codes."""
    made: list[str] = []
    original = services.payload_sign

    def recording(payload: QrPayload, *, key: Any) -> str:
        made.append(original(payload, key=key))
        return made[-1]

    monkeypatch.setattr(services, "payload_sign", recording)
    return made


def _check(client: Client, payload: str) -> tuple[int, dict[str, Any]]:
    response = client.post(API, {"payload": payload}, content_type="application/json")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_an_issued_payload_verifies_and_agrees_with_the_registered_document(
    client: Client, issue: Issue, agency: Agency, signed_payloads: list[str]
) -> None:
    issued = issue()
    status, body = _check(client, signed_payloads[-1])
    assert status == 200, body
    assert body["signature"] == "valid"
    assert body["signer_agency"] == agency.code
    assert body["signer_certificate_status"] == "valid"
    assert body["signed"]["holder_name"] == "Љубица Ђорђевић"
    assert body["signed"]["document_number"] == issued.registry_number
    assert body["signed"]["verification_code"] == issued.verification_code
    assert body["registered"]["status"] == "valid"
    assert body["differences"] == []
    assert body["expired"] is False
    # the whole scanned URL is accepted too
    url = qr_text("https://eid.gov.rs", issued.verification_code, signed_payloads[-1])
    assert _check(client, url)[1]["signed"] == body["signed"]


def test_a_changed_payload_is_a_problem_with_its_reason(
    client: Client, issue: Issue, signed_payloads: list[str]
) -> None:
    issue()
    payload = signed_payloads[-1]
    changed = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    status, body = _check(client, changed)
    assert status == 400
    assert body["type"] == "https://govdoc.example/problems/qr-payload-invalid"
    assert body["details"]["reason"] in ("signature", "zlib", "cbor", "structure")
    status, body = _check(client, "HC1:6BFOXN*TS0BI$ZD")
    assert (status, body["details"]["reason"]) == (400, "prefix")


def test_a_revoked_document_still_shows_its_signed_content_and_the_revocation(
    client: Client, issue: Issue, head: Person, signed_payloads: list[str]
) -> None:
    issued = issue()
    issued_revoke(issued=issued, reason="Izdato greškom", actor=head)
    status, body = _check(client, signed_payloads[-1])
    assert status == 200
    assert body["registered"]["status"] == "revoked"
    assert body["signed"]["document_number"] == issued.registry_number


def test_a_payload_signed_by_the_agency_but_not_as_registered_names_the_difference(
    client: Client, issue: Issue, agency: Agency
) -> None:
    issued = issue()
    key = keyring.eseal_key(agency.code, name=agency.name)
    forged: QrPayload = {
        "agency": agency.code,
        "code": issued.verification_code,
        "holder_name": "Петар Петровић",
        "document_number": issued.registry_number,
        "subject": issued.key_fields["subject"],
        "issued_at": issued.issued_at,
        "valid_until": issued.valid_until,
        "data_sha256": issued.data_sha256,
    }
    status, body = _check(client, payload_sign(forged, key=key))
    assert status == 200
    assert body["differences"] == ["holder_name"]


def test_the_signer_certificates_are_published_by_kid(client: Client, issue: Issue, agency: Agency) -> None:
    issue()
    body = client.get("/pki/signers.json").json()
    certificate = keyring.eseal_key(agency.code, name=agency.name).certificate
    [entry] = [s for s in body["signers"] if s["kid"] == certificate_kid(certificate).hex()]
    assert entry["agency"] == agency.code
    assert entry["kid"] == certificate_kid(certificate).hex()
    assert entry["status"] == "valid"
    assert x509.load_der_x509_certificate(base64.b64decode(entry["certificate"])) == certificate


def test_the_page_a_qr_code_opens_shows_the_record_and_checks_the_fragment(
    client: Client, issued_doc: IssuedDocument
) -> None:
    response = client.get(f"/V/{issued_doc.verification_code}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Љубица Ђорђевић" in page
    assert 'id="signed-payload"' in page
    assert "govdoc/verify-payload.js" in page
    assert VerificationEvent.objects.get(issued=issued_doc).channel == Channel.QR


@pytest.fixture
def issued_doc(issue: Issue) -> IssuedDocument:
    return issue()


@pytest.fixture
def own_pki(settings: Settings, tmp_path: Path) -> Iterator[None]:
    """A PKI of this test alone: it revokes the agency's e-seal."""
    settings.GOVDOC_PKI_DIR = tmp_path / "pki"
    keyring.forget()
    yield
    keyring.forget()


def test_a_payload_signed_before_a_key_rollover_still_verifies_and_says_its_signer_was_revoked(
    client: Client, issue: Issue, agency: Agency, signed_payloads: list[str], own_pki: None
) -> None:
    issue()
    old = keyring.eseal_key(agency.code, name=agency.name).certificate
    keyring.pki().revoke(format(old.serial_number, "x"), reason="key rollover")
    keyring.forget()
    issue()  # sealed with a new e-seal certificate
    new = keyring.eseal_key(agency.code, name=agency.name).certificate
    assert new.serial_number != old.serial_number

    published = {s["kid"]: s["status"] for s in client.get("/pki/signers.json").json()["signers"]}
    assert published == {certificate_kid(old).hex(): "revoked", certificate_kid(new).hex(): "valid"}
    status, body = _check(client, signed_payloads[0])
    assert status == 200
    assert (body["kid"], body["signer_certificate_status"]) == (certificate_kid(old).hex(), "revoked")
    assert _check(client, signed_payloads[1])[1]["signer_certificate_status"] == "valid"
