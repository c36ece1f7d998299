"""The two-country MOU signing across two real installations: the procedure runs on rs-a, where
the lead organization of Korea drafts the MOU from its template and its head approves it; the
partner country's lead organization is an agency of rs-b, which runs no procedure: its registry
registers the MOU, its head approves the countersignature of the same PDF, and the answer goes
back. When rs-a's registry registers the answer, the partner's task completes on rs-a and the
procedure ends, holding one PDF sealed by both agencies (each with its own PKI)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from govdoc.signatures.tests.conftest import require_tool, run_tool
from tests.federation.harness import NODE_A, NODE_B, TwoNodes, wait_for
from tests.federation.letters import MUP, _snippet, arrival_register, audit_verify, wait_answered

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

TIMEOUT = 120.0
MOU_SIGNING = (Path(__file__).parent / "bpmn" / "mou_signing.bpmn").read_text("utf-8")
# The head of the agency gives the final approval of an agreement or memorandum.
MUP_HEAD = {**MUP, "approver": "head-agency"}

_START_AND_DRAFT = """
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.cli.demo_data import DEMO_SIGNING_PIN
from govdoc.distribution.models import OutgoingDocument
from govdoc.distribution.services import outgoing_send_for_approval
from govdoc.procedures import services

definition = services.definition_load(xml_bytes=A["bpmn"].encode(), actor="test")
instance = services.instance_start(
    definition=definition,
    agency=Agency.objects.get(code="mup"),
    actor="test",
    title="MOU on digital government",
    parties={"Lead organization (Korea)": "mup", "Lead organization (partner country)": A["partner"]},
)
drafter, approver = Person.objects.get(username=A["drafter"]), Person.objects.get(username=A["approver"])
task = instance.open_tasks.get(spec_name="sign_mou_korea")
made = services.task_document_draft(
    instance=instance,
    task_id=str(task.task_id),
    actor=drafter,
    unit=Unit.objects.get(agency__code="mup", code=A["unit"]),
    title="Memorandum of understanding on digital government",
    text="The Parties cooperate in digital government.\\n\\nThe Center is established in Belgrade.",
    script="en",
)
steps = [approvals.StepSpec("approval", approver.pk, 1)]
outgoing_send_for_approval(outgoing=made.outgoing, steps=steps, actor=drafter)
line = OutgoingDocument.objects.get(pk=made.outgoing_id).approval_line_id
approvals.step_decide(
    step=ApprovalStep.objects.get(line_id=line), actor=approver, decision="approve", pin=DEMO_SIGNING_PIN
)
print(json.dumps({"instance": str(instance.pk), "outgoing": str(made.outgoing_id)}))
"""

_COUNTERSIGN = """
from govdoc.accounts.models import Person, Unit
from govdoc.approvals import services as approvals
from govdoc.approvals.models import ApprovalStep
from govdoc.cli.demo_data import DEMO_SIGNING_PIN
from govdoc.distribution import services
from govdoc.distribution.models import Delivery, OutgoingDocument

drafter, approver = Person.objects.get(username=A["drafter"]), Person.objects.get(username=A["approver"])
answer = services.outgoing_countersign(
    delivery=Delivery.objects.get(pk=A["delivery"]),
    actor=drafter,
    unit=Unit.objects.get(agency__code=A["agency"], code=A["unit"]),
)
services.outgoing_send_for_approval(
    outgoing=answer, steps=[approvals.StepSpec("approval", approver.pk, 1)], actor=drafter
)
line = OutgoingDocument.objects.get(pk=answer.pk).approval_line_id
approvals.step_decide(
    step=ApprovalStep.objects.get(line_id=line), actor=approver, decision="approve", pin=DEMO_SIGNING_PIN
)
print(json.dumps({"outgoing": str(answer.pk)}))
"""

_PROCEDURE = """
import base64
from govdoc.documents.storage import file_read
from govdoc.procedures.models import ProcessInstance, ProcessStep, TaskDocument
from govdoc.procedures.services.documents import countersigned

instance = ProcessInstance.objects.get(pk=A["instance"])
steps = {s.spec_name: s for s in ProcessStep.objects.filter(instance=instance)}
partner = steps.get("sign_mou_partner")
answer = TaskDocument.objects.filter(instance=instance, answer__isnull=False).select_related(
    "answer__received_document__current_version__file"
).first()
mou = TaskDocument.objects.select_related("outgoing__sealed_version__file").get(
    instance=instance, spec_name="sign_mou_korea"
)
both = file_read(answer.answer.received_document.current_version.file) if answer else b""
print(json.dumps({
    "status": instance.status,
    "korea_by": steps["sign_mou_korea"].completed_by.username if "sign_mou_korea" in steps else None,
    "partner_elsewhere": partner.completed_elsewhere if partner else None,
    "partner_by": partner.completed_by_id if partner else "-",
    "countersigned": countersigned(file_read(mou.outgoing.sealed_version.file), both) if answer else False,
    "pdf": base64.b64encode(both).decode(),
}))
"""


def test_the_mou_is_signed_by_two_countries_on_two_nodes(two_nodes: TwoNodes, tmp_path: Path) -> None:
    a, b = two_nodes

    # rs-a: the procedure starts; the ministry drafts the MOU and its head approves it
    started = a.run_json(
        _snippet({**MUP_HEAD, "bpmn": MOU_SIGNING, "partner": f"mup@{NODE_B}"}, _START_AND_DRAFT)
    )
    state = wait_answered(a, started["outgoing"], timeout=TIMEOUT, others=(b,))
    assert (state["outgoing"], state["status"]) == ("sent", "delivered"), state
    # sent: Korea's task is done, the partner's waits for the party on rs-b
    waiting = wait_for(
        lambda: a.query(
            "SELECT remote FROM procedures_processtask WHERE instance_id = %s AND spec_name = %s",
            (started["instance"], "sign_mou_partner"),
        ),
        timeout=TIMEOUT,
        what="the partner's task open on rs-a",
        nodes=(a,),
    )
    assert waiting == [(f"mup@{NODE_B}",)]

    # rs-b: registered; countersigned by the partner's ministry, approved by its head; sent back
    arrived = arrival_register(b, sender_node=NODE_A, consignment_id=state["consignment"], office=MUP)
    assert arrived["manifest"]["document"]["kind"] == "sporazum"
    answer = b.run_json(_snippet({**MUP_HEAD, "delivery": arrived["delivery"]}, _COUNTERSIGN))
    back = wait_answered(b, answer["outgoing"], timeout=TIMEOUT, others=(a,))
    assert (back["outgoing"], back["status"]) == ("sent", "delivered"), back

    # rs-a: nothing completes until its registry registers the answer; then the partner's task does
    before = a.run_json(_snippet({"instance": started["instance"]}, _PROCEDURE))
    assert (before["status"], before["korea_by"], before["partner_elsewhere"]) == ("running", "handler", None)
    registered = arrival_register(a, sender_node=NODE_B, consignment_id=back["consignment"], office=MUP)
    assert registered["answers"] == started["outgoing"]

    def completed() -> dict[str, object] | None:
        found = a.run_json(_snippet({"instance": started["instance"]}, _PROCEDURE))
        return found if found["status"] == "completed" else None

    done = wait_for(completed, timeout=TIMEOUT, what="the MOU procedure completed on rs-a", nodes=(a, b))
    assert done["korea_by"] == "handler"
    assert (done["partner_elsewhere"], done["partner_by"]) == (f"mup@{NODE_B}", None)
    assert done["countersigned"] is True
    # an independent tool finds two intact seals in the PDF rs-a keeps
    shown = run_tool([require_tool("pdfsig")], tmp_path, base64.b64decode(str(done["pdf"])))
    assert shown.stdout.count("Signature Validation: Signature is Valid.") >= 2, shown.stdout
    assert audit_verify(a)["ok"] and audit_verify(b)["ok"]


# ---------------------------------------------------------------- a party's task on its own node

PARTNER_CONFIRMATION = (
    Path(__file__).resolve().parents[2] / "src/govdoc/procedures/tests/bpmn/partner_confirmation.bpmn"
).read_text("utf-8")

_START_VISIT = """
from govdoc.accounts.models import Agency, Person
from govdoc.procedures import services

definition = services.definition_load(xml_bytes=A["bpmn"].encode(), actor="test")
instance = services.instance_start(
    definition=definition,
    agency=Agency.objects.get(code="mup"),
    actor="test",
    title="Study visit",
    parties={"Host organization": "mup", "Partner organization": A["partner"]},
)
task = instance.open_tasks.get(spec_name="prepare")
handler = Person.objects.get(username="handler")
services.task_complete(instance=instance, task_id=str(task.task_id), actor=handler)
print(json.dumps({"instance": str(instance.pk)}))
"""

_CONFIRM_THERE = """
from govdoc.accounts.models import Person
from govdoc.procedures import selectors, services

handler = Person.objects.get(username="handler")
(task,) = selectors.remote_tasks_for(person=handler)
services.remote_task_complete(task=task, actor=handler, data={"visit_confirmed": True})
print(json.dumps({"title": task.title, "origin": task.origin, "fields": [f["name"] for f in task.fields]}))
"""


def test_a_party_on_another_node_does_its_task_there_and_the_procedure_goes_on(two_nodes: TwoNodes) -> None:
    a, b = two_nodes
    started = a.run_json(_snippet({"bpmn": PARTNER_CONFIRMATION, "partner": f"mup@{NODE_B}"}, _START_VISIT))
    # rs-b: the worker of rs-a posted the signed task; rs-b keeps it for its ministry's handler
    asked = wait_for(
        lambda: b.query("SELECT title FROM procedures_remotetask WHERE status = 'open'"),
        timeout=TIMEOUT,
        what="the partner's task asked of rs-b",
        nodes=(a, b),
    )
    assert asked == [("Confirm the study visit",)]
    done_there = b.run_json(_snippet({}, _CONFIRM_THERE))
    assert done_there == {
        "title": "Confirm the study visit",
        "origin": f"mup@{NODE_A}",
        "fields": ["visit_confirmed"],
    }
    # rs-a: the result came back signed; the procedure went on to the host's next task
    step = wait_for(
        lambda: a.query(
            "SELECT completed_elsewhere, completed_by_id FROM procedures_processstep "
            "WHERE instance_id = %s AND spec_name = 'confirm'",
            (started["instance"],),
        ),
        timeout=TIMEOUT,
        what="the partner's task completed on rs-a",
        nodes=(a, b),
    )
    assert step == [(f"mup@{NODE_B}", None)]
    assert a.query(
        "SELECT spec_name FROM procedures_processtask WHERE instance_id = %s", (started["instance"],)
    ) == [("close",)]
    assert audit_verify(a)["ok"] and audit_verify(b)["ok"]
