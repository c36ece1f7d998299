"""Serbian Latin -> Serbian Cyrillic. The two scripts map letter for letter (lj, nj and dž are one
letter each), so a text or template written in Latin can be shown to a citizen who chose Cyrillic.
"""

from __future__ import annotations

import re

_DIGRAPHS = {
    "Lj": "Љ",
    "LJ": "Љ",
    "lj": "љ",
    "Nj": "Њ",
    "NJ": "Њ",
    "nj": "њ",
    "Dž": "Џ",
    "DŽ": "Џ",
    "dž": "џ",
}
_LETTERS = dict(
    zip(
        "ABVGDĐEŽZIJKLMNOPRSTĆUFHCČŠabvgdđežzijklmnoprstćufhcčš",
        "АБВГДЂЕЖЗИЈКЛМНОПРСТЋУФХЦЧШабвгдђежзијклмнопрстћуфхцчш",
        strict=True,
    )
)
# Left as they are: Django template tags and variables, HTML comments, <style> and <script>
# elements, other HTML tags, character entities, and URLs.
_KEEP = re.compile(
    r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|<!--.*?-->|<style\b.*?</style>|<script\b.*?</script>"
    r"|<[^>]*>|&#?\w+;|https?://\S+",
    re.DOTALL | re.IGNORECASE,
)


def _letters(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            i += 2
        else:
            out.append(_LETTERS.get(text[i], text[i]))
            i += 1
    return "".join(out)


def to_cyrillic(text: str) -> str:
    """``"Uverenje o prebivalištu"`` -> ``"Уверење о пребивалишту"``; markup stays intact."""
    out: list[str] = []
    last = 0
    for match in _KEEP.finditer(text):
        out.append(_letters(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_letters(text[last:]))
    return "".join(out)
