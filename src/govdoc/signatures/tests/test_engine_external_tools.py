"""Signed PDFs checked by independent tools: poppler's pdfsig (digest) and qpdf (structure).

pdfsig is used for integrity only: Debian 12's poppler misreports certificate trust
(STACK-NOTES). Missing tools skip, unless GOVDOC_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.validation import TrustConfig
from govdoc.signatures.tests.conftest import require_tool, run_tool
from govdoc.signatures.tests.test_engine_pades import flip_byte_in_page_content


@pytest.fixture(scope="module")
def signed_variants(
    sample_pdf: bytes,
    eseal_key: SoftwareKey,
    person_key: SoftwareKey,
    timestamper: TimeStamper,
    trust_config: TrustConfig,
) -> dict[str, bytes]:
    bt = sign_pdf(sample_pdf, key=eseal_key, timestamper=timestamper)
    lt = sign_pdf(
        sample_pdf, key=eseal_key, timestamper=timestamper, certify=True, embed_validation_info=trust_config
    )
    two = sign_pdf(bt, key=person_key, timestamper=timestamper, field_name="Approval")
    lta = sign_pdf(
        sample_pdf,
        key=eseal_key,
        timestamper=timestamper,
        certify=True,
        embed_validation_info=trust_config,
        archive_timestamp=True,
    )
    return {"pades-bt": bt, "pades-blt-certified": lt, "two-signatures": two, "pades-blta-certified": lta}


@pytest.mark.parametrize("variant", ["pades-bt", "pades-blt-certified", "two-signatures"])
def test_pdfsig_reports_every_signature_valid(
    variant: str, signed_variants: dict[str, bytes], tmp_path: Path
) -> None:
    pdfsig = require_tool("pdfsig")

    result = run_tool([pdfsig], tmp_path, signed_variants[variant])

    assert result.returncode == 0, result.stderr
    expected = 2 if variant == "two-signatures" else 1
    assert result.stdout.count("Signature Validation: Signature is Valid.") == expected, result.stdout
    assert "MUP e-seal" in result.stdout


def test_pdfsig_reports_digest_mismatch_for_a_flipped_byte(
    signed_variants: dict[str, bytes], tmp_path: Path
) -> None:
    pdfsig = require_tool("pdfsig")

    result = run_tool([pdfsig], tmp_path, flip_byte_in_page_content(signed_variants["pades-bt"]))

    assert "Signature Validation: Digest Mismatch." in result.stdout, result.stdout
    assert "Signature is Valid." not in result.stdout


@pytest.mark.parametrize(
    "variant", ["pades-bt", "pades-blt-certified", "two-signatures", "pades-blta-certified"]
)
def test_qpdf_check_finds_no_structural_error(
    variant: str, signed_variants: dict[str, bytes], tmp_path: Path
) -> None:
    qpdf = require_tool("qpdf")

    result = run_tool([qpdf, "--check"], tmp_path, signed_variants[variant])

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_pdfsig_finds_the_seal_valid_and_lists_the_document_timestamp_of_a_b_lta_file(
    signed_variants: dict[str, bytes], tmp_path: Path
) -> None:
    pdfsig = require_tool("pdfsig")

    result = run_tool([pdfsig], tmp_path, signed_variants["pades-blta-certified"])

    # Debian 12's poppler checks the seal's digest but cannot check an RFC 3161 document
    # timestamp ("Signature Type: unknown"); it still lists it with the TSA that made it.
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Signature Validation: Signature is Valid.") == 1, result.stdout
    assert "Signer Certificate Common Name: MUP e-seal" in result.stdout
    assert "Signer Certificate Common Name: GovDoc Test TSA" in result.stdout
    assert "Digest Mismatch" not in result.stdout
