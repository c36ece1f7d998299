"""A line whose matter is gone (the applicant withdrew) is stopped: its open steps leave the
approvers' queues with the reason, and no outcome is announced."""

from __future__ import annotations

from typing import Any

import pytest

from govdoc.approvals import selectors, services
from govdoc.approvals.constants import REASON_APPLICANT_WITHDREW
from govdoc.approvals.errors import InvalidLineError, LineStateError
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.tests.conftest import Office, decide, step_of
from govdoc.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_stopped_line_skips_its_open_steps_with_the_reason_and_announces_nothing(
    office: Office, django_capture_on_commit_callbacks: Any, finished_signals: list[dict[str, Any]]
) -> None:
    line = office.submitted()
    decide(line, office.reviewer)
    assert [s.pk for s in selectors.queue_for(person=office.consent_a)] == [
        step_of(line, office.consent_a).pk
    ]

    with django_capture_on_commit_callbacks(execute=True):
        services.line_cancel(line_id=line.pk, reason=REASON_APPLICANT_WITHDREW, actor="applications")

    line.refresh_from_db()
    assert (line.status, line.end_reason) == ("withdrawn", "the applicant withdrew the application")
    statuses = {s.assignee_id: (s.status, s.skip_reason) for s in ApprovalStep.objects.filter(line=line)}
    assert statuses[office.reviewer.pk] == ("approved", "")
    for person in (office.consent_a, office.consent_b, office.approver):
        assert statuses[person.pk] == ("skipped", REASON_APPLICANT_WITHDREW)
        assert not selectors.queue_for(person=person).exists()
    event = AuditEvent.objects.get(event="approvals.line_cancelled")
    assert event.data == {"reason": REASON_APPLICANT_WITHDREW, "steps_skipped": 3, "decisions": 1}
    assert finished_signals == []


def test_a_finished_line_is_not_stopped_and_a_reason_is_required(office: Office) -> None:
    line = office.submitted()
    with pytest.raises(InvalidLineError):
        services.line_cancel(line_id=line.pk, reason=" ", actor="applications")
    decide(line, office.reviewer, "reject", "Nepotpuno.")

    with pytest.raises(LineStateError):
        services.line_cancel(line_id=line.pk, reason=REASON_APPLICANT_WITHDREW, actor="applications")
    line.refresh_from_db()
    assert line.status == "rejected"
    assert not AuditEvent.objects.filter(event="approvals.line_cancelled").exists()
