"""A service's approval policy is enforced when the handler sends the decision up its line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
from govdoc.applications import services
from govdoc.applications.constants import ApplicationStatus
from govdoc.applications.models import Application, Service
from govdoc.applications.specs import ApprovalPolicy, LineStep
from govdoc.applications.tests.conftest import make_service, submit
from govdoc.approvals import services as approvals
from govdoc.approvals.errors import LinePolicyError
from govdoc.approvals.models import ApprovalLine
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """The refusals are read here in English, the language they are written in (officials read
    them in their own: tests/flows/test_languages.py, approvals' test_policy)."""
    with translation.override("en"):
        yield


RESIDENCE_POLICY: ApprovalPolicy = {
    "steps": [
        {"kind": "review", "holders": [{"role": "head_of_unit", "scope": "unit"}]},
        {
            "kind": "approval",
            "holders": [
                {"role": "head_of_agency", "scope": "agency"},
                {"role": "head_of_unit", "scope": "delegation"},
            ],
        },
    ]
}


@pytest.fixture
def office(unit: Unit) -> dict[str, Person]:
    people = {}
    for username, role in (
        ("chief", Role.HEAD_OF_AGENCY),
        ("registry", Role.REGISTRY_CLERK),
        ("reviewer2", Role.HANDLER),
    ):
        people[username] = PersonFactory(username=username, first_name=username.title(), last_name="X")
        grant(people[username], unit, role)
    # A head of another unit of the same agency.
    people["other_head"] = PersonFactory(username="other-head", first_name="Other", last_name="Head")
    grant(people["other_head"], UnitFactory(agency=unit.agency, code="druga"), Role.HEAD_OF_UNIT)
    return people


@pytest.fixture
def strict_service(unit: Unit, administrator: Person) -> Service:
    return make_service(
        unit=unit,
        actor=administrator,
        default_line=[
            {"kind": "review", "role": "head_of_unit", "position": 1},
            {"kind": "approval", "role": "head_of_agency", "position": 2},
        ],
        approval_policy=RESIDENCE_POLICY,
    )


@pytest.fixture
def sent_ready(strict_service: Service, citizen: Person, head: Person, handler: Person) -> Application:
    application = submit(strict_service, citizen)
    return services.application_assign(application=application, handler=handler, actor=head)


def _step(kind: str, person: Person, position: int) -> LineStep:
    return LineStep(kind=kind, assignee_id=str(person.pk), position=position)  # type: ignore[typeddict-item]


def _refused(application: Application, steps: list[LineStep], handler: Person) -> LinePolicyError:
    with pytest.raises(LinePolicyError) as caught:
        services.decision_send_to_approval(application=application, steps=steps, actor=handler)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ASSIGNED
    assert application.approval_line_id is None
    assert not ApprovalLine.objects.exists()
    assert not Document.objects.exists()
    assert not AuditEvent.objects.filter(event="applications.decision_sent_to_approval").exists()
    return caught.value


def test_the_handler_cannot_shrink_the_line_to_one_approval_by_a_registry_clerk(
    sent_ready: Application, handler: Person, office: dict[str, Person]
) -> None:
    """The attack found: a registry clerk "approved" it, and it was issued."""
    error = _refused(sent_ready, [_step("approval", office["registry"], 1)], handler)

    assert error.code == "approval-line-policy"
    reasons = error.details["errors"]["steps"]  # type: ignore[index]
    assert "the line lacks the required review step (held by head of unit of the handling unit)" in reasons
    assert "is held by Registry X (registry clerk), who may not hold it" in reasons
    refusal = AuditEvent.objects.get(event="applications.approval_line_refused")
    assert refusal.actor_id == str(handler.pk)
    assert refusal.target_id == str(sent_ready.pk)
    assert len(refusal.data["reasons"]) == 2


def test_the_default_line_keeps_the_policy_and_goes(
    sent_ready: Application, handler: Person, office: dict[str, Person]
) -> None:
    services.decision_send_to_approval(application=sent_ready, actor=handler)

    sent_ready.refresh_from_db()
    assert sent_ready.status == ApplicationStatus.IN_APPROVAL


def test_the_drafter_may_add_a_review_and_a_consent(
    sent_ready: Application, handler: Person, head: Person, office: dict[str, Person]
) -> None:
    steps = [
        _step("review", office["reviewer2"], 1),
        _step("review", head, 2),
        _step("consent", office["registry"], 3),
        _step("approval", office["chief"], 4),
    ]
    services.decision_send_to_approval(application=sent_ready, steps=steps, actor=handler)

    sent_ready.refresh_from_db()
    assert sent_ready.status == ApplicationStatus.IN_APPROVAL


def test_a_review_by_the_head_of_another_unit_is_refused(
    sent_ready: Application, handler: Person, office: dict[str, Person]
) -> None:
    steps = [_step("review", office["other_head"], 1), _step("approval", office["chief"], 2)]
    error = _refused(sent_ready, steps, handler)

    assert "review step at position 1 is held by Other Head (head of unit)" in error.message


def _rule(unit: Unit, *, starts: dt.timedelta, ends: dt.timedelta | None) -> None:
    now = clock.now()
    approvals.delegation_rule_create(
        agency=unit.agency,
        doc_type="uverenje",
        role=Role.HEAD_OF_UNIT,
        valid_from=now + starts,
        valid_to=now + ends if ends is not None else None,
        actor="test",
    )


def test_a_head_of_unit_approves_finally_only_while_a_delegation_rule_is_valid(
    sent_ready: Application, handler: Person, head: Person, office: dict[str, Person], unit: Unit
) -> None:
    steps = [_step("review", head, 1), _step("approval", office["other_head"], 2)]
    _rule(unit, starts=dt.timedelta(days=-30), ends=dt.timedelta(days=-1))  # expired
    _rule(unit, starts=dt.timedelta(days=1), ends=None)  # not valid yet
    error = _refused(sent_ready, steps, handler)
    assert "where the delegation table allows it" in error.message

    _rule(unit, starts=dt.timedelta(days=-1), ends=dt.timedelta(days=30))
    services.decision_send_to_approval(application=sent_ready, steps=steps, actor=handler)

    sent_ready.refresh_from_db()
    assert sent_ready.status == ApplicationStatus.IN_APPROVAL
