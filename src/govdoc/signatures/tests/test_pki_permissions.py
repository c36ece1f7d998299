"""The development PKI's keys and certificates are the service user's alone, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

from govdoc.signatures.pki import DevPki


def test_pki_folders_are_0700_and_files_0600_even_with_an_open_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        pki = DevPki(tmp_path / "pki", passphrase="a passphrase for tests", public_url="http://x")
        pki.ensure()
        pki.agency_eseal_ensure("mup", name="Ministarstvo")
        pki.person_certificate_issue(
            "p1", full_name="Pera Perić", organization="Ministarstvo", email=None, pin="123456"
        )
    finally:
        os.umask(old)
    entries = [tmp_path / "pki", *(tmp_path / "pki").rglob("*")]
    assert any(p.name.endswith(".key.pem") for p in entries)
    loose = {
        str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777)
        for p in entries
        if p.stat().st_mode & 0o777 != (0o700 if p.is_dir() else 0o600)
    }
    assert loose == {}
