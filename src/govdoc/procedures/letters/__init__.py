"""The templates a procedure's task drafts its documents from (``<govdoc:draft template="…">``
in the BPMN file, docs/procedures.md): Typst markup for issuance's one renderer
(``rendering.letter_pdf``), written in Serbian Latin with the English parts marked
``#if script == "en"``. Every template starts with the same head (the sending agency, the date,
the procedure) and reads these names:

- ``sender``: the drafting agency; ``recipients``: the recipients' names;
- ``subject``: the document's title; ``paragraphs``: the official's text, paragraph by paragraph;
- ``procedure``: the procedure's title; ``parties``: its parties (``name``, ``agency``);
- ``written_on``: the day it was drafted, as a person reads it.

A BPMN file naming a template not listed here is refused when it is loaded.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from django.utils.translation import gettext_lazy as _

_HERE: Final = Path(__file__).resolve().parent

TEMPLATES: Final = {
    "letter": _("Letter"),
    "mou": _("Memorandum of understanding"),
    "agreement": _("Agreement on operation of the Center"),
    "report": _("Report"),
}


@functools.cache
def template_text(key: str) -> str:
    """The whole Typst markup of template ``key`` (head and body); KeyError if there is none."""
    if key not in TEMPLATES:
        raise KeyError(key)
    return (_HERE / "_head.typ").read_text("utf-8") + (_HERE / f"{key}.typ").read_text("utf-8")
