"""The ``Content-Disposition`` header of every file GovDoc sends, built from any file name.

A file name comes from a citizen's upload or a registry number: it may hold quotes, backslashes,
semicolons, line breaks or Cyrillic. Written by hand into ``filename="..."`` such a name breaks
the header (or, with a line break, Django refuses to send it). ``content_disposition`` gives an
ASCII ``filename`` every client understands and, when the name is not plain ASCII, the exact
name as ``filename*`` (RFC 6266 / RFC 8187), which browsers prefer.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import quote

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()\[\]+,=@-]")
_MAX = 200


def _clean(filename: str) -> str:
    name = unicodedata.normalize("NFC", filename).replace("\\", "/")
    name = posixpath.basename(name)
    return _CONTROL.sub("", name).strip(" .")[:_MAX]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _ASCII_UNSAFE.sub("_", folded)


def _ascii_fallback(name: str, default: str) -> str:
    stem, ext = posixpath.splitext(name)
    stem = _ascii(stem).strip(" ._")
    ext = _ascii(ext) if _ascii(ext) == ext else ""
    if not any(ch.isalnum() for ch in stem):
        stem = default
    return stem + ext


def content_disposition(filename: str, *, inline: bool = False, default: str = "file") -> str:
    """``attachment; filename="..."`` (``inline`` for files shown in the browser)."""
    kind = "inline" if inline else "attachment"
    name = _clean(filename) or default
    fallback = _ascii_fallback(name, default)
    if fallback == name:
        return f'{kind}; filename="{fallback}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
