"""The names drawn in the procedures GovDoc ships, in the page's language.

A BPMN file's author names its process, lanes, tasks, events, gateways and flows in the
language they draw in; pages show those names as drawn (``web/templatetags/procedure_labels``).
The procedures GovDoc ships (``procedures/bpmn/``) are drawn in English by GovDoc itself, so
their names are GovDoc's own words and are translated like any other text:
``procedures/shipped_names.py`` lists them (each marked with its context, so that
``scripts/i18n`` collects them) and ``name_shown`` gives a listed name in the page's language.
A name an agency drew in its own file, which is not on the list, stays as drawn.

The list is generated from the shipped files; after editing one, regenerate it::

    .venv/bin/python -m govdoc.procedures.drawn_names --write

then ``scripts/i18n``, and translate the new names in ``locale/sources/procedure_names.po``
(``--check`` says whether the list is up to date, a test runs it; with no option the module's
text is printed).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from django.utils.translation import get_language, pgettext
from lxml import etree

from govdoc.procedures.bpmn_facts import GOVDOC_NS, NS
from govdoc.procedures.lanes import PARTY_SEPARATOR

SHIPPED_FOLDER = Path(__file__).resolve().parent / "bpmn"
MODULE_PATH = Path(__file__).resolve().parent / "shipped_names.py"
# The language the shipped procedures are drawn in, and the context of their names in the
# catalogues (a task drawn "Approved" is not the status "Approved").
DRAWN_IN = "en"
NAME_CONTEXT = "drawn in a shipped procedure"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def names_in(data: bytes) -> list[str]:
    """Every name drawn in one BPMN file, in drawing order, each once: the names of the
    process and its participants, lanes (and the party a party lane names), tasks, events,
    gateways and flows, and the parties a ``govdoc:draft`` is addressed to or a ``govdoc:start``
    starts in."""
    root = etree.fromstring(data, _PARSER)
    found: dict[str, None] = {}

    def add(text: str | None) -> None:
        text = (text or "").strip()
        if text:
            found.setdefault(text, None)

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace == NS["bpmn"] and qname.localname != "definitions":
            name = element.get("name")
            add(name)
            if qname.localname == "lane" and name and PARTY_SEPARATOR in name:
                add(" ".join(name.rpartition(PARTY_SEPARATOR)[0].split()))
        elif qname.namespace == GOVDOC_NS:
            if qname.localname == "draft":
                for party in str(element.get("to") or "").split(";"):
                    add(" ".join(party.split()))
            elif qname.localname == "start":
                add(" ".join(str(element.get("party") or "").split()))
    return list(found)


def shipped_names(folder: Path = SHIPPED_FOLDER) -> list[str]:
    """The names drawn in every shipped file (files in name order), each once."""
    found: dict[str, None] = {}
    for path in sorted(folder.glob("*.bpmn")):
        for name in names_in(path.read_bytes()):
            found.setdefault(name, None)
    return list(found)


def module_text(names: Iterable[str], files: Iterable[str]) -> str:
    """The source of ``shipped_names.py`` listing ``names``."""
    lines = [
        '"""The names drawn in the procedures GovDoc ships (procedures/bpmn/), for translation.',
        "",
        "Generated from the shipped BPMN files; do not edit. After changing one of them, run",
        "",
        "    .venv/bin/python -m govdoc.procedures.drawn_names --write",
        "",
        "then scripts/i18n, and translate the new names in locale/sources/procedure_names.po.",
        "The files: " + ", ".join(files) + ".",
        '"""',
        "",
        "",
        "def pgettext(context: str, message: str) -> str:",
        '    """Marks a name for makemessages (which collects pgettext calls with their context);',
        '    nothing is translated here: drawn_names.name_shown does it when a page shows a name."""',
        "    return message",
        "",
        "",
        "SHIPPED_NAMES = frozenset(",
        "    {",
    ]
    for name in names:
        # ruff format writes strings with double quotes; repr() of a str with a quote in it
        # may choose either, so the string is escaped here the way ruff would write it.
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'        pgettext("{NAME_CONTEXT}", "{escaped}"),')
    lines += ["    }", ")", ""]
    return "\n".join(lines)


def shipped_module_text(folder: Path = SHIPPED_FOLDER) -> str:
    return module_text(shipped_names(folder), [p.name for p in sorted(folder.glob("*.bpmn"))])


def name_shown(text: str) -> tuple[str, bool]:
    """A drawn name as the page shows it, and whether that is in the page's language: a
    shipped procedure's name translated (or as drawn on an English page), any other name as
    drawn (``False``: the page marks it as not in its language)."""
    from govdoc.procedures.shipped_names import SHIPPED_NAMES

    if text not in SHIPPED_NAMES:
        return text, False
    shown = pgettext(NAME_CONTEXT, text)
    if shown != text:
        return shown, True
    return text, (get_language() or "").split("-")[0] == DRAWN_IN


def main(argv: list[str], *, folder: Path = SHIPPED_FOLDER, module: Path = MODULE_PATH) -> int:
    text = shipped_module_text(folder)
    if "--check" in argv:
        if module.read_text(encoding="utf-8") != text:
            sys.stderr.write(
                "src/govdoc/procedures/shipped_names.py does not list the names drawn in the shipped "
                "BPMN files; regenerate it with `.venv/bin/python -m govdoc.procedures.drawn_names "
                "--write`, then run scripts/i18n and translate the new names in "
                "src/govdoc/locale/sources/procedure_names.po\n"
            )
            return 1
        return 0
    if "--write" in argv:
        module.write_text(text, encoding="utf-8")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
