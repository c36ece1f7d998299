"""Signed decisions on a line's steps, and the post-reports of acting approvals.

Signing a decision: the PIN opens the official's key *before* any lock is taken (a wrong PIN
changes nothing and blocks nobody); the decision is then validated under the line and step
locks, and signed while they are held, so exactly one decision can take a pending step and
the losers of a race fail before they sign. See docs/adr/0004-signed-approval-decisions.md.
"""

from __future__ import annotations

import datetime as dt
import uuid

from cryptography.hazmat.primitives import serialization
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.approvals.constants import (
    COMMENT_MAX_LENGTH,
    DECISION_ENDS_LINE,
    DECISION_STEP_STATUS,
    DECISIONS_NEEDING_COMMENT,
    SKIP_BY_OUTCOME,
    SKIP_DELEGATED,
    Decision,
    LineStatus,
    StepKind,
    StepStatus,
)
from govdoc.approvals.errors import (
    CommentRequiredError,
    ContentChangedError,
    InvalidDecisionError,
    NotYourStepError,
    PostReportNotFoundError,
    StepNotFoundError,
    StepNotPendingError,
)
from govdoc.approvals.manifest import (
    DecisionManifest,
    decision_manifest_bytes,
    sha256_hex,
)
from govdoc.approvals.models import Absence, ApprovalLine, ApprovalStep, DelegationRule, PostReport
from govdoc.approvals.services._base import (
    _announce_finished,
    _is_official_of,
    _lock_line,
    _move,
    _person_ref,
    _skip_open_steps,
    content_changed,
)
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.documents.models import DocumentVersion
from govdoc.signatures.services import detached_seal, person_key_open

# ---------------------------------------------------------------------------- decisions


def _acting_for(
    *, step: ApprovalStep, line: ApprovalLine, actor: Person, at: dt.datetime
) -> uuid.UUID | None:
    """None when the assignee decides; the assignee's id when ``actor`` is their deputy now."""
    if actor.pk == line.drafter_id:
        raise NotYourStepError(_("the drafter cannot decide on their own draft"), step_id=str(step.pk))
    if actor.pk == step.assignee_id:
        return None
    absent = Absence.objects.filter(
        person_id=step.assignee_id, deputy=actor, starts_at__lte=at, ends_at__gt=at
    ).exists()
    if not absent:
        raise NotYourStepError(
            _("this step is not yours to decide"), step_id=str(step.pk), person_id=str(actor.pk)
        )
    return step.assignee_id


def _check_may_decide(
    *, step: ApprovalStep, line: ApprovalLine, actor: Person, at: dt.datetime
) -> uuid.UUID | None:
    if line.status != LineStatus.IN_PROGRESS or step.status != StepStatus.PENDING:
        raise StepNotPendingError(
            _("the step is %(step)s (its line: %(line)s); only a pending step can be decided")
            % {"step": step.get_status_display().lower(), "line": line.get_status_display().lower()},
            step_id=str(step.pk),
            status=str(step.status),
        )
    acting_for = _acting_for(step=step, line=line, actor=actor, at=at)
    if not _is_official_of(actor, line.agency_id):
        raise NotYourStepError(
            _("only a current official of the agency decides its approvals"), person_id=str(actor.pk)
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
        raise InvalidDecisionError(
            _("a decision is %(choices)s, not %(decision)s")
            % {"choices": "approve, reject, return", "decision": repr(decision)}
        )
    chosen = Decision(decision)
    comment = comment.strip()
    if chosen in DECISIONS_NEEDING_COMMENT and not comment:
        raise CommentRequiredError(
            _("say why you reject the draft")
            if chosen == Decision.REJECT
            else _("say why you return the draft to the drafter"),
            step_id=str(step.pk),
        )
    if len(comment) > COMMENT_MAX_LENGTH:
        raise InvalidDecisionError(
            _("a comment has at most %(max)s characters") % {"max": COMMENT_MAX_LENGTH}
        )
    # A quick check without locks, so that someone who may not decide is told so before
    # their key is touched; the authoritative check is repeated under the locks below.
    fresh = ApprovalStep.objects.select_related("line").filter(pk=step.pk).first()
    if fresh is None:
        raise StepNotFoundError(_("no such approval step"), step_id=str(step.pk))
    _check_may_decide(step=fresh, line=fresh.line, actor=actor, at=clock.now())
    _refuse_changed_content(line=fresh.line, step=fresh, actor=actor)
    key = person_key_open(person=actor, pin=pin)  # a wrong PIN is counted and audited, nothing else
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
        _(
            "the document's data or template changed after the line was sent; the drafter must "
            "withdraw it and send the new content for approval"
        ),
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
        raise PostReportNotFoundError(_("no such post-report"), report_id=str(report.pk)) from exc
    if report.person_id != actor.pk:
        raise PostReportNotFoundError(_("no such post-report"), report_id=str(report.pk))
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
