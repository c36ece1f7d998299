"""Checks of the PDF/A rules GovDoc relies on, for any PDF/A-3 or PDF/A-4 file.

Not a full validator (veraPDF does not install here; ADR 0009): it checks the rules an issued
document's long-term readability depends on, on the file as a reader sees it (the newest
revision, signatures included):

- XMP metadata in the catalogue, naming the PDF/A part and conformance (ISO 19005-3 §6.6.2,
  ISO 19005-4 §6.7.3);
- the PDF version matches the part: PDF/A-1 on 1.4, PDF/A-2 and -3 on 1.x up to 1.7 (no PDF 2.0
  version or extension), PDF/A-4 on 2.0 (ISO 19005-3 §6.1.2, ISO 19005-4 §6.1.2);
- an output intent with an ICC profile (required through PDF/A-3; checked when present in -4);
- every font used is embedded (ISO 19005-3 §6.2.11.4);
- no encryption (§6.1.3), no JavaScript and no launch actions (§6.5.1, §6.6.1);
- every embedded file is an associated file with an ``/AFRelationship`` and a MIME type
  (ISO 19005-3 §6.8).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

_MAX_OBJECTS = 50_000
_PART = re.compile(rb"pdfaid:part\s*(?:=\s*[\"'](\d)|>\s*(\d)\s*<)")
_CONFORMANCE = re.compile(rb"pdfaid:conformance\s*(?:=\s*[\"']([A-Za-z])|>\s*([A-Za-z])\s*<)")
_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/ResetForm", "/Hide", "/Sound", "/Movie"}


@dataclass(frozen=True, slots=True)
class PdfAReport:
    """``part`` and ``conformance`` as the XMP claims them (None when it claims nothing);
    ``version``: the PDF version a reader applies (header, raised by the catalogue's
    ``/Version``); ``problems``: every rule broken, in words."""

    part: int | None
    conformance: str | None
    version: str
    problems: tuple[str, ...]

    @property
    def conforms(self) -> bool:
        return self.part is not None and not self.problems


def _deref(value: Any) -> Any:
    return value.get_object() if isinstance(value, generic.IndirectObject) else value  # type: ignore[no-untyped-call]


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """``obj[key]`` with indirect references followed (``DictionaryObject.get`` keeps them)."""
    if not isinstance(obj, generic.DictionaryObject) or key not in obj:
        return default
    return _deref(obj.raw_get(key))


def _claim(xmp: bytes) -> tuple[int | None, str | None]:
    part = _PART.search(xmp)
    conformance = _CONFORMANCE.search(xmp)
    part_value = int((part.group(1) or part.group(2)).decode()) if part else None
    conf_value = (conformance.group(1) or conformance.group(2)).decode().upper() if conformance else None
    return part_value, conf_value


def _version(pdf: bytes, root: generic.DictionaryObject) -> tuple[int, int]:
    header = re.match(rb"%PDF-(\d)\.(\d)", pdf[pdf.find(b"%PDF-") :])
    version = (int(header.group(1)), int(header.group(2))) if header else (0, 0)
    declared = _get(root, "/Version")
    if declared is not None:
        match = re.fullmatch(r"/?(\d)\.(\d)", str(declared))
        if match:
            version = max(version, (int(match.group(1)), int(match.group(2))))
    return version


def _walk(root: generic.PdfObject) -> list[generic.DictionaryObject]:
    """Every dictionary reachable from ``root`` (stream dictionaries included), each once."""
    seen: set[tuple[int, int]] = set()
    found: list[generic.DictionaryObject] = []
    stack: list[Any] = [root]
    while stack and len(found) < _MAX_OBJECTS:
        item = stack.pop()
        if isinstance(item, generic.IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            item = _deref(item)
        if isinstance(item, generic.DictionaryObject):
            found.append(item)
            for name, value in item.items():
                if name in ("/Parent", "/P"):
                    continue  # back-links: everything they point at is reached from the top
                stack.append(value)
        elif isinstance(item, generic.ArrayObject):
            stack.extend(item)
    return found


def _font_problems(objects: list[generic.DictionaryObject]) -> list[str]:
    missing: list[str] = []
    for obj in objects:
        if obj.get("/Type") != "/Font" or obj.get("/Subtype") in ("/Type3", "/Type0"):
            continue  # Type 0 fonts are checked through their descendant (a CIDFont dictionary)
        descriptor = _get(obj, "/FontDescriptor")
        embedded = isinstance(descriptor, generic.DictionaryObject) and any(
            key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
        )
        if not embedded:
            name = str(obj.get("/BaseFont", "unnamed")).lstrip("/")
            if name not in missing:
                missing.append(name)
    return [f"The font {name} is not embedded." for name in missing]


def _action_problems(objects: list[generic.DictionaryObject]) -> list[str]:
    problems: list[str] = []
    for obj in objects:
        if "/JS" in obj or obj.get("/S") == "/JavaScript":
            problems.append("The file contains JavaScript.")
        elif obj.get("/S") in _FORBIDDEN_ACTIONS:
            problems.append(f"The file contains a forbidden action ({str(obj.get('/S')).lstrip('/')}).")
    names = [obj for obj in objects if "/JavaScript" in obj and obj.get("/Type") != "/Action"]
    if names:
        problems.append("The file contains JavaScript.")
    return list(dict.fromkeys(problems))


def _embedded_file_problems(objects: list[generic.DictionaryObject], part: int | None) -> list[str]:
    problems: list[str] = []
    for obj in objects:
        if obj.get("/Type") != "/Filespec" and "/EF" not in obj:
            continue
        if "/EF" not in obj:
            continue
        name = str(obj.get("/UF", obj.get("/F", "unnamed")))
        if part is not None and part >= 3 and "/AFRelationship" not in obj:
            problems.append(f"The embedded file {name} has no AFRelationship.")
        stream = _get(_get(obj, "/EF"), "/F")
        if isinstance(stream, generic.StreamObject) and "/Subtype" not in stream:
            problems.append(f"The embedded file {name} has no MIME type.")
    return problems


def _version_problems(
    part: int | None, version: tuple[int, int], root: generic.DictionaryObject
) -> list[str]:
    shown = f"{version[0]}.{version[1]}"
    if part is None:
        return []
    if part == 1 and version > (1, 4):
        return [f"PDF/A-1 is built on PDF 1.4, but the file declares PDF {shown}."]
    if part in (2, 3):
        problems = []
        if version >= (2, 0):
            problems.append(f"PDF/A-{part} is built on PDF 1.7, but the file declares PDF {shown}.")
        extensions = _get(root, "/Extensions")
        if isinstance(extensions, generic.DictionaryObject):
            for prefix, entry in extensions.items():
                entries = entry if isinstance(entry, generic.ArrayObject) else [entry]
                for item in entries:
                    item = _deref(item)
                    if isinstance(item, generic.DictionaryObject) and str(item.get("/BaseVersion")) == "/2.0":
                        level = item.get("/ExtensionLevel")
                        problems.append(
                            f"The catalogue names a PDF 2.0 extension ({str(prefix).lstrip('/')} {level}) "
                            f"in a PDF/A-{part} file."
                        )
        return problems
    if part == 4 and version != (2, 0):
        return [f"PDF/A-4 is built on PDF 2.0, but the file declares PDF {shown}."]
    if part > 4:
        return [f"PDF/A-{part} is not a PDF/A part GovDoc knows."]
    return []


def _output_intent_problems(root: generic.DictionaryObject, part: int | None) -> list[str]:
    intents = _get(root, "/OutputIntents")
    if not isinstance(intents, generic.ArrayObject) or not intents:
        return ["The file has no output intent."] if part is not None and part < 4 else []
    for intent in intents:
        intent = _deref(intent)
        if _get(intent, "/S") == "/GTS_PDFA1" and "/DestOutputProfile" in intent:
            return []
    return ["The output intent names no PDF/A ICC profile (GTS_PDFA1 with DestOutputProfile)."]


def pdfa_check(pdf: bytes) -> PdfAReport:
    """Check ``pdf`` against the PDF/A rules listed in this module's docstring."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        root = reader.root
    except Exception:
        return PdfAReport(None, None, "?", ("The file is not a readable PDF.",))
    problems: list[str] = []
    if "/Encrypt" in reader.trailer:
        problems.append("The file is encrypted.")
    metadata = _get(root, "/Metadata")
    xmp = b""
    if isinstance(metadata, generic.StreamObject):
        xmp = metadata.data
    if not xmp:
        problems.append("The file has no XMP metadata.")
    part, conformance = _claim(xmp)
    if xmp and part is None:
        problems.append("The XMP metadata does not claim a PDF/A part.")
    version = _version(pdf, root)
    problems.extend(_version_problems(part, version, root))
    problems.extend(_output_intent_problems(root, part))
    objects = _walk(root)
    problems.extend(_font_problems(objects))
    problems.extend(_action_problems(objects))
    problems.extend(_embedded_file_problems(objects, part))
    return PdfAReport(part, conformance, f"{version[0]}.{version[1]}", tuple(problems))
