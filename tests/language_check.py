"""Is a page in one language and script? What a Cyrillic-only reader, a Latin reader and an
English reader would each stumble on: the visible text of a page, tags and code left out.

Left out of the check: ``<script>``, ``<style>``, ``<code>``, ``<pre>``, elements marked
``translate="no"`` and elements whose ``lang`` differs from the page's (the language switch
names each language in itself; a quotation in another language is marked so). Allowed
everywhere: numbers, codes (P-MUP-2026-000001, ABCD-EFGH-…), addresses, e-mail addresses,
acronyms (PDF, QR, JMBG, API…), product names and the proper names a test passes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

CYRILLIC = re.compile(r"[\u0400-\u04FF]")
LATIN_WORD = re.compile(r"[A-Za-zČĆŽŠĐčćžšđ][A-Za-zČĆŽŠĐčćžšđ'’-]*")
SERBIAN_LATIN_LETTERS = re.compile(r"[ČĆŽŠĐčćžšđ]")
SKIPPED_TAGS = frozenset({"script", "style", "code", "pre", "title"})
VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "base", "col"})
ALLOWED = frozenset(
    {
        "GovDoc",
        "PDF",
        "PDF/A",
        "QR",
        "API",
        "REST",
        "OpenAPI",
        "JSON",
        "CRL",
        "TSA",
        "PIN",
        "JMBG",
        "URL",
        "HTTP",
        "HTTPS",
        "TOTP",
        "ID",
        "OK",
        "e",
        "CSV",
        "PAdES",
        "e-mail",
        "Swagger",
    }
)
# Words that give away English on a Serbian page, or Serbian on an English page.
ENGLISH_TELLS = frozenset(
    {
        "the",
        "and",
        "your",
        "you",
        "of",
        "to",
        "is",
        "are",
        "with",
        "for",
        "this",
        "that",
        "from",
        "not",
        "no",
        "yes",
        "log",
        "page",
        "document",
        "documents",
        "application",
        "applications",
        "services",
        "verify",
        "submit",
        "search",
        "cancel",
        "back",
        "next",
        "previous",
        "status",
        "who",
        "when",
        "what",
        "why",
        "save",
        "send",
        "password",
        "username",
        "code",
        "menu",
    }
)
SERBIAN_TELLS = frozenset(
    {
        "i",
        "je",
        "za",
        "na",
        "od",
        "da",
        "se",
        "nije",
        "ili",
        "vaš",
        "vaše",
        "vas",
        "zahtev",
        "zahtevi",
        "usluge",
        "usluga",
        "prijava",
        "odjava",
        "dokument",
        "dokumenti",
        "provera",
        "potvrda",
        "broj",
        "podnosilac",
        "pretraga",
        "nazad",
        "sačuvaj",
        "pošalji",
        "lozinka",
        "korisničko",
        "ime",
        "strana",
        "početna",
        "sadržaj",
        "meni",
    }
)


class _Text(HTMLParser):
    def __init__(self, page_lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_lang = page_lang.lower()
        self.stack: list[bool] = []  # per open element: is its text skipped?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        lang = (a.get("lang") or "").lower()
        skipped = (
            tag in SKIPPED_TAGS
            or a.get("translate") == "no"
            or (bool(lang) and tag != "html" and lang != self.page_lang)
            or (bool(self.stack) and self.stack[-1])
        )
        if tag == "input" and a.get("type") in ("submit", "button") and a.get("value") and not skipped:
            self.parts.append(a["value"] or "")
        for name in ("placeholder", "aria-label", "title", "alt"):
            if a.get(name) and not skipped:
                self.parts.append(a[name] or "")
        if tag not in VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def visible_text(html: str, page_lang: str) -> str:
    parser = _Text(page_lang)
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


_CODES = re.compile(
    r"https?://\S+|[\w.+-]+@[\w-]+\.[\w.-]+|/[\w/.-]+|\b[A-Z0-9]+(?:-[A-Z0-9]+)+\b|\b[A-Z]{2,}\b|\d+"
)


def problems(html: str, script: str, *, names: frozenset[str] = frozenset()) -> list[str]:
    """What on the page is not in ``script`` (sr-latn, sr-cyrl or en)."""
    page_lang = {"sr-latn": "sr-latn", "sr-cyrl": "sr-cyrl", "en": "en"}[script]
    match = re.search(r'<html[^>]*\blang="([^"]+)"', html)
    found: list[str] = []
    if match is None or match.group(1).lower() != page_lang:
        found.append(f"<html lang> is {match.group(1) if match else None!r}, not {page_lang}")
    text = visible_text(html, page_lang)
    for name in sorted(names, key=len, reverse=True):  # "Marko Marković" before "Marko"
        text = text.replace(name, " ")
    text = _CODES.sub(" ", text)
    words = [w for w in LATIN_WORD.findall(text) if w not in ALLOWED]
    if script == "sr-cyrl":
        found += [f"Latin text on a Cyrillic page: {w!r}" for w in dict.fromkeys(words)]
    else:
        found += [f"Cyrillic text: {c!r}" for c in dict.fromkeys(re.findall(r"\S*[\u0400-\u04FF]\S*", text))]
    lowered = [w.lower() for w in words]
    if script == "sr-latn":
        found += [f"English on a Serbian page: {w!r}" for w in dict.fromkeys(lowered) if w in ENGLISH_TELLS]
    if script == "en":
        found += [f"Serbian on an English page: {w!r}" for w in dict.fromkeys(lowered) if w in SERBIAN_TELLS]
        found += [
            f"Serbian letters on an English page: {w!r}"
            for w in dict.fromkeys(words)
            if SERBIAN_LATIN_LETTERS.search(w)
        ]
    return found
