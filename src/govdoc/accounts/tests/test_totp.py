"""TOTP as RFC 6238 specifies it, checked against the RFC's own test vectors (Appendix B)."""

from __future__ import annotations

import base64

import pytest

from govdoc.accounts import totp

SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890" * 6 + b"1234",
}
# RFC 6238 Appendix B: (unix time, SHA1, SHA256, SHA512), 8 digits, 30-second steps
VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("unix", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc_6238_test_vectors(unix: int, sha1: str, sha256: str, sha512: str) -> None:
    step = totp.step_at(unix)
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        assert totp.hotp(SEEDS[algorithm], step, digits=8, algorithm=algorithm) == expected


def test_rfc_4226_hotp_vectors() -> None:
    # RFC 4226 Appendix D, counters 0..9, 6 digits
    expected = [
        "755224",
        "287082",
        "359152",
        "969429",
        "338314",
        "254676",
        "287922",
        "162583",
        "399871",
        "520489",
    ]
    assert [totp.hotp(SEEDS["SHA1"], n) for n in range(10)] == expected


def test_a_code_matches_within_one_step_either_way_and_not_beyond() -> None:
    secret = base64.b32encode(SEEDS["SHA1"]).decode()
    now = 1111111111.0
    current = totp.step_at(now)
    for offset in (-1, 0, 1):
        code = totp.hotp(SEEDS["SHA1"], current + offset)
        assert totp.matching_step(secret, code, unix_seconds=now) == current + offset
    for offset in (-2, 2):
        assert (
            totp.matching_step(secret, totp.hotp(SEEDS["SHA1"], current + offset), unix_seconds=now) is None
        )
    assert totp.matching_step(secret, "12345", unix_seconds=now) is None
    assert totp.matching_step(secret, "abcdef", unix_seconds=now) is None


def test_secrets_are_160_bits_and_read_as_apps_show_them() -> None:
    secret = totp.new_secret()
    assert len(totp.secret_bytes(secret)) == 20
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert totp.secret_bytes(spaced) == totp.secret_bytes(secret)


def test_the_provisioning_uri_is_what_authenticator_apps_read() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXP", account="handler", issuer="GovDoc")
    assert uri == ("otpauth://totp/GovDoc%3Ahandler?secret=JBSWY3DPEHPK3PXP&issuer=GovDoc&digits=6&period=30")
