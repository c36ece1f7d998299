"""What officials see: their queue, their post-reports, a line they take part in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.tests.factories import AgencyFactory, UnitFactory
from govdoc.approvals import selectors, services
from govdoc.approvals.errors import LineNotFoundError, StepNotFoundError
from govdoc.approvals.services import StepSpec
from govdoc.approvals.tests.conftest import Office, decide, official
from govdoc.core import clock
from govdoc.core.errors import NotFoundError
from govdoc.documents.tests.samples import create_document

pytestmark = pytest.mark.django_db

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def more_lines(office: Office, count: int) -> list[Any]:
    lines = []
    for number in range(count):
        document = create_document(unit=office.unit, actor=office.drafter, title=f"Rešenje {number}")
        version = document.current_version
        assert version is not None
        line = services.line_create(
            document=document,
            version=version,
            drafter=office.drafter,
            doc_type="resenje",
            steps=[StepSpec("review", office.reviewer.pk, 1), StepSpec("approval", office.approver.pk, 2)],
            actor=office.drafter,
        )
        lines.append(services.line_submit(line=line, actor=office.drafter))
    return lines


def test_the_queue_lists_pending_steps_own_and_as_deputy_in_one_query(
    office: Office, django_assert_num_queries: Any
) -> None:
    own = more_lines(office, 3)  # the reviewer's steps are pending, the approver's waiting
    services.absence_create(
        person=office.reviewer,
        deputy=office.deputy,
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=1),
        actor=office.reviewer,
    )
    office.submitted()  # the consent steps stay waiting behind the review

    with clock.frozen(NOW), django_assert_num_queries(1):
        mine = [
            (s.line.document.title, s.line.drafter.username, s.assignee.username, s.line.version.number)
            for s in selectors.queue_for(person=office.reviewer)
        ]
    assert len(mine) == 4
    assert {title for title, *_ in mine} >= {f"Rešenje {n}" for n in range(3)}
    with clock.frozen(NOW), django_assert_num_queries(1):
        standing_in = [s.line_id for s in selectors.queue_for(person=office.deputy)]
    assert len(standing_in) == 4
    assert selectors.queue_for(person=office.approver).count() == 0
    assert selectors.queue_for(person=office.consent_a).count() == 0

    decide(own[0], office.reviewer)
    assert [s.line_id for s in selectors.queue_for(person=office.approver)] == [own[0].pk]
    assert selectors.queue_for(person=office.reviewer).count() == 3


def test_post_reports_list_in_one_query(office: Office, django_assert_num_queries: Any) -> None:
    lines = more_lines(office, 2)
    services.absence_create(
        person=office.approver,
        deputy=office.deputy,
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=NOW + dt.timedelta(hours=1),
        actor=office.approver,
    )
    with clock.frozen(NOW):
        for line in lines:
            decide(line, office.reviewer)
            decide(line, office.deputy, assignee=office.approver)

    with django_assert_num_queries(1):
        seen = [
            (r.step.line.document.title, r.step.decided_by.username if r.step.decided_by else "")
            for r in selectors.post_reports_for(person=office.approver)
        ]
    assert sorted(seen) == [("Rešenje 0", "zamenik"), ("Rešenje 1", "zamenik")]


def test_a_line_is_seen_by_its_participants_and_its_unit_only(office: Office) -> None:
    line = office.submitted()
    for person in (office.drafter, office.reviewer, office.consent_b, office.approver, office.deputy):
        # the deputy is an official of the document's unit
        assert selectors.line_get(user=person, line_id=line.pk).pk == line.pk
    seen = selectors.line_get(user=office.drafter, line_id=str(line.pk))
    assert [s.kind for s in seen.steps.all()] == ["review", "consent", "consent", "approval"]

    stranger = official(
        "stranac",
        "Petar",
        "Perić",
        UnitFactory(agency=AgencyFactory(code="rgz")),
        Role.HEAD_OF_AGENCY,
        sign=False,
    )
    neighbour = official(
        "komsija", "Ana", "Anić", UnitFactory(agency=office.agency, code="drugi"), Role.HANDLER, sign=False
    )
    for outsider in (stranger, neighbour):
        with pytest.raises(LineNotFoundError) as caught:
            selectors.line_get(user=outsider, line_id=line.pk)
        assert isinstance(caught.value, NotFoundError)
    with pytest.raises(LineNotFoundError):
        selectors.line_get(user=office.drafter, line_id="not-a-uuid")


def test_a_step_is_found_for_a_decision_by_those_who_may_see_it(office: Office) -> None:
    line = office.submitted()
    step = selectors.steps_of(line=line).first()
    assert step is not None
    assert selectors.step_for_decision(person=office.reviewer, step_id=step.pk).pk == step.pk
    assert selectors.step_get(step_id=str(step.pk)).line.document.title == office.document.title

    stranger = official(
        "stranac",
        "Petar",
        "Perić",
        UnitFactory(agency=AgencyFactory(code="rgz")),
        Role.HEAD_OF_AGENCY,
        sign=False,
    )
    for step_id in (step.pk, "not-a-uuid"):
        with pytest.raises(StepNotFoundError):
            selectors.step_for_decision(person=stranger, step_id=step_id)
