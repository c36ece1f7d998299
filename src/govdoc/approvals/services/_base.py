"""What the approvals services share: the step spec, the line lock and moves, the checks
of a line's steps, the announcement of its end, and whether its content changed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import agency_ids_of, people_by_ids
from govdoc.approvals.constants import (
    LINE_MOVES,
    STEP_OPEN,
    LineStatus,
    StepKind,
    StepStatus,
)
from govdoc.approvals.content import current_content_sha256
from govdoc.approvals.errors import (
    InvalidLineError,
    LineStateError,
    NotDrafterError,
)
from govdoc.approvals.manifest import (
    PersonRef,
)
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.approvals.tasks import line_finished_announce
from govdoc.core.jsontypes import JSONValue

Actor = Person | str | None


DOC_TYPE_MAX = 32
# Who sets an agency's delegation table (전결 규정).
RULE_MANAGER_ROLES = frozenset({Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR})
# Who, besides the absent person, records an absence and names the deputy.
ABSENCE_MANAGER_ROLES = frozenset({Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class StepSpec:
    """One step as the drafter asks for it. Consent steps sharing a position run in parallel."""

    kind: str
    assignee_id: uuid.UUID | str
    position: int


# ---------------------------------------------------------------------------- helpers


def _name(person: Person) -> str:
    return person.get_full_name() or person.get_username()


def _person_ref(person: Person) -> PersonRef:
    return {"id": str(person.pk), "name": _name(person)}


def _is_official_of(person: Person, agency_id: uuid.UUID) -> bool:
    return agency_id in agency_ids_of(person=person)


def _lock_line(line_id: uuid.UUID) -> ApprovalLine:
    return ApprovalLine.objects.select_for_update().get(pk=line_id)


def _move(line: ApprovalLine, to: LineStatus) -> None:
    if to not in LINE_MOVES[line.status]:
        raise LineStateError(
            _("a line that is %(status)s cannot become %(to)s")
            % {"status": line.get_status_display().lower(), "to": LineStatus(to).label.lower()},
            line_id=str(line.pk),
            status=str(line.status),
            to=str(to),
        )
    line.status = to


def _require_drafter(*, line: ApprovalLine, actor: Actor) -> None:
    if isinstance(actor, Person) and actor.pk != line.drafter_id:
        raise NotDrafterError(
            _("only the drafter may change, submit or withdraw this approval line"),
            line_id=str(line.pk),
            person_id=str(actor.pk),
        )


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def _announce_finished(line: ApprovalLine) -> None:
    """Write the announcement that the line ended into the caller's transaction (an outbox
    row, ``tasks.line_finished_announce``): it commits with the decision or not at all, so no
    crash between the two can leave an approved line that nobody acts on."""
    line_finished_announce.enqueue(line_id=str(line.pk), outcome=str(line.status))


def _skip_open_steps(line: ApprovalLine, *, reason: str, except_step: uuid.UUID | None = None) -> int:
    steps = ApprovalStep.objects.filter(line=line, status__in=STEP_OPEN)
    if except_step is not None:
        steps = steps.exclude(pk=except_step)
    return steps.update(status=StepStatus.SKIPPED, skip_reason=reason)


def _validated_steps(
    steps: Sequence[StepSpec], *, agency_id: uuid.UUID, drafter_id: uuid.UUID
) -> list[tuple[StepKind, Person, int]]:
    """Check the drafter's steps; returns (kind, assignee, position) sorted by position."""
    if not steps:
        raise InvalidLineError(_("an approval line needs at least its final approval step"))
    kinds: list[StepKind] = []
    for spec in steps:
        if spec.kind not in StepKind.values:
            raise InvalidLineError(
                _("unknown step kind %(kind)s") % {"kind": repr(spec.kind)}, kind=str(spec.kind)
            )
        if isinstance(spec.position, bool) or not isinstance(spec.position, int) or spec.position < 1:
            raise InvalidLineError(_("step positions are whole numbers from 1"), position=str(spec.position))
        kinds.append(StepKind(spec.kind))
    approvals = [spec for spec in steps if spec.kind == StepKind.APPROVAL]
    if len(approvals) != 1:
        raise InvalidLineError(
            _("an approval line has exactly one final approval step, not %(count)s")
            % {"count": len(approvals)},
            count=len(approvals),
        )
    final = approvals[0]
    if any(spec is not final and spec.position >= final.position for spec in steps):
        raise InvalidLineError(_("the final approval must be the last step, alone at its position"))
    by_position: dict[int, list[StepKind]] = {}
    for spec, kind in zip(steps, kinds, strict=True):
        by_position.setdefault(spec.position, []).append(kind)
    for position, group in by_position.items():
        if len(group) > 1 and any(kind != StepKind.CONSENT for kind in group):
            raise InvalidLineError(
                _("only consent steps may share a position (a parallel consent group)"), position=position
            )
    ids = [str(spec.assignee_id) for spec in steps]
    if len(set(ids)) != len(ids):
        raise InvalidLineError(_("a person may appear only once in an approval line"))
    if str(drafter_id) in ids:
        raise InvalidLineError(_("the drafter cannot approve their own draft"), person_id=str(drafter_id))
    try:
        people = {str(person.pk): person for person in people_by_ids(ids)}
    except Exception as exc:  # a malformed id: Django raises ValidationError
        raise InvalidLineError(_("an assignee id is not a valid person id")) from exc
    result: list[tuple[StepKind, Person, int]] = []
    for spec, kind, person_id in zip(steps, kinds, ids, strict=True):
        person = people.get(person_id)
        if person is None or not person.is_active:
            raise InvalidLineError(_("no active person %(id)s") % {"id": person_id}, person_id=person_id)
        if person.is_system:
            raise InvalidLineError(
                _("%(username)s is an agency system: only people decide")
                % {"username": person.get_username()},
                person_id=person_id,
            )
        if not _is_official_of(person, agency_id):
            raise InvalidLineError(
                _("%(username)s is not a current official of the document's agency")
                % {"username": person.get_username()},
                person_id=person_id,
            )
        result.append((kind, person, spec.position))
    return sorted(result, key=lambda item: item[2])


def _create_steps(line: ApprovalLine, steps: list[tuple[StepKind, Person, int]]) -> list[JSONValue]:
    ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(line=line, kind=kind, assignee=person, position=position)
            for kind, person, position in steps
        ]
    )
    return [
        {"kind": str(kind), "assignee": str(person.pk), "position": position}
        for kind, person, position in steps
    ]


def content_changed(line: ApprovalLine) -> bool:
    """Has what the line approves changed since it was sent (``content.py``)?"""
    if not line.content_sha256:
        return False
    current = current_content_sha256(line.pk)
    return current is not None and current != line.content_sha256
