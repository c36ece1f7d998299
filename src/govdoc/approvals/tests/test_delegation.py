"""Delegated decision (전결): the agency's delegation table lets a lower position decide finally."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.constants import Role
from govdoc.approvals import services
from govdoc.approvals.constants import LineStatus, StepStatus
from govdoc.approvals.errors import InvalidDelegationRuleError, NotAllowedToManageError
from govdoc.approvals.manifest import manifest_verify
from govdoc.approvals.models import ApprovalStep, DelegationRule
from govdoc.approvals.selectors import delegation_rules_current
from govdoc.approvals.tests.conftest import Office, decide, manifest_of
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.signatures import keyring

pytestmark = pytest.mark.django_db

# Near the real time: the officials' certificates and the CRL are made at the real time.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def rule(
    office: Office, *, valid_from: dt.datetime, valid_to: dt.datetime | None, doc_type: str = "resenje"
) -> DelegationRule:
    return services.delegation_rule_create(
        agency=office.agency,
        doc_type=doc_type,
        role=Role.HEAD_OF_UNIT,
        valid_from=valid_from,
        valid_to=valid_to,
        actor=office.approver,
    )


def test_with_a_valid_rule_the_head_of_units_approval_completes_the_line(office: Office) -> None:
    rule(office, valid_from=NOW - dt.timedelta(days=30), valid_to=NOW + dt.timedelta(days=30))
    with clock.frozen(NOW):
        line = office.submitted()
        step = decide(line, office.reviewer, comment="Rešava se po ovlašćenju.")

    line.refresh_from_db()
    assert line.status == LineStatus.APPROVED
    assert step.delegated is True
    assert manifest_of(step)["delegated"] is True
    rest = ApprovalStep.objects.filter(line=line).exclude(pk=step.pk)
    assert {(s.status, s.skip_reason) for s in rest} == {(StepStatus.SKIPPED, "delegated decision")}
    report = manifest_verify(services.line_manifest_export(line=line), trust=keyring.trust())
    assert report.ok, report.problems
    assert [d.delegated for d in report.decisions] == [True]


def test_with_an_expired_rule_the_line_goes_on(office: Office) -> None:
    rule(office, valid_from=NOW - dt.timedelta(days=30), valid_to=NOW - dt.timedelta(days=1))
    with clock.frozen(NOW):
        line = office.submitted()
        step = decide(line, office.reviewer)

    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS
    assert step.delegated is False
    assert manifest_of(step)["delegated"] is False
    assert ApprovalStep.objects.get(line=line, assignee=office.consent_a).status == StepStatus.PENDING


def test_a_rule_applies_only_from_its_start_and_only_to_its_doc_type(office: Office) -> None:
    rule(office, valid_from=NOW + dt.timedelta(days=1), valid_to=None)
    rule(office, valid_from=NOW - dt.timedelta(days=1), valid_to=None, doc_type="dopis")
    with clock.frozen(NOW):
        line = office.submitted(doc_type="resenje")
        decide(line, office.reviewer)
    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS


def test_an_ended_rule_no_longer_applies(office: Office) -> None:
    current = rule(office, valid_from=NOW - dt.timedelta(days=1), valid_to=None)
    with clock.frozen(NOW):
        assert list(delegation_rules_current(agency_id=office.agency.pk)) == [current]
        services.delegation_rule_end(rule=current, actor=office.approver)
        assert list(delegation_rules_current(agency_id=office.agency.pk)) == []
        line = office.submitted()
        decide(line, office.reviewer)
    line.refresh_from_db()
    assert line.status == LineStatus.IN_PROGRESS
    assert AuditEvent.objects.filter(
        event="approvals.delegation_rule_ended", target_id=str(current.pk)
    ).exists()


def test_only_the_agencys_management_sets_the_delegation_table(office: Office) -> None:
    with pytest.raises(NotAllowedToManageError):
        services.delegation_rule_create(
            agency=office.agency,
            doc_type="resenje",
            role=Role.HEAD_OF_UNIT,
            valid_from=NOW,
            actor=office.reviewer,
        )
    with pytest.raises(InvalidDelegationRuleError):
        services.delegation_rule_create(
            agency=office.agency, doc_type="resenje", role=Role.CITIZEN, valid_from=NOW, actor=office.approver
        )
    with pytest.raises(InvalidDelegationRuleError):
        rule(office, valid_from=NOW, valid_to=NOW - dt.timedelta(seconds=1))
    assert not DelegationRule.objects.exists()
    created = rule(office, valid_from=NOW, valid_to=None)
    event = AuditEvent.objects.get(event="approvals.delegation_rule_created")
    assert event.target_id == str(created.pk) and event.data["role"] == "head_of_unit"
