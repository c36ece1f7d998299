"""The data folder (``GOVDOC_HOME``): all state of one instance lives under it.

Two instances with different homes never share a database, files, keys or secrets. Everything
in it is readable by the service's own user only: folders 0700, files 0600 (``private()``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PRIVATE_UMASK = 0o077
_TIGHTENED_MARK = ".permissions-private"


def private() -> None:
    """From now on this process creates files 0600 and folders 0700 (the database, uploaded
    files, keys, logs, temporary uploads). Called once when the settings load."""
    os.umask(PRIVATE_UMASK)


def home() -> Path:
    path = Path(os.environ.get("GOVDOC_HOME", "./var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def subdir(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def tighten(folder: Path) -> int:
    """Make an existing folder private: every folder in it 0700, every file 0600 (symbolic links
    are left alone). Done once per folder (a mark file remembers it), so a home made by an
    earlier version is closed on its next start. Returns how many entries were changed."""
    mark = folder / _TIGHTENED_MARK
    if mark.exists():
        return 0
    changed = 0
    for root, dirs, files in os.walk(folder):
        for name, mode in [*((d, 0o700) for d in dirs), *((f, 0o600) for f in files)]:
            entry = Path(root) / name
            if entry.is_symlink():
                continue
            if entry.stat().st_mode & 0o777 != mode:
                entry.chmod(mode)
                changed += 1
    if folder.stat().st_mode & 0o777 != 0o700:
        folder.chmod(0o700)
        changed += 1
    mark.touch(mode=0o600)
    return changed


def local_secret(name: str, *, nbytes: int = 48) -> str:
    """A secret made on first use and kept in ``$GOVDOC_HOME/secrets/<name>`` (mode 0600).

    Only for the embedded default; production sets the matching environment variable.
    """
    folder = subdir("secrets")
    folder.chmod(0o700)
    path = folder / name
    if not path.exists():
        # Written whole to a file of its own, then linked into place: link() fails if the name
        # exists, so two processes starting at once agree on one secret, and neither ever
        # reads a file the other has created but not yet written.
        draft = folder / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(nbytes))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
