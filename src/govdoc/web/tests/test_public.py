"""Public pages and the published PKI objects."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import algos, tsp
from cryptography import x509
from django.test import Client

pytestmark = pytest.mark.django_db


def test_home_page_links_to_admin_and_api(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "/admin/" in page
    assert "/api/v1/docs" in page


def test_root_certificate_and_crl_are_published(client: Client) -> None:
    root = x509.load_pem_x509_certificate(client.get("/pki/root.pem").content)
    crl = x509.load_der_x509_crl(client.get("/pki/crl.der").content)
    assert crl.issuer == root.subject
    assert crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None
    assert crl.next_update_utc > dt.datetime.now(dt.UTC)


def test_timestamp_service_answers_rfc3161_requests(client: Client) -> None:
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "hashed_message": b"\x01" * 32,
            },
            "cert_req": True,
        }
    )
    response = client.post("/pki/tsa", request.dump(), content_type="application/timestamp-query")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    assert reply["status"]["status"].native == "granted"
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["message_imprint"]["hashed_message"].native == b"\x01" * 32


def test_timestamp_service_refuses_other_content(client: Client) -> None:
    assert client.post("/pki/tsa", b"hello", content_type="text/plain").status_code == 415
    assert client.post("/pki/tsa", b"", content_type="application/timestamp-query").status_code == 400
