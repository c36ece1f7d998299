"""Reads of the approvals domain; each takes the person who looks."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current, memberships_current_in_agency
from govdoc.approvals.constants import LineStatus, StepStatus
from govdoc.approvals.errors import LineNotFoundError, StepNotFoundError
from govdoc.approvals.models import Absence, ApprovalLine, ApprovalStep, DelegationRule, PostReport
from govdoc.approvals.policy import ApprovalPolicy, AssigneeRoles, ProposedStep, policy_refusals
from govdoc.core import clock


def queue_for(*, person: Person) -> QuerySet[ApprovalStep]:
    """Pending steps ``person`` may decide now: their own, and those of people they stand in for."""
    now = clock.now()
    standing_in = Absence.objects.filter(
        person_id=OuterRef("assignee_id"), deputy=person, starts_at__lte=now, ends_at__gt=now
    )
    return (
        ApprovalStep.objects.filter(status=StepStatus.PENDING, line__status=LineStatus.IN_PROGRESS)
        .filter(Q(assignee=person) | Q(Exists(standing_in)))
        .exclude(line__drafter=person)
        .select_related("line", "line__document", "line__version", "line__drafter", "assignee")
        .order_by("line__submitted_at", "position", "id")
    )


def _uuid(value: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def line_get(*, user: Person, line_id: uuid.UUID | str) -> ApprovalLine:
    """A line with its steps, for its drafter, its assignees, whoever decided on it and the
    officials of the document's owner unit; NotFoundError for everyone else (no hint that
    it exists)."""
    pk = _uuid(line_id)
    line = (
        ApprovalLine.objects.filter(pk=pk)
        .select_related("document", "version", "drafter", "agency")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=ApprovalStep.objects.select_related("assignee", "decided_by", "acting_for").order_by(
                    "position", "id"
                ),
            )
        )
        .first()
        if pk is not None
        else None
    )
    if line is None or not _may_see(user=user, line=line):
        raise LineNotFoundError(_("no such approval line"), line_id=str(line_id))
    return line


def _may_see(*, user: Person, line: ApprovalLine) -> bool:
    if not user.is_authenticated or user.is_citizen:
        return False
    if user.pk == line.drafter_id:
        return True
    if any(user.pk in (step.assignee_id, step.decided_by_id) for step in line.steps.all()):
        return True
    return memberships_current(person=user).filter(unit_id=line.document.owner_unit_id).exists()


_STEP_RELATED = ("line", "line__document", "assignee", "decided_by", "acting_for")


def steps_of(*, line: ApprovalLine) -> QuerySet[ApprovalStep]:
    return ApprovalStep.objects.filter(line=line).select_related(*_STEP_RELATED).order_by("position", "id")


def step_get(*, step_id: uuid.UUID | str) -> ApprovalStep:
    """One step with what is shown beside it (no visibility check: for after a decision)."""
    pk = _uuid(step_id)
    step = ApprovalStep.objects.select_related(*_STEP_RELATED).filter(pk=pk).first() if pk else None
    if step is None:
        raise StepNotFoundError(_("no such approval step"), step_id=str(step_id))
    return step


def step_for_decision(*, person: Person, step_id: uuid.UUID | str) -> ApprovalStep:
    """The step ``person`` asks to decide, if they may see its line or stand in for its assignee
    now; NotFoundError otherwise. Whether they may decide it is ``services.step_decide``'s call."""
    step = step_get(step_id=step_id)
    now = clock.now()
    deputy = Absence.objects.filter(
        person_id=step.assignee_id, deputy=person, starts_at__lte=now, ends_at__gt=now
    ).exists()
    if not deputy:
        try:
            line_get(user=person, line_id=step.line_id)
        except LineNotFoundError as exc:
            raise StepNotFoundError(_("no such approval step"), step_id=str(step_id)) from exc
    return step


def post_reports_for(*, person: Person) -> QuerySet[PostReport]:
    """Decisions a deputy took for ``person`` that they have not acknowledged yet (후열)."""
    return (
        PostReport.objects.filter(person=person, acknowledged_at__isnull=True)
        .select_related("step", "step__line", "step__line__document", "step__decided_by")
        .order_by("created_at", "id")
    )


def delegation_rules_current(*, agency_id: uuid.UUID) -> QuerySet[DelegationRule]:
    now = clock.now()
    return DelegationRule.objects.filter(agency_id=agency_id, valid_from__lte=now).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=now)
    )


def absences_current(*, person: Person) -> QuerySet[Absence]:
    """Absences of ``person`` that have not ended yet."""
    return Absence.objects.filter(person=person, ends_at__gt=clock.now()).select_related("deputy")


@dataclass(frozen=True)
class SignedDecision:
    """One signed decision of a line, as a verifier is shown it."""

    position: int
    kind: str
    decision: str
    decided_by: str
    acting_for: str | None
    delegated: bool
    decided_at: dt.datetime | None
    manifest_sha256: str


@dataclass(frozen=True)
class ApprovedContent:
    """What an approved line approved: ``content_sha256`` when every signed decision names the
    same content as the line (empty when any does not), and the decisions in order."""

    line_id: uuid.UUID
    content_sha256: str
    chain_head: str
    decisions: tuple[SignedDecision, ...]


def approved_content(*, line_id: uuid.UUID | str) -> ApprovedContent | None:
    """The content an *approved* line's signed decisions bind (None if the line is not
    approved). Reads the signed manifests themselves, not only the line's row: a content hash
    changed in the database afterwards no longer matches what the officials signed."""
    key = _uuid(line_id)
    line = ApprovalLine.objects.filter(pk=key).first() if key is not None else None
    if line is None or line.status != LineStatus.APPROVED:
        return None
    decided = (
        ApprovalStep.objects.filter(line=line, sequence__isnull=False)
        .select_related("decided_by")
        .order_by("sequence")
    )
    content = line.content_sha256
    decisions: list[SignedDecision] = []
    for step in decided:
        manifest = json.loads(bytes(step.manifest or b"{}"))
        if manifest.get("content_sha256", "") != content:
            content = ""
        decisions.append(
            SignedDecision(
                position=step.position,
                kind=str(step.kind),
                decision=str(step.decision),
                decided_by=manifest.get("decided_by", {}).get("name", ""),
                acting_for=manifest.get("acting_for"),
                delegated=bool(step.delegated),
                decided_at=step.decided_at,
                manifest_sha256=step.manifest_sha256,
            )
        )
    return ApprovedContent(
        line_id=line.pk, content_sha256=content, chain_head=line.chain_head, decisions=tuple(decisions)
    )


def delegated_roles(
    *, agency_id: uuid.UUID | str, doc_type: str, at: dt.datetime | None = None
) -> frozenset[str]:
    """The roles a delegation rule of the agency names for ``doc_type`` at ``at`` (now)."""
    at = at or clock.now()
    rules = DelegationRule.objects.filter(agency_id=agency_id, doc_type=doc_type, valid_from__lte=at).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=at)
    )
    return frozenset(str(role) for role in rules.values_list("role", flat=True))


def assignee_roles(
    *, person_ids: list[str], agency_id: uuid.UUID | str, unit_id: uuid.UUID | str
) -> dict[str, AssigneeRoles]:
    """What each person holds today in the agency and in its handling unit (one query)."""
    rows = memberships_current_in_agency(
        agency_id=agency_id, person_ids=[p for p in person_ids if _uuid(p) is not None]
    )
    unit_roles: dict[str, set[str]] = {}
    agency_roles: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for membership in rows:
        pid = str(membership.person_id)
        names[pid] = membership.person.get_full_name() or membership.person.get_username()
        agency_roles.setdefault(pid, set()).add(str(membership.role))
        if str(membership.unit_id) == str(unit_id):
            unit_roles.setdefault(pid, set()).add(str(membership.role))
    return {
        pid: AssigneeRoles(
            name=names[pid],
            unit_roles=frozenset(unit_roles.get(pid, set())),
            agency_roles=frozenset(agency_roles[pid]),
        )
        for pid in names
    }


def line_policy_refusals(
    *,
    policy: ApprovalPolicy,
    steps: list[ProposedStep],
    agency_id: uuid.UUID | str,
    unit_id: uuid.UUID | str,
    doc_type: str,
) -> list[str]:
    """Why the proposed line breaks ``policy`` today (``policy.policy_refusals`` over today's
    memberships and delegation table); empty when it keeps it."""
    roles = assignee_roles(person_ids=[s.assignee_id for s in steps], agency_id=agency_id, unit_id=unit_id)
    delegated = delegated_roles(agency_id=agency_id, doc_type=doc_type)
    return policy_refusals(policy, steps, roles, delegated_roles=delegated)


def documents_on_lines_of(person: Person) -> Q:
    """The documents whose approval lines ``person`` drafted, holds a step on, or decided a step
    of as a deputy (``documents.access`` grant)."""
    steps = ApprovalStep.objects.filter(Q(assignee=person) | Q(decided_by=person))
    return Q(pk__in=steps.values("line__document_id")) | Q(
        pk__in=ApprovalLine.objects.filter(drafter=person).values("document_id")
    )


def line_participants(line_id: uuid.UUID) -> QuerySet[Person]:
    """Who took part in a line: its drafter, the holders of its steps and deputies who decided."""
    steps = ApprovalStep.objects.filter(line_id=line_id)
    return Person.objects.filter(
        Q(pk__in=steps.values("assignee_id"))
        | Q(pk__in=steps.exclude(decided_by=None).values("decided_by_id"))
        | Q(pk__in=ApprovalLine.objects.filter(pk=line_id).values("drafter_id"))
    )
