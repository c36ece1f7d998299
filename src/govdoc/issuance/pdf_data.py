"""Reading the ``data.json`` an issued PDF carries (to find the document an upload claims to be).

Seam: the signatures engine is the only code that parses PDFs (pyHanko); it offers
``open_pdf`` but no "embedded file by name" call yet, so this walks the catalog's
``/Names /EmbeddedFiles`` tree on the reader it returns. When the engine grows
``embedded_file(pdf, name)``, replace :func:`embedded_file` with it.
"""

from __future__ import annotations

import json
from typing import Any

from govdoc.core.jsontypes import JSONObject
from govdoc.signatures.engine.validation import open_pdf

_MAX_DEPTH = 8


def _deref(obj: Any) -> Any:
    return obj.get_object() if hasattr(obj, "get_object") else obj


def _find(node: Any, name: str, depth: int = 0) -> Any | None:
    node = _deref(node)
    if depth > _MAX_DEPTH or node is None:
        return None
    names = node.get("/Names")
    if names is not None:
        names = _deref(names)
        for i in range(0, len(names) - 1, 2):
            if str(_deref(names[i])) == name:
                return _deref(names[i + 1])
    for kid in _deref(node.get("/Kids")) or ():
        found = _find(kid, name, depth + 1)
        if found is not None:
            return found
    return None


def embedded_file(pdf: bytes, name: str) -> bytes | None:
    """The bytes of the embedded file ``name``, or None if the PDF has none or cannot be read."""
    try:
        reader = open_pdf(pdf)
        names = reader.root.get("/Names")
        tree = _deref(names).get("/EmbeddedFiles") if names is not None else None
        spec = _find(tree, name) if tree is not None else None
        if spec is None:
            return None
        stream = _deref(_deref(spec["/EF"])["/F"])
        return bytes(stream.data)
    except Exception:  # a damaged or hostile file: there is simply no data to read
        return None


def embedded_json(pdf: bytes, name: str) -> JSONObject | None:
    raw = embedded_file(pdf, name)
    if raw is None:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
