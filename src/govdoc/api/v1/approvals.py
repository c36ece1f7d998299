"""e-Approval through the API: my queue, a signed decision, a line and its signed manifest."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.api.auth import api_auth, require_step_up
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.approvals import selectors as approvals
from govdoc.approvals import services
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.core.downloads import content_disposition

router = Router(tags=["approvals"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


class StepOut(Schema):
    id: uuid.UUID
    line_id: uuid.UUID
    document_title: str
    position: int
    kind: str
    status: str
    assignee: str
    decision: str
    comment: str
    decided_by: str | None
    decided_at: dt.datetime | None
    acting_for: str | None
    delegated: bool
    skip_reason: str = Field(
        description="Why the step was never decided (delegated decision, withdrawal, ...)"
    )


class LineOut(Schema):
    id: uuid.UUID
    status: str
    document_id: uuid.UUID
    version: int
    drafter: str
    end_reason: str = Field(
        description="Why the line ended without a decision, e.g. 'the applicant withdrew the application'"
    )
    steps: list[StepOut]


class DecisionIn(StrictSchema):
    decision: str
    comment: str = ""
    pin: str


def _step(s: ApprovalStep) -> StepOut:
    return StepOut(
        id=s.pk,
        line_id=s.line_id,
        document_title=s.line.document.title,
        position=s.position,
        kind=s.kind,
        status=s.status,
        assignee=s.assignee.username,
        decision=s.decision,
        comment=s.comment,
        decided_by=s.decided_by.username if s.decided_by else None,
        decided_at=s.decided_at,
        acting_for=s.acting_for.username if s.acting_for else None,
        delegated=s.delegated,
        skip_reason=s.skip_reason,
    )


def _line(line: ApprovalLine) -> LineOut:
    return LineOut(
        id=line.pk,
        status=line.status,
        document_id=line.document_id,
        version=line.version.number,
        drafter=line.drafter.username,
        end_reason=line.end_reason,
        steps=[_step(s) for s in approvals.steps_of(line=line)],
    )


@router.get(
    "/queue",
    response={200: list[StepOut], **problems()},
    summary="Steps I may decide now (mine, or as a deputy)",
)
def queue(request: HttpRequest) -> list[StepOut]:
    return [_step(s) for s in approvals.queue_for(person=_me(request))]


@router.post(
    "/steps/{step_id}/decision",
    response={200: StepOut, **problems(400, 403, 404, 409)},
    summary="Approve, reject or return a step; the decision is signed with my key (PIN)",
)
def decide(request: HttpRequest, step_id: uuid.UUID, body: DecisionIn) -> StepOut:
    me = _me(request)
    require_step_up(request)
    step = approvals.step_for_decision(person=me, step_id=step_id)
    decided = services.step_decide(
        step=step, actor=me, decision=body.decision, comment=body.comment, pin=body.pin
    )
    return _step(approvals.step_get(step_id=decided.pk))


@router.get("/lines/{line_id}", response={200: LineOut, **problems(404)})
def line(request: HttpRequest, line_id: uuid.UUID) -> LineOut:
    return _line(approvals.line_get(user=_me(request), line_id=line_id))


@router.get(
    "/lines/{line_id}/manifest",
    summary="The signed approval manifest (JSON, sealed); check it offline with govdoc verify-approvals",
    response={200: None, **problems(404)},
)
def manifest(request: HttpRequest, line_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    found = approvals.line_get(user=me, line_id=line_id)
    data = services.line_manifest_export(line=found, actor=me)
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = content_disposition(f"approval-{found.pk}.json")
    return response
