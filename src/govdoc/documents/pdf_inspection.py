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

# A PDF with more objects than this is not a citizen's scan or an official's letter.
MAX_OBJECTS = 500_000
_HTML = re.compile(rb"<\s*(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|script[\s>])", re.IGNORECASE)
_ACTIVE_KEYS = {"/JS": JAVASCRIPT, "/JavaScript": JAVASCRIPT}
_ACTION_TYPES = {"/JavaScript": JAVASCRIPT, "/Launch": LAUNCH}


def problem(data: bytes) -> str | None:
    """Why this PDF is refused (one of the reasons above), or None when it may be taken."""
    if _HTML.search(data[:4096]):
        return HTML_INSIDE
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            return ENCRYPTED
        return _walk(reader)
    except RecursionError:
        return TOO_COMPLEX
    except Exception:  # any failure of the parser on these bytes means they are not a sound PDF
        return DAMAGED


def _walk(reader: PdfFileReader) -> str | None:
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
            found = _active(obj)
            if found:
                return found
            stack.extend(obj.raw_get(k) for k in obj)
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj.raw_get(i) for i in range(len(obj)))
    if "/Pages" not in reader.root:
        return DAMAGED
    return None


def _active(obj: generic.DictionaryObject) -> str | None:
    for key, reason in _ACTIVE_KEYS.items():
        if key in obj:
            return reason
    action = obj.raw_get("/S") if "/S" in obj else None
    if isinstance(action, generic.NameObject) and action in _ACTION_TYPES:
        return _ACTION_TYPES[action]
    return None
