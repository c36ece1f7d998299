"""How a lane says who works in it: a GovDoc role, or a party and a role.

The rule, for whoever draws a process in bpmn.io or Camunda Modeler:

* ``handler``, ``Head of unit``: a **role lane**. Whoever holds the role in the instance's
  agency completes its tasks (as before parties existed).
* ``Lead organization (partner country) / head of agency``: a **party lane**, the party's name,
  a slash, a role. A party is one of the organizations that work a procedure together (the
  seeds' lead, specialized, cooperation and diplomatic organizations of two countries). An
  instance is given its parties when it starts (party name → agency); whoever holds the role in
  the party's agency completes the lane's tasks.

A party's name is what the modeler typed before the slash: letters, digits, spaces and
``( ) . , ' & -``, at most 100 characters; it is matched without regard to case or repeated
spaces, so ``lead organization (Korea)`` and ``Lead Organization  (Korea)`` are one party.
The role is written as in a role lane: its code or its English name, any case, spaces or
hyphens for underscores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govdoc.accounts.constants import Role
from govdoc.procedures.constants import LANE_ROLES, PARTY_NAME_MAX

PARTY_SEPARATOR = "/"
_PARTY_NAME = re.compile(r"[^\W_][\w .,'()&-]*")


@dataclass(frozen=True)
class Lane:
    """What a lane's name means: a role, and the party whose people hold it ("" for none)."""

    party: str  # the party's name as drawn, spaces collapsed; "" in a role lane
    role: Role

    @property
    def party_key(self) -> str:
        return party_key(self.party)


class LaneNameError(ValueError):
    """A lane's name is neither a role nor ``party / role``. ``problem`` says which part:
    ``role`` (no GovDoc role), ``party-empty``, ``party-name`` (characters or length),
    ``separators`` (more than one slash)."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name!r}: {problem}")
        self.name = name
        self.problem = problem


def party_key(name: str) -> str:
    """The form two spellings of one party's name share (case and spaces do not count)."""
    return " ".join(name.split()).casefold()


def role_read(text: str) -> Role | None:
    """The role a drawn name stands for ("head of agency", "Head-of-unit"), or None."""
    return _role(text)


def _role(text: str) -> Role | None:
    code = re.sub(r"[\s\-]+", "_", text.strip().lower())
    return Role(code) if code in LANE_ROLES else None


def lane_read(name: str | None) -> Lane:
    """The role (and party) a lane's name stands for, or ``LaneNameError``."""
    text = (name or "").strip()
    if text.count(PARTY_SEPARATOR) > 1:
        raise LaneNameError(text, "separators")
    party, separator, role_text = text.rpartition(PARTY_SEPARATOR)
    role = _role(role_text)
    if role is None:
        raise LaneNameError(text, "role")
    if not separator:
        return Lane(party="", role=role)
    party = " ".join(party.split())
    if not party:
        raise LaneNameError(text, "party-empty")
    if len(party) > PARTY_NAME_MAX or not _PARTY_NAME.fullmatch(party):
        raise LaneNameError(text, "party-name")
    return Lane(party=party, role=role)


def lane_or_none(name: str | None) -> Lane | None:
    try:
        return lane_read(name)
    except LaneNameError:
        return None
