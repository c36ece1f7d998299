"""What an uploaded file really is, decided by its bytes, never by its name or a client's claim.

``sniff`` reads magic numbers (PDF, PNG, JPEG, TIFF, ZIP-based ODF/OOXML) and tells text formats
(XML, JSON, plain UTF-8) apart; ``check_upload`` refuses empty, oversize and mismatched files
with a message a person understands ("the file is a PNG image, not a PDF document"), and looks
inside every PDF (``pdf_inspection``): damaged, encrypted or active ones are refused.
"""

from __future__ import annotations

import io
import json
import posixpath
import re
import unicodedata
import zipfile
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govdoc.documents import pdf_inspection
from govdoc.documents.errors import EmptyUploadError, UnsafePdfError, UploadRejectedError, UploadTooLargeError

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
XML = "application/xml"
JSON = "application/json"
TEXT = "text/plain"
HTML = "text/html"
ZIP = "application/zip"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
BINARY = "application/octet-stream"

NAMES: dict[str, StrPromise] = {
    PDF: gettext_lazy("a PDF document"),
    PNG: gettext_lazy("a PNG image"),
    JPEG: gettext_lazy("a JPEG image"),
    TIFF: gettext_lazy("a TIFF image"),
    XML: gettext_lazy("an XML document"),
    JSON: gettext_lazy("a JSON document"),
    TEXT: gettext_lazy("a plain text file"),
    HTML: gettext_lazy("an HTML page"),
    ZIP: gettext_lazy("a ZIP archive"),
    ODT: gettext_lazy("an OpenDocument text"),
    ODS: gettext_lazy("an OpenDocument spreadsheet"),
    ODP: gettext_lazy("an OpenDocument presentation"),
    DOCX: gettext_lazy("a Word (DOCX) document"),
    XLSX: gettext_lazy("an Excel (XLSX) workbook"),
    PPTX: gettext_lazy("a PowerPoint (PPTX) presentation"),
    BINARY: gettext_lazy("an unrecognised binary file"),
}

EXTENSIONS: dict[str, str] = {
    ".pdf": PDF,
    ".png": PNG,
    ".jpg": JPEG,
    ".jpeg": JPEG,
    ".tif": TIFF,
    ".tiff": TIFF,
    ".xml": XML,
    ".json": JSON,
    ".txt": TEXT,
    ".html": HTML,
    ".htm": HTML,
    ".zip": ZIP,
    ".odt": ODT,
    ".ods": ODS,
    ".odp": ODP,
    ".docx": DOCX,
    ".xlsx": XLSX,
    ".pptx": PPTX,
}

# Names clients use for the same type.
_ALIASES: dict[str, str] = {
    "application/x-pdf": PDF,
    "image/jpg": JPEG,
    "image/pjpeg": JPEG,
    "image/x-png": PNG,
    "text/xml": XML,
    "text/json": JSON,
    "application/x-zip-compressed": ZIP,
}

# Declarations that say nothing about the content.
_UNSPECIFIED = {"", BINARY, "binary/octet-stream"}

# Text formats that are also valid plain text: a ".txt" may hold JSON or XML and stays text.
# HTML is never accepted as text: it is reported as what it is.
_TEXT_FORMATS = {TEXT, XML, JSON}

_OOXML_PARTS = {"word/": DOCX, "xl/": XLSX, "ppt/": PPTX}
_ODF_TYPES = {ODT, ODS, ODP}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def describe(media_type: str) -> str:
    return str(NAMES.get(media_type, media_type))


def normalize(media_type: str) -> str:
    """``"Image/JPG; charset=x"`` -> ``"image/jpeg"``."""
    base = media_type.split(";", 1)[0].strip().lower()
    return _ALIASES.get(base, base)


def sniff(data: bytes) -> str:
    """The media type of ``data`` judged by its content alone."""
    head = data[:1024]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    # ISO 32000: the header may follow a little leading garbage, but must come first in the file.
    if b"%PDF-" in head and not head.split(b"%PDF-", 1)[0].strip(b" \t\r\n\x00\xef\xbb\xbf"):
        return PDF
    return _sniff_text(data)


def _sniff_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                # ODF (ISO/IEC 26300): the first entry "mimetype" holds the type, uncompressed.
                with archive.open("mimetype") as fh:
                    declared = fh.read(128).decode("ascii", "replace").strip()
                if declared in _ODF_TYPES:
                    return declared
            if "[Content_Types].xml" in names:
                for prefix, media_type in _OOXML_PARTS.items():
                    if any(name.startswith(prefix) for name in names):
                        return media_type
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return BINARY
    return ZIP


def _sniff_text(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return BINARY
    if _CONTROL.search(text):
        return BINARY
    stripped = text.strip()
    lowered = stripped[:200].lower()
    if lowered.startswith(("<!doctype html", "<html")):
        return HTML
    if stripped.startswith("<?xml") or (stripped.startswith("<") and stripped.endswith(">")):
        return XML
    if stripped[:1] in ("{", "["):
        try:
            json.loads(stripped)
        except ValueError:
            return TEXT
        return JSON
    return TEXT


def safe_filename(filename: str, *, default: str = "file") -> str:
    """The last path part of a client's file name, without control characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/")
    name = posixpath.basename(name)
    name = _CONTROL.sub("", name).replace("\r", "").replace("\n", "").replace("\t", " ").strip(" .")
    if not name:
        return default
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = stem[: 255 - len(ext) - 1] + dot + ext if dot and len(ext) <= 16 else name[:255]
    return name


def _compatible(claimed: str, actual: str) -> bool:
    return claimed == actual or (claimed == TEXT and actual in _TEXT_FORMATS)


def check_size(size: int, *, filename: str, max_bytes: int) -> None:
    """Refuse a file larger than ``max_bytes``; interfaces call it before reading an upload."""
    if size > max_bytes:
        shown = safe_filename(filename)
        raise UploadTooLargeError(
            _("the file %(name)s is %(size)s, more than the limit of %(limit)s")
            % {"name": shown, "size": _size_text(size), "limit": _size_text(max_bytes)},
            filename=shown,
            size=size,
            max_bytes=max_bytes,
        )


def check_upload(
    data: bytes,
    *,
    filename: str,
    allowed: set[str] | frozenset[str],
    max_bytes: int,
    declared: str = "",
    inspect_pdf: bool = True,
    pdf_embedded_files: bool = False,
) -> str:
    """Refuse an upload that is empty, too large, not what it claims to be, or not allowed.

    ``declared`` is the media type the client sent (may be empty); the file name's extension is
    a claim too. Returns the media type to record: the detected one, or ``text/plain`` when a
    text file was declared as such. ``inspect_pdf=False`` skips reading a PDF in depth: only for
    a PDF GovDoc has just made and sealed itself (nothing in it came from outside).
    ``pdf_embedded_files=True`` takes a PDF with embedded files (an official's document, such as
    a PDF/A-3 with its data, GovDoc's own issued PDFs among them); a citizen's attachment may
    not carry any.
    """
    shown = safe_filename(filename)
    if not data:
        raise EmptyUploadError(_("the file %(name)s is empty") % {"name": shown}, filename=shown)
    check_size(len(data), filename=filename, max_bytes=max_bytes)
    actual = sniff(data)
    claims = []
    if normalize(declared) not in _UNSPECIFIED:
        claims.append(normalize(declared))
    extension = posixpath.splitext(shown.lower())[1]
    if extension in EXTENSIONS:
        claims.append(EXTENSIONS[extension])
    for claimed in claims:
        if not _compatible(claimed, actual):
            raise UploadRejectedError(
                _("the file %(name)s is %(actual)s, not %(claimed)s")
                % {"name": shown, "actual": describe(actual), "claimed": describe(claimed)},
                filename=shown,
                detected=actual,
                declared=claimed,
            )
    effective = TEXT if claims and all(c == TEXT for c in claims) else actual
    if effective not in allowed:
        accepted = ", ".join(sorted(describe(t) for t in allowed))
        raise UploadRejectedError(
            _("the file %(name)s is %(actual)s, which is not accepted here (accepted: %(accepted)s)")
            % {"name": shown, "actual": describe(effective), "accepted": accepted},
            filename=shown,
            detected=effective,
        )
    if actual == PDF and inspect_pdf:
        check_pdf(data, filename=shown, embedded_files=pdf_embedded_files)
    return effective


PDF_REFUSALS: dict[str, StrPromise] = {
    pdf_inspection.DAMAGED: gettext_lazy(
        "the file {name} is not a complete, readable PDF document (it may be "
        "truncated or damaged); save or download it again and send the new copy"
    ),
    pdf_inspection.ENCRYPTED: gettext_lazy(
        "the file {name} is an encrypted (password-protected) PDF document; "
        "save it without protection and send it again"
    ),
    pdf_inspection.JAVASCRIPT: gettext_lazy(
        "the file {name} is a PDF document with {javascript}, which is not "
        "accepted; print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.LAUNCH: gettext_lazy(
        "the file {name} is a PDF document with an action that starts another "
        "program, which is not accepted; print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.HTML_INSIDE: gettext_lazy(
        "the file {name} is an HTML page behind a PDF header, not a PDF document"
    ),
    pdf_inspection.TOO_COMPLEX: gettext_lazy(
        "the file {name} is a PDF document too complex to check; "
        "print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.XFA: gettext_lazy(
        "the file {name} is a PDF document with an XFA form, which is not accepted; "
        "print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.EMBEDDED_FILE: gettext_lazy(
        "the file {name} is a PDF document with other files inside it, which is not accepted; "
        "send each document as a file of its own, or print it to a new PDF"
    ),
    pdf_inspection.FORM_ACTION: gettext_lazy(
        "the file {name} is a PDF document with a form that sends or reads data elsewhere, "
        "which is not accepted; print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.REMOTE_ACTION: gettext_lazy(
        "the file {name} is a PDF document with a link that opens another file, which is not "
        "accepted; print it to a new PDF (or scan it) and send that"
    ),
    pdf_inspection.RICH_MEDIA: gettext_lazy(
        "the file {name} is a PDF document with embedded video, sound or other media, which is "
        "not accepted; print it to a new PDF (or scan it) and send that"
    ),
}


def check_pdf(data: bytes, *, filename: str, embedded_files: bool = False) -> None:
    """Refuse a PDF that is damaged, encrypted or carries active content (see pdf_inspection);
    with ``embedded_files``, files embedded in it are allowed."""
    reason = pdf_inspection.problem(data, embedded_files=embedded_files)
    if reason is not None:
        shown = safe_filename(filename)
        raise UnsafePdfError(
            str(PDF_REFUSALS[reason]).format(name=shown, javascript="JavaScript"),
            filename=shown,
            detected=PDF,
            reason=reason,
        )


def _size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return _("%(size)s bytes") % {"size": size}
