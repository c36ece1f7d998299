"""The QR code's signed payload on its own (no database): COSE_Sign1 / CWT, zlib, base45,
``GD1:``; what a third-party COSE library makes of it, and every way it is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
import segno
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycose.keys import EC2Key
from pycose.messages import Sign1Message

from govdoc.issuance.errors import PayloadInvalidError
from govdoc.issuance.qr_payload import (
    QrPayload,
    certificate_kid,
    payload_from_url,
    payload_sign,
    payload_verify,
    qr_segments,
    qr_text,
)
from govdoc.issuance.tests.conftest import tool

NOW = dt.datetime(2026, 11, 29, 6, 0, tzinfo=dt.UTC)

PAYLOAD: QrPayload = {
    "agency": "MUP",
    "code": "7K3M-QX9T-R2HD-W4NB",
    "holder_name": "Александра Јовановић-Стефановић",
    "document_number": "MUP-2026-000123",
    "subject": "Уверење о пребивалишту",
    "issued_at": NOW,
    "valid_until": NOW + dt.timedelta(days=183),
    "data_sha256": hashlib.sha256(b'{"data":{}}').hexdigest(),
}


class _Key:
    """A KeyBackend stand-in over a real key: payload signing needs only signer() and the cert."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate) -> None:
        self._key, self.certificate = key, certificate

    def signer(self) -> object:
        key = self._key

        class _Signer:
            def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
                assert digest_algorithm == "sha256"
                return key.sign(data, ec.ECDSA(hashes.SHA256()))

        return _Signer()


def _signer(name: str = "MUP e-seal") -> _Key:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=3 * 365))
        .sign(key, hashes.SHA256())
    )
    return _Key(key, certificate)


@pytest.fixture(scope="module")
def eseal() -> _Key:
    return _signer()


@pytest.fixture(scope="module")
def signed(eseal: _Key) -> str:
    return payload_sign(PAYLOAD, key=eseal)  # type: ignore[arg-type]


def _cose(text: str) -> cbor2.CBORTag:
    tag: cbor2.CBORTag = cbor2.loads(zlib.decompress(base45.b45decode(text.removeprefix("GD1:"))))
    return tag


def _cose_bytes(text: str) -> bytes:
    return zlib.decompress(base45.b45decode(text.removeprefix("GD1:")))


def _rewrapped(text: str, change: Callable[[list[Any]], None]) -> str:
    """``text`` with its COSE_Sign1 array changed, then compressed and encoded as issued."""
    cose = _cose(text)
    change(cose.value)
    return "GD1:" + base45.b45encode(zlib.compress(cbor2.dumps(cose))).decode()


def test_a_payload_reads_back_what_was_signed(eseal: _Key, signed: str) -> None:
    content = payload_verify(signed, [_signer().certificate, eseal.certificate], at=NOW)
    assert {k: v for k, v in content.items() if k not in ("kid", "signer")} == PAYLOAD
    assert content["kid"] == hashlib.sha256(eseal.certificate.public_bytes(Encoding.DER)).digest()[:8].hex()
    assert content["signer"] == eseal.certificate
    assert signed.startswith("GD1:")


def test_the_payload_is_cose_sign1_with_es256_kid_and_cwt_claims(eseal: _Key, signed: str) -> None:
    cose = _cose(signed)
    assert cose.tag == 18
    protected, unprotected, body, signature = cose.value
    assert cbor2.loads(protected) == {1: -7, 4: certificate_kid(eseal.certificate)}
    assert unprotected == {}
    assert len(signature) == 64
    claims = cbor2.loads(body)
    assert claims[1] == "MUP"
    assert claims[6] == int(NOW.timestamp())
    assert claims[4] == int((NOW + dt.timedelta(days=183)).timestamp())
    assert claims[-65537][2] == "Александра Јовановић-Стефановић"


def test_a_third_party_cose_library_verifies_the_payload(eseal: _Key, signed: str) -> None:
    message = Sign1Message.decode(zlib.decompress(base45.b45decode(signed[4:])))
    pem = eseal.certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    message.key = EC2Key.from_pem_public_key(pem.decode())
    assert message.verify_signature()
    message.key = EC2Key.from_pem_public_key(
        _signer()
        .certificate.public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    assert not message.verify_signature()


def _flip_signature(cose: list[Any]) -> None:
    cose[3] = bytes([cose[3][0] ^ 1]) + cose[3][1:]


def _change_holder(cose: list[Any]) -> None:
    cose[2] = cose[2].replace("Александра".encode(), "Александар".encode())


def _other_kid(cose: list[Any]) -> None:
    cose[0] = cbor2.dumps({1: -7, 4: b"\x00" * 8})


def _no_alg(cose: list[Any]) -> None:
    cose[0] = cbor2.dumps({4: cbor2.loads(cose[0])[4]})


@pytest.mark.parametrize(
    ("make_bad", "reason"),
    [
        (lambda text: "HC1:" + text[4:], "prefix"),
        (lambda text: text[4:], "prefix"),
        (lambda text: "", "prefix"),
        (lambda text: "GD1:" + "A" * 3000, "prefix"),
        (lambda text: text + "a", "base45"),  # lower case is not base45
        (lambda text: "GD1:" + text[4:7] + "A", "base45"),  # a lone trailing character
        (lambda text: "GD1:" + ":::", "base45"),  # three characters above 65535
        (lambda text: "GD1:" + base45.b45encode(b"not zlib").decode(), "zlib"),
        (lambda text: "GD1:" + base45.b45encode(zlib.compress(b"x" * 100)[:-3]).decode(), "zlib"),
        (lambda text: "GD1:" + base45.b45encode(zlib.compress(b"\x00" * 100_000)).decode(), "zlib"),
        (lambda text: "GD1:" + base45.b45encode(zlib.compress(b"\x82\x01")).decode(), "cbor"),
        (lambda text: "GD1:" + base45.b45encode(zlib.compress(_cose_bytes(text) + b"\x00")).decode(), "cbor"),
        (lambda text: "GD1:" + base45.b45encode(zlib.compress(cbor2.dumps([1, 2]))).decode(), "structure"),
        (lambda text: _rewrapped(text, _other_kid), "kid"),
        (lambda text: _rewrapped(text, _no_alg), "algorithm"),
        (lambda text: _rewrapped(text, _flip_signature), "signature"),
        (lambda text: _rewrapped(text, _change_holder), "signature"),
    ],
)
def test_a_broken_or_changed_payload_is_refused_with_its_reason(
    signed: str, eseal: _Key, make_bad: Callable[[str], str], reason: str
) -> None:
    with pytest.raises(PayloadInvalidError) as refused:
        payload_verify(make_bad(signed), [eseal.certificate], at=NOW)
    assert refused.value.details["reason"] == reason
    assert refused.value.code == "qr-payload-invalid"


def test_a_payload_verifies_only_with_its_signers_certificate(signed: str) -> None:
    with pytest.raises(PayloadInvalidError, match="no published signer certificate has the kid"):
        payload_verify(signed, [_signer().certificate], at=NOW)


def test_an_expired_document_is_refused_unless_asked_for_its_content(eseal: _Key, signed: str) -> None:
    later = NOW + dt.timedelta(days=184)
    with pytest.raises(PayloadInvalidError, match="the document expired on 2027-05-31") as refused:
        payload_verify(signed, [eseal.certificate], at=later)
    assert refused.value.details["reason"] == "expired"
    assert (
        payload_verify(signed, [eseal.certificate], at=later, allow_expired=True)["code"] == PAYLOAD["code"]
    )


def test_a_document_without_an_end_date_never_expires(eseal: _Key) -> None:
    text = payload_sign({**PAYLOAD, "valid_until": None}, key=eseal)  # type: ignore[arg-type]
    assert 4 not in cbor2.loads(_cose(text).value[2])
    content = payload_verify(text, [eseal.certificate], at=NOW + dt.timedelta(days=3 * 365))
    assert content["valid_until"] is None


def test_a_payload_issued_outside_its_certificates_validity_is_refused(eseal: _Key) -> None:
    text = payload_sign({**PAYLOAD, "issued_at": NOW - dt.timedelta(days=2)}, key=eseal)  # type: ignore[arg-type]
    with pytest.raises(PayloadInvalidError, match="was not valid when") as refused:
        payload_verify(text, [eseal.certificate], at=NOW)
    assert refused.value.details["reason"] == "signature"


def test_the_qr_text_is_an_upper_case_url_with_the_payload_in_its_fragment(signed: str) -> None:
    text = qr_text("https://eid.gov.rs/", PAYLOAD["code"], signed)
    assert text.startswith(f"HTTPS://EID.GOV.RS/V/{PAYLOAD['code']}#GD1:")
    assert " " not in text
    assert payload_from_url(text) == signed
    assert payload_from_url(signed) == signed
    assert payload_from_url("HTTPS://EID.GOV.RS/V/ABCD") is None
    assert payload_from_url("https://x/verify/ABCD#p=eyJ9.abc") is None
    with_both = "GD1:A%B C"
    assert payload_from_url(qr_text("https://eid.gov.rs", "ABCD", with_both)) == with_both


def test_a_qr_of_the_segments_is_small_and_scans_back_to_the_text(signed: str, tmp_path: Path) -> None:
    text = qr_text("https://eid.gov.rs", PAYLOAD["code"], signed)
    segments = qr_segments(text)
    assert "".join(segments) == text
    assert segments[1] == "#"
    qr = segno.make(segments, error="m", micro=False, boost_error=False)
    plain = segno.make(text, error="m", micro=False, boost_error=False)
    # a long Cyrillic name: version 14 (73 modules); the whole text in byte mode needs 18, and
    # the JSON/base64url payload this format replaced needed 19 (93 modules)
    assert qr.version <= 14 < plain.version
    qr.save(str(tmp_path / "qr.png"), scale=3)
    scanned = segno_scan(tmp_path / "qr.png")
    assert scanned == text


def segno_scan(path: Path) -> str:
    import subprocess

    out = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return out.stdout.rstrip("\n")


_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.text(alphabet=_B45, max_size=300).map(lambda t: "GD1:" + t),
        st.binary(max_size=200).map(lambda b: "GD1:" + base45.b45encode(zlib.compress(b)).decode()),
        st.recursive(
            st.none() | st.integers() | st.binary(max_size=40) | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=5) | st.dictionaries(st.integers(-70000, 10), inner, max_size=5)
            ),
            max_leaves=20,
        ).map(
            lambda item: (
                "GD1:" + base45.b45encode(zlib.compress(cbor2.dumps(cbor2.CBORTag(18, item)))).decode()
            )
        ),
    )
)
def test_any_text_is_either_a_verified_payload_or_a_payload_invalid_error(eseal: _Key, text: str) -> None:
    with pytest.raises(PayloadInvalidError) as refused:
        payload_verify(text, [eseal.certificate], at=NOW)
    assert refused.value.details["reason"]


def test_an_rsa_eseal_signs_rs256() -> None:
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA e-seal")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )

    class _RsaKey:
        def __init__(self) -> None:
            self.certificate = certificate

        def signer(self) -> object:
            class _Signer:
                def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
                    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())

            return _Signer()

    text = payload_sign(PAYLOAD, key=_RsaKey())  # type: ignore[arg-type]
    assert cbor2.loads(_cose(text).value[0])[1] == -257
    assert payload_verify(text, [certificate], at=NOW)["holder_name"] == PAYLOAD["holder_name"]
    with pytest.raises(PayloadInvalidError):
        payload_verify(_rewrapped(text, _flip_signature), [certificate], at=NOW)
