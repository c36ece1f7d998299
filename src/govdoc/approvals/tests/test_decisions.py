"""Who may decide what, when; reject, return and withdraw end a line; refusals change nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.tests.factories import AgencyFactory, UnitFactory
from govdoc.approvals import services
from govdoc.approvals.constants import LineStatus, StepStatus
from govdoc.approvals.errors import (
    CommentRequiredError,
    InvalidDecisionError,
    InvalidLineError,
    LineAlreadyOpenError,
    LineStateError,
    NotDrafterError,
    NotYourStepError,
    StepNotPendingError,
)
from govdoc.approvals.models import ApprovalLine, ApprovalStep, PostReport
from govdoc.approvals.services import StepSpec
from govdoc.approvals.tests.conftest import Office, decide, manifest_of, official, run_tasks, step_of
from govdoc.audit.models import AuditEvent
from govdoc.core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from govdoc.signatures.errors import WrongPinError

pytestmark = pytest.mark.django_db


def step_statuses(line: ApprovalLine) -> dict[str, tuple[str, str]]:
    return {
        s.assignee.username: (s.status, s.skip_reason)
        for s in ApprovalStep.objects.filter(line=line).select_related("assignee")
    }


# ---------------------------------------------------------------- reject, return, withdraw


@pytest.mark.parametrize(
    ("decision", "outcome", "reason"),
    [
        ("reject", LineStatus.REJECTED, "line rejected"),
        ("return", LineStatus.RETURNED, "line returned to the drafter"),
    ],
)
def test_reject_and_return_need_a_comment_and_end_the_line(
    office: Office,
    decision: str,
    outcome: LineStatus,
    reason: str,
    finished_signals: list[dict[str, Any]],
) -> None:
    line = office.submitted()
    decide(line, office.reviewer)

    for empty in ("", "   "):
        with pytest.raises(CommentRequiredError):
            decide(line, office.consent_a, decision, comment=empty)
    assert step_of(line, office.consent_a).status == StepStatus.PENDING

    step = decide(line, office.consent_a, decision, comment="Nedostaje obrazloženje.")
    run_tasks()  # the worker sends what the decision wrote in its transaction

    line.refresh_from_db()
    assert line.status == outcome
    assert step.status == {"reject": "rejected", "return": "returned"}[decision]
    assert manifest_of(step)["comment"] == "Nedostaje obrazloženje."
    assert step_statuses(line) == {
        "sef": ("approved", ""),
        "kadrovi": (step.status, ""),
        "pravnik": ("skipped", reason),
        "ministar": ("skipped", reason),
    }
    assert [(s["line_id"], s["outcome"]) for s in finished_signals] == [(str(line.pk), str(outcome))]
    with pytest.raises(StepNotPendingError):
        decide(line, office.consent_b)


def test_an_unknown_decision_is_refused(office: Office) -> None:
    line = office.submitted()
    with pytest.raises(InvalidDecisionError):
        decide(line, office.reviewer, "maybe")


def test_withdraw_before_the_first_decision_ends_the_line(
    office: Office, finished_signals: list[dict[str, Any]]
) -> None:
    line = office.submitted()
    with pytest.raises(NotDrafterError):
        services.line_withdraw(line=line, actor=office.reviewer)

    services.line_withdraw(line=line, actor=office.drafter, reason="Pogrešan prilog.")
    run_tasks()  # the worker sends what the decision wrote in its transaction

    line.refresh_from_db()
    assert line.status == LineStatus.WITHDRAWN
    assert {status for status, _ in step_statuses(line).values()} == {"skipped"}
    assert [s["outcome"] for s in finished_signals] == ["withdrawn"]
    with pytest.raises(StepNotPendingError):
        decide(line, office.reviewer)


def test_withdraw_after_the_first_decision_is_refused(office: Office) -> None:
    line = office.submitted()
    decide(line, office.reviewer)

    with pytest.raises(LineStateError) as caught:
        services.line_withdraw(line=line, actor=office.drafter)

    assert isinstance(caught.value, ConflictError)
    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS
    assert not AuditEvent.objects.filter(event="approvals.line_withdrawn").exists()


def test_a_new_line_for_the_version_is_possible_once_the_old_one_ended(office: Office) -> None:
    line = office.submitted()
    with pytest.raises(LineAlreadyOpenError):
        office.line()
    services.line_withdraw(line=line, actor=office.drafter)
    assert office.submitted().status == LineStatus.IN_PROGRESS


# ---------------------------------------------------------------- refusals change nothing


Attempt = Callable[[Office, ApprovalLine], object]

REFUSALS: dict[str, tuple[Attempt, type[Exception]]] = {
    "not the assignee": (
        lambda o, line: decide(line, o.consent_a, assignee=o.reviewer),
        NotYourStepError,
    ),
    "the drafter": (lambda o, line: decide(line, o.drafter, assignee=o.reviewer), NotYourStepError),
    "a waiting step": (lambda o, line: decide(line, o.approver), StepNotPendingError),
    "a wrong PIN": (lambda o, line: decide(line, o.reviewer, pin="654321"), WrongPinError),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_decision_changes_nothing(office: Office, case: str) -> None:
    line = office.submitted()
    attempt, error = REFUSALS[case]
    before = step_statuses(line)
    events = AuditEvent.objects.count()

    with pytest.raises(error):
        attempt(office, line)

    assert step_statuses(line) == before
    line.refresh_from_db()
    assert (line.status, line.decision_count, line.chain_head) == (LineStatus.IN_PROGRESS, 0, "")
    assert not ApprovalStep.objects.filter(line=line, manifest_sha256__gt="").exists()
    assert not PostReport.objects.exists()
    # nothing is recorded but a wrong PIN itself (who, which key): wrong PINs are counted
    new = list(AuditEvent.objects.filter(seq__gt=events).values_list("event", flat=True))
    assert new == (["signatures.pin_wrong"] if case == "a wrong PIN" else [])


def test_an_already_decided_step_cannot_be_decided_again(office: Office) -> None:
    line = office.submitted()
    first = decide(line, office.reviewer, comment="Prvo.")
    events = AuditEvent.objects.count()

    with pytest.raises(StepNotPendingError) as caught:
        decide(line, office.reviewer, "reject", comment="Predomislio sam se.")

    assert caught.value.status == 409
    again = step_of(line, office.reviewer)
    assert (again.status, again.manifest_sha256, again.comment) == (
        "approved",
        first.manifest_sha256,
        "Prvo.",
    )
    assert AuditEvent.objects.count() == events


def test_the_error_types_carry_their_http_categories() -> None:
    assert issubclass(NotYourStepError, PermissionDeniedError)
    assert issubclass(CommentRequiredError, InvalidInputError)
    assert StepNotPendingError("x").status == 409


# ---------------------------------------------------------------- building a line


def test_the_drafter_changes_the_steps_only_while_draft(office: Office) -> None:
    line = office.line()
    services.line_steps_replace(
        line=line,
        steps=[StepSpec("review", office.reviewer.pk, 1), StepSpec("approval", office.approver.pk, 2)],
        actor=office.drafter,
    )
    assert sorted(step_statuses(line)) == ["ministar", "sef"]
    with pytest.raises(NotDrafterError):
        services.line_steps_replace(line=line, steps=office.standard_steps(), actor=office.reviewer)

    services.line_submit(line=line, actor=office.drafter)
    with pytest.raises(LineStateError):
        services.line_steps_replace(line=line, steps=office.standard_steps(), actor=office.drafter)
    with pytest.raises(LineStateError):
        services.line_submit(line=line, actor=office.drafter)
    assert AuditEvent.objects.filter(event="approvals.line_steps_replaced").count() == 1


def _bad_lines(o: Office) -> dict[str, list[StepSpec]]:
    review, approval = StepSpec("review", o.reviewer.pk, 1), StepSpec("approval", o.approver.pk, 2)
    return {
        "no steps": [],
        "no final approval": [review],
        "two final approvals": [review, approval, StepSpec("approval", o.consent_a.pk, 3)],
        "approval not last": [StepSpec("approval", o.approver.pk, 1), StepSpec("review", o.reviewer.pk, 2)],
        "approval shares its position": [review, approval, StepSpec("consent", o.consent_a.pk, 2)],
        "review in a parallel group": [
            review,
            StepSpec("review", o.consent_a.pk, 1),
            StepSpec("approval", o.approver.pk, 2),
        ],
        "a person twice": [
            review,
            StepSpec("consent", o.reviewer.pk, 2),
            StepSpec("approval", o.approver.pk, 3),
        ],
        "the drafter approves": [StepSpec("approval", o.drafter.pk, 1)],
        "unknown kind": [StepSpec("sign", o.reviewer.pk, 1), approval],
        "position zero": [StepSpec("review", o.reviewer.pk, 0), approval],
        "not a person id": [StepSpec("review", "not-a-uuid", 1), approval],
    }


@pytest.mark.parametrize(
    "case",
    [
        "no steps",
        "no final approval",
        "two final approvals",
        "approval not last",
        "approval shares its position",
        "review in a parallel group",
        "a person twice",
        "the drafter approves",
        "unknown kind",
        "position zero",
        "not a person id",
    ],
)
def test_a_line_that_breaks_a_rule_is_refused(office: Office, case: str) -> None:
    with pytest.raises(InvalidLineError):
        office.line(_bad_lines(office)[case])
    assert not ApprovalLine.objects.exists()
    assert not AuditEvent.objects.filter(event="approvals.line_created").exists()


def test_assignees_must_be_current_officials_of_the_documents_agency(office: Office) -> None:
    foreign_unit = UnitFactory(agency=AgencyFactory(code="rgz", name="Republički geodetski zavod"))
    foreigner = official("stranac", "Petar", "Perić", foreign_unit, Role.HEAD_OF_AGENCY, sign=False)
    with pytest.raises(InvalidLineError, match="not a current official"):
        office.line([StepSpec("review", office.reviewer.pk, 1), StepSpec("approval", foreigner.pk, 2)])


def test_someone_else_cannot_build_a_line_in_the_drafters_name(office: Office) -> None:
    version = office.document.current_version
    assert version is not None
    with pytest.raises(NotDrafterError):
        services.line_create(
            document=office.document,
            version=version,
            drafter=office.drafter,
            doc_type="resenje",
            steps=office.standard_steps(),
            actor=office.reviewer,
        )
