"""The data folder (``GOVDOC_HOME``): all state of one instance lives under it.

Two instances with different homes never share a database, files, keys or secrets.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def home() -> Path:
    path = Path(os.environ.get("GOVDOC_HOME", "./var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(name: str) -> Path:
    path = home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_secret(name: str, *, nbytes: int = 48) -> str:
    """A secret made on first use and kept in ``$GOVDOC_HOME/secrets/<name>`` (mode 0600).

    Only for the embedded default; production sets the matching environment variable.
    """
    folder = subdir("secrets")
    folder.chmod(0o700)
    path = folder / name
    if not path.exists():
        value = secrets.token_urlsafe(nbytes)
        # O_EXCL: two processes starting at once agree on one secret.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(value)
    return path.read_text().strip()
