"""Detached CMS signatures over canonical JSON (approval decisions, envelopes, receipts)."""

from __future__ import annotations

import pytest
from asn1crypto import cms
from pyhanko.sign.timestamps import TimeStamper

from govdoc.core.jsontypes import canonical_json
from govdoc.signatures.engine.cms import sign_detached
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.validation import TrustConfig, validate_detached

DECISION = canonical_json(
    {
        "document": "5b0c1a52-6f4e-4a54-9f5e-0d3e2f7b9a11",
        "step": 2,
        "decision": "approved",
        "comment": "Odobreno / Одобрено",
    }
)


@pytest.fixture(scope="module")
def signature(person_key: SoftwareKey, timestamper: TimeStamper) -> bytes:
    return sign_detached(DECISION, key=person_key, timestamper=timestamper)


def test_detached_signature_over_canonical_json_is_authentic_with_a_timestamp(
    signature: bytes, trust_config: TrustConfig
) -> None:
    report = validate_detached(DECISION, signature, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    (sig,) = report.signatures
    assert "Petar Petrović" in sig.signer_subject
    assert sig.timestamp_time is not None
    assert sig.field_name is None and sig.modification_level is None and sig.docmdp_ok is None


def test_detached_signature_is_der_signed_data_without_the_content(signature: bytes) -> None:
    content_info = cms.ContentInfo.load(signature)
    assert content_info["content_type"].native == "signed_data"
    signed_data = content_info["content"]
    assert signed_data["encap_content_info"]["content"].native is None
    assert DECISION not in signature
    unsigned = signed_data["signer_infos"][0]["unsigned_attrs"]
    assert [attr["type"].native for attr in unsigned] == ["signature_time_stamp_token"]


def test_one_changed_byte_of_data_is_altered(signature: bytes, trust_config: TrustConfig) -> None:
    changed = DECISION.replace(b"approved", b"rejected")

    report = validate_detached(changed, signature, trust=trust_config)

    assert report.state is Verdict.ALTERED
    assert report.reasons == ("The signed content was changed after signing.",)


def test_detached_signature_by_a_revoked_key_is_a_certificate_problem(
    revoked_eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    signature = sign_detached(DECISION, key=revoked_eseal_key, timestamper=timestamper)

    report = validate_detached(DECISION, signature, trust=trust_config)

    assert report.state is Verdict.CERTIFICATE_PROBLEM
    assert report.signatures[0].revoked
    assert report.reasons[0].startswith("The signer's certificate was revoked on ")


def test_detached_signature_without_timestamper_has_no_timestamp(
    eseal_key: SoftwareKey, trust_config: TrustConfig
) -> None:
    report = validate_detached(
        DECISION, sign_detached(DECISION, key=eseal_key, timestamper=None), trust=trust_config
    )

    assert report.state is Verdict.AUTHENTIC
    assert report.signatures[0].timestamp_time is None


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (b"", "The signature is empty."),
        (b"not a signature at all", "The signature is not a CMS (PKCS #7) signature."),
        (bytes.fromhex("3003020101"), "The signature is not a CMS (PKCS #7) signature."),
    ],
    ids=["empty", "text", "wrong-der"],
)
def test_garbage_instead_of_a_signature_cannot_be_verified(
    garbage: bytes, reason: str, trust_config: TrustConfig
) -> None:
    report = validate_detached(DECISION, garbage, trust=trust_config)

    assert report.state is Verdict.CANNOT_BE_VERIFIED
    assert report.reasons == (reason,)
