"""Acting approval (대결): a deputy decides for an absent approver, who reads it later (후열)."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.approvals import selectors, services
from govdoc.approvals.constants import LineStatus
from govdoc.approvals.errors import (
    InvalidAbsenceError,
    NotAllowedToManageError,
    NotYourStepError,
    PostReportNotFoundError,
)
from govdoc.approvals.models import Absence, ApprovalLine, ApprovalStep, PostReport
from govdoc.approvals.services import StepSpec
from govdoc.approvals.tests.conftest import Office, decide, manifest_of
from govdoc.audit.models import AuditEvent
from govdoc.core import clock

pytestmark = pytest.mark.django_db

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def line_at_final_approval(office: Office) -> ApprovalLine:
    line = office.submitted(
        [StepSpec("review", office.reviewer.pk, 1), StepSpec("approval", office.approver.pk, 2)]
    )
    decide(line, office.reviewer)
    return line


def absent(office: Office) -> Absence:
    return services.absence_create(
        person=office.approver,
        deputy=office.deputy,
        starts_at=NOW - dt.timedelta(days=1),
        ends_at=NOW + dt.timedelta(days=1),
        reason="Službeni put",
        actor=office.approver,
    )


def test_the_deputy_decides_while_the_approver_is_absent_and_a_post_report_appears(office: Office) -> None:
    absent(office)
    with clock.frozen(NOW):
        line = line_at_final_approval(office)
        assert [s.assignee_id for s in selectors.queue_for(person=office.deputy)] == [office.approver.pk]
        step = decide(line, office.deputy, comment="Po ovlašćenju ministra.", assignee=office.approver)

    line.refresh_from_db()
    assert line.status == LineStatus.APPROVED
    assert step.decided_by_id == office.deputy.pk and step.acting_for_id == office.approver.pk
    manifest = manifest_of(step)
    assert manifest["acting_for"] == str(office.approver.pk)
    assert manifest["decided_by"]["id"] == str(office.deputy.pk)

    reports = list(selectors.post_reports_for(person=office.approver))
    assert [r.step_id for r in reports] == [step.pk]
    assert selectors.post_reports_for(person=office.deputy).count() == 0
    with pytest.raises(PostReportNotFoundError):
        services.post_report_acknowledge(report=reports[0], actor=office.deputy)

    services.post_report_acknowledge(report=reports[0], actor=office.approver)

    assert selectors.post_reports_for(person=office.approver).count() == 0
    assert PostReport.objects.get().acknowledged_at is not None
    assert AuditEvent.objects.filter(event="approvals.post_report_acknowledged").count() == 1


def test_outside_the_absence_the_deputy_is_refused(office: Office) -> None:
    absent(office)
    with clock.frozen(NOW + dt.timedelta(days=2)):
        line = line_at_final_approval(office)
        assert list(selectors.queue_for(person=office.deputy)) == []
        with pytest.raises(NotYourStepError):
            decide(line, office.deputy, assignee=office.approver)

    final = ApprovalStep.objects.get(line=line, assignee=office.approver)
    assert (final.status, final.decided_by_id) == ("pending", None)
    assert not PostReport.objects.exists()


def test_before_a_planned_absence_starts_the_deputy_is_refused(office: Office) -> None:
    absent(office)
    with clock.frozen(NOW - dt.timedelta(days=2)):
        line = line_at_final_approval(office)
        assert list(selectors.queue_for(person=office.deputy)) == []
        with pytest.raises(NotYourStepError):
            decide(line, office.deputy, assignee=office.approver)
    with clock.frozen(NOW):  # the absence has begun: now the deputy decides (대결)
        step = decide(line, office.deputy, assignee=office.approver)
    assert (step.acting_for_id, step.decided_by_id) == (office.approver.pk, office.deputy.pk)


def test_an_ended_absence_ends_the_deputys_authority(office: Office) -> None:
    absence = absent(office)
    with clock.frozen(NOW):
        line = line_at_final_approval(office)
        services.absence_end(absence=absence, actor=office.approver)
        with pytest.raises(NotYourStepError):
            decide(line, office.deputy, assignee=office.approver)
        # the approver is back and decides themself
        decide(line, office.approver)
    assert AuditEvent.objects.filter(event="approvals.absence_ended").count() == 1
    assert not PostReport.objects.exists()


def test_absences_are_checked(office: Office) -> None:
    with pytest.raises(InvalidAbsenceError):
        services.absence_create(
            person=office.approver,
            deputy=office.approver,
            starts_at=NOW,
            ends_at=NOW + dt.timedelta(days=1),
            actor=office.approver,
        )
    with pytest.raises(InvalidAbsenceError):
        services.absence_create(
            person=office.approver, deputy=office.deputy, starts_at=NOW, ends_at=NOW, actor=office.approver
        )
    with pytest.raises(NotAllowedToManageError):
        services.absence_create(
            person=office.approver,
            deputy=office.consent_b,
            starts_at=NOW,
            ends_at=NOW + dt.timedelta(days=1),
            actor=office.consent_b,
        )
    assert not Absence.objects.exists()
    services.absence_create(
        person=office.consent_b,
        deputy=office.deputy,
        starts_at=NOW,
        ends_at=NOW + dt.timedelta(days=1),
        actor=office.reviewer,
    )
    assert AuditEvent.objects.filter(event="approvals.absence_created").count() == 1
