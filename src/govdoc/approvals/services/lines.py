"""Approval lines: created, changed, submitted, withdrawn by the drafter, cancelled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.approvals.constants import (
    SKIP_BY_OUTCOME,
    LineStatus,
    StepStatus,
)
from govdoc.approvals.errors import (
    InvalidLineError,
    LineAlreadyOpenError,
    LineNotFoundError,
    LineStateError,
    NotDrafterError,
)
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.approvals.services._base import (
    DOC_TYPE_MAX,
    Actor,
    StepSpec,
    _announce_finished,
    _create_steps,
    _is_official_of,
    _is_sha256,
    _lock_line,
    _move,
    _require_drafter,
    _skip_open_steps,
    _validated_steps,
    content_changed,
)
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.documents.models import Document, DocumentVersion

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
        raise NotDrafterError(_("a line is built by its drafter"), person_id=str(actor.pk))
    if version.document_id != document.pk:
        raise InvalidLineError(_("the version belongs to another document"), version_id=str(version.pk))
    doc_type = doc_type.strip()
    if not doc_type or len(doc_type) > DOC_TYPE_MAX:
        raise InvalidLineError(
            _("%(field)s must have 1 to %(max)s characters") % {"field": "doc_type", "max": DOC_TYPE_MAX},
            field="doc_type",
        )
    if not _is_official_of(drafter, document.agency_id):
        raise InvalidLineError(
            _("the drafter is not a current official of the document's agency"), person_id=str(drafter.pk)
        )
    checked = _validated_steps(steps, agency_id=document.agency_id, drafter_id=drafter.pk)
    if content_sha256 and not _is_sha256(content_sha256):
        raise InvalidLineError(
            _("%(field)s must be a SHA-256 in hex") % {"field": "content_sha256"}, field="content_sha256"
        )
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
            _("this version already has an approval line in draft or in progress"),
            version_id=str(version.pk),
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
        raise LineStateError(_("only a draft line's steps can be changed"), line_id=str(line.pk))
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
                _("%(username)s is no longer a current official of the agency")
                % {"username": step.assignee.get_username()},
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
            _("the line cannot be withdrawn: a decision has already been taken"), line_id=str(line.pk)
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
        raise LineNotFoundError(_("no such approval line"), line_id=str(line_id)) from exc
    reason = reason.strip()[:200]
    if not reason:
        raise InvalidLineError(_("say why the line is stopped"), line_id=str(line_id))
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
