"""Shapes of the JSON a service definition holds, and of the data an application carries in.

Every JSON field of this domain has a ``TypedDict`` here, so mypy checks what code reads from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypedDict

from govdoc.approvals.policy import ApprovalPolicy, PolicyHolder, PolicyStep

StepKind = Literal["review", "consent", "approval"]
STEP_KINDS: frozenset[str] = frozenset({"review", "consent", "approval"})


class AttachmentRule(TypedDict):
    """One attachment a service asks for, e.g. a scan of the identity card."""

    key: str
    label: str  # Serbian Latin
    label_cyrl: str
    label_en: str
    allowed: list[str]  # media types, judged by content (documents.content_types)
    max_bytes: int
    required: bool


class DefaultLineStep(TypedDict):
    """One step of a service's default approval line, resolved to a person when it is used.

    ``role`` is looked up first in the handling unit, then anywhere in the handling agency.
    """

    kind: StepKind
    role: str
    position: int


class LineStep(TypedDict):
    """A step resolved to a person; the shape approvals' ``StepSpec`` is made from."""

    kind: StepKind
    assignee_id: str
    position: int


def strict_policy() -> ApprovalPolicy:
    """The policy a service has until its agency declares one: the head of the agency approves."""
    return {"steps": [{"kind": "approval", "holders": [{"role": "head_of_agency", "scope": "agency"}]}]}


__all__ = ["ApprovalPolicy", "PolicyHolder", "PolicyStep", "strict_policy"]


# Field path ("name", "address.city", "attachments.id_card") -> one message a person understands.
FieldErrors = dict[str, str]


@dataclass(frozen=True)
class UploadedFileData:
    """A file a citizen uploaded for one attachment rule; interfaces read the bytes, never a path."""

    rule_key: str
    filename: str
    content: bytes
    declared_media_type: str = ""
