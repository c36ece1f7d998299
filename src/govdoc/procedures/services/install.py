"""Installing the procedures GovDoc ships (``procedures/bpmn/``) as process definitions.

Each file goes through ``definition_load``, with every check a person's upload gets. Running
the installation again changes nothing for a file that is already the active version, and it
never replaces a version an administrator loaded in the agency's name (an agency that redrew a
shipped procedure keeps its drawing): GovDoc loads a shipped file over an active version only
when that version was itself loaded by GovDoc (the command line, the demo).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.procedures.errors import DefinitionInvalidError, ProceduresError
from govdoc.procedures.models import ProcessDefinition
from govdoc.procedures.services.definitions import definition_load, parse_checked

SHIPPED_FOLDER = Path(__file__).resolve().parent.parent / "bpmn"


class ShippedFileMissingError(ProceduresError):
    code = "procedure-shipped-file-missing"


@dataclass(frozen=True)
class Installed:
    """What the installation did with one file: ``installed`` (a new version), ``unchanged``
    (it is the active version) or ``kept`` (an administrator's own version stays active)."""

    file: str
    key: str
    version: int
    outcome: str


def shipped_files(folder: Path = SHIPPED_FOLDER) -> list[Path]:
    return sorted(folder.glob("*.bpmn"))


def _install_one(path: Path, actor: Person | str) -> Installed:
    xml_bytes = path.read_bytes()
    same = ProcessDefinition.objects.filter(
        sha256=hashlib.sha256(xml_bytes).hexdigest(), is_active=True
    ).first()
    if same is not None:  # the active version already: not even parsed (every demo start asks)
        return Installed(path.name, same.key, same.version, "unchanged")
    try:
        key = parse_checked(xml_bytes).key
        active = ProcessDefinition.objects.filter(key=key, is_active=True).first()
        if active is not None and active.uploaded_by_id is not None:
            return Installed(path.name, key, active.version, "kept")
        definition = definition_load(xml_bytes=xml_bytes, actor=actor)
    except DefinitionInvalidError as exc:
        # the same error, its message saying which file
        raise type(exc)(f"{path.name}: {exc.message}", **exc.details) from exc
    return Installed(path.name, definition.key, definition.version, "installed")


@transaction.atomic
def procedures_install(*, actor: Person | str, folder: Path = SHIPPED_FOLDER) -> list[Installed]:
    """Load every shipped BPMN file of ``folder`` (all or none: one refused file leaves the
    definitions as they were). Only administrators and system actors install
    (``definition_load`` checks it)."""
    files = shipped_files(folder)
    if not files:
        raise ShippedFileMissingError(
            _("no BPMN files in %(folder)s") % {"folder": str(folder)}, folder=str(folder)
        )
    return [_install_one(path, actor) for path in files]
