from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from tests.support import stored_files

from govdoc.audit.models import AuditEvent
from govdoc.documents.errors import FileIntegrityError
from govdoc.documents.models import StoredFile
from govdoc.documents.storage import file_put, file_read
from govdoc.documents.tests.samples import PDF

pytestmark = pytest.mark.django_db


def test_file_is_stored_under_its_sha256(files_dir: Path) -> None:
    digest = hashlib.sha256(PDF).hexdigest()
    stored = file_put(PDF, media_type="application/pdf")
    assert stored.sha256 == digest
    assert stored.size == len(PDF)
    assert stored_files(files_dir) == [files_dir / "sha256" / digest[:2] / digest]
    assert (files_dir / "sha256" / digest[:2] / digest).read_bytes() == PDF
    assert file_read(stored) == PDF


def test_same_bytes_are_stored_once(files_dir: Path) -> None:
    first = file_put(PDF, media_type="application/pdf")
    second = file_put(PDF, media_type="application/pdf")
    assert first.pk == second.pk
    assert StoredFile.objects.count() == 1
    assert len(stored_files(files_dir)) == 1


def _path(files_dir: Path, stored: StoredFile) -> Path:
    return files_dir / stored.storage_name


def test_altered_bytes_are_reported_and_never_returned(files_dir: Path) -> None:
    stored = file_put(PDF, media_type="application/pdf")
    path = _path(files_dir, stored)
    tampered = PDF.replace(b"Catalog", b"Catalox")  # same size, different bytes
    path.write_bytes(tampered)

    with pytest.raises(FileIntegrityError, match="is altered") as caught:
        file_read(stored)

    assert caught.value.details["sha256"] == stored.sha256
    event = AuditEvent.objects.get(event="documents.file_integrity_failed")
    assert event.target_id == stored.sha256
    assert event.data == {
        "sha256": stored.sha256,
        "reason": "altered",
        "found_sha256": hashlib.sha256(tampered).hexdigest(),
    }


def test_missing_file_is_reported(files_dir: Path) -> None:
    stored = file_put(PDF, media_type="application/pdf")
    _path(files_dir, stored).unlink()
    with pytest.raises(FileIntegrityError, match="is missing"):
        file_read(stored)
    assert AuditEvent.objects.get(event="documents.file_integrity_failed").data["reason"] == "missing"


def test_a_failed_write_leaves_no_file_under_the_final_name(
    files_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_failure(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_failure)
    with pytest.raises(OSError, match="No space left"):
        file_put(PDF, media_type="application/pdf")

    assert stored_files(files_dir) == []  # neither the final name nor a temporary file
    assert not StoredFile.objects.exists()


def test_storing_good_bytes_again_repairs_a_damaged_copy(files_dir: Path) -> None:
    stored = file_put(PDF, media_type="application/pdf")
    _path(files_dir, stored).write_bytes(b"garbage")

    again = file_put(PDF, media_type="application/pdf")

    assert file_read(again) == PDF
    assert AuditEvent.objects.filter(event="documents.file_repaired", target_id=stored.sha256).exists()


@pytest.mark.django_db(transaction=True)
def test_the_integrity_report_is_committed_although_the_read_fails(files_dir: Path) -> None:
    # No surrounding test transaction here: what is in the database afterwards was committed.
    stored = file_put(PDF, media_type="application/pdf")
    (files_dir / stored.storage_name).write_bytes(b"%PDF-1.7 something else")
    with pytest.raises(FileIntegrityError):
        file_read(stored)
    assert (
        AuditEvent.objects.filter(event="documents.file_integrity_failed", target_id=stored.sha256).count()
        == 1
    )
