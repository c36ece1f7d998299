"""What the approvers sign is what the citizen receives: every decision signs the content to be
issued (data, template, script); a change after a decision sends the application back to its
handler and nothing is issued; in all three scripts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govdoc.accounts.models import Person, Unit
from govdoc.applications import services
from govdoc.applications.binding import content_sha256_of
from govdoc.applications.models import Application, Service
from govdoc.applications.tests.conftest import submit
from govdoc.approvals import services as approvals
from govdoc.approvals.errors import ContentChangedError
from govdoc.approvals.manifest import manifest_verify
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.audit.models import AuditEvent
from govdoc.documents.storage import file_read
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.pdf_data import embedded_json
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures import keyring
from govdoc.signatures.services import person_certificate_issue

pytestmark = pytest.mark.django_db

PIN = "123456"
SCRIPTS = ["sr-latn", "sr-cyrl", "en"]


@pytest.fixture
def signing_head(head: Person, unit: Unit) -> Person:
    person_certificate_issue(
        person=head, pin=PIN, organization=unit.agency.name, actor="test", pin_change_required=False
    )
    return head


def _sent(service: Service, citizen: Person, head: Person, handler: Person, script: str) -> Application:
    application = submit(service, citizen, script=script)
    services.application_assign(application=application, handler=handler, actor=head)
    services.decision_draft_save(application=application, fields={"napomena": "Bez napomene."}, actor=handler)
    services.decision_send_to_approval(application=application, actor=handler)
    application.refresh_from_db()
    return application


def _approve(application: Application, person: Person) -> None:
    step = ApprovalStep.objects.get(line_id=application.approval_line_id, assignee=person)
    approvals.step_decide(step=step, actor=person, decision="approve", pin=PIN)


def _run_worker() -> None:
    run_queued_tasks()


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_decision_signs_the_content_and_the_approved_content_is_issued(
    service: Service, citizen: Person, head: Person, handler: Person, signing_head: Person, script: str
) -> None:
    application = _sent(service, citizen, head, handler, script)
    line = ApprovalLine.objects.get(pk=application.approval_line_id)
    assert line.content_sha256 == content_sha256_of(application)

    _approve(application, signing_head)
    [step] = ApprovalStep.objects.filter(line=line, sequence__isnull=False)
    assert json.loads(bytes(step.manifest or b""))["content_sha256"] == line.content_sha256
    report = manifest_verify(approvals.line_manifest_export(line=line), trust=keyring.trust())
    assert report.ok, report.problems

    _run_worker()
    application.refresh_from_db()
    assert application.status == "issued"
    assert IssuedDocument.objects.get(pk=application.issued_document_id).script == script


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_decision_on_a_template_changed_after_sending_is_refused_and_the_line_starts_again(
    service: Service,
    citizen: Person,
    head: Person,
    handler: Person,
    signing_head: Person,
    administrator: Person,
    script: str,
) -> None:
    application = _sent(service, citizen, head, handler, script)
    edited = service.output_template + "\n\nDodatni uslov: lično preuzimanje.\n"
    services.service_update(service=service, changes={"output_template": edited}, actor=administrator)

    with pytest.raises(ContentChangedError) as refused:
        _approve(application, signing_head)
    assert refused.value.code == "approval-content-changed" and refused.value.status == 409
    step = ApprovalStep.objects.get(line_id=application.approval_line_id)
    assert (step.status, step.manifest) == ("pending", None)  # nothing signed
    refusal = AuditEvent.objects.get(event="approvals.decision_refused", target_id=str(step.pk))
    assert refusal.data["reason"] == "content_changed"

    # the handler takes the line back and sends the new content: the approvers sign what is issued
    line = ApprovalLine.objects.get(pk=application.approval_line_id)
    approvals.line_withdraw(line=line, actor=handler, reason="Izmenjen obrazac.")
    _run_worker()
    application.refresh_from_db()
    assert (application.status, application.approval_line_id) == ("assigned", None)
    services.decision_send_to_approval(application=application, actor=handler)
    application.refresh_from_db()
    _approve(application, signing_head)
    _run_worker()
    application.refresh_from_db()
    assert application.status == "issued"
    assert not IssuedDocument.objects.exclude(pk=application.issued_document_id).exists()


def test_a_template_changed_after_the_last_decision_is_not_issued(
    service: Service,
    citizen: Person,
    head: Person,
    handler: Person,
    signing_head: Person,
    administrator: Person,
) -> None:
    application = _sent(service, citizen, head, handler, "sr-cyrl")
    _approve(application, signing_head)
    services.service_update(
        service=service,
        changes={"output_template": service.output_template + "\n\nDodatni uslov.\n"},
        actor=administrator,
    )

    _run_worker()

    application.refresh_from_db()
    assert (application.status, application.approval_line_id) == ("assigned", None)
    assert not IssuedDocument.objects.exists()
    returned = AuditEvent.objects.get(
        event="applications.application_returned", target_id=str(application.pk)
    )
    assert returned.data == {"outcome": "content_changed"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_data_changed_in_the_database_after_approval_is_not_issued(
    service: Service, citizen: Person, head: Person, handler: Person, signing_head: Person, script: str
) -> None:
    application = _sent(service, citizen, head, handler, script)
    _approve(application, signing_head)
    # between the approval and the worker, someone with database access changes the address
    data = dict(application.data)
    data["adresa"] = "Bulevar kralja Aleksandra 1"
    Application.objects.filter(pk=application.pk).update(data=data)

    _run_worker()

    application.refresh_from_db()
    assert application.status == "assigned"
    assert not IssuedDocument.objects.exists()


def test_a_content_hash_rewritten_on_the_line_does_not_match_what_the_officials_signed(
    service: Service, citizen: Person, head: Person, handler: Person, signing_head: Person
) -> None:
    application = _sent(service, citizen, head, handler, "sr-latn")
    _approve(application, signing_head)
    data = dict(application.data)
    data["adresa"] = "Bulevar kralja Aleksandra 1"
    Application.objects.filter(pk=application.pk).update(data=data)
    application.refresh_from_db()
    # the forger also rewrites the line's hash to the new content; the signed manifests disagree
    ApprovalLine.objects.filter(pk=application.approval_line_id).update(
        content_sha256=content_sha256_of(application)
    )

    _run_worker()

    application.refresh_from_db()
    assert application.status == "assigned"
    assert not IssuedDocument.objects.exists()


def test_the_issued_document_names_the_decisions_it_rests_on_and_verifiers_see_the_chain(
    service: Service, citizen: Person, head: Person, handler: Person, signing_head: Person, client: Any
) -> None:
    application = _sent(service, citizen, head, handler, "sr-latn")
    _approve(application, signing_head)
    _run_worker()
    application.refresh_from_db()
    issued = IssuedDocument.objects.get(pk=application.issued_document_id)
    line = ApprovalLine.objects.get(pk=issued.approval_line_id)
    assert issued.version is not None

    data = embedded_json(file_read(issued.version.file), "data.json")
    assert data is not None
    assert data["approval"] == {
        "line_id": str(line.pk),
        "chain_head": line.chain_head,
        "content_sha256": line.content_sha256,
    }

    page = client.get(f"/verify/{issued.verification_code}?lang=en")
    text = page.content.decode()
    assert "The document was issued from the signed decisions below, unchanged." in text
    assert signing_head.get_full_name() in text and "final approval" in text

    answer = client.get(f"/api/v1/verify/{issued.verification_code}").json()
    assert answer["approval"]["intact"] is True
    [decision] = answer["approval"]["decisions"]
    assert (decision["kind"], decision["decided_by"]) == ("approval", signing_head.get_full_name())
    assert "comment" not in decision  # officials' comments stay internal

    # a chain head rewritten in the database no longer matches the signed decisions
    IssuedDocument.objects.filter(pk=issued.pk).update(approval_chain_head="0" * 64)
    answer = client.get(f"/api/v1/verify/{issued.verification_code}").json()
    assert answer["approval"]["intact"] is False
    assert (
        "The signed decisions do not match the issued document."
        in client.get(f"/verify/{issued.verification_code}").content.decode()
    )


def test_a_renderer_changed_between_sending_and_deciding_counts_as_new_content(
    service: Service,
    citizen: Person,
    head: Person,
    handler: Person,
    signing_head: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govdoc.issuance import rendering

    application = _sent(service, citizen, head, handler, "sr-latn")
    # a deployment brings new layout files (another wording of dates, say) mid-approval
    monkeypatch.setattr(rendering, "renderer_sha256", lambda: "f" * 64)

    with pytest.raises(ContentChangedError):
        _approve(application, signing_head)
