"""The one place this domain calls the approvals and issuance domains.

Sending a decision starts an approval line over the case document's version
(``approvals.services.line_create`` + ``line_submit``); an approved application is issued
(``issuance.services.document_issue``). The outcome of a line comes back through
``approvals.signals.line_finished`` (see ``receivers``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from govdoc.accounts.models import Agency, Person
from govdoc.applications.specs import LineStep
from govdoc.approvals import selectors as approval_selectors
from govdoc.approvals import services as approvals
from govdoc.core.jsontypes import JSONObject
from govdoc.documents.models import Document, DocumentVersion
from govdoc.issuance import services as issuance
from govdoc.issuance.models import ApprovalRef


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
    approved = approval_selectors.approved_content(line_id=line_id)
    if approved is None:
        return None
    return {
        "line_id": str(approved.line_id),
        "chain_head": approved.chain_head,
        "content_sha256": approved.content_sha256,
    }


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
