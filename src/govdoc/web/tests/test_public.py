"""Public pages and the published PKI objects."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import algos, tsp
from cryptography import x509
from django.test import Client

pytestmark = pytest.mark.django_db


def test_home_page_tells_a_citizen_what_they_can_do_in_their_script(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "<h1>Elektronske usluge</h1>" in page
    assert 'href="/signup/"' in page and 'href="/services/"' in page
    assert "Skenirajte QR kod" in page  # how to verify a paper document
    assert "/api/v1/docs" in page  # still there for integrators, below
    client.post("/script/", {"script": "sr-cyrl", "next": "/"})
    cyrillic = client.get("/").content.decode()
    assert "<h1>Електронске услуге</h1>" in cyrillic and "Elektronske usluge" not in cyrillic
    client.post("/script/", {"script": "en", "next": "/"})
    assert "<h1>Public services online</h1>" in client.get("/").content.decode()


def test_head_and_favicon_answer_like_any_web_server(client: Client) -> None:
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon["Content-Type"] == "image/x-icon"
    assert icon.content.startswith(b"\x00\x00\x01\x00")  # an ICO file


def test_an_unknown_page_is_a_styled_404_in_the_chosen_script(client: Client, settings: object) -> None:
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "Stranica nije pronađena" in page and "govdoc.css" in page
    client.post("/script/", {"script": "en", "next": "/"})
    assert "Page not found" in client.get("/no/such/page/").content.decode()


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
