"""Content-addressed files: bytes stored once under ``sha256/ab/abcdef…``, checked on every read.

Writes never leave a partial file under the final name: on a local file system the bytes go to a
temporary file in the same folder, are flushed to disk and then renamed (an atomic step); an
object store (S3) makes an object visible only once its upload completes. A row in
``StoredFile`` is written only after the bytes are in place, so a row always names whole bytes;
a rolled-back transaction may leave an unreferenced file behind, which is harmless (the next
upload of the same bytes reuses it).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.documents.errors import FileIntegrityError
from govdoc.documents.models import StoredFile


def _storage() -> Storage:
    return default_storage


def _local_path(storage: Storage, name: str) -> Path | None:
    try:
        return Path(storage.path(name))
    except NotImplementedError:
        return None


def _read(storage: Storage, name: str) -> bytes | None:
    """The stored bytes, or None when there is no such file."""
    try:
        with storage.open(name, "rb") as fh:
            data = fh.read()
    except (FileNotFoundError, IsADirectoryError):
        return None
    return data if isinstance(data, bytes) else data.encode()


def _write_local_atomically(path: Path, data: bytes, storage: Storage) -> None:
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = folder / f".{path.name}.{uuid.uuid4().hex}.part"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        mode = getattr(storage, "file_permissions_mode", None)
        if mode is not None:
            temp.chmod(mode)
        temp.replace(path)  # atomic: readers see no file or the whole file
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    # Make the rename itself durable.
    with contextlib.suppress(OSError):
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _write(storage: Storage, name: str, data: bytes) -> None:
    path = _local_path(storage, name)
    if path is not None:
        _write_local_atomically(path, data, storage)
        return
    # Object stores publish an object only when its upload is complete.
    if storage.exists(name):
        storage.delete(name)
    saved = storage.save(name, ContentFile(data))
    if saved != name:  # another writer won the race with the same bytes; keep one copy
        storage.delete(saved)


@transaction.atomic
def file_put(data: bytes, *, media_type: str) -> StoredFile:
    """Store ``data`` (once per distinct content) and return its row.

    If a file with this hash is already stored but its bytes were damaged, the good bytes
    replace it and ``documents.file_repaired`` is recorded.
    """
    return files_put([(data, media_type)])[0]


@transaction.atomic
def files_put(items: Sequence[tuple[bytes, str]]) -> list[StoredFile]:
    """``file_put`` of many (bytes, media type) at once: their rows in one insert and one read."""
    storage = _storage()
    rows: list[StoredFile] = []
    for data, media_type in items:
        digest = hashlib.sha256(data).hexdigest()
        stored = StoredFile(sha256=digest, size=len(data), media_type=media_type, created_at=clock.now())
        existing = _read(storage, stored.storage_name)
        if existing is None:
            _write(storage, stored.storage_name, data)
        elif hashlib.sha256(existing).hexdigest() != digest:
            _write(storage, stored.storage_name, data)
            record(
                "documents.file_repaired",
                actor=None,
                target=stored,
                data={"sha256": digest, "found_sha256": hashlib.sha256(existing).hexdigest()},
            )
        rows.append(stored)
    # Two writers of the same bytes at once: the second insert waits for the first and is a no-op.
    StoredFile.objects.bulk_create(rows, ignore_conflicts=True)
    found = StoredFile.objects.in_bulk([row.sha256 for row in rows])
    return [found[row.sha256] for row in rows]


def file_read(stored: StoredFile) -> bytes:
    """The stored bytes, re-hashed now. Raises ``FileIntegrityError`` if they are missing or altered.

    The failure is recorded (``documents.file_integrity_failed``) in a transaction of its own
    when the caller runs outside one, as read paths do, so the report survives the error.
    """
    data = _read(_storage(), stored.storage_name)
    if data is None:
        reason, found = "missing", ""
    else:
        found = hashlib.sha256(data).hexdigest()
        if found == stored.sha256 and len(data) == stored.size:
            return data
        reason = "altered"
    with transaction.atomic():
        record(
            "documents.file_integrity_failed",
            actor=None,
            target=stored,
            data={"sha256": stored.sha256, "reason": reason, "found_sha256": found},
        )
    raise FileIntegrityError(
        (
            _("the stored file %(sha)s… is missing: it no longer matches its SHA-256 and is not served")
            if reason == "missing"
            else _("the stored file %(sha)s… is altered: it no longer matches its SHA-256 and is not served")
        )
        % {"sha": stored.sha256[:12]},
        sha256=stored.sha256,
        reason=reason,
    )
