"""Strict about every byte: bytes that belong to no revision make a file altered.

Legitimate later revisions (validation data, a document timestamp, a second signature) are
judged by the modification analysis and stay authentic; data glued after ``%%EOF`` or between
two revisions is covered by nothing and is reported in words a person understands.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine.errors import UncoveredBytesError
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf


@pytest.fixture(scope="module")
def sealed(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> bytes:
    """A certified B-LTA seal: signature, validation data, document timestamp."""
    return sign_pdf(
        sample_pdf,
        key=eseal_key,
        timestamper=timestamper,
        certify=True,
        embed_validation_info=trust_config,
        archive_timestamp=True,
    )


def zip_archive(size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("payload.bin", os.urandom(size))
    return out.getvalue()


def test_sealed_document_with_all_its_revisions_is_authentic(
    sealed: bytes, trust_config: TrustConfig
) -> None:
    assert validate_pdf(sealed, trust=trust_config).state is Verdict.AUTHENTIC


def test_twelve_bytes_after_the_end_are_reported(sealed: bytes, trust_config: TrustConfig) -> None:
    report = validate_pdf(sealed + b"hello world!", trust=trust_config)
    assert report.state is Verdict.ALTERED
    assert report.reasons[0] == (
        "12 bytes after the end of the signed document are not covered by any signature "
        "(data was appended to the file)."
    )


@pytest.mark.parametrize("size", [200, 5000], ids=["small-zip", "large-zip"])
def test_a_zip_glued_to_the_end_is_altered(sealed: bytes, trust_config: TrustConfig, size: int) -> None:
    glued = zip_archive(size)
    report = validate_pdf(sealed + glued, trust=trust_config)
    assert report.state is Verdict.ALTERED
    assert report.reasons[0].startswith(f"{len(glued)} bytes after the end of the signed document")


def test_a_fake_end_marker_in_appended_data_is_still_reported(
    sealed: bytes, trust_config: TrustConfig
) -> None:
    report = validate_pdf(sealed + b"%PDF-1.7 hidden %%EOF\n", trust=trust_config)
    assert report.state is Verdict.ALTERED
    assert "after the end of the signed document" in report.reasons[0]


def test_white_space_after_the_end_is_tolerated(sealed: bytes, trust_config: TrustConfig) -> None:
    assert validate_pdf(sealed + b"\r\n  \n", trust=trust_config).state is Verdict.AUTHENTIC


def test_garbage_between_a_signed_revision_and_a_later_update_is_altered(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    signed = sign_pdf(sample_pdf, key=eseal_key, timestamper=timestamper, certify=True)
    with_junk = signed + b"% smuggled: <script>alert(1)</script>\n"
    writer = IncrementalPdfFileWriter(io.BytesIO(with_junk))
    out = io.BytesIO()
    PdfTimeStamper(timestamper).timestamp_pdf(writer, "sha256", output=out)
    report = validate_pdf(out.getvalue(), trust=trust_config)
    assert report.state is Verdict.ALTERED
    assert report.reasons[0].startswith("38 bytes between revisions 2 and 3 of the document")


def test_an_update_that_hides_an_unused_object_after_signing_is_altered(
    sealed: bytes, trust_config: TrustConfig
) -> None:
    """An incremental update that only adds an object nothing refers to (a ZIP in a stream):
    pyHanko's modification analysis does not object, but the payload is smuggled."""
    writer = IncrementalPdfFileWriter(io.BytesIO(sealed))
    writer.add_object(generic.StreamObject({}, stream_data=zip_archive(300)))
    out = io.BytesIO()
    writer.write(out)
    report = validate_pdf(out.getvalue(), trust=trust_config)
    assert report.state is Verdict.ALTERED
    assert report.reasons[0].endswith(
        "adds 1 object that nothing in the document uses; such hidden data is not covered by any signature."
    )


def test_a_second_signature_in_a_later_revision_stays_authentic(
    sample_pdf: bytes,
    eseal_key: SoftwareKey,
    person_key: SoftwareKey,
    timestamper: TimeStamper,
    trust_config: TrustConfig,
) -> None:
    first = sign_pdf(sample_pdf, key=person_key, timestamper=timestamper, field_name="Approval")
    second = sign_pdf(
        first, key=eseal_key, timestamper=timestamper, field_name="Seal", embed_validation_info=trust_config
    )
    report = validate_pdf(second, trust=trust_config)
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert len(report.signatures) == 2


def test_a_truncated_file_is_not_mistaken_for_appended_data(sealed: bytes, trust_config: TrustConfig) -> None:
    report = validate_pdf(sealed[: len(sealed) // 3], trust=trust_config)
    assert report.state is Verdict.CANNOT_BE_VERIFIED


@pytest.mark.parametrize("tail", [b"hello world!", b"PK\x03\x04" + b"\0" * 3000], ids=["text", "large-zip"])
def test_a_pdf_with_bytes_outside_its_revisions_is_refused_for_sealing(
    sample_pdf: bytes, eseal_key: SoftwareKey, tail: bytes
) -> None:
    with pytest.raises(UncoveredBytesError, match=f"{len(tail)} bytes in it belong to no revision") as caught:
        sign_pdf(sample_pdf + tail, key=eseal_key, timestamper=None)
    assert caught.value.code == "pdf-uncovered-bytes" and caught.value.status == 400
