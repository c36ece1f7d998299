"""Issued documents as PDF/A-3b: a service's HTML template, filled per document, laid out by
WeasyPrint, with the machine-readable data embedded as ``data.json``.

What every issued PDF carries, whatever the template says:

- the registry number in the page header and footer of every page (CSS ``@page`` margin
  boxes, added after the template's own styles so a template cannot drop them);
- a visible seal block: "Ovaj dokument je elektronski potpisan / This document is signed
  electronically", the sealing agency and the time, the QR code (the verification URL with the
  signed offline payload) and the verification code and URL in clear. A template places it
  with ``{{ security_block }}``; otherwise it goes at the end of the body;
- the text in the recipient's script (:mod:`govdoc.issuance.scripts`): templates are written
  in Serbian Latin; for Cyrillic the rendered text is transliterated, data values included.
  English: a template shows English text in ``{% if script == "en" %}`` blocks (the context
  has ``script``), and keeps a Serbian/English pair apart with ``lang="en"``;
- DejaVu fonts, embedded as subsets (Serbian Cyrillic extracts correctly).

Speed (STACK-NOTES): a template text is compiled once (cached by its text); each thread keeps
one WeasyPrint ``FontConfiguration``; the QR code is made with a fixed mask and drawn as a
PNG image (one pixel per module).
Templates cannot fetch anything: only ``data:`` URLs load (no files, no network).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import io
import re
import threading
from dataclasses import dataclass
from typing import Any

import segno
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from PIL import Image
from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from govdoc.accounts.constants import Script
from govdoc.core.clock import DISPLAY_TZ
from govdoc.issuance.errors import TemplateRenderError
from govdoc.issuance.qr_payload import qr_segments
from govdoc.issuance.scripts import html_to_script

PDF_VARIANT = "pdf/a-3b"
DATA_ATTACHMENT = "data.json"
FONT_FAMILY = '"DejaVu Sans", sans-serif'
# Any mask gives a valid code; a fixed one spares segno scoring all eight (~8 ms → ~2 ms).
QR_MASK = 4
QR_ERROR = "m"

_LANG: dict[str, str] = {Script.LATIN: "sr-Latn", Script.CYRILLIC: "sr-Cyrl", Script.ENGLISH: "en"}
_LABELS: dict[str, tuple[str, str, str]] = {
    # (document number, page, of): margin boxes are CSS, not transliterated, so all three scripts.
    Script.LATIN: ("Broj", "Strana", "od"),
    Script.CYRILLIC: ("Број", "Страна", "од"),
    Script.ENGLISH: ("No.", "Page", "of"),
}

_engine = Engine(autoescape=True, debug=False)


@functools.lru_cache(maxsize=128)
def template_compile(template_html: str) -> Template:
    """The compiled template; compiled once per distinct text (a service's template)."""
    try:
        return _engine.from_string(template_html)
    except TemplateSyntaxError as exc:
        raise TemplateRenderError(f"the document template has an error: {exc}") from exc


def qr_image(text: str) -> str:
    """An ``<img>`` of a QR code holding ``text`` (fixed mask, error correction M).

    A PNG with one pixel per module, scaled up by the layout with ``image-rendering:
    pixelated`` (the PDF image is marked not to be interpolated, so every viewer and scanner
    sees sharp modules). WeasyPrint draws it as one image; the same code as SVG is one path of
    thousands of points that WeasyPrint parses per document (~10x slower to lay out).
    """
    # segno takes a list of segments too (its annotation says only str), one mode each.
    segments: Any = qr_segments(text)
    qr = segno.make(segments, error=QR_ERROR, mask=QR_MASK, micro=False, boost_error=False)
    # 8-bit grey, which WeasyPrint embeds as it is (a 1-bit or palette PNG, as segno writes
    # them, is converted to RGB and encoded again for every document).
    rows = [bytes(0 if dark else 255 for dark in row) for row in qr.matrix_iter(scale=1, border=4)]
    image = Image.frombytes("L", (len(rows[0]), len(rows)), b"".join(rows))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="govdoc-qr-image" src="{uri}" alt="QR">'


@dataclass(frozen=True)
class SealBlock:
    """What the visible seal block shows."""

    agency_name: str
    sealed_at: dt.datetime
    verification_code: str
    verification_url: str  # printed: {PUBLIC_URL}/verify/{code}
    qr_text: str  # encoded: the URL with the signed payload


_SEAL_TEXT = {
    Script.ENGLISH: (
        "This document is signed electronically / "
        '<span lang="sr">Ovaj dokument je elektronski potpisan</span>',
        "Electronic seal",
        "Time",
        "Verification code",
        "Verify at",
    ),
    "sr": (
        "Ovaj dokument je elektronski potpisan / "
        '<span lang="en">This document is signed electronically</span>',
        "Elektronski pečat",
        "Vreme",
        "Verifikacioni kod",
        "Proverite na",
    ),
}


def seal_block_html(block: SealBlock, *, script: str) -> SafeString:
    headline, seal, time, code, verify = _SEAL_TEXT[Script.ENGLISH if script == Script.ENGLISH else "sr"]
    when = block.sealed_at.astimezone(DISPLAY_TZ).strftime("%d.%m.%Y. %H:%M")
    return mark_safe(  # noqa: S308  (every value is escaped here)
        '<section class="govdoc-seal" id="govdoc-seal">'
        f'<div class="govdoc-qr" translate="no">{qr_image(block.qr_text)}</div>'
        '<div class="govdoc-seal-text">'
        f"<p><strong>{headline}</strong></p>"
        f"<p>{seal}: {escape(block.agency_name)}</p>"
        f'<p>{time}: <span translate="no">{when}</span></p>'
        f'<p>{code}: <span class="govdoc-code" translate="no">{escape(block.verification_code)}</span></p>'
        f'<p>{verify}: <span class="govdoc-url" translate="no">{escape(block.verification_url)}</span></p>'
        "</div></section>"
    )


def _css_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _page_css(*, registry_number: str, script: str) -> str:
    number_label, page_label, of_label = _LABELS.get(script, _LABELS[Script.LATIN])
    number = _css_string(f"{number_label}: {registry_number}")
    return f"""
@page {{
  size: A4; margin: 24mm 18mm 22mm 18mm;
  @top-right {{ content: {number}; font: 8.5pt {FONT_FAMILY}; color: #333; }}
  @bottom-left {{ content: {_css_string(registry_number)}; font: 8.5pt {FONT_FAMILY}; color: #333; }}
  @bottom-right {{ content: {_css_string(page_label + " ")} counter(page) {_css_string(" " + of_label + " ")}
    counter(pages); font: 8.5pt {FONT_FAMILY}; color: #333; }}
}}
html {{ font-family: {FONT_FAMILY}; font-size: 10.5pt; }}
.govdoc-seal {{ margin-top: 10mm; padding: 4mm; border: 0.4mm solid #1f3b73; break-inside: avoid;
  overflow: hidden; }}
.govdoc-qr {{ float: left; width: 50mm; margin-right: 6mm; }}
.govdoc-qr-image {{ width: 50mm; height: 50mm; display: block; image-rendering: pixelated; }}
.govdoc-seal-text {{ margin-left: 56mm; }}
.govdoc-seal-text p {{ margin: 0 0 1.5mm 0; font-size: 9pt; }}
.govdoc-code {{ font-weight: bold; letter-spacing: 0.3mm; white-space: nowrap; }}
.govdoc-url {{ white-space: nowrap; }}
"""


_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
_HTML_START = re.compile(r"<html[\s>]", re.IGNORECASE)


def _assemble(body: str, *, css: str, title: str, script: str, seal: str) -> str:
    if 'id="govdoc-seal"' not in body:
        ends = list(_BODY_END.finditer(body))
        match = ends[-1] if ends else None
        body = body[: match.start()] + seal + body[match.start() :] if match else body + seal
    style = f"<style>{css}</style>"
    if _HTML_START.search(body) is None:
        return (
            f'<!DOCTYPE html><html lang="{_LANG.get(script, "sr")}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title>{style}</head><body>{body}</body></html>"
        )
    head_end = _HEAD_END.search(body)
    if head_end is not None:  # after the template's styles: the margin boxes always win
        return body[: head_end.start()] + style + body[head_end.start() :]
    start = _HTML_START.search(body)
    assert start is not None
    close = body.index(">", start.start()) + 1
    return body[:close] + f"<head>{style}</head>" + body[close:]


_local = threading.local()


def _font_config() -> FontConfiguration:
    config = getattr(_local, "fonts", None)
    if config is None:
        config = _local.fonts = FontConfiguration()
    return config


def _fetcher() -> URLFetcher:
    fetcher = getattr(_local, "fetcher", None)
    if fetcher is None:
        fetcher = _local.fetcher = URLFetcher(allowed_protocols={"data"}, timeout=1)
    return fetcher


def _untranslated(value: str) -> SafeString:
    return mark_safe(f'<span translate="no">{escape(value)}</span>')  # noqa: S308  (escaped)


def html_render(
    *,
    template_html: str,
    context: dict[str, Any],
    script: str,
    registry_number: str,
    title: str,
    seal: SealBlock,
) -> str:
    """The complete HTML of the document, in ``script``, before layout."""
    block = seal_block_html(seal, script=script)
    full_context = {
        **context,
        "script": script,
        # Identifiers stay as registered whatever the script (a clerk compares them letter by
        # letter), so they reach the template already marked ``translate="no"``.
        "registry_number": _untranslated(registry_number),
        "verification_code": _untranslated(seal.verification_code),
        "verification_url": _untranslated(seal.verification_url),
        "security_block": block,
    }
    try:
        body = template_compile(template_html).render(Context(full_context, autoescape=True))
    except TemplateRenderError:
        raise
    except Exception as exc:  # a template's filters and tags can raise nearly anything
        raise TemplateRenderError(f"the document template could not be filled: {exc}") from exc
    css = _page_css(registry_number=registry_number, script=script)
    html = _assemble(body, css=css, title=title, script=script, seal=str(block))
    return html_to_script(html, script)


def pdf_render(*, html: str, data_json: bytes) -> bytes:
    """Lay out ``html`` as PDF/A-3b with ``data_json`` embedded as ``data.json`` (relationship Data)."""
    attachment = Attachment(
        string=data_json,
        name=DATA_ATTACHMENT,
        description="Machine-readable data of this document (JSON)",
        relationship="Data",
    )
    document = HTML(string=html, url_fetcher=_fetcher()).render(font_config=_font_config())
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=[attachment])
    assert isinstance(pdf, bytes)
    return pdf
