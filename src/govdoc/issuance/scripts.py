"""Serbian Latin ↔ Cyrillic transliteration, and rendered HTML in the citizen's script.

Serbian has two scripts with a one-to-one letter mapping (Vuk's alphabet and Gaj's Latin
alphabet): three Latin digraphs are single Cyrillic letters (lj ↔ љ, nj ↔ њ, dž ↔ џ) and
đ ↔ ђ. Capitalisation follows the word: ``Љубица`` → ``Ljubica`` but ``ЉУБИЦА`` → ``LJUBICA``.

Known limit: Latin → Cyrillic reads every ``lj``/``nj``/``dž`` as one letter, which is wrong in
a few compound and foreign words (``konjunkcija``, ``nadživeti``). Such words, and anything
that is not Serbian text (URLs, codes, registry numbers, English), are kept out of
transliteration in templates with ``translate="no"`` or ``lang="en"`` (see
:func:`html_to_script`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from govdoc.accounts.constants import Script

_LAT_TO_CYR_DIGRAPHS = {
    "Lj": "Љ",
    "LJ": "Љ",
    "lj": "љ",
    "lJ": "љ",
    "Nj": "Њ",
    "NJ": "Њ",
    "nj": "њ",
    "nJ": "њ",
    "Dž": "Џ",
    "DŽ": "Џ",
    "dž": "џ",
    "dŽ": "џ",
}
_LAT_TO_CYR_LETTERS = dict(
    zip(
        "ABVGDĐEŽZIJKLMNOPRSĆTUFHCČŠabvgdđežzijklmnoprsćtufhcčš",
        "АБВГДЂЕЖЗИЈКЛМНОПРСЋТУФХЦЧШабвгдђежзијклмнопрсћтуфхцчш",
        strict=True,
    )
)
_LAT_TO_CYR = re.compile("|".join([*_LAT_TO_CYR_DIGRAPHS, *(re.escape(c) for c in _LAT_TO_CYR_LETTERS)]))

_CYR_TO_LAT = {cyr: lat for lat, cyr in _LAT_TO_CYR_LETTERS.items()} | {
    "Љ": "Lj",
    "љ": "lj",
    "Њ": "Nj",
    "њ": "nj",
    "Џ": "Dž",
    "џ": "dž",
}
_CYR_DIGRAPH_CAPITALS = frozenset("ЉЊЏ")


def latin_to_cyrillic(text: str) -> str:
    """Serbian Latin to Cyrillic; characters outside the Serbian alphabet stay as they are."""
    return _LAT_TO_CYR.sub(
        lambda m: _LAT_TO_CYR_DIGRAPHS.get(m.group()) or _LAT_TO_CYR_LETTERS[m.group()], text
    )


def cyrillic_to_latin(text: str) -> str:
    """Serbian Cyrillic to Latin; a capital Љ/Њ/Џ becomes ``LJ``/``NJ``/``DŽ`` inside a word in
    capitals and ``Lj``/``Nj``/``Dž`` otherwise."""
    out: list[str] = []
    for i, char in enumerate(text):
        latin = _CYR_TO_LAT.get(char)
        if latin is None:
            out.append(char)
            continue
        if char in _CYR_DIGRAPH_CAPITALS:
            neighbours = text[i + 1 : i + 2] + text[max(i - 1, 0) : i]
            if any(n.isalpha() and n.isupper() for n in neighbours):
                latin = latin.upper()
        out.append(latin)
    return "".join(out)


def to_script(text: str, script: str) -> str:
    """``text`` in ``script``: Cyrillic for sr-cyrl, Latin for sr-latn and en (names in English
    documents are written in Latin)."""
    if script == Script.CYRILLIC:
        return latin_to_cyrillic(text)
    return cyrillic_to_latin(text)


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_RAW_TEXT = frozenset({"style", "script", "title"})


class _Transliterator(HTMLParser):
    """Rebuilds HTML, transliterating text nodes only (never tags, attributes, CSS).

    An element with ``translate="no"`` (HTML's own attribute for "do not translate") or with a
    ``lang`` that is not Serbian keeps its text, with everything inside it.
    """

    def __init__(self, convert: Callable[[str], str]) -> None:
        super().__init__(convert_charrefs=False)
        self._convert = convert
        self._out: list[str] = []
        self._stack: list[tuple[str, bool]] = []  # (tag, keeps its text)

    def _keeping(self) -> bool:
        return any(keep for _, keep in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._out.append(self.get_starttag_text() or "")
        if tag in _VOID:
            return
        values = dict(attrs)
        lang = (values.get("lang") or "").lower()
        keep = (
            (values.get("translate") or "").lower() == "no"
            or (bool(lang) and not lang.startswith("sr"))
            or tag in _RAW_TEXT
        )
        self._stack.append((tag, keep))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                break
        self._out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        # The text is raw HTML text (references come separately): letters change, markup does not.
        self._out.append(data if self._keeping() else self._convert(data))

    def handle_entityref(self, name: str) -> None:
        self._out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self._out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._out.append(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._out.append(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._out.append(f"<![{data}]>")

    def result(self) -> str:
        return "".join(self._out)


def html_to_script(html: str, script: str) -> str:
    """Rendered HTML with its Serbian text in ``script`` (see :class:`_Transliterator`).

    For English documents only data values written in Cyrillic change (to Latin).
    """
    convert = latin_to_cyrillic if script == Script.CYRILLIC else cyrillic_to_latin
    parser = _Transliterator(convert)
    parser.feed(html)
    parser.close()
    return parser.result()


def to_cyrillic(text: str) -> str:
    """Serbian Latin text in Cyrillic (for interfaces that show their own texts in the script)."""
    return latin_to_cyrillic(text)


def to_latin(text: str) -> str:
    """Serbian Cyrillic text in Latin."""
    return cyrillic_to_latin(text)
