"""POST /api/v1/signatures/verify: anyone may check a PDF; machines get the four-state verdict."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Agency
from govdoc.signatures import services
from govdoc.signatures.tests.conftest import make_sample_pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/signatures/verify"


def post(client: Client, data: bytes, name: str = "doc.pdf") -> dict[str, object]:
    response = client.post(URL, {"file": SimpleUploadedFile(name, data, content_type="application/pdf")})
    body: dict[str, object] = response.json()
    body["_status"] = response.status_code
    body["_type"] = response["Content-Type"]
    return body


def test_authentic_pdf(client: Client, agency: Agency) -> None:
    sealed = services.pdf_seal(pdf=make_sample_pdf(), agency=agency, actor="test")
    body = post(client, sealed)
    assert body["_status"] == 200
    assert body["state"] == "authentic"
    signatures = body["signatures"]
    assert isinstance(signatures, list)
    assert agency.name in signatures[0]["signer_subject"]


def test_one_changed_byte_is_altered(client: Client, agency: Agency) -> None:
    sealed = bytearray(services.pdf_seal(pdf=make_sample_pdf("Izvod"), agency=agency, actor="test"))
    sealed[sealed.index(b"Izvod")] ^= 0x01
    body = post(client, bytes(sealed))
    assert body["_status"] == 200
    assert body["state"] == "altered"


def test_bytes_glued_after_the_signed_document_are_altered_with_the_reason(
    client: Client, agency: Agency
) -> None:
    sealed = services.pdf_seal(pdf=make_sample_pdf(), agency=agency, actor="test")
    body = post(client, sealed + b"hello world!")
    assert body["_status"] == 200
    assert body["state"] == "altered"
    reasons = body["reasons"]
    assert isinstance(reasons, list)
    assert reasons[0].startswith(
        "12 bytes after the end of the signed document are not covered by any signature"
    )

    public = client.post(
        "/api/v1/verify/file",
        {"file": SimpleUploadedFile("c.pdf", sealed + b"PK\x03\x04zip", content_type="application/pdf")},
    )
    assert public.status_code == 200
    answer = public.json()
    assert answer["state"] == "altered"
    assert answer["identical_to_registered_original"] is False
    assert "not covered by any signature" in answer["signature"]["reasons"][0]


@pytest.mark.parametrize(
    ("data", "title"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "not a PDF"),
        (b"", ""),
        (make_sample_pdf(), "no signature"),
    ],
)
def test_what_cannot_be_verified_is_a_problem(client: Client, data: bytes, title: str) -> None:
    body = post(client, data)
    assert body["_status"] == 422
    assert body["_type"] == "application/problem+json"
    assert body["type"] == "https://govdoc.example/problems/cannot-be-verified"
    assert title in str(body["title"])
    assert body["details"] == {"state": "cannot_be_verified"}


def test_missing_file_is_a_problem(client: Client) -> None:
    response = client.post(URL, {})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "file"
