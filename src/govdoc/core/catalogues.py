"""GovDoc's translation catalogues: Serbian Cyrillic made from Serbian Latin.

Pages and messages are written with English message ids; translators write the Serbian Latin
catalogue (``locale/sr_Latn/LC_MESSAGES/django.po``). The Serbian Cyrillic catalogue
(``locale/sr/…``, Django's code for Serbian Cyrillic) is made from it by the one transliterator
(``core.transliteration``), except for entries a translator wrote in Cyrillic themselves (marked
``#, manual`` in the Cyrillic catalogue, kept as they are). What is not Serbian text stays in
Latin letters: placeholders (``%(name)s``, ``{name}``), HTML tags and entities, addresses, and
words that are not Serbian (acronyms such as PDF, QR, API, product names, words with q, w, x, y).

``python -m govdoc.core.catalogues LATIN.po CYRILLIC.po`` writes the Cyrillic catalogue.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from govdoc.core.transliteration import latin_to_cyrillic

# Kept in Latin: placeholders, tags, entities, addresses, e-mail addresses, and tokens that are
# not Serbian words (with q/w/x/y, or written in capitals of two or more letters other than
# Serbian abbreviations such as JMBG, MUP); and what a person types at the command line: text
# in backticks (`govdoc pki status`), options (--since), ISO 8601 dates and times
# (2027-05-28T09:00+02:00), camelCase and profile codes (keyCompromise, PAdES B-LTA) and the
# names GovDoc, govdoc and Django.
SERBIAN_ABBREVIATIONS = frozenset({"JMBG", "MUP", "RGZ", "PIB", "RS", "SR"})
_PROTECTED = re.compile(
    r"%\([^)]*\)[sdifr]|%[sdif]|\{[^{}]*\}|<[^>]*>|&[#\w]+;|https?://\S+|[\w.+-]+@[\w.-]+"
    r"|`[^`]*`|(?<![\w-])--[a-z][\w-]*|\d{4}-\d\d-\d\d(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?"
    r"|\b[a-z]+[A-Z]\w*\b|\b[A-Z]+[a-z]+[A-Z]+\b|\b[A-Z]+(?:-[A-Z]+)+\b"
    r"|\b[\w-]*[qwxyQWXY][\w-]*\b|\b[A-ZČĆŽŠĐ]{2,}\b|\b(?:GovDoc|govdoc|Django)\b"
)


def cyrillic_text(latin: str) -> str:
    """A Serbian Latin message in Cyrillic, with what is not Serbian text left as it is."""
    out: list[str] = []
    position = 0
    for match in _PROTECTED.finditer(latin):
        out.append(latin_to_cyrillic(latin[position : match.start()]))
        token = match.group()
        out.append(latin_to_cyrillic(token) if token in SERBIAN_ABBREVIATIONS else token)
        position = match.end()
    out.append(latin_to_cyrillic(latin[position:]))
    return "".join(out)


# ---------------------------------------------------------------------------- .po files


@dataclass
class Entry:
    """One catalogue entry: comments and flags as written, the message and its translation(s)."""

    comments: list[str] = field(default_factory=list)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=lambda: [""])

    @property
    def flags(self) -> set[str]:
        return {f.strip() for c in self.comments if c.startswith("#,") for f in c[2:].split(",")}

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    body = text.strip()
    if len(body) < 2 or not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"a .po string must be quoted: {text!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t")
    lines = escaped.split("\n")
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    if len(parts) <= 1:
        return f'"{parts[0] if parts else ""}"'
    return '""\n' + "\n".join(f'"{p}"' for p in parts)


def parse(text: str) -> list[Entry]:
    """The entries of a .po file (obsolete ``#~`` entries are dropped)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None
    started = False

    def finish() -> None:
        nonlocal current, started, target
        if started:
            entries.append(current)
        current, started, target = Entry(), False, None

    for raw in text.splitlines():
        line = raw.rstrip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#"):
            if started and target is not None and target[0] != "comment":
                finish()
            current.comments.append(line)
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            if target is None:
                raise ValueError(f"a continuation line without a keyword: {line!r}")
            name, index = target
            value = _unquote(line)
            if name == "msgid":
                current.msgid += value
            elif name == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + value
            elif name == "msgctxt":
                current.msgctxt = (current.msgctxt or "") + value
            else:
                current.msgstr[index] += value
            continue
        started = True
        if keyword == "msgctxt":
            if current.msgid or current.msgstr != [""]:
                finish()
                started = True
            current.msgctxt, target = _unquote(rest), ("msgctxt", 0)
        elif keyword == "msgid":
            current.msgid, target = _unquote(rest), ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural, target = _unquote(rest), ("msgid_plural", 0)
        elif keyword == "msgstr":
            current.msgstr, target = [_unquote(rest)], ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index], target = _unquote(rest), ("msgstr", index)
        else:
            raise ValueError(f"not a .po line: {line!r}")
    finish()
    return entries


def render(entries: list[Entry]) -> str:
    blocks: list[str] = []
    for entry in entries:
        lines = list(entry.comments)
        if entry.msgctxt is not None:
            lines.append(f"msgctxt {_quote(entry.msgctxt)}")
        lines.append(f"msgid {_quote(entry.msgid)}")
        if entry.msgid_plural is not None:
            lines.append(f"msgid_plural {_quote(entry.msgid_plural)}")
            lines += [f"msgstr[{i}] {_quote(s)}" for i, s in enumerate(entry.msgstr)]
        else:
            lines.append(f"msgstr {_quote(entry.msgstr[0])}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def cyrillic_catalogue(latin: list[Entry], existing: list[Entry] = ()) -> list[Entry]:  # type: ignore[assignment]
    """The Cyrillic catalogue for a Latin one: each translation transliterated, except entries
    marked ``manual`` in ``existing`` (the current Cyrillic catalogue), kept as written."""
    manual = {e.key: e for e in existing if "manual" in e.flags}
    out: list[Entry] = []
    for entry in latin:
        if entry.key in manual:
            out.append(manual[entry.key])
        elif entry.msgid == "":  # the header: the same, in the Cyrillic language
            header = entry.msgstr[0].replace("Language: sr_Latn", "Language: sr")
            out.append(replace(entry, msgstr=[header]))
        else:
            out.append(replace(entry, msgstr=[cyrillic_text(s) for s in entry.msgstr]))
    return out


def fill(catalogue: list[Entry], sources: list[Entry]) -> tuple[list[Entry], list[Entry]]:
    """``catalogue`` (as ``makemessages`` left it) with each untranslated or fuzzy entry taken
    from ``sources`` (translators' files, one per part of GovDoc), and the entries still without
    a translation."""
    known = {e.key: e for e in sources if any(e.msgstr)}
    out: list[Entry] = []
    missing: list[Entry] = []
    for entry in catalogue:
        fuzzy = "fuzzy" in entry.flags
        if entry.msgid and (fuzzy or not any(entry.msgstr)):
            source = known.get(entry.key)
            if source is not None:
                comments = [c for c in entry.comments if not c.startswith("#,")]
                entry = replace(entry, comments=comments, msgstr=list(source.msgstr))
            else:
                missing.append(entry)
        out.append(entry)
    return out, missing


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "--fill":
        folder, target = Path(argv[1]), Path(argv[2])
        sources = [e for path in sorted(folder.glob("*.po")) for e in parse(path.read_text(encoding="utf-8"))]
        made, missing = fill(parse(target.read_text(encoding="utf-8")), sources)
        target.write_text(render(made), encoding="utf-8")
        for entry in missing:
            sys.stderr.write(f"no translation yet: {entry.msgid[:80]!r}\n")
        return 0
    if len(argv) != 2:
        sys.stderr.write(
            "usage: python -m govdoc.core.catalogues LATIN.po CYRILLIC.po\n"
            "       python -m govdoc.core.catalogues --fill SOURCES_FOLDER CATALOGUE.po\n"
        )
        return 2
    latin_path, cyrillic_path = Path(argv[0]), Path(argv[1])
    existing = parse(cyrillic_path.read_text(encoding="utf-8")) if cyrillic_path.exists() else []
    made = cyrillic_catalogue(parse(latin_path.read_text(encoding="utf-8")), existing)
    cyrillic_path.parent.mkdir(parents=True, exist_ok=True)
    cyrillic_path.write_text(render(made), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
