"""Serbian Latin ↔ Cyrillic transliteration: the one transliterator of GovDoc.

Serbian has two scripts with a one-to-one letter mapping (Vuk's alphabet and Gaj's Latin
alphabet): three Latin digraphs are single Cyrillic letters (lj ↔ љ, nj ↔ њ, dž ↔ џ) and
đ ↔ ђ. Capitalisation follows the word: ``Љубица`` → ``Ljubica`` but ``ЉУБИЦА`` → ``LJUBICA``.

Known limit: Latin → Cyrillic reads every ``lj``/``nj``/``dž`` as one letter, which is wrong in
a few compound and foreign words (``konjunkcija``, ``nadživeti``). Such words, and anything
that is not Serbian text (URLs, codes, registry numbers, English), are kept out of
transliteration in document templates by marking them as such (``keep[...]``, ``en[...]``:
see ``issuance.rendering``), which applies :func:`latin_to_cyrillic_rule` to the laid-out text.

Script codes are the values of ``accounts.constants.Script`` (``sr-latn``, ``sr-cyrl``, ``en``);
this module sits in ``core`` so that every domain (and the web pages) uses the same one.
"""

from __future__ import annotations

import re

CYRILLIC = "sr-cyrl"  # accounts.constants.Script.CYRILLIC (core imports no domain)

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
    if script == CYRILLIC:
        return latin_to_cyrillic(text)
    return cyrillic_to_latin(text)


def to_cyrillic(text: str) -> str:
    """Serbian Latin text in Cyrillic (for interfaces that show their own texts in the script)."""
    return latin_to_cyrillic(text)


def to_latin(text: str) -> str:
    """Serbian Cyrillic text in Latin."""
    return cyrillic_to_latin(text)


def latin_to_cyrillic_rule() -> tuple[str, dict[str, str]]:
    """The Latin → Cyrillic mapping as a regular expression of the letters it changes
    (digraphs first) and the table of their Cyrillic letters, for a typesetter that applies it
    to laid-out text (the document renderer). The same table as :func:`latin_to_cyrillic`."""
    return _LAT_TO_CYR.pattern, {**_LAT_TO_CYR_LETTERS, **_LAT_TO_CYR_DIGRAPHS}
