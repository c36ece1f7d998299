"""An agency IT team puts its e-seal key in an HSM: ``GOVDOC_KEY_BACKEND=pkcs11``.

The key pair is generated on the token (the private key never leaves it), the development CA
certifies its public key, and ``govdoc sign`` seals through PKCS#11. SoftHSM2 stands in for the
HSM; it is the same PKCS#11 interface a hardware module offers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govdoc.signatures.engine import softhsm
from govdoc.signatures.tests.conftest import make_sample_pdf

pytestmark = pytest.mark.slow

PIN = "hsm-user-pin-1"


@pytest.fixture(scope="module")
def hsm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if not softhsm.is_available():
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail("SoftHSM2 is required (GOVDOC_REQUIRE_TOOLS=1) but not installed")
        pytest.skip("SoftHSM2 (Debian softhsm2) is not installed")
    folder = tmp_path_factory.mktemp("hsm")
    env = softhsm.init_token(folder, label="agency-hsm", pin=PIN, so_pin="hsm-so-pin-1")
    return {
        **env,
        "GOVDOC_KEY_BACKEND": "pkcs11",
        "GOVDOC_PKCS11_MODULE": softhsm.find_module(),
        "GOVDOC_PKCS11_TOKEN": "agency-hsm",
        "GOVDOC_PKCS11_PIN": PIN,
    }


def run(home: Path, extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVDOC_", "DJANGO_", "SOFTHSM2"))}
    env.update(extra)
    env["GOVDOC_HOME"] = str(home)
    env["GOVDOC_LANGUAGE"] = "en"  # what the command says, whatever the machine's locale
    env["GOVDOC_DEMO_DATA"] = "1"  # the demo agencies (mup, ...) are asked for explicitly
    return subprocess.run(
        [sys.executable, "-m", "govdoc.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_sign_with_an_hsm_key_and_verify(tmp_path: Path, hsm_env: dict[str, str]) -> None:
    home = tmp_path / "home"
    source = tmp_path / "in.pdf"
    source.write_bytes(make_sample_pdf("Resenje: HSM"))
    out = tmp_path / "out.pdf"

    signed = run(home, hsm_env, "sign", str(source), "-o", str(out), "--seal", "mup")
    assert signed.returncode == 0, signed.stderr
    verified = run(home, hsm_env, "verify", str(out), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["state"] == "authentic"
    # no key file was written for the agency: the key lives on the token
    assert not (home / "pki" / "agencies" / "mup.key.pem").exists()
    status = json.loads(run(home, hsm_env, "pki", "status", "--json").stdout)
    assert any(c["holder"] == "agency:mup" and c["status"] == "valid" for c in status["certificates"])
    assert json.loads(run(home, hsm_env, "pki", "status", "--json").stdout)["key_backend"] == "pkcs11"

    # a second signature reuses the same HSM key and certificate
    again = run(home, hsm_env, "sign", str(source), "-o", str(tmp_path / "again.pdf"), "--seal", "mup")
    assert again.returncode == 0, again.stderr
    after = json.loads(run(home, hsm_env, "pki", "status", "--json").stdout)
    assert sum(1 for c in after["certificates"] if c["holder"] == "agency:mup") == 1


def test_wrong_hsm_pin_is_one_clear_line(tmp_path: Path, hsm_env: dict[str, str]) -> None:
    source = tmp_path / "in.pdf"
    source.write_bytes(make_sample_pdf())
    out = tmp_path / "out.pdf"
    result = run(
        tmp_path / "home",
        {**hsm_env, "GOVDOC_PKCS11_PIN": "wrong-pin-9"},
        "sign",
        str(source),
        "-o",
        str(out),
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("govdoc: error: ")
    assert "pin" in result.stderr.lower()
    assert not out.exists()
