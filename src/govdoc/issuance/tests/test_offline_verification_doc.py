"""docs/offline-verification.md's Python examples, run exactly as printed against the QR code
of a real issued document, so the documentation cannot drift from the format."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from cryptography.exceptions import InvalidSignature
from django.test import Client

from govdoc.accounts.models import Agency
from govdoc.documents.storage import file_read
from govdoc.issuance.tests.conftest import Issue, tool
from govdoc.signatures import keyring

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[4] / "docs" / "offline-verification.md"


def _examples() -> dict[str, Any]:
    """The document's Python code blocks, executed in one namespace."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) == 2
    namespace: dict[str, Any] = {"__name__": "offline_verification_example"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)  # our own documentation, nothing from outside
    return namespace


def _scanned_qr(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "doc.pdf").write_bytes(pdf)
    subprocess.run(
        [
            tool("pdftoppm"),
            "-r",
            "200",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            str(tmp_path / "doc.pdf"),
            str(tmp_path / "p"),
        ],
        check=True,
        timeout=120,
    )
    out = subprocess.run(
        [tool("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", *map(str, tmp_path.glob("p*.png"))],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    [line] = [line for line in out.stdout.splitlines() if line.strip()]
    return line


def test_the_documented_example_verifies_a_real_issued_qr_code(
    issue: Issue, agency: Agency, client: Client, tmp_path: Path
) -> None:
    issued = issue()
    assert issued.version is not None
    scanned = _scanned_qr(file_read(issued.version.file), tmp_path)
    examples = _examples()
    signers_json = client.get("/pki/signers.json").content
    root_pem = client.get("/pki/root.pem").content

    fields = examples["verify_govdoc_qr"](scanned, signers_json, root_pem)

    assert fields["agency"] == agency.code
    assert fields["verification_code"] == issued.verification_code
    assert fields["holder_name"] == "Љубица Ђорђевић"
    assert fields["document_number"] == issued.registry_number
    assert fields["subject"] == issued.key_fields["subject"]
    assert fields["issued_at"] == issued.issued_at.replace(microsecond=0)
    assert fields["valid_until"] is None
    assert fields["expired"] is False
    assert fields["data_sha256"] == issued.data_sha256

    payload = scanned.partition("#")[2].replace("%25", "%").replace("%20", " ")
    certificate = keyring.eseal_key(agency.code, name=agency.name).certificate
    assert examples["verify_with_pycose"](payload, certificate) is True

    # a changed holder name, recompressed so that zlib's own checksum does not give it away:
    # the documented code refuses the signature
    message = cbor2.loads(zlib.decompress(base45.b45decode(payload[4:])))
    message.value[2] = message.value[2].replace("Љубица".encode(), "Љубиша".encode())
    forged = "GD1:" + base45.b45encode(zlib.compress(cbor2.dumps(message))).decode()
    with pytest.raises(InvalidSignature):
        examples["verify_govdoc_qr"](forged, signers_json, root_pem)
    with pytest.raises((zlib.error, ValueError)):  # zlib's checksum (or base45) catches a typo
        examples["verify_govdoc_qr"](
            payload[:-1] + ("A" if payload[-1] != "A" else "B"), signers_json, root_pem
        )
