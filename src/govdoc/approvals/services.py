"""Writes of the approvals domain: lines, signed decisions, delegation rules, absences.

Every write runs in one transaction with its audit event; every service that changes a line
or its steps locks the line row first (then a step), so decisions on one line are serialized
and the hash chain of decisions never forks.

Signing a decision: the PIN opens the official's key *before* any lock is taken (a wrong PIN
changes nothing and blocks nobody); the decision is then validated under the line and step
locks, and signed while they are held, so exactly one decision can take a pending step and
the losers of a race fail before they sign. See docs/adr/0004-signed-approval-decisions.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from django.db import IntegrityError, transaction
from django.db.models import Q

from govdoc.accounts.constants import OFFICIAL_ROLES, Role
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import agency_ids_of, memberships_current, people_by_ids
from govdoc.approvals.constants import (
    COMMENT_MAX_LENGTH,
    DECISION_ENDS_LINE,
    DECISION_STEP_STATUS,
    DECISIONS_NEEDING_COMMENT,
    LINE_MOVES,
    SKIP_BY_OUTCOME,
    SKIP_DELEGATED,
    STEP_OPEN,
    Decision,
    LineStatus,
    StepKind,
    StepStatus,
)
from govdoc.approvals.content import current_content_sha256
from govdoc.approvals.errors import (
    CommentRequiredError,
    ContentChangedError,
    InvalidAbsenceError,
    InvalidDecisionError,
    InvalidDelegationRuleError,
    InvalidLineError,
    LineAlreadyOpenError,
    LineNotFoundError,
    LineStateError,
    NotAllowedToManageError,
    NotDrafterError,
    NotYourStepError,
    PostReportNotFoundError,
    StepNotFoundError,
    StepNotPendingError,
)
from govdoc.approvals.manifest import (
    EXPORT_FORMAT,
    DecisionManifest,
    ExportDecision,
    ExportLine,
    ExportStep,
    LineExport,
    PersonRef,
    decision_manifest_bytes,
    seal_payload,
    sha256_hex,
)
from govdoc.approvals.models import Absence, ApprovalLine, ApprovalStep, DelegationRule, PostReport
from govdoc.approvals.tasks import line_finished_announce
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONValue, canonical_json
from govdoc.documents.models import Document, DocumentVersion
from govdoc.signatures import keyring
from govdoc.signatures.services import detached_seal

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
            f"a line that is {line.status} cannot become {to}",
            line_id=str(line.pk),
            status=str(line.status),
            to=str(to),
        )
    line.status = to


def _require_drafter(*, line: ApprovalLine, actor: Actor) -> None:
    if isinstance(actor, Person) and actor.pk != line.drafter_id:
        raise NotDrafterError(
            "only the drafter may change, submit or withdraw this approval line",
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
        raise InvalidLineError("an approval line needs at least its final approval step")
    kinds: list[StepKind] = []
    for spec in steps:
        if spec.kind not in StepKind.values:
            raise InvalidLineError(f"unknown step kind {spec.kind!r}", kind=str(spec.kind))
        if isinstance(spec.position, bool) or not isinstance(spec.position, int) or spec.position < 1:
            raise InvalidLineError("step positions are whole numbers from 1", position=str(spec.position))
        kinds.append(StepKind(spec.kind))
    approvals = [spec for spec in steps if spec.kind == StepKind.APPROVAL]
    if len(approvals) != 1:
        raise InvalidLineError(
            f"an approval line has exactly one final approval step, not {len(approvals)}",
            count=len(approvals),
        )
    final = approvals[0]
    if any(spec is not final and spec.position >= final.position for spec in steps):
        raise InvalidLineError("the final approval must be the last step, alone at its position")
    by_position: dict[int, list[StepKind]] = {}
    for spec, kind in zip(steps, kinds, strict=True):
        by_position.setdefault(spec.position, []).append(kind)
    for position, group in by_position.items():
        if len(group) > 1 and any(kind != StepKind.CONSENT for kind in group):
            raise InvalidLineError(
                "only consent steps may share a position (a parallel consent group)", position=position
            )
    ids = [str(spec.assignee_id) for spec in steps]
    if len(set(ids)) != len(ids):
        raise InvalidLineError("a person may appear only once in an approval line")
    if str(drafter_id) in ids:
        raise InvalidLineError("the drafter cannot approve their own draft", person_id=str(drafter_id))
    try:
        people = {str(person.pk): person for person in people_by_ids(ids)}
    except Exception as exc:  # a malformed id: Django raises ValidationError
        raise InvalidLineError("an assignee id is not a valid person id") from exc
    result: list[tuple[StepKind, Person, int]] = []
    for spec, kind, person_id in zip(steps, kinds, ids, strict=True):
        person = people.get(person_id)
        if person is None or not person.is_active:
            raise InvalidLineError(f"no active person {person_id}", person_id=person_id)
        if person.is_system:
            raise InvalidLineError(
                f"{person.get_username()} is an agency system: only people decide", person_id=person_id
            )
        if not _is_official_of(person, agency_id):
            raise InvalidLineError(
                f"{person.get_username()} is not a current official of the document's agency",
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


# ---------------------------------------------------------------------------- lines


@transaction.atomic
def line_create(
    *,
    document: Document,
    version: DocumentVersion,
    drafter: Person,
    doc_type: str,
    steps: Sequence[StepSpec],
    actor: Actor,
    content_sha256: str = "",
) -> ApprovalLine:
    """A draft approval line for ``version`` of ``document``; its steps are checked now.

    ``content_sha256``: when the line approves something to be issued from data (an
    application's output document), the SHA-256 of that content; every decision signs it, and
    the issuer checks it against what it is about to issue."""
    if isinstance(actor, Person) and actor.pk != drafter.pk:
        raise NotDrafterError("a line is built by its drafter", person_id=str(actor.pk))
    if version.document_id != document.pk:
        raise InvalidLineError("the version belongs to another document", version_id=str(version.pk))
    doc_type = doc_type.strip()
    if not doc_type or len(doc_type) > DOC_TYPE_MAX:
        raise InvalidLineError(f"doc_type must have 1 to {DOC_TYPE_MAX} characters", field="doc_type")
    if not _is_official_of(drafter, document.agency_id):
        raise InvalidLineError(
            "the drafter is not a current official of the document's agency", person_id=str(drafter.pk)
        )
    checked = _validated_steps(steps, agency_id=document.agency_id, drafter_id=drafter.pk)
    if content_sha256 and not _is_sha256(content_sha256):
        raise InvalidLineError("content_sha256 must be a SHA-256 in hex", field="content_sha256")
    try:
        with transaction.atomic():
            line = ApprovalLine.objects.create(
                content_sha256=content_sha256,
                agency_id=document.agency_id,
                document=document,
                version=version,
                doc_type=doc_type,
                drafter=drafter,
                created_at=clock.now(),
            )
    except IntegrityError as exc:
        raise LineAlreadyOpenError(
            "this version already has an approval line in draft or in progress", version_id=str(version.pk)
        ) from exc
    step_data = _create_steps(line, checked)
    record(
        "approvals.line_created",
        actor=actor,
        target=line,
        data={
            "document": str(document.pk),
            "version": version.number,
            "doc_type": doc_type,
            "content_sha256": content_sha256,
            "steps": step_data,
        },
    )
    return line


@transaction.atomic
def line_steps_replace(*, line: ApprovalLine, steps: Sequence[StepSpec], actor: Actor) -> ApprovalLine:
    """Replace every step of a draft line."""
    line = _lock_line(line.pk)
    _require_drafter(line=line, actor=actor)
    if line.status != LineStatus.DRAFT:
        raise LineStateError("only a draft line's steps can be changed", line_id=str(line.pk))
    checked = _validated_steps(steps, agency_id=line.agency_id, drafter_id=line.drafter_id)
    ApprovalStep.objects.filter(line=line).delete()
    step_data = _create_steps(line, checked)
    record("approvals.line_steps_replaced", actor=actor, target=line, data={"steps": step_data})
    return line


@transaction.atomic
def line_submit(*, line: ApprovalLine, actor: Actor) -> ApprovalLine:
    """Send the line on its way: the steps at the first position become pending."""
    line = _lock_line(line.pk)
    _require_drafter(line=line, actor=actor)
    _move(line, LineStatus.IN_PROGRESS)
    steps = list(ApprovalStep.objects.filter(line=line).select_related("assignee"))
    # People leave: the line is checked again against today's memberships.
    for step in steps:
        if not _is_official_of(step.assignee, line.agency_id):
            raise InvalidLineError(
                f"{step.assignee.get_username()} is no longer a current official of the agency",
                person_id=str(step.assignee_id),
            )
    first = min(step.position for step in steps)
    ApprovalStep.objects.filter(line=line, position=first).update(status=StepStatus.PENDING)
    line.submitted_at = clock.now()
    line.save(update_fields=["status", "submitted_at"])
    record("approvals.line_submitted", actor=actor, target=line, data={"first_position": first})
    return line


@transaction.atomic
def line_withdraw(*, line: ApprovalLine, actor: Actor, reason: str = "") -> ApprovalLine:
    """The drafter takes the line back: before anyone has decided, or when the content it
    approves has changed since it was sent."""
    line = _lock_line(line.pk)
    _require_drafter(line=line, actor=actor)
    # After a decision only when what it approves has changed: those decisions approved
    # something that will not be issued.
    if line.decision_count and not content_changed(line):
        raise LineStateError(
            "the line cannot be withdrawn: a decision has already been taken", line_id=str(line.pk)
        )
    _move(line, LineStatus.WITHDRAWN)
    _skip_open_steps(line, reason=SKIP_BY_OUTCOME[LineStatus.WITHDRAWN])
    line.finished_at = clock.now()
    line.save(update_fields=["status", "finished_at"])
    record("approvals.line_withdrawn", actor=actor, target=line, data={"reason": reason.strip()[:500]})
    _announce_finished(line)
    return line


@transaction.atomic
def line_cancel(*, line_id: uuid.UUID, reason: str, actor: Actor) -> ApprovalLine:
    """Stop a line whose matter is gone (the applicant withdrew the application), whatever
    was decided on it so far: it is withdrawn, its waiting and pending steps are skipped with
    ``reason`` and leave the approvers' queues. No outcome is announced: there is none to apply.

    A line that has already ended cannot be stopped (``LineStateError``): its outcome stands.
    """
    try:
        line = _lock_line(line_id)
    except ApprovalLine.DoesNotExist as exc:
        raise LineNotFoundError("no such approval line", line_id=str(line_id)) from exc
    reason = reason.strip()[:200]
    if not reason:
        raise InvalidLineError("say why the line is stopped", line_id=str(line_id))
    _move(line, LineStatus.WITHDRAWN)
    skipped = _skip_open_steps(line, reason=reason)
    line.finished_at, line.end_reason = clock.now(), reason
    line.save(update_fields=["status", "finished_at", "end_reason"])
    record(
        "approvals.line_cancelled",
        actor=actor,
        target=line,
        data={"reason": reason, "steps_skipped": skipped, "decisions": line.decision_count},
    )
    return line


# ---------------------------------------------------------------------------- decisions


def _acting_for(
    *, step: ApprovalStep, line: ApprovalLine, actor: Person, at: dt.datetime
) -> uuid.UUID | None:
    """None when the assignee decides; the assignee's id when ``actor`` is their deputy now."""
    if actor.pk == line.drafter_id:
        raise NotYourStepError("the drafter cannot decide on their own draft", step_id=str(step.pk))
    if actor.pk == step.assignee_id:
        return None
    absent = Absence.objects.filter(
        person_id=step.assignee_id, deputy=actor, starts_at__lte=at, ends_at__gt=at
    ).exists()
    if not absent:
        raise NotYourStepError(
            "this step is not yours to decide", step_id=str(step.pk), person_id=str(actor.pk)
        )
    return step.assignee_id


def _check_may_decide(
    *, step: ApprovalStep, line: ApprovalLine, actor: Person, at: dt.datetime
) -> uuid.UUID | None:
    if line.status != LineStatus.IN_PROGRESS or step.status != StepStatus.PENDING:
        raise StepNotPendingError(
            f"the step is {step.status} (line {line.status}); only a pending step can be decided",
            step_id=str(step.pk),
            status=str(step.status),
        )
    acting_for = _acting_for(step=step, line=line, actor=actor, at=at)
    if not _is_official_of(actor, line.agency_id):
        raise NotYourStepError(
            "only a current official of the agency decides its approvals", person_id=str(actor.pk)
        )
    return acting_for


def _delegated(*, step: ApprovalStep, line: ApprovalLine, at: dt.datetime) -> bool:
    """Does the agency's delegation table let the step's assignee decide this doc_type finally?

    Only review steps: consent steps agree from the side and do not decide; the final
    approval decides anyway.
    """
    if step.kind != StepKind.REVIEW:
        return False
    roles = memberships_current(person=step.assignee).filter(unit__agency_id=line.agency_id).values("role")
    return (
        DelegationRule.objects.filter(
            agency_id=line.agency_id, doc_type=line.doc_type, role__in=roles, valid_from__lte=at
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        .exists()
    )


def step_decide(
    *, step: ApprovalStep, actor: Person, decision: str, comment: str = "", pin: str
) -> ApprovalStep:
    """Approve, reject or return a pending step; the decision is signed with the actor's key."""
    if decision not in Decision.values:
        raise InvalidDecisionError(f"a decision is approve, reject or return, not {decision!r}")
    chosen = Decision(decision)
    comment = comment.strip()
    if chosen in DECISIONS_NEEDING_COMMENT and not comment:
        raise CommentRequiredError(f"say why when you {chosen.value}", step_id=str(step.pk))
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidDecisionError(f"a comment has at most {COMMENT_MAX_LENGTH} characters")
    # A quick check without locks, so that someone who may not decide is told so before
    # their key is touched; the authoritative check is repeated under the locks below.
    fresh = ApprovalStep.objects.select_related("line").filter(pk=step.pk).first()
    if fresh is None:
        raise StepNotFoundError("no such approval step", step_id=str(step.pk))
    _check_may_decide(step=fresh, line=fresh.line, actor=actor, at=clock.now())
    _refuse_changed_content(line=fresh.line, step=fresh, actor=actor)
    key = keyring.person_key(str(actor.pk), pin=pin)  # WrongPinError: nothing has changed
    with transaction.atomic():
        line = _lock_line(step.line_id)
        step = ApprovalStep.objects.select_for_update().get(pk=step.pk)
        step.line = line
        at = clock.now()
        acting_for = _check_may_decide(step=step, line=line, actor=actor, at=at)
        delegated = chosen == Decision.APPROVE and _delegated(step=step, line=line, at=at)
        version = DocumentVersion.objects.get(pk=line.version_id)
        manifest: DecisionManifest = {
            "line": str(line.pk),
            "document": str(line.document_id),
            "version": version.number,
            "version_sha256": version.file_id,
            "step": str(step.pk),
            "position": step.position,
            "kind": str(step.kind),
            "decision": chosen.value,
            "comment": comment,
            "decided_by": _person_ref(actor),
            "acting_for": str(acting_for) if acting_for else None,
            "delegated": delegated,
            "decided_at": at.isoformat(),
            "previous": line.chain_head or None,
        }
        if line.content_sha256:
            manifest["content_sha256"] = line.content_sha256
        raw = decision_manifest_bytes(manifest)
        signature = detached_seal(data=raw, key=key)
        digest = sha256_hex(raw)

        step.status = DECISION_STEP_STATUS[chosen]
        step.decision = chosen
        step.comment = comment
        step.decided_by = actor
        step.acting_for_id = acting_for
        step.delegated = delegated
        step.decided_at = at
        step.sequence = line.decision_count + 1
        step.manifest = raw
        step.manifest_sha256 = digest
        step.signature = signature
        step.signer_certificate = key.certificate.public_bytes(serialization.Encoding.DER)
        step.save(
            update_fields=[
                "status",
                "decision",
                "comment",
                "decided_by",
                "acting_for",
                "delegated",
                "decided_at",
                "sequence",
                "manifest",
                "manifest_sha256",
                "signature",
                "signer_certificate",
            ]
        )

        line_fields = ["decision_count", "chain_head"]
        line.decision_count, line.chain_head = step.sequence, digest
        finished = _advance(line=line, step=step, decision=chosen, delegated=delegated)
        if finished:
            line.finished_at = at
            line_fields += ["status", "finished_at"]
        line.save(update_fields=line_fields)
        if acting_for is not None:
            PostReport.objects.create(step=step, person_id=acting_for, created_at=at)
        record(
            "approvals.step_decided",
            actor=actor,
            target=step,
            data={
                "line": str(line.pk),
                "position": step.position,
                "decision": chosen.value,
                "manifest_sha256": digest,
                "acting_for": str(acting_for) if acting_for else None,
                "delegated": delegated,
                "line_status": str(line.status),
            },
        )
        if finished:
            _announce_finished(line)
    return step


def content_changed(line: ApprovalLine) -> bool:
    """Has what the line approves changed since it was sent (``content.py``)?"""
    if not line.content_sha256:
        return False
    current = current_content_sha256(line.pk)
    return current is not None and current != line.content_sha256


def _refuse_changed_content(*, line: ApprovalLine, step: ApprovalStep, actor: Person) -> None:
    """No one signs content that is no longer what the line was sent with: the decision is
    refused (and the refusal recorded); the drafter withdraws the line and sends it again."""
    if not content_changed(line):
        return
    with transaction.atomic():
        record(
            "approvals.decision_refused",
            actor=actor,
            target=step,
            data={"line": str(line.pk), "reason": "content_changed", "content_sha256": line.content_sha256},
        )
    raise ContentChangedError(
        "the document's data or template changed after the line was sent; the drafter must "
        "withdraw it and send the new content for approval",
        line_id=str(line.pk),
        step_id=str(step.pk),
    )


def _advance(*, line: ApprovalLine, step: ApprovalStep, decision: Decision, delegated: bool) -> bool:
    """Move the line on after ``step`` was decided; True when the line has ended."""
    if decision in DECISION_ENDS_LINE:
        outcome = DECISION_ENDS_LINE[decision]
        _move(line, outcome)
        _skip_open_steps(line, reason=SKIP_BY_OUTCOME[outcome], except_step=step.pk)
        return True
    if delegated:
        _move(line, LineStatus.APPROVED)
        _skip_open_steps(line, reason=SKIP_DELEGATED, except_step=step.pk)
        return True
    if step.kind == StepKind.APPROVAL:
        _move(line, LineStatus.APPROVED)
        return True
    others = ApprovalStep.objects.filter(line=line, position=step.position, status=StepStatus.PENDING)
    if others.exclude(pk=step.pk).exists():
        return False  # the rest of a parallel consent group has yet to consent
    waiting = ApprovalStep.objects.filter(line=line, status=StepStatus.WAITING)
    positions = list(waiting.values_list("position", flat=True))
    if not positions:
        return False
    next_position = min(positions)
    waiting.filter(position=next_position).update(status=StepStatus.PENDING)
    return False


# ---------------------------------------------------------------------------- post-reports


@transaction.atomic
def post_report_acknowledge(*, report: PostReport, actor: Person) -> PostReport:
    """The absent approver has read what their deputy decided (후열)."""
    try:
        report = PostReport.objects.select_for_update().get(pk=report.pk)
    except PostReport.DoesNotExist as exc:
        raise PostReportNotFoundError("no such post-report", report_id=str(report.pk)) from exc
    if report.person_id != actor.pk:
        raise PostReportNotFoundError("no such post-report", report_id=str(report.pk))
    if report.acknowledged_at is None:
        report.acknowledged_at = clock.now()
        report.save(update_fields=["acknowledged_at"])
        record(
            "approvals.post_report_acknowledged",
            actor=actor,
            target=report,
            data={"step": str(report.step_id)},
        )
    return report


# ---------------------------------------------------------------------------- delegation rules


def _require_manager(*, actor: Actor, agency_ids: set[object], roles: frozenset[Role]) -> None:
    if not isinstance(actor, Person):
        return  # a system actor (CLI, a migration of the delegation table) names itself
    held = memberships_current(person=actor).filter(unit__agency_id__in=agency_ids, role__in=roles)
    if not held.exists():
        raise NotAllowedToManageError(
            "you hold no role that may change this", person_id=str(actor.pk), roles=sorted(roles)
        )


@transaction.atomic
def delegation_rule_create(
    *,
    agency: Agency,
    doc_type: str,
    role: str,
    valid_from: dt.datetime,
    valid_to: dt.datetime | None = None,
    actor: Actor,
) -> DelegationRule:
    """From ``valid_from`` on, officials holding ``role`` decide ``doc_type`` finally (전결)."""
    _require_manager(actor=actor, agency_ids={agency.pk}, roles=RULE_MANAGER_ROLES)
    doc_type = doc_type.strip()
    if not doc_type or len(doc_type) > DOC_TYPE_MAX:
        raise InvalidDelegationRuleError(f"doc_type must have 1 to {DOC_TYPE_MAX} characters")
    if role not in OFFICIAL_ROLES:
        raise InvalidDelegationRuleError(f"{role!r} is not a role of an official", role=role)
    if valid_from.tzinfo is None or (valid_to is not None and valid_to.tzinfo is None):
        raise InvalidDelegationRuleError("validity times must be timezone-aware")
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidDelegationRuleError("a rule must end after it starts")
    rule = DelegationRule.objects.create(
        agency=agency,
        doc_type=doc_type,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
    )
    record(
        "approvals.delegation_rule_created",
        actor=actor,
        target=rule,
        data={
            "agency": agency.code,
            "doc_type": doc_type,
            "role": role,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return rule


@transaction.atomic
def delegation_rule_end(*, rule: DelegationRule, actor: Actor) -> DelegationRule:
    """The rule stops now (a rule not started yet never applies)."""
    rule = DelegationRule.objects.select_for_update().get(pk=rule.pk)
    _require_manager(actor=actor, agency_ids={rule.agency_id}, roles=RULE_MANAGER_ROLES)
    now = clock.now()
    if rule.valid_to is None or rule.valid_to > now:
        rule.valid_to = max(now, rule.valid_from + dt.timedelta(microseconds=1))
        rule.save(update_fields=["valid_to"])
        record(
            "approvals.delegation_rule_ended",
            actor=actor,
            target=rule,
            data={"valid_to": rule.valid_to.isoformat()},
        )
    return rule


# ---------------------------------------------------------------------------- absences


@transaction.atomic
def absence_create(
    *,
    person: Person,
    deputy: Person,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    actor: Actor,
) -> Absence:
    """``person`` is away from ``starts_at`` to ``ends_at``; ``deputy`` decides for them (대결)."""
    if not (isinstance(actor, Person) and actor.pk == person.pk):
        _require_manager(actor=actor, agency_ids=agency_ids_of(person=person), roles=ABSENCE_MANAGER_ROLES)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidAbsenceError("absence times must be timezone-aware")
    if ends_at <= starts_at:
        raise InvalidAbsenceError("an absence must end after it starts")
    if deputy.pk == person.pk:
        raise InvalidAbsenceError("a person cannot be their own deputy")
    if not agency_ids_of(person=person) & agency_ids_of(person=deputy):
        raise InvalidAbsenceError(
            "the deputy must be a current official of the absent person's agency", deputy_id=str(deputy.pk)
        )
    absence = Absence.objects.create(
        person=person,
        deputy=deputy,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_at=clock.now(),
    )
    record(
        "approvals.absence_created",
        actor=actor,
        target=absence,
        data={
            "person": str(person.pk),
            "deputy": str(deputy.pk),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return absence


@transaction.atomic
def absence_end(*, absence: Absence, actor: Actor) -> Absence:
    """The person is back: the deputy's authority ends now."""
    absence = Absence.objects.select_for_update().select_related("person").get(pk=absence.pk)
    if not (isinstance(actor, Person) and actor.pk == absence.person_id):
        _require_manager(
            actor=actor, agency_ids=agency_ids_of(person=absence.person), roles=ABSENCE_MANAGER_ROLES
        )
    now = clock.now()
    if absence.ends_at > now:
        absence.ends_at = max(now, absence.starts_at + dt.timedelta(microseconds=1))
        absence.save(update_fields=["ends_at"])
        record(
            "approvals.absence_ended",
            actor=actor,
            target=absence,
            data={"ends_at": absence.ends_at.isoformat()},
        )
    return absence


# ---------------------------------------------------------------------------- export


def line_manifest_export(*, line: ApprovalLine, actor: Actor = None) -> bytes:
    """The whole line with every signed decision, sealed by the agency e-seal (UTF-8 JSON).

    ``manifest.manifest_verify`` checks it offline. Sealing is slow and changes no row, so it
    runs outside any transaction; the export is recorded right after.
    """
    line = ApprovalLine.objects.select_related("agency", "document", "version", "drafter").get(pk=line.pk)
    steps = list(ApprovalStep.objects.filter(line=line).select_related("assignee").order_by("position", "id"))
    export_steps: list[ExportStep] = [
        {
            "id": str(step.pk),
            "position": step.position,
            "kind": str(step.kind),
            "assignee": _person_ref(step.assignee),
            "status": str(step.status),
            "skip_reason": step.skip_reason,
        }
        for step in steps
    ]
    certificates: list[str] = []
    decisions: list[ExportDecision] = []
    for step in sorted((s for s in steps if s.sequence is not None), key=lambda s: s.sequence or 0):
        cert = base64.b64encode(bytes(step.signer_certificate or b"")).decode("ascii")
        if cert not in certificates:
            certificates.append(cert)
        decisions.append(
            {
                "sequence": step.sequence or 0,
                "step": str(step.pk),
                "manifest": base64.b64encode(bytes(step.manifest or b"")).decode("ascii"),
                "manifest_sha256": step.manifest_sha256,
                "signature": base64.b64encode(bytes(step.signature or b"")).decode("ascii"),
                "certificate": certificates.index(cert),
            }
        )
    export_line: ExportLine = {
        "id": str(line.pk),
        "agency": {"id": str(line.agency.pk), "code": line.agency.code, "name": line.agency.name},
        "document": {"id": str(line.document.pk), "title": line.document.title},
        "doc_type": line.doc_type,
        "version": line.version.number,
        "version_sha256": line.version.file_id,
        "drafter": _person_ref(line.drafter),
        "status": str(line.status),
        "created_at": line.created_at.isoformat(),
        "submitted_at": line.submitted_at.isoformat() if line.submitted_at else None,
        "finished_at": line.finished_at.isoformat() if line.finished_at else None,
        "steps": export_steps,
    }
    if line.content_sha256:
        export_line["content_sha256"] = line.content_sha256
    export: LineExport = {
        "format": EXPORT_FORMAT,
        "line": export_line,
        "decisions": decisions,
        "certificates": certificates,
        "exported_at": clock.now().isoformat(),
        "seal": "",
    }
    key = keyring.eseal_key(line.agency.code, name=line.agency.name)
    seal = detached_seal(data=seal_payload(dict(export)), key=key)
    export["seal"] = base64.b64encode(seal).decode("ascii")
    data = canonical_json(export)
    with transaction.atomic():
        record(
            "approvals.manifest_exported",
            actor=actor,
            target=line,
            data={"sha256": sha256_hex(data), "decisions": len(decisions), "status": str(line.status)},
        )
    return data
