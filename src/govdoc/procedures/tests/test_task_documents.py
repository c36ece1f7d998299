"""A procedure's task that produces an official document: the MOU of the DGCC operation
procedure drafted from its template, approved by the minister on a signed line, numbered, sealed
and sent to the partner; countersigned by the partner's minister (the same PDF sealed again) and
sent back; the tasks wait for their documents and complete when they are sent. Also across two
nodes (this installation trusting itself as a peer over real HTTP), what is refused, and the
BPMN files that name a document GovDoc cannot make."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from govdoc.accounts.constants import Role
from govdoc.approvals.errors import LinePolicyError
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.services import StepSpec, step_decide
from govdoc.audit.verification import verify_database
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.distribution.services import outgoing_countersign, outgoing_send_for_approval
from govdoc.documents.storage import file_read
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep, TaskDocument
from govdoc.procedures.services.documents import countersigned
from govdoc.procedures.tests.conftest import PIN, SHIPPED_DIR, Countries, trust_self
from govdoc.signatures.selectors import pdf_verify
from govdoc.signatures.services import person_certificate_issue
from govdoc.signatures.tests.conftest import require_tool, run_tool

from .test_shipped_dgcc import PARTIES

pytestmark = pytest.mark.django_db(transaction=True)
H, HA = Role.HANDLER, Role.HEAD_OF_AGENCY
SHIPPED = (SHIPPED_DIR / "dgcc_operation.bpmn").read_bytes()


@pytest.fixture
def dgcc(countries: Countries) -> ProcessDefinition:
    return services.definition_load(xml_bytes=SHIPPED, actor="test")


def at_the_mou(
    c: Countries, definition: ProcessDefinition, parties: dict[str, str] = PARTIES
) -> ProcessInstance:
    instance = services.instance_start(
        definition=definition, agency=c.agencies["nia"], actor="test", title="DGCC in Serbia", parties=parties
    )
    for spec, actor, data in [
        ("propose_candidates", c("nia", H), {"candidates": ["Serbia"]}),
        ("select_country", c("mois", H), {"country": "Serbia"}),
        ("confirm_intention", c("mofa", H), {"intention_confirmed": True}),
        ("announce_selection", c("mois", HA), {}),
    ]:
        c.complete(instance, spec, actor, **data)
    c.complete(instance, "request_cooperation", c("mduls", H))
    c.complete(instance, "review_documents", c("nia", H))
    c.complete(instance, "on_site_visit", c("nia", H))
    return instance


def _text(pdf: bytes, tmp_path: Path) -> str:
    result = run_tool([require_tool("pdftotext")], tmp_path, pdf)
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.split()) if result.stdout else _text_file(tmp_path)


def _text_file(tmp_path: Path) -> str:
    return " ".join((tmp_path / "doc.txt").read_text("utf-8").split())


def test_the_mou_is_drafted_approved_sealed_countersigned_and_both_seals_hold(
    countries: Countries, dgcc: ProcessDefinition, tmp_path: Path
) -> None:
    c = countries
    instance = at_the_mou(c, dgcc)
    mou_task = c.task_id(instance, "sign_mou_korea")

    # the task waits for its document: it cannot be ticked off by hand
    with pytest.raises(errors.TaskWaitsForDocumentError, match="approved and sent"):
        c.complete(instance, "sign_mou_korea", c("mois", HA))
    # the partner cannot countersign what has not arrived
    with pytest.raises(errors.TaskDocumentError, match="has not arrived yet"):
        services.task_document_countersign(
            instance=instance,
            task_id=c.task_id(instance, "sign_mou_partner"),
            actor=c("mduls", H),
            unit=c("mduls", H).memberships.get().unit,
        )
    assert not TaskDocument.objects.exists()

    mou = c.sign(instance, "sign_mou_korea", drafter=c("mois", H), approver=c("mois", HA))

    assert mou.status == "sent" and mou.registry_entry is not None
    assert (mou.kind, mou.final_approver_role) == ("sporazum", "head_of_agency")
    sealed = file_read(mou.sealed_version.file)  # type: ignore[union-attr]
    text = _text(sealed, tmp_path)
    assert "MEMORANDUM OF UNDERSTANDING" in text
    assert "Lead organization (partner country): Ministarstvo državne uprave i lokalne samouprave" in text
    assert "The Parties agree to cooperate in digital government." in text
    # the task completed when its document was sent, as its drafter, with the number
    step = ProcessStep.objects.get(instance=instance, spec_name="sign_mou_korea")
    assert str(step.task_id) == mou_task and step.completed_by == c("mois", H)
    assert step.data["document_registry_number"] == mou.registry_entry.registry_number

    # the partner's registry registers it; its minister countersigns the very same PDF
    with pytest.raises(errors.TaskDocumentError, match="registry must register it first"):
        services.task_document_countersign(
            instance=instance,
            task_id=c.task_id(instance, "sign_mou_partner"),
            actor=c("mduls", H),
            unit=c("mduls", H).memberships.get().unit,
        )
    c.register("mduls")
    both = c.sign(instance, "sign_mou_partner", drafter=c("mduls", H), approver=c("mduls", HA))

    assert both.status == "sent" and both.in_reply_to is not None
    signed_by_both = file_read(both.sealed_version.file)  # type: ignore[union-attr]
    assert signed_by_both.startswith(sealed) and countersigned(sealed, signed_by_both)
    report = pdf_verify(signed_by_both)
    assert report.is_authentic, report.reasons
    signers = " ".join(s.signer_subject for s in report.signatures)
    assert "Ministry of the Interior and Safety" in signers
    assert "Ministarstvo državne uprave i lokalne samouprave" in signers
    # an independent tool sees both seals and finds each valid
    shown = run_tool([require_tool("pdfsig")], tmp_path, signed_by_both).stdout
    assert len(re.findall(r"Signature Validation: Signature is Valid", shown)) >= 2, shown
    # and Korea received the countersigned MOU back
    back = Delivery.objects.get(outgoing=both)
    assert back.agency == c.agencies["mois"]
    assert {t.spec_name for t in instance.open_tasks.all()} == {
        "committee_members_korea",
        "committee_members_partner",
    }
    assert verify_database(verify_signature=None).ok


def test_the_final_approval_belongs_to_the_lane_s_role_and_a_rejected_draft_is_redone(
    countries: Countries, dgcc: ProcessDefinition
) -> None:
    c = countries
    instance = at_the_mou(c, dgcc)
    task_id = c.task_id(instance, "sign_mou_korea")
    unit = c("mois", H).memberships.get().unit
    with pytest.raises(errors.NotYourTaskError):  # another agency's official
        services.task_document_draft(
            instance=instance,
            task_id=task_id,
            actor=c("mduls", H),
            unit=unit,
            title="",
            text="x",
            script="en",
        )
    with pytest.raises(errors.TaskDocumentError) as refused:
        services.task_document_draft(
            instance=instance, task_id=task_id, actor=c("mois", H), unit=unit, title="", text=" ", script="en"
        )
    assert refused.value.details["errors"] == {"text": "Write the document's text."}
    made = services.task_document_draft(
        instance=instance,
        task_id=task_id,
        actor=c("mois", H),
        unit=unit,
        title="MOU",
        text="Text.",
        script="sr-latn",
    )
    with pytest.raises(errors.TaskDocumentPendingError):
        services.task_document_draft(
            instance=instance, task_id=task_id, actor=c("mois", H), unit=unit, title="", text="x", script="en"
        )
    # the Memorandum binds the ministry: a head of unit cannot give its final approval
    other = c("mois", Role.REGISTRY_CLERK)
    with pytest.raises(LinePolicyError, match="head of agency of Ministry of the Interior and Safety"):
        outgoing_send_for_approval(
            outgoing=made.outgoing, steps=[StepSpec("approval", other.pk, 1)], actor=c("mois", H)
        )

    # the minister rejects it: the task is still open and a new draft can be made
    minister = c("mois", HA)
    person_certificate_issue(
        person=minister, pin=PIN, organization="MOIS", actor="test", pin_change_required=False
    )
    outgoing_send_for_approval(
        outgoing=made.outgoing, steps=[StepSpec("approval", minister.pk, 1)], actor=c("mois", H)
    )
    line = OutgoingDocument.objects.get(pk=made.outgoing_id).approval_line_id
    step_decide(
        step=ApprovalStep.objects.get(line_id=line),
        actor=minister,
        decision="reject",
        comment="Article 3.",
        pin=PIN,
    )
    run_queued_tasks()
    assert OutgoingDocument.objects.get(pk=made.outgoing_id).status == "rejected"
    assert "sign_mou_korea" in {t.spec_name for t in instance.open_tasks.all()}
    again = c.sign(instance, "sign_mou_korea", drafter=c("mois", H), approver=minister)
    assert again.status == "sent"
    assert TaskDocument.objects.filter(instance=instance, spec_name="sign_mou_korea").count() == 2


NODE = "rs-self.test"


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_partner_on_another_node_countersigns_there_and_its_task_completes_here(
    countries: Countries, dgcc: ProcessDefinition, live_server: Any
) -> None:
    """The partner's specialized organization is ``ite@rs-self.test``: this installation trusting
    itself as a peer, so the Agreement and its countersignature travel as envelopes over real
    HTTP. On "its" node the partner runs no procedure: it countersigns the received Agreement as
    any registered document, and the answer completes its task here."""
    c = countries
    trust_self(c, node_id=NODE, url=live_server.url)
    parties = {**PARTIES, "Specialized organization (partner country)": f"ite@{NODE}"}
    # the parties are named as on Korea's node, for which rs-self.test is another node
    with override_settings(GOVDOC_NODE_ID="kr-dgcc.test"):
        instance = at_the_mou(c, dgcc, parties)
    c.sign(instance, "sign_mou_korea", drafter=c("mois", H), approver=c("mois", HA))
    c.register("mduls")
    c.sign(instance, "sign_mou_partner", drafter=c("mduls", H), approver=c("mduls", HA))
    c.complete(instance, "committee_members_korea", c("mois", H), members_korea=["MOIS"])
    c.complete(instance, "committee_members_partner", c("mduls", H), members_partner=["MDULS"])
    c.complete(instance, "committee_constituted", c("mduls", HA), agreement_needed=True)
    c.complete(instance, "prepare_agreement", c("nia", H))
    partner_task = instance.open_tasks.get(spec_name="sign_agreement_partner")
    assert partner_task.remote == f"ite@{NODE}"

    agreement = c.sign(instance, "sign_agreement_korea", drafter=c("nia", H), approver=c("nia", HA))
    assert agreement.consignments.get().status == "delivered"

    # "on the partner's node": registered, countersigned, approved by its head, sent back
    (arrived,) = c.register("ite")
    assert arrived.arrival is not None
    answer = outgoing_countersign(
        delivery=arrived, actor=c("ite", H), unit=c("ite", H).memberships.get().unit
    )
    head = c("ite", HA)
    person_certificate_issue(
        person=head, pin=PIN, organization="ITE", actor="test", pin_change_required=False
    )
    outgoing_send_for_approval(outgoing=answer, steps=[StepSpec("approval", head.pk, 1)], actor=c("ite", H))
    line = OutgoingDocument.objects.get(pk=answer.pk).approval_line_id
    step_decide(step=ApprovalStep.objects.get(line_id=line), actor=head, decision="approve", pin=PIN)
    run_queued_tasks()

    # back "here": the answer arrived; the partner's task completes once NIA's registry has it
    assert "sign_agreement_partner" in c.open(instance)
    (answered,) = c.register("nia")
    run_queued_tasks()
    step = ProcessStep.objects.get(instance=instance, spec_name="sign_agreement_partner")
    assert (step.completed_by, step.completed_elsewhere, step.agency) == (None, f"ite@{NODE}", None)
    assert step.data["sender_registry_number"] == answered.sender_registry_number
    assert TaskDocument.objects.get(answer=answered).spec_name == "sign_agreement_partner"
    assert "sign_agreement_partner" not in c.open(instance)
    received = answered.received_document
    assert received is not None and received.current_version is not None
    assert countersigned(file_read(agreement.sealed_version.file), file_read(received.current_version.file))  # type: ignore[union-attr]
    assert verify_database(verify_signature=None).ok


# ----------------------------------------------------------------------- refused BPMN files


def _variant(old: str, new: str) -> bytes:
    text = SHIPPED.decode()
    assert old in text
    return text.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('template="mou"', 'template="speech"', "names the template 'speech'; GovDoc has agreement, letter"),
        ('kind="sporazum" to="Lead', 'kind="ugovor" to="Lead', "names the kind 'ugovor'"),
        (
            'to="Lead organization (partner country)"',
            'to="Ministry of Magic"',
            "sends to 'Ministry of Magic', which no lane of the process names",
        ),
        # an empty 'to' is a slip, not an internal document (that has no 'to' at all)
        ('to="Lead organization (partner country)"', 'to=""', "names no recipient party in 'to'"),
        # without 'to' the MOU would be internal: nobody receives it to countersign
        (' to="Lead organization (partner country)"', "", "not sent to this task's party"),
        ('retention="permanent"', 'retention="forever"', "keeps the document for 'forever'"),
        ('approved-by="head of agency" />', 'approved-by="minister" />', "names 'minister' in 'approved-by'"),
        (
            '<govdoc:countersign task="sign_mou_korea" approved-by="head of agency" />',
            '<govdoc:countersign task="on_site_visit" />',
            "which is not a task that drafts",
        ),
        (
            '<govdoc:countersign task="sign_mou_korea" approved-by="head of agency" />',
            '<govdoc:countersign task="sign_agreement_korea" />',
            "not sent to this task's party",
        ),
        (
            'each="projects" party="Cooperation Center"',
            'each="projects" party="Ministry of Magic"',
            "starts procedures for 'Ministry of Magic', which no lane of the process names",
        ),
        ('process="egov_project"', 'process="egov project"', "starts 'egov project', which is no process id"),
        ('each="projects"', 'each="2 projects"', "names '2 projects' in 'each', which is no data name"),
        (
            '<govdoc:countersign task="sign_mou_korea" approved-by="head of agency" />',
            "<govdoc:stamp />",
            "'stamp' in 'sign_mou_partner' is not a GovDoc element",
        ),
    ],
)
def test_a_bpmn_file_naming_a_document_govdoc_cannot_make_is_refused(
    countries: Countries, old: str, new: str, message: str
) -> None:
    with pytest.raises(errors.DefinitionDocumentError, match=re.escape(message)):
        services.definition_load(xml_bytes=_variant(old, new), actor="test")
    assert not ProcessDefinition.objects.exists()
