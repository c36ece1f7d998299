"""The local RFC 3161 timestamp authority, spoken to as a client would over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import subprocess
from pathlib import Path

import pytest
from asn1crypto import algos, tsp
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data

from govdoc.signatures.engine.timestamps import DEV_TSA_POLICY_OID, LocalTimestampAuthority, TimeStampResponse
from govdoc.signatures.engine.validation import TrustConfig, _factory_for
from govdoc.signatures.tests.conftest import DevPki, require_tool

DATA = b"registry entry 2026-000123"


def timestamp_request(
    data: bytes, *, nonce: int | None = None, algorithm: str = "sha256"
) -> tsp.TimeStampReq:
    fields: dict[str, object] = {
        "version": "v1",
        "message_imprint": tsp.MessageImprint(
            {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                "hashed_message": hashlib.new(algorithm, data).digest(),
            }
        ),
        "cert_req": True,
    }
    if nonce is not None:
        fields["nonce"] = nonce
    return tsp.TimeStampReq(fields)


def test_respond_grants_a_token_that_verifies(
    local_tsa: LocalTimestampAuthority, trust_config: TrustConfig, dev_pki: DevPki
) -> None:
    nonce = secrets.randbits(63)

    response = TimeStampResponse.load(local_tsa.respond(timestamp_request(DATA, nonce=nonce).dump()))

    assert response["status"]["status"].native == "granted"
    token = response["time_stamp_token"]
    assert token["content_type"].native == "signed_data"
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    assert tst_info["message_imprint"]["hashed_message"].native == hashlib.sha256(DATA).digest()
    assert tst_info["nonce"].native == nonce
    assert tst_info["policy"].dotted == DEV_TSA_POLICY_OID
    assert abs((tst_info["gen_time"].native - dev_pki.now).total_seconds()) < 3600

    status = asyncio.run(
        validate_tst_signed_data(
            token["content"],
            _factory_for(trust_config).new_context(),
            lambda algo: hashlib.new(algo, DATA).digest(),
        )
    )
    assert status["intact"] and status["valid"]
    assert status["trust_problem_indic"] is None and status["validation_path"] is not None


def test_openssl_accepts_the_token(
    local_tsa: LocalTimestampAuthority, dev_pki: DevPki, tmp_path: Path
) -> None:
    openssl = require_tool("openssl")

    request = timestamp_request(DATA, nonce=12345)
    (tmp_path / "req.tsq").write_bytes(request.dump())
    (tmp_path / "resp.tsr").write_bytes(local_tsa.respond(request.dump()))
    (tmp_path / "data.bin").write_bytes(DATA)

    result = subprocess.run(
        [
            openssl,
            "ts",
            "-verify",
            "-in",
            str(tmp_path / "resp.tsr"),
            "-data",
            str(tmp_path / "data.bin"),
            "-CAfile",
            str(dev_pki.directory / "root.pem"),
            "-untrusted",
            str(dev_pki.directory / "tsa.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Verification: OK" in result.stdout


@pytest.mark.parametrize(
    ("request_der", "fail_info"),
    [
        (b"\x30\x03\x02\x01\x01", "bad_data_format"),
        (b"garbage", "bad_data_format"),
        (timestamp_request(DATA, algorithm="md5").dump(), "bad_alg"),
    ],
    ids=["wrong-structure", "garbage", "md5"],
)
def test_respond_rejects_bad_requests_without_raising(
    local_tsa: LocalTimestampAuthority, request_der: bytes, fail_info: str
) -> None:
    response = TimeStampResponse.load(local_tsa.respond(request_der))

    assert response["status"]["status"].native == "rejection"
    assert fail_info in response["status"]["fail_info"].native
    assert response["time_stamp_token"].native is None


def test_timestamper_is_one_reused_object(local_tsa: LocalTimestampAuthority) -> None:
    assert local_tsa.timestamper() is local_tsa.timestamper()
