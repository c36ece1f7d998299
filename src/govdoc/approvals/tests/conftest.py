"""An agency office with officials who hold signing certificates, and a document to approve.

Real keys, certificates and timestamps: each official gets a personal signing key under the
PIN ``PIN`` once per test (``signatures.services.person_certificate_issue``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
from govdoc.approvals import services
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.approvals.services import StepSpec
from govdoc.approvals.signals import line_finished
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import create_document
from govdoc.signatures.services import person_certificate_issue


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """The services' messages are people's texts, in the language active when they are made
    (Serbian Latin unless a page or an API call chose another); these tests read them in
    English, the language they are written in. Their translations are checked on the pages
    (tests/flows/test_languages.py) and in test_*_messages_are_translated."""
    with translation.override("en"):
        yield


PIN = "123456"


def official(username: str, first: str, last: str, unit: Unit, role: Role, *, sign: bool = True) -> Person:
    person = PersonFactory(username=username, first_name=first, last_name=last)
    grant(person, unit, role)
    if sign:
        person_certificate_issue(
            person=person, pin=PIN, organization=unit.agency.name, actor="test", pin_change_required=False
        )
    return person


@dataclass
class Office:
    agency: Agency
    unit: Unit
    other_unit: Unit
    drafter: Person
    reviewer: Person  # head of unit
    consent_a: Person
    consent_b: Person
    approver: Person  # head of agency
    deputy: Person
    document: Document

    def line(self, steps: Sequence[StepSpec] | None = None, *, doc_type: str = "resenje") -> ApprovalLine:
        """A draft line; by default review → two parallel consents → final approval."""
        version = self.document.current_version
        assert version is not None
        return services.line_create(
            document=self.document,
            version=version,
            drafter=self.drafter,
            doc_type=doc_type,
            steps=steps if steps is not None else self.standard_steps(),
            actor=self.drafter,
        )

    def standard_steps(self) -> list[StepSpec]:
        return [
            StepSpec("review", self.reviewer.pk, 1),
            StepSpec("consent", self.consent_a.pk, 2),
            StepSpec("consent", self.consent_b.pk, 2),
            StepSpec("approval", self.approver.pk, 3),
        ]

    def submitted(
        self, steps: Sequence[StepSpec] | None = None, *, doc_type: str = "resenje"
    ) -> ApprovalLine:
        return services.line_submit(line=self.line(steps, doc_type=doc_type), actor=self.drafter)


def step_of(line: ApprovalLine, person: Person) -> ApprovalStep:
    return ApprovalStep.objects.get(line=line, assignee=person)


def decide(
    line: ApprovalLine,
    person: Person,
    decision: str = "approve",
    comment: str = "",
    *,
    actor: Person | None = None,
    pin: str = PIN,
    assignee: Person | None = None,
) -> ApprovalStep:
    step = step_of(line, assignee or person)
    return services.step_decide(step=step, actor=actor or person, decision=decision, comment=comment, pin=pin)


def manifest_of(step: ApprovalStep) -> dict[str, Any]:
    step.refresh_from_db()
    assert step.manifest is not None
    data: dict[str, Any] = json.loads(bytes(step.manifest))
    return data


@pytest.fixture
def office(agency: Agency, unit: Unit, handler: Person) -> Office:
    other_unit = UnitFactory(agency=agency, code="kadrovi", name="Sektor za ljudske resurse")
    handler.first_name, handler.last_name = "Jelena", "Obradović"
    handler.save(update_fields=["first_name", "last_name"])
    return Office(
        agency=agency,
        unit=unit,
        other_unit=other_unit,
        drafter=handler,
        reviewer=official("sef", "Marko", "Marković", unit, Role.HEAD_OF_UNIT),
        consent_a=official("kadrovi", "Ivana", "Ivanović", other_unit, Role.HEAD_OF_UNIT),
        consent_b=official("pravnik", "Dragan", "Dragić", other_unit, Role.HANDLER),
        approver=official("ministar", "Milica", "Milić", unit, Role.HEAD_OF_AGENCY),
        deputy=official("zamenik", "Nikola", "Nikolić", unit, Role.HEAD_OF_UNIT),
        document=create_document(unit=unit, actor=handler),
    )


@pytest.fixture
def finished_signals() -> Iterator[list[dict[str, Any]]]:
    """``line_finished`` as receivers see it (sent by the task the decision wrote, when a
    worker runs it: ``run_tasks``)."""
    received: list[dict[str, Any]] = []

    def receiver(sender: object, **kwargs: Any) -> None:
        received.append({"sender": sender, **kwargs})

    line_finished.connect(receiver, weak=False, dispatch_uid="approvals-test-receiver")
    yield received
    line_finished.disconnect(dispatch_uid="approvals-test-receiver")


def run_tasks() -> None:
    """What ``govdoc worker`` does: run every task the decisions wrote."""
    from govdoc.jobs.tests.worker import run_queued_tasks

    run_queued_tasks()
