"""200 applications from 200 citizens, approved and then issued concurrently on PostgreSQL by
several workers taking tasks from the queue at once (SKIP LOCKED), as ``govdoc worker``
processes do in production. Each issued PDF names its own applicant and no other."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from govdoc.accounts.models import Person
from govdoc.applications import selectors as apps
from govdoc.applications.models import Application
from govdoc.approvals import selectors as approvals
from govdoc.approvals import services as approval_services
from govdoc.documents.storage import file_read
from govdoc.issuance.models import IssuedDocument
from tests.support import PIN, applications_sent, pdf_text, run_worker_processes

pytestmark = [pytest.mark.slow]

COUNT = int(os.environ.get("GOVDOC_CONCURRENT_ISSUANCE", "200"))
WORKERS = 4
SERVICE = "uverenje-o-prebivalistu"


def test_200_citizens_issued_concurrently_each_pdf_names_its_own_applicant(demo: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent workers take tasks with SELECT ... FOR UPDATE SKIP LOCKED")

    service = apps.service_by_code(SERVICE)
    assert service is not None
    head_unit = Person.objects.get(username="head-unit")
    # one approval step keeps the setup short; the three-step line is covered by the journeys.
    # The service's approval policy must allow that line: here the head of the handling unit approves.
    from govdoc.applications.services.catalogue import service_update

    service = service_update(
        service=service,
        changes={
            "approval_policy": {
                "steps": [{"kind": "approval", "holders": [{"role": "head_of_unit", "scope": "unit"}]}]
            },
            "default_line": [{"kind": "approval", "role": "head_of_unit", "position": 1}],
        },
        actor="test",
    )
    line = [{"kind": "approval", "assignee_id": str(head_unit.pk), "position": 1}]

    applicant_of = applications_sent(COUNT, prefix="citizen", steps=line)
    for step in list(approvals.queue_for(person=head_unit)):
        approval_services.step_decide(step=step, actor=head_unit, decision="approve", pin=PIN)

    # every approval enqueued one issuance task; four worker processes take them at once
    assert run_worker_processes(WORKERS) == []

    issued = list(
        IssuedDocument.objects.select_related("version__file", "recipient").order_by("registry_number")
    )
    assert len(issued) == COUNT
    assert {d.status for d in issued} == {"valid"}
    numbers = sorted(int(d.registry_number.rsplit("-", 1)[1]) for d in issued)
    assert numbers == list(range(numbers[0], numbers[0] + COUNT))

    statuses = set(Application.objects.filter(pk__in=applicant_of).values_list("status", flat=True))
    assert statuses == {"issued"}
    everyone = set(applicant_of.values())
    for document in issued:
        application = Application.objects.get(issued_document_id=document.pk)
        own = applicant_of[str(application.pk)]
        text = pdf_text(file_read(document.version.file))
        named = {name for name in everyone if name in text}
        assert named == {own}, (document.registry_number, own, named)
