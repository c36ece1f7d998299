"""The one renderer of GovDoc's official documents: a service's template, filled per document,
typeset by Typst as PDF/A-3b, both for the draft the approvers sign and for the issued document.

What every PDF carries, whatever the template says (``typst/govdoc.typ``, shipped, not editable
by an agency):

- the registry number (a draft: its reference, e.g. the receipt number) in the page header and
  footer of every page, and "Strana X od Y" / "Page X of Y";
- the issued document: the seal block ("Ovaj dokument je elektronski potpisan / This document
  is signed electronically", the sealing agency, the time, the QR code drawn as vectors, the
  verification code and URL in clear) and the machine-readable data embedded as ``data.json``
  (AFRelationship Data). A template places the seal block with ``#security_block``; otherwise
  it follows the body;
- a draft: the same text, the mark "NACRT / DRAFT" on every page, a placeholder instead of the
  QR code, no seal;
- the text in the recipient's script: templates are written in Serbian Latin; for Latin and
  English, Cyrillic data values are transliterated here (:mod:`govdoc.core.transliteration`);
  for Cyrillic the text is transliterated as laid out, with the same table, except what is
  marked ``keep[...]`` (identifiers) or ``en[...]`` (English); an English document shows the template's
  ``#if script == "en" [...]`` parts;
- template helpers: ``keep[...]``, ``en[...]``, ``purpose(...)`` (the purpose sentence) and
  ``date(...)`` (an ISO date from the form as a citizen reads it);
- DejaVu fonts, embedded as subsets.

Security model (docs/adr/0008): the template is Typst *markup* evaluated with a fixed scope
(the document's context as JSON values, a few GovDoc functions); every value reaches Typst as
JSON through ``sys.inputs``, never as source, so data cannot change what the page does. Typst
has no network access except package downloads and reads files only inside its root, which is
the ``typst/`` folder of this package (GovDoc's own shipped files). A template may therefore
not name ``import``/``include`` (package downloads), ``eval``/``std`` (a way round that rule),
the functions that read files (``read``, ``image``, ``json``, ``csv``, ``yaml``, ``toml``, ``xml``,
``cbor``, ``plugin``, ``bibliography``: the layout's own resources are GovDoc's) or change the
page (``page``): :func:`template_check` refuses it with :class:`TemplateRenderError`,
before anything is written.

Speed: one ``typst.Compiler`` per thread, made once (font scanning costs ~30 ms); a one-page
certificate compiles in ~10 ms. The QR matrix comes from segno with a fixed mask.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import segno
import typst
from django.utils.translation import gettext as _

from govdoc.accounts.constants import Script
from govdoc.core import clock
from govdoc.core.transliteration import latin_to_cyrillic_rule, to_script
from govdoc.issuance.errors import TemplateRenderError
from govdoc.issuance.qr_payload import qr_segments
from govdoc.issuance.rendering import wording

__all__ = [
    "DATA_ATTACHMENT",
    "PDF_STANDARD",
    "SealBlock",
    "date_text",
    "document_pdf",
    "draft_pdf",
    "letter_pdf",
    "renderer_sha256",
    "template_check",
]

date_text = wording.date_text

PDF_STANDARD: Final = "a-3b"  # PDF/A-3b on PDF 1.7 (docs/adr/0008)
DATA_ATTACHMENT: Final = "data.json"
ROOT: Final = Path(__file__).resolve().parent / "typst"
_ENTRY: Final = ROOT / "document.typ"
FONT_DIRS: Final = ("/usr/share/fonts/truetype/dejavu",)  # Debian fonts-dejavu-core
# Any mask gives a valid code; a fixed one spares segno scoring all eight (~8 ms → ~2 ms).
QR_MASK: Final = 4
QR_ERROR: Final = "m"
QR_BORDER: Final = 4
# Every module at least 0.75 mm (~3 pixels at 100 dpi): zbarimg then reads the code from a
# 100-dpi render, blurred (Gaussian radius 0.8 px) and turned 3 degrees; at 0.55 mm it read
# the sharp render only. The size follows the payload: 40 mm up to 75 mm (version 17).
QR_MIN_MM: Final = 40.0
QR_MODULE_MM: Final = 0.75
QR_MAX_MM: Final = 75.0
# Latin names that stay Latin in Cyrillic text.
KEEP_WORDS: Final = ("QR", "PDF", "URL", "JSON", "DRAFT")

_LANG: Final[dict[str, tuple[str, str | None]]] = {
    Script.LATIN: ("sr", "rs"),
    Script.CYRILLIC: ("sr", "rs"),
    Script.ENGLISH: ("en", None),
}
_WORDS: Final = r"[A-Za-zČčĆćĐđŠšŽž]+"

# Names a template may not use (see the module docstring): whole words, as Typst reads them.
_FORBIDDEN = re.compile(
    r"(?<![\w-])(import|include|eval|std|plugin|read|image|json|csv|yaml|toml|xml|cbor|bibliography)"
    r"(?![\w-])|\bpage\s*\(|set\s+page\b"
)
_OLD_SYNTAX = re.compile(r"\{\{|\{%|<(p|h1|h2|div|html|body|table|br)\b", re.IGNORECASE)
MAX_TEMPLATE_CHARS: Final = 100_000
_DARK_RUN = re.compile(b"[\x01-\xff]+")


@functools.cache
def renderer_sha256() -> str:
    """What, besides a template and its data, decides the text of a document: the Typst
    version, GovDoc's layout files and its wording (dates, the purpose sentence). An approval
    binds it, so a renderer changed between a decision and the issuing counts as new content."""
    digest = hashlib.sha256(f"typst {importlib.metadata.version('typst')}".encode())
    for path in (*sorted(ROOT.glob("*.typ")), Path(wording.__file__)):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class SealBlock:
    """What the visible seal block of an issued document shows."""

    agency_name: str
    sealed_at: dt.datetime
    verification_code: str
    verification_url: str  # printed: {PUBLIC_URL}/verify/{code}
    qr_text: str  # encoded: the URL with the signed payload


def template_check(template: str) -> None:
    """Refuse a template GovDoc will not run (see the module docstring), with the reason.

    Checks the words a template may not use and its Typst syntax (compiled once per distinct
    text, with empty data: only syntax errors count here; a value the data lacks shows when a
    document is rendered)."""
    if not template.strip():
        raise TemplateRenderError(_("the document template is empty"))
    if len(template) > MAX_TEMPLATE_CHARS:
        raise TemplateRenderError(
            _("the document template is longer than %(max)s characters") % {"max": MAX_TEMPLATE_CHARS}
        )
    if _OLD_SYNTAX.search(template):
        raise TemplateRenderError(
            _(
                "the document template is written as HTML with %(tags)s tags; templates are Typst "
                "markup now (%(adr)s): write %(new)s instead of %(old)s"
            )
            % {"tags": "{{ }}", "adr": "docs/adr/0008", "new": "#data.field", "old": "{{ data.field }}"}
        )
    found = _FORBIDDEN.search(template)
    if found is not None:
        raise TemplateRenderError(
            _(
                "the document template may not use %(word)s: a template reads only the document's "
                "data and GovDoc's own layout (no other files, no network, no page changes)"
            )
            % {"word": repr(found.group(0).strip())}
        )
    _syntax_check(template)


@functools.lru_cache(maxsize=256)
def _syntax_check(template: str) -> None:
    # The body inside a function that is never called: Typst parses it (syntax errors show)
    # but evaluates nothing, so names the data will bring do not count yet.
    source = f"#let _template() = [\n{template}\n]\n".encode()
    try:
        _compiler().compile(input=source, format="pdf", sys_inputs={})
    except typst.TypstError as exc:
        raise TemplateRenderError(
            _("the document template has an error: %(error)s") % {"error": _message(exc)}
        ) from exc


def _message(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return " ".join(str(message).split())[:500]


_local = threading.local()


def _compiler() -> typst.Compiler:
    compiler = getattr(_local, "compiler", None)
    if compiler is None:
        compiler = _local.compiler = typst.Compiler(
            root=str(ROOT),
            font_paths=[d for d in FONT_DIRS if Path(d).is_dir()],
            ignore_system_fonts=True,
        )
    return compiler


def _qr(text: str) -> dict[str, Any]:
    """The QR code as an SVG of one path (a rectangle per run of dark modules in a row, border
    included), which Typst turns into PDF vector paths: sharp at any zoom and print size."""
    # One segment per mode (``qr_payload.qr_segments``): the upper-case URL and the base45
    # payload stay alphanumeric. segno takes a list of segments (its annotation says only str).
    segments: Any = qr_segments(text)
    qr = segno.make(segments, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False)
    path: list[str] = []
    for y, row in enumerate(qr.matrix):  # rows of 0/1 bytes, without the quiet zone
        for run in _DARK_RUN.finditer(bytes(row)):
            x, w = run.start() + QR_BORDER, run.end() - run.start()
            path.append(f"M{x} {y + QR_BORDER}h{w}v1h-{w}z")
    size = len(qr.matrix) + 2 * QR_BORDER
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(path)}"/></svg>'
    )
    return {"modules": size, "svg": svg}


def _qr_size_mm(modules: int) -> float:
    return min(max(QR_MIN_MM, modules * QR_MODULE_MM), QR_MAX_MM)


def _in_script(value: Any, script: str) -> Any:
    """JSON values with every string in ``script`` (keys untouched)."""
    if isinstance(value, str):
        return to_script(value, script)
    if isinstance(value, dict):
        return {k: _in_script(v, script) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_in_script(v, script) for v in value]
    return value


def _json_safe(value: Any, script: str) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return wording.date_text(value, script)
    if isinstance(value, dict):
        return {str(k): _json_safe(v, script) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v, script) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _render(
    *,
    template: str,
    context: dict[str, Any],
    script: str,
    title: str,
    reference: str,
    seal: SealBlock | None,
    data_json: bytes | None,
    draft: bool,
    created_at: dt.datetime,
    seal_block: bool = True,
) -> bytes:
    template_check(template)
    lang, region = _LANG.get(script, _LANG[Script.LATIN])
    words_pattern, table = latin_to_cyrillic_rule()
    try:
        values = _json_safe(context, script)
        # Cyrillic: the laid-out text is transliterated (data included), so a template's logic
        # sees the values as they were entered; Latin and English: Cyrillic values change here.
        values = values if script == Script.CYRILLIC else _in_script(values, script)
    except Exception as exc:  # a context value that cannot be shown
        raise TemplateRenderError(
            _("the document's data could not be shown: %(error)s") % {"error": exc}
        ) from exc
    values["script"] = script
    labels = wording.labels(script)
    seal_inputs: dict[str, Any] = {"qr": None, "lines": [], "code": "", "url": ""}
    qr_size = QR_MIN_MM
    if seal is not None:
        qr = _qr(seal.qr_text)
        qr_size = _qr_size_mm(qr["modules"])
        seal_inputs = {
            "qr": qr,
            "code": seal.verification_code,
            "url": seal.verification_url,
            "lines": [
                {"label": labels["seal"], "value": to_script(seal.agency_name, script), "keep": False},
                {
                    "label": labels["time"],
                    "value": wording.moment_text(seal.sealed_at, script),
                    "keep": False,
                },
                {"label": labels["code"], "value": seal.verification_code, "keep": True},
                {"label": labels["verify"], "value": seal.verification_url, "keep": True},
            ],
        }
    inputs = {
        "template": template,
        "context": values,
        "title": to_script(title, script),
        "reference": reference,
        "lang": lang,
        "region": region,
        "cyrillic": script == Script.CYRILLIC,
        "words": _WORDS,
        "keep_words": KEEP_WORDS,
        "letters": words_pattern,
        "table": table,
        "labels": labels,
        "months": wording.month_names(script),
        "english": script == Script.ENGLISH,
        "draft": draft,
        "seal": seal_inputs,
        "qr_size_mm": qr_size,
        # no block after the body when the template places it, or when none is wanted (a letter)
        "template_places_seal": "security_block" in template or not seal_block,
        "data_json": None if data_json is None else data_json.decode("utf-8"),
    }
    try:
        pdf = _compiler().compile(
            input=str(_ENTRY),
            format="pdf",
            sys_inputs={"govdoc": json.dumps(inputs, ensure_ascii=False)},
            pdf_standards=[PDF_STANDARD],
            # The PDF's creation date: the same inputs give the same bytes.
            timestamp=created_at.astimezone(dt.UTC).replace(microsecond=0),
        )
    except typst.TypstError as exc:
        raise TemplateRenderError(
            _("the document template could not be filled: %(error)s") % {"error": _message(exc)}
        ) from exc
    assert isinstance(pdf, bytes)
    return pdf


def document_pdf(
    *,
    template: str,
    context: dict[str, Any],
    script: str,
    registry_number: str,
    title: str,
    seal: SealBlock,
    data_json: bytes,
) -> bytes:
    """The issued document, ready to seal: PDF/A-3b with ``data_json`` embedded as ``data.json``."""
    return _render(
        template=template,
        context=context,
        script=script,
        title=title,
        reference=registry_number,
        seal=seal,
        data_json=data_json,
        draft=False,
        created_at=seal.sealed_at,
    )


def draft_pdf(
    *,
    template: str,
    context: dict[str, Any],
    script: str,
    reference: str,
    title: str,
    created_at: dt.datetime | None = None,
) -> bytes:
    """The draft the approvers read and sign: the same text as the issued document will have,
    marked "NACRT / DRAFT" on every page, with ``reference`` (e.g. the receipt number) where the
    registry number will be, no QR code and no seal. The same inputs and ``created_at`` (default:
    now) give the same bytes."""
    return _render(
        template=template,
        context=context,
        script=script,
        title=title,
        reference=reference,
        seal=None,
        data_json=None,
        draft=True,
        created_at=created_at or clock.now(),
    )


def letter_pdf(
    *,
    template: str,
    context: dict[str, Any],
    script: str,
    reference: str,
    title: str,
    created_at: dt.datetime | None = None,
) -> bytes:
    """An official's document drafted from a template (a letter, a memorandum): the same page,
    fonts and transliteration as every GovDoc document, PDF/A-3b, with no draft mark, no QR code
    and no seal block: what the approvers read is what the agency's e-seal signs once it is
    approved (PAdES, over these bytes), so nothing on the page may change after approval.
    ``reference`` stands where a registry number would (the number is taken at approval and
    kept in the registry and the seal's reason)."""
    return _render(
        template=template,
        context=context,
        script=script,
        title=title,
        reference=reference,
        seal=None,
        data_json=None,
        draft=False,
        created_at=created_at or clock.now(),
        seal_block=False,
    )
