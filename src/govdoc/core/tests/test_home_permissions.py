"""Files in GOVDOC_HOME are readable by the service's user only, also in a home made before."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from govdoc.core import home


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_home_from_an_earlier_version_is_closed_once(tmp_path: Path, open_umask: None) -> None:
    folder = tmp_path / "home"
    (folder / "pki" / "people").mkdir(parents=True)
    (folder / "pki" / "people" / "p.key.pem").write_bytes(b"key")
    (folder / "govdoc.sqlite3").write_bytes(b"db")
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"not GovDoc's")
    (folder / "link").symlink_to(outside)
    assert _mode(folder / "govdoc.sqlite3") == 0o644

    assert home.tighten(folder) == 5  # two files, two folders, the home itself

    assert _mode(folder) == _mode(folder / "pki") == _mode(folder / "pki" / "people") == 0o700
    assert _mode(folder / "pki" / "people" / "p.key.pem") == _mode(folder / "govdoc.sqlite3") == 0o600
    assert _mode(outside) == 0o644  # a link's target is not touched
    # once: a file an administrator opens on purpose afterwards stays as they set it
    (folder / "govdoc.sqlite3").chmod(0o640)
    assert home.tighten(folder) == 0
    assert _mode(folder / "govdoc.sqlite3") == 0o640


def test_after_private_new_files_and_folders_are_the_users_alone(tmp_path: Path, open_umask: None) -> None:
    home.private()
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "file").write_bytes(b"x")
    assert _mode(tmp_path / "new") == 0o700
    assert _mode(tmp_path / "new" / "file") == 0o600
