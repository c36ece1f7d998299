"""The ``govdoc`` command as an agency's IT team uses it, on a fresh GOVDOC_HOME each module.

These run the installed command in a subprocess: the database and the development PKI must be
created on first use, bad input must give one clear line and a non-zero exit, and nothing may be
half-written.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from govdoc.signatures.tests.conftest import make_sample_pdf as one_page_pdf

pytestmark = pytest.mark.slow


def run(home: Path, *args: str, demo_data: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVDOC_", "DJANGO_"))}
    env["GOVDOC_HOME"] = str(home)
    env["GOVDOC_LANGUAGE"] = "en"  # what the command says, whatever the machine's locale
    if demo_data:  # the demo agencies (mup, ...) are asked for explicitly
        env["GOVDOC_DEMO_DATA"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "govdoc.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("govdoc-home")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("files")
    (folder / "in.pdf").write_bytes(one_page_pdf("Uverenje o prebivalistu"))
    (folder / "not.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(one_page_pdf()[:200])
    (folder / "glued.pdf").write_bytes(one_page_pdf() + b"PK\x03\x04 a zip glued on")
    return folder


@pytest.fixture(scope="module")
def signed(home: Path, files: Path) -> Path:
    out = files / "signed.pdf"
    result = run(home, "sign", str(files / "in.pdf"), "-o", str(out), "--seal", "mup")
    assert result.returncode == 0, result.stderr
    assert "sealed by Ministarstvo unutrašnjih poslova" in result.stdout
    # first use made the database and the PKI, and said so
    assert "development PKI ready" in result.stderr
    return out


def test_sign_then_verify_is_authentic(home: Path, signed: Path) -> None:
    result = run(home, "verify", str(signed))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "AUTHENTIC" in result.stdout
    assert "Ministarstvo unutrašnjih poslova" in result.stdout


def test_verify_json_gives_the_state(home: Path, signed: Path) -> None:
    result = run(home, "verify", str(signed), "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["state"] == "authentic"
    assert report["signatures"][0]["timestamp_time"]


def test_one_changed_byte_is_altered_and_exits_non_zero(home: Path, signed: Path, files: Path) -> None:
    data = bytearray(signed.read_bytes())
    position = data.index(b"Uverenje")
    data[position] ^= 0x01
    copy = files / "altered.pdf"
    copy.write_bytes(bytes(data))
    result = run(home, "verify", str(copy), "--json")
    assert result.returncode == 3
    assert json.loads(result.stdout)["state"] == "altered"


@pytest.mark.parametrize(
    ("tail", "what"),
    [(b"hello world!", "12 bytes"), (b"PK\x03\x04" + b"\0" * 2000, "2004 bytes")],
    ids=["text", "zip"],
)
def test_bytes_appended_after_the_signed_document_are_altered(
    home: Path, signed: Path, files: Path, tail: bytes, what: str
) -> None:
    copy = files / f"appended-{len(tail)}.pdf"
    copy.write_bytes(signed.read_bytes() + tail)
    result = run(home, "verify", str(copy), "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["state"] == "altered"
    assert report["reasons"][0].startswith(
        f"{what} after the end of the signed document are not covered by any signature"
    )
    human = run(home, "verify", str(copy))
    assert human.returncode == 3
    assert "ALTERED" in human.stdout and f"{what} after the end of the signed document" in human.stdout


def test_a_sealed_file_is_b_lta_and_stays_authentic(home: Path, signed: Path) -> None:
    report = json.loads(run(home, "verify", str(signed), "--json").stdout)
    assert report["state"] == "authentic"
    # the seal, and the document timestamp after the validation data
    assert [s["kind"] for s in report["signatures"]] == ["signature", "document_timestamp"]
    assert signed.read_bytes().startswith(b"%PDF-1.7")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("not.pdf", "not a PDF"),
        ("empty.pdf", "empty"),
        ("truncated.pdf", ""),
        ("glued.pdf", "19 bytes in it belong to no revision"),
    ],
)
def test_bad_input_to_sign_is_one_line_and_writes_nothing(
    home: Path, files: Path, name: str, message: str
) -> None:
    out = files / f"out-{name}"
    result = run(home, "sign", str(files / name), "-o", str(out), "--seal", "mup")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("govdoc: error: ")
    assert message.lower() in lines[-1].lower()
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not list(files.glob(f".out-{name}*"))


def test_unknown_agency_is_refused(home: Path, files: Path) -> None:
    out = files / "x.pdf"
    result = run(home, "sign", str(files / "in.pdf"), "-o", str(out), "--seal", "nope")
    assert result.returncode == 2
    assert "unknown agency 'nope'" in result.stderr
    assert not out.exists()


def test_missing_input_file(home: Path, files: Path) -> None:
    result = run(home, "verify", str(files / "missing.pdf"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"govdoc: error: {files / 'missing.pdf'}: no such file"


@pytest.mark.parametrize(("name", "exit_code"), [("not.pdf", 5), ("empty.pdf", 5), ("in.pdf", 5)])
def test_verify_of_unsigned_or_non_pdf_cannot_be_verified(
    home: Path, files: Path, name: str, exit_code: int
) -> None:
    result = run(home, "verify", str(files / name), "--json")
    assert result.returncode == exit_code
    assert json.loads(result.stdout)["state"] == "cannot_be_verified"


def test_pki_status_lists_root_tsa_and_eseal(home: Path, signed: Path) -> None:
    result = run(home, "pki", "status", "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    kinds = {(c["kind"], c["holder"], c["status"]) for c in status["certificates"]}
    assert ("ca", "root", "valid") in kinds
    assert ("tsa", "tsa", "valid") in kinds
    assert ("eseal", "agency:mup", "valid") in kinds


def test_revocation_after_sealing_keeps_documents_authentic_unless_dated_back(
    tmp_path: Path, files: Path
) -> None:
    """Revoked today for an ordinary reason, a seal proven by its timestamps stays authentic; a
    key compromise dated back before the seal makes it a certificate problem."""
    home = tmp_path / "home"
    out = tmp_path / "signed.pdf"
    assert run(home, "sign", str(files / "in.pdf"), "-o", str(out), "--seal", "beograd").returncode == 0
    status = json.loads(run(home, "pki", "status", "--json").stdout)
    serial = next(c["serial"] for c in status["certificates"] if c["holder"] == "agency:beograd")

    revoke = run(home, "pki", "revoke", serial, "--reason", "cessationOfOperation")
    assert revoke.returncode == 0, revoke.stderr
    later = run(home, "verify", str(out), "--json")
    assert later.returncode == 0, later.stdout
    assert json.loads(later.stdout)["state"] == "authentic"

    other = tmp_path / "other-home"
    out2 = tmp_path / "signed2.pdf"
    before = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    assert run(other, "sign", str(files / "in.pdf"), "-o", str(out2), "--seal", "beograd").returncode == 0
    status = json.loads(run(other, "pki", "status", "--json").stdout)
    serial = next(c["serial"] for c in status["certificates"] if c["holder"] == "agency:beograd")
    bad_since = run(other, "pki", "revoke", serial, "--reason", "keyCompromise", "--since", "yesterday")
    assert bad_since.returncode == 2 and "ISO 8601" in bad_since.stderr
    revoke = run(other, "pki", "revoke", serial, "--reason", "keyCompromise", "--since", before.isoformat())
    assert revoke.returncode == 0, revoke.stderr
    result = run(other, "verify", str(out2), "--json")
    assert result.returncode == 4
    assert json.loads(result.stdout)["state"] == "certificate_problem"


def test_audit_chain_of_a_fresh_home_verifies_and_a_changed_event_is_named(
    tmp_path: Path, files: Path
) -> None:
    home = tmp_path / "home"
    assert run(home, "sign", str(files / "in.pdf"), "-o", str(tmp_path / "s.pdf")).returncode == 0
    assert run(home, "audit", "checkpoint").returncode == 0
    ok = run(home, "audit", "verify", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["ok"] is True

    import sqlite3

    with sqlite3.connect(home / "govdoc.sqlite3") as db:
        # every event says where it came from: this command line, and who ran it
        origins = set(db.execute("SELECT client_address, user_agent FROM audit_auditevent"))
        assert ("cli", f"govdoc audit checkpoint (user {getpass.getuser()})") in origins
        assert all(address == "cli" for address, _agent in origins)
        db.execute("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 3")
    bad = run(home, "audit", "verify")
    assert bad.returncode == 1
    assert "#3" in bad.stdout


def test_a_fresh_sqlite_home_has_no_demo_people_unless_asked(tmp_path: Path) -> None:
    """``govdoc serve`` and ``govdoc worker`` prepare the home as every command does: no demo
    people (two of them administrators with a published password) unless GOVDOC_DEMO_DATA=1."""
    import sqlite3

    home = tmp_path / "home"
    result = run(home, "pki", "status", "--json", demo_data=False)
    assert result.returncode == 0, result.stderr
    assert "loading demo agencies and people" not in result.stderr
    with sqlite3.connect(home / "govdoc.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM accounts_person").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM accounts_agency").fetchone() == (0,)


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="pdfsig (poppler-utils) not installed")
def test_cli_signed_pdf_passes_pdfsig(signed: Path) -> None:
    result = subprocess.run(["pdfsig", str(signed)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in result.stdout


def test_everything_in_a_fresh_home_is_private_to_the_service_user(home: Path, signed: Path) -> None:
    """Database, uploaded files, keys, certificates, secrets: folders 0700, files 0600."""
    entries = [home, *home.rglob("*")]
    assert any(p.name.endswith(".key.pem") for p in entries)
    assert any(p.name.startswith("govdoc.sqlite3") for p in entries)
    loose = {
        str(p.relative_to(home)): oct(p.stat().st_mode & 0o777)
        for p in entries
        if not p.is_symlink() and p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)
    }
    assert loose == {}


def test_demo_totp_prints_a_demo_officials_current_code(tmp_path: Path) -> None:
    """What the demo banner tells a newcomer to run, in a fresh process."""
    import re

    ok = run(tmp_path / "home", "demo-totp", "head-unit")
    assert ok.returncode == 0, ok.stderr
    assert re.fullmatch(r"\d{6}  \(valid for \d+ s more\)\n", ok.stdout)
    unknown = run(tmp_path / "home", "demo-totp", "nobody")
    assert unknown.returncode != 0
    assert unknown.stderr.startswith("govdoc: error: nobody: not a demo official")
