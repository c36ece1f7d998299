"""A line goes review → parallel consent group → final approval, every decision signed."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from govdoc.approvals import services
from govdoc.approvals.constants import LineStatus, StepStatus
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.approvals.tests.conftest import Office, decide, manifest_of, run_tasks, step_of
from govdoc.audit.models import AuditEvent
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import detached_verify

pytestmark = pytest.mark.django_db


def statuses(line: ApprovalLine) -> dict[str, str]:
    return {
        step.assignee.username: step.status
        for step in ApprovalStep.objects.filter(line=line).select_related("assignee")
    }


def test_submitting_makes_only_the_first_position_pending(office: Office) -> None:
    line = office.line()
    assert line.status == LineStatus.DRAFT
    assert set(statuses(line).values()) == {StepStatus.WAITING}

    services.line_submit(line=line, actor=office.drafter)

    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS
    assert statuses(line) == {
        "sef": "pending",
        "kadrovi": "waiting",
        "pravnik": "waiting",
        "ministar": "waiting",
    }
    assert AuditEvent.objects.filter(event="approvals.line_submitted", target_id=str(line.pk)).exists()


def test_review_consent_group_and_final_approval_are_signed_and_chained(
    office: Office, finished_signals: list[dict[str, Any]]
) -> None:
    line = office.submitted()
    version = office.document.current_version
    assert version is not None

    decide(line, office.reviewer, comment="U redu.")
    assert statuses(line)["kadrovi"] == statuses(line)["pravnik"] == "pending"
    # the consent group consents in any order; the final approval waits for both
    decide(line, office.consent_b)
    assert statuses(line)["ministar"] == "waiting"
    decide(line, office.consent_a, comment="Saglasna.")
    assert statuses(line)["ministar"] == "pending"
    decide(line, office.approver)
    run_tasks()  # the worker sends what the decision wrote in its transaction

    line.refresh_from_db()
    assert line.status == LineStatus.APPROVED
    assert line.finished_at is not None
    assert [(s["sender"], s["line_id"], s["outcome"]) for s in finished_signals] == [
        (ApprovalLine, str(line.pk), "approved")
    ]

    order = [office.reviewer, office.consent_b, office.consent_a, office.approver]
    previous = None
    for sequence, person in enumerate(order, start=1):
        step = step_of(line, person)
        assert step.status == StepStatus.APPROVED
        assert step.sequence == sequence
        raw = bytes(step.manifest or b"")
        report = detached_verify(raw, bytes(step.signature or b""))
        assert report.state is Verdict.AUTHENTIC, report.reasons
        assert person.get_full_name() in report.signatures[0].signer_subject
        assert report.signatures[0].timestamp_time is not None
        manifest = manifest_of(step)
        assert manifest["version_sha256"] == version.file_id
        assert manifest["version"] == version.number
        assert manifest["decided_by"] == {"id": str(person.pk), "name": person.get_full_name()}
        assert manifest["decision"] == "approve"
        assert manifest["acting_for"] is None and manifest["delegated"] is False
        assert manifest["previous"] == previous
        previous = hashlib.sha256(raw).hexdigest()
        event = AuditEvent.objects.get(event="approvals.step_decided", target_id=str(step.pk))
        assert event.data["manifest_sha256"] == previous
    assert manifest_of(step_of(line, office.reviewer))["comment"] == "U redu."
    assert line.chain_head == previous


def test_a_manifest_is_canonical_json_that_changes_its_signature_verdict_when_altered(office: Office) -> None:
    line = office.submitted()
    step = decide(line, office.reviewer, comment="U redu.")
    raw = bytes(step.manifest or b"")
    assert (
        raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    altered = raw.replace(b"U redu.", b"U redu!")
    assert detached_verify(altered, bytes(step.signature or b"")).state is Verdict.ALTERED


def test_a_failing_receiver_leaves_the_decision_standing_and_its_announcement_is_retried(
    office: Office, finished_signals: list[dict[str, Any]], settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    from govdoc.approvals.signals import line_finished
    from govdoc.jobs.services import work_recover

    settings.GOVDOC_TASK_RETRY_SECONDS = 0

    def broken(sender: object, **kwargs: Any) -> None:
        raise RuntimeError("listener is down")

    line = office.submitted([services.StepSpec("approval", office.approver.pk, 1)])
    line_finished.connect(broken, weak=False, dispatch_uid="approvals-test-broken")
    try:
        decide(line, office.approver)
        run_tasks()
    finally:
        line_finished.disconnect(dispatch_uid="approvals-test-broken")

    line.refresh_from_db()
    assert line.status == LineStatus.APPROVED
    [task] = DBTaskResult.objects.filter(task_path__endswith="line_finished_announce")
    assert (task.status, task.exception_class_path) == ("FAILED", "builtins.RuntimeError")

    # the sweep takes it again; the receiver works now, and the announcement is made
    assert work_recover() == {"retried": 1, "given_up": 0}
    run_tasks()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert [s["outcome"] for s in finished_signals][-1] == "approved"
    assert AuditEvent.objects.filter(event="jobs.task_retried").count() == 1
