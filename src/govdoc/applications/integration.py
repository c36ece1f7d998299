"""The one place this domain calls the approvals and issuance domains.

Sending a decision starts an approval line over the case document's version
(``approvals.services.line_create`` + ``line_submit``); an approved application is issued
(``issuance.services.document_issue``). The outcome of a line comes back through
``approvals.signals.line_finished`` (see ``receivers``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from govdoc.accounts.models import Agency, Person
from govdoc.applications.errors import IllegalTransitionError
from govdoc.applications.specs import ApprovalPolicy, LineStep
from govdoc.approvals import selectors as approval_reads
from govdoc.approvals import services as approvals
from govdoc.approvals.constants import REASON_APPLICANT_WITHDREW
from govdoc.approvals.errors import LineStateError
from govdoc.approvals.policy import (
    AssigneeRoles,
    PolicyHolder,
    ProposedStep,
    holders_text,
    may_hold,
    refusal_message,
)
from govdoc.core.jsontypes import JSONObject
from govdoc.documents.models import Document, DocumentVersion
from govdoc.issuance import batch as issuance_batch
from govdoc.issuance import selectors as issuance_selectors
from govdoc.issuance import services as issuance
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.models import ApprovalRef


@dataclass(frozen=True)
class BatchIssued:
    """One document of a batch: its issued document's id (None if it failed before it had one),
    whether this call issued it, and why it failed (None if it did not)."""

    id: uuid.UUID | None
    created: bool
    error: str | None


@dataclass(frozen=True)
class IssuedRef:
    id: uuid.UUID
    recipient_id: uuid.UUID | None
    title: str
    finished: bool  # issued (valid, or revoked/superseded since); not pending or failed


def approval_line_start(
    *,
    document: Document,
    version: DocumentVersion,
    drafter: Person,
    doc_type: str,
    steps: list[LineStep],
    actor: Person,
    content_sha256: str,
) -> uuid.UUID:
    """Create and submit an approval line over ``version`` that approves ``content_sha256``
    (``binding``); returns the line's id."""
    line = approvals.line_create(
        content_sha256=content_sha256,
        document=document,
        version=version,
        drafter=drafter,
        doc_type=doc_type,
        steps=[
            approvals.StepSpec(
                kind=s["kind"], assignee_id=uuid.UUID(s["assignee_id"]), position=s["position"]
            )
            for s in steps
        ],
        actor=actor,
    )
    approvals.line_submit(line=line, actor=actor)
    return line.pk


def approval_of(line_id: uuid.UUID) -> ApprovalRef | None:
    """The approved line's reference for the issued document: the head of its chain of signed
    decisions and the content every one of them signed ("" when they do not all name the
    line's content). None when the line is not approved."""
    approved = approval_reads.approved_content(line_id=line_id)
    if approved is None:
        return None
    return {
        "line_id": str(approved.line_id),
        "chain_head": approved.chain_head,
        "content_sha256": approved.content_sha256,
    }


def approval_line_stop_withdrawn(*, line_id: uuid.UUID, actor: Person) -> None:
    """The applicant withdrew: stop the application's line in the caller's transaction. A line
    that has already ended (the decision is taken, its outcome on its way) cannot be stopped."""
    try:
        approvals.line_cancel(line_id=line_id, reason=REASON_APPLICANT_WITHDREW, actor=actor)
    except LineStateError as exc:
        raise IllegalTransitionError(
            translation.gettext(
                "the decision on this application has already been taken: it can no longer be withdrawn"
            ),
            line_id=str(line_id),
        ) from exc


def approval_policy_refusal_message(*, service_code: str, reasons: list[str]) -> str:
    """The refusal of a line that breaks the service's policy, in the reader's language."""
    return refusal_message(service_code, reasons)


def approval_policy_refusals(
    *,
    policy: ApprovalPolicy,
    steps: list[LineStep],
    agency_id: uuid.UUID,
    unit_id: uuid.UUID,
    doc_type: str,
) -> list[str]:
    """Why ``steps`` break the service's approval policy today (empty: they keep it)."""
    return approval_reads.line_policy_refusals(
        policy=policy,
        steps=[
            ProposedStep(kind=s["kind"], assignee_id=s["assignee_id"], position=s["position"]) for s in steps
        ],
        agency_id=agency_id,
        unit_id=unit_id,
        doc_type=doc_type,
    )


def approval_roles(
    *, person_ids: list[str], agency_id: uuid.UUID, unit_id: uuid.UUID, doc_type: str
) -> tuple[dict[str, AssigneeRoles], frozenset[str]]:
    """What each person holds today for the approval policy, and the roles the delegation table
    names for ``doc_type`` now."""
    roles = approval_reads.assignee_roles(person_ids=person_ids, agency_id=agency_id, unit_id=unit_id)
    return roles, approval_reads.delegated_roles(agency_id=agency_id, doc_type=doc_type)


def policy_may_hold(holders: list[PolicyHolder], roles: AssigneeRoles, delegated: frozenset[str]) -> bool:
    return may_hold(holders, roles, delegated_roles=delegated)


def policy_holders_text(holders: list[PolicyHolder]) -> str:
    return holders_text(holders)


def issued_for_key(issue_key: str) -> IssuedRef | None:
    """The document issued (or begun and not finished) under ``issue_key``."""
    issued = issuance_selectors.issued_by_key(issue_key)
    if issued is None:
        return None
    return IssuedRef(
        id=issued.pk,
        recipient_id=issued.recipient_id,
        title=issued.title,
        finished=issued.status not in {IssuedStatus.PENDING, IssuedStatus.FAILED},
    )


def document_issue(
    *,
    agency: Agency,
    recipient: Person,
    title: str,
    template_html: str,
    context: dict[str, Any],
    data: JSONObject,
    script: str,
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
    issue_key: str | None = None,
    approval: ApprovalRef | None = None,
) -> uuid.UUID:
    """Issue the output document (registered, rendered in ``script``, sealed); returns its id.

    Runs outside a transaction: issuance commits in steps of its own. At most one document is
    issued per ``issue_key``: a second call returns (or finishes) the first one."""
    issued = issuance.document_issue(
        agency=agency,
        recipient=recipient,
        title=title,
        template_html=template_html,
        context=context,
        data=data,
        script=script,
        valid_until=valid_until,
        actor=actor,
        doc_type=doc_type,
        classification_code=classification_code,
        issue_key=issue_key,
        approval=approval,
    )
    return issued.pk


def documents_issue(
    *,
    agency: Agency,
    title: str,
    template_html: str,
    items: list[tuple[Person, dict[str, Any], JSONObject, str, str]],
    valid_until: dt.datetime | None,
    actor: Person,
    doc_type: str,
    classification_code: str,
) -> list[BatchIssued]:
    """Issue one output document for each (recipient, context, data, script, issue key) at
    once (``issuance.batch``); outside a transaction."""
    outcomes = issuance_batch.documents_issue(
        agency=agency,
        title=title,
        template_html=template_html,
        items=[
            issuance_batch.BatchItem(recipient=r, context=c, data=d, script=s, issue_key=k)
            for r, c, d, s, k in items
        ],
        valid_until=valid_until,
        actor=actor,
        doc_type=doc_type,
        classification_code=classification_code,
    )
    return [
        BatchIssued(
            id=o.issued.pk if o.issued is not None else None,
            created=o.created,
            error=None if o.error is None else o.error.message,
        )
        for o in outcomes
    ]
