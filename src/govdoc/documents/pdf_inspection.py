"""A PDF checked in depth, not by its first bytes: what ``check_upload`` asks of every PDF.

``%PDF-`` at the start says little: an HTML page, a truncated download or an encrypted file may
begin with it too, and a well-formed PDF may carry JavaScript or an action that starts another
program. GovDoc takes a PDF only when:

- its whole structure can be read (cross-reference table, trailer, every object reachable from
  the document catalogue): a truncated or damaged file is refused;
- it is not encrypted (an official cannot read, seal or archive it; a password-protected file
  must be saved without protection first);
- it holds no JavaScript (``/JS``, ``/JavaScript`` actions or name trees) and no launch action
  (``/Launch``: opens another program or file on the reader's computer);
- it is no XFA form (``/XFA`` in the ``/AcroForm``: a form program in XML that readers run and
  archives cannot keep, deprecated in PDF 2.0);
- it holds no action that sends the form's data to an address or reads data from another file
  (``/SubmitForm``, ``/ImportData``), and none that opens another document (``/GoToR``,
  ``/GoToE``): what the official reads must be all in the file;
- it holds no rich media (``/RichMedia`` annotations: Flash, video, 3D with their own players);
- unless the caller allows them (``embedded_files=True``), it carries no embedded files (the
  ``/EmbeddedFiles`` name tree, ``/FileAttachment`` annotations, file specifications with
  ``/EF`` such as PDF/A-3 associated files): a citizen's attachment could hide any program in
  them. GovDoc's own issued PDFs embed their data (PDF/A-3 ``/AF``), and officials' documents
  may too: only citizens' attachments are refused for it; verification never inspects;
- no HTML hides behind the header (a browser that ignores the media type would run it).

The reader is pyHanko's general PDF parser (``pyhanko.pdf_utils``), which GovDoc already uses;
only its parser is used here, never its signature code (that stays in ``signatures/engine``).
"""

from __future__ import annotations

import io
import re
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

# Reasons a PDF is refused, as ``UnsafePdfError.details["reason"]``.
DAMAGED = "damaged"
ENCRYPTED = "encrypted"
JAVASCRIPT = "javascript"
LAUNCH = "launch"
HTML_INSIDE = "html"
TOO_COMPLEX = "too-complex"
XFA = "xfa"
EMBEDDED_FILE = "embedded-file"
FORM_ACTION = "form-action"  # /SubmitForm, /ImportData: data sent to or read from elsewhere
REMOTE_ACTION = "remote-action"  # /GoToR, /GoToE: another document opened
RICH_MEDIA = "rich-media"

# A PDF with more objects than this is not a citizen's scan or an official's letter.
MAX_OBJECTS = 500_000
_HTML = re.compile(rb"<\s*(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|script[\s>])", re.IGNORECASE)
_ACTIVE_KEYS = {"/JS": JAVASCRIPT, "/JavaScript": JAVASCRIPT, "/XFA": XFA, "/RichMediaContent": RICH_MEDIA}
_EMBEDDED_KEYS = {"/EmbeddedFiles", "/EF"}
_ACTION_TYPES = {
    "/JavaScript": JAVASCRIPT,
    "/Launch": LAUNCH,
    "/SubmitForm": FORM_ACTION,
    "/ImportData": FORM_ACTION,
    "/GoToR": REMOTE_ACTION,
    "/GoToE": REMOTE_ACTION,
}
_SUBTYPES = {"/RichMedia": RICH_MEDIA, "/FileAttachment": EMBEDDED_FILE}
_TYPES = {"/EmbeddedFile": EMBEDDED_FILE}


def problem(data: bytes, *, embedded_files: bool = False) -> str | None:
    """Why this PDF is refused (one of the reasons above), or None when it may be taken.
    ``embedded_files``: files embedded in the PDF are allowed (an official's document)."""
    if _HTML.search(data[:4096]):
        return HTML_INSIDE
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return ENCRYPTED
        return _walk(reader, embedded_files=embedded_files)
    except RecursionError:
        return TOO_COMPLEX
    except Exception:  # any failure of the parser on these bytes means they are not a sound PDF
        return DAMAGED


def _walk(reader: PdfFileReader, *, embedded_files: bool) -> str | None:
    """Every object reachable from the trailer, each once; a finding ends the walk."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer_view]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()  # type: ignore[no-untyped-call]
        visited += 1
        if visited > MAX_OBJECTS:
            return TOO_COMPLEX
        if isinstance(obj, generic.DictionaryObject):
            for found in _active(obj):
                if not (found == EMBEDDED_FILE and embedded_files):
                    return found
            stack.extend(obj.raw_get(k) for k in obj)
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj.raw_get(i) for i in range(len(obj)))
    if "/Pages" not in reader.root:
        return DAMAGED
    return None


def _name(obj: generic.DictionaryObject, key: str) -> str | None:
    value = obj.raw_get(key) if key in obj else None
    return str(value) if isinstance(value, generic.NameObject) else None


def _active(obj: generic.DictionaryObject) -> list[str]:
    """What this one dictionary (or stream) holds that GovDoc refuses (reasons, maybe none)."""
    found = [reason for key, reason in _ACTIVE_KEYS.items() if key in obj]
    for key, table in (("/S", _ACTION_TYPES), ("/Subtype", _SUBTYPES), ("/Type", _TYPES)):
        name = _name(obj, key)
        if name is not None and name in table:
            found.append(table[name])
    if any(key in obj for key in _EMBEDDED_KEYS):
        found.append(EMBEDDED_FILE)
    return found
