from __future__ import annotations

import io
import zipfile

import pytest

from govdoc.documents.content_types import check_upload, safe_filename, sniff
from govdoc.documents.errors import EmptyUploadError, UploadRejectedError, UploadTooLargeError
from govdoc.documents.tests.samples import PDF, PNG

ALL = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/xml",
    "application/json",
    "text/plain",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _zip(entries: list[tuple[str, bytes]], *, first_stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, (name, data) in enumerate(entries):
            compress = zipfile.ZIP_STORED if first_stored and i == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


ODT = _zip(
    [("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<office:document/>")],
    first_stored=True,
)
DOCX = _zip([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")])


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (b"\n%PDF-1.4\n%%EOF", "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b'<?xml version="1.0"?><zahtev/>', "application/xml"),
        (b"<zahtev><ime>Ana</ime></zahtev>\n", "application/xml"),
        (b'{"ime": "Ana", "jmbg": null}', "application/json"),
        (b"[1, 2, 3]", "application/json"),
        ("Rešenje — ћирилица".encode(), "text/plain"),
        (b"{not json at all", "text/plain"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html"),
        (ODT, "application/vnd.oasis.opendocument.text"),
        (DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (_zip([("a.txt", b"x")]), "application/zip"),
        (b"PK\x03\x04broken", "application/octet-stream"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
        (b"\xc3\x28 invalid utf-8", "application/octet-stream"),
    ],
)
def test_sniff_tells_the_type_by_content(data: bytes, expected: str) -> None:
    assert sniff(data) == expected


def test_png_declared_as_pdf_is_refused_with_a_clear_message() -> None:
    with pytest.raises(UploadRejectedError, match=r"the file scan\.pdf is a PNG image, not a PDF document"):
        check_upload(PNG, filename="scan.pdf", allowed=ALL, max_bytes=1000, declared="application/pdf")


def test_a_pdf_disguised_by_its_declared_type_alone_is_refused() -> None:
    with pytest.raises(UploadRejectedError, match="is a PDF document, not a PNG image"):
        check_upload(PDF, filename="scan", allowed=ALL, max_bytes=1000, declared="image/png")


def test_content_of_a_type_that_is_not_allowed_is_refused() -> None:
    with pytest.raises(UploadRejectedError, match="is a PNG image, which is not accepted here"):
        check_upload(PNG, filename="photo.png", allowed={"application/pdf"}, max_bytes=1000)


def test_html_uploaded_as_plain_text_is_refused() -> None:
    html = b"<html><body onload=alert(1)></body></html>"
    with pytest.raises(UploadRejectedError, match="an HTML page"):
        check_upload(html, filename="notes.txt", allowed=ALL, max_bytes=1000, declared="text/plain")


def test_empty_file_is_refused() -> None:
    with pytest.raises(EmptyUploadError, match=r"the file prazno\.pdf is empty"):
        check_upload(b"", filename="prazno.pdf", allowed=ALL, max_bytes=1000)


def test_oversize_file_is_refused() -> None:
    with pytest.raises(UploadTooLargeError, match=r"is 2\.0 KB, more than the limit of 1\.0 KB"):
        check_upload(PDF.ljust(2048, b" "), filename="big.pdf", allowed=ALL, max_bytes=1024)


def test_accepted_upload_returns_the_detected_type() -> None:
    assert check_upload(PDF, filename="a.pdf", allowed=ALL, max_bytes=1000) == "application/pdf"
    assert check_upload(PDF, filename="a", allowed=ALL, max_bytes=1000, declared="") == "application/pdf"
    assert (
        check_upload(PNG, filename="a.png", allowed=ALL, max_bytes=1000, declared="application/octet-stream")
        == "image/png"
    )
    assert check_upload(b'{"a": 1}', filename="data.txt", allowed=ALL, max_bytes=100) == "text/plain"
    assert check_upload(b'{"a": 1}', filename="data.json", allowed=ALL, max_bytes=100) == "application/json"
    assert check_upload(b"<a/>", filename="x.xml", allowed=ALL, max_bytes=100, declared="text/xml") == (
        "application/xml"
    )


def test_safe_filename_keeps_only_the_last_path_part() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\ana\\rešenje.pdf") == "rešenje.pdf"
    assert safe_filename("a\r\nb\x00.pdf") == "ab.pdf"
    assert safe_filename("...") == "file"
    long = safe_filename("x" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")
