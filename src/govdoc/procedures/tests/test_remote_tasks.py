"""A task of a party on another node: the procedure runs here (NIA, as on Korea's node), its
partner is ``ite@rs-self.test`` (this installation trusting itself as a peer, so every message
travels signed over real HTTP). The partner's task is asked of ITE by a signed message, shows in
the My tasks of ITE's handler, is completed there, and its result moves the procedure here; a
timer that takes the task away withdraws it there; forged, replayed and wrong messages are
refused and change nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from tests.support import ApiClient, log_in

from govdoc.accounts.constants import Role
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.services import StepSpec, step_decide
from govdoc.core import clock
from govdoc.core.jsontypes import canonical_json
from govdoc.distribution.messages import MESSAGE_FORMAT, MessageRefused, message_receive
from govdoc.distribution.models import FederationMessage, OutgoingDocument
from govdoc.distribution.services import outgoing_countersign, outgoing_send_for_approval
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.procedures import errors, selectors, services
from govdoc.procedures.models import ProcessInstance, ProcessStep, RemoteTask
from govdoc.procedures.tests.conftest import PIN, SHIPPED_DIR, Countries, trust_self
from govdoc.procedures.tests.test_shipped_dgcc import PARTIES as DGCC_PARTIES
from govdoc.signatures import keyring
from govdoc.signatures.services import detached_seal, person_certificate_issue

NODE = "rs-self.test"
PARTNER = f"ite@{NODE}"
H = Role.HANDLER
BPMN = (Path(__file__).parent / "bpmn" / "partner_confirmation.bpmn").read_bytes()

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def c(countries: Countries, live_server: Any) -> Countries:
    trust_self(countries, node_id=NODE, url=live_server.url)
    return countries


def started(c: Countries) -> ProcessInstance:
    definition = services.definition_load(xml_bytes=BPMN, actor="test")
    # the parties are named as on Korea's node, for which rs-self.test is another node
    with override_settings(GOVDOC_NODE_ID="kr-dgcc.test"):
        instance = services.instance_start(
            definition=definition,
            agency=c.agencies["nia"],
            actor="test",
            title="Study visit 2027",
            business_key="VISIT-2027-1",
            parties={"Host organization": "nia", "Partner organization": PARTNER},
        )
    c.complete(instance, "prepare", c("nia", H))
    return instance


def asked_of_ite(c: Countries, instance: ProcessInstance) -> RemoteTask:
    assert instance.open_tasks.get(spec_name="confirm").remote == PARTNER
    run_queued_tasks()  # the message is posted to "the other node"
    (task,) = selectors.remote_tasks_for(person=c("ite", H))
    assert (task.title, task.procedure, task.origin, task.business_key) == (
        "Confirm the study visit",
        "Confirmation of a study visit",
        f"nia@{NODE}",
        "VISIT-2027-1",
    )
    assert [f["name"] for f in task.fields] == ["visit_confirmed"]
    return task


@override_settings(GOVDOC_NODE_ID=NODE)
def test_the_partner_confirms_on_its_node_and_the_procedure_goes_on_here(c: Countries) -> None:
    instance = started(c)
    task = asked_of_ite(c, instance)
    assert list(selectors.remote_tasks_for(person=c("nia", H))) == []  # only ITE's handler sees it
    with pytest.raises(errors.NotYourTaskError):
        services.remote_task_complete(
            task=task, actor=c("ite", Role.HEAD_OF_AGENCY), data={"visit_confirmed": True}
        )
    with pytest.raises(errors.InvalidProcessDataError):
        services.remote_task_complete(task=task, actor=c("ite", H), data={"visit_confirmed": "maybe"})

    services.remote_task_complete(
        task=task, actor=c("ite", H), data={"visit_confirmed": True, "comment": "Dobrodošli."}
    )
    with pytest.raises(errors.TaskNotOpenError):
        services.remote_task_complete(task=task, actor=c("ite", H), data={"visit_confirmed": False})
    assert c.open(instance) == {"confirm"}  # until the result arrives
    run_queued_tasks()

    assert c.open(instance) == {"close"}
    step = ProcessStep.objects.get(instance=instance, spec_name="confirm")
    assert (step.completed_by, step.completed_elsewhere, step.agency) == (None, PARTNER, None)
    assert step.data["visit_confirmed"] is True and step.data["comment"] == "Dobrodošli."
    assert step.data["done_by"] == c("ite", H).get_full_name()
    sent = FederationMessage.objects.filter(direction="out").values_list("kind", "status")
    assert sorted(sent) == [("procedure.task-done", "sent"), ("procedure.task-open", "sent")]


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_declined_visit_ends_the_procedure_through_the_page(c: Countries) -> None:
    instance = started(c)
    task = asked_of_ite(c, instance)
    browser = log_in(Client(), c("ite", H))
    listed = browser.get("/work/procedures/tasks/", {"lang": "en"}).content.decode()
    assert 'id="remote-tasks"' in listed and f"/work/procedures/remote/{task.pk}/" in listed
    page = browser.get(f"/work/procedures/remote/{task.pk}/", {"lang": "en"}).content.decode()
    assert "another GovDoc installation" in page
    assert log_in(Client(), c("nia", H)).get(f"/work/procedures/remote/{task.pk}/").status_code == 404

    refused = browser.post(f"/work/procedures/remote/{task.pk}/", {})
    assert refused.status_code == 400  # the answer is required
    assert (
        browser.post(f"/work/procedures/remote/{task.pk}/", {"data_visit_confirmed": "no"}).status_code == 302
    )
    run_queued_tasks()
    instance.refresh_from_db()
    assert (instance.status, c.open(instance)) == ("completed", set())


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_task_a_timer_takes_away_is_withdrawn_on_the_partner_s_node(c: Countries) -> None:
    instance = started(c)
    task = asked_of_ite(c, instance)
    with clock.frozen(clock.now() + dt.timedelta(days=10, minutes=1)):
        services.procedures_tick()
    instance.refresh_from_db()
    assert instance.status == "completed"  # lapsed
    run_queued_tasks()  # signed at the real time: never seal with the clock in the future
    task.refresh_from_db()
    assert (task.status, task.withdrawn_reason) == ("withdrawn", "taken away by a timer")
    assert list(selectors.remote_tasks_for(person=c("ite", H))) == []


def _signed(kind: str, content: dict[str, Any], *, sender: str, seal: str | None = None) -> bytes:
    body = canonical_json(
        {
            "format": MESSAGE_FORMAT,
            "id": str(uuid.uuid4()),
            "kind": kind,
            "created_at": clock.now().isoformat(),
            "sender": {"node": NODE, "agency": sender},
            "recipient": {"node": NODE, "agency": "nia"},
            "content": content,
        }
    )
    code = seal or sender
    from govdoc.accounts.models import Agency

    key = keyring.eseal_key(code, name=Agency.objects.get(code=code).name)
    signature = detached_seal(data=body, key=key)
    return json.dumps(
        {"message": base64.b64encode(body).decode(), "signature": base64.b64encode(signature).decode()}
    ).encode()


@override_settings(GOVDOC_NODE_ID=NODE)
def test_forged_replayed_and_wrong_results_are_refused_and_change_nothing(c: Countries) -> None:
    instance = started(c)
    asked_of_ite(c, instance)
    task_id = str(instance.open_tasks.get(spec_name="confirm").task_id)
    result = {"instance": str(instance.pk), "task": task_id, "data": {"visit_confirmed": True}}

    # sealed by MOFA but naming ITE as its sender
    with pytest.raises(MessageRefused) as forged:
        message_receive(_signed("procedure.task-done", result, sender="ite", seal="mofa"))
    assert forged.value.type == "signer-not-sender"
    # MOFA is not the party the task waits for
    with pytest.raises(MessageRefused) as wrong:
        message_receive(_signed("procedure.task-done", result, sender="mofa"))
    assert wrong.value.type == "not-the-party"
    # a value the gateway cannot use
    bad = {**result, "data": {"visit_confirmed": "yes"}}
    with pytest.raises(MessageRefused) as invalid:
        message_receive(_signed("procedure.task-done", bad, sender="ite"))
    assert invalid.value.type == "task-data-invalid"
    assert c.open(instance) == {"confirm"}

    good = _signed("procedure.task-done", result, sender="ite")
    assert message_receive(good).again is False
    assert message_receive(good).again is True  # the same message again: kept once
    assert c.open(instance) == {"close"}
    assert ProcessStep.objects.filter(instance=instance, spec_name="confirm").count() == 1
    with pytest.raises(MessageRefused) as unknown:
        message_receive(_signed("procedure.task-reopened", result, sender="ite"))
    assert unknown.value.type == "kind-unknown"


# ------------------------------------------- the DGCC procedure with the partner country elsewhere

HA, HU = Role.HEAD_OF_AGENCY, Role.HEAD_OF_UNIT


def _done_there(c: Countries, code: str, role: Role, title: str, data: dict[str, Any] | None = None) -> None:
    """On "the partner's node": the task a signed message asked of ``code``, done by its
    official; the result travels back signed and the worker applies it."""
    run_queued_tasks()
    task = next(t for t in selectors.remote_tasks_for(person=c(code, role)) if t.title == title)
    services.remote_task_complete(task=task, actor=c(code, role), data=data or {})
    run_queued_tasks()


def _countersigned_there(c: Countries, instance: ProcessInstance, code: str, answer_to: str) -> None:
    """On "the partner's node": the document that arrived is registered, countersigned by the
    agency's handler, approved by its head and sent back; "here", the answer is registered."""
    run_queued_tasks()
    (arrived,) = c.register(code)
    head = c(code, HA)
    answer = outgoing_countersign(delivery=arrived, actor=c(code, H), unit=c(code, H).memberships.get().unit)
    outgoing_send_for_approval(outgoing=answer, steps=[StepSpec("approval", head.pk, 1)], actor=c(code, H))
    line = OutgoingDocument.objects.get(pk=answer.pk).approval_line_id
    step_decide(step=ApprovalStep.objects.get(line_id=line), actor=head, decision="approve", pin=PIN)
    run_queued_tasks()
    c.register(answer_to)
    run_queued_tasks()


@override_settings(GOVDOC_NODE_ID=NODE)
def test_the_dgcc_procedure_runs_with_the_partner_country_on_its_own_node(c: Countries) -> None:
    """Korea's organizations here; the partner country's lead and specialized organizations on
    "their" node (rs-self.test): every task of theirs is asked by a signed message and done there,
    the MOU is countersigned there, and the procedure runs to its end here."""
    for code in ("mduls", "ite", "mois"):
        person_certificate_issue(
            person=c(code, HA), pin=PIN, organization=code, actor="test", pin_change_required=False
        )
    definition = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "dgcc_operation.bpmn").read_bytes(), actor="test"
    )
    parties = {
        **DGCC_PARTIES,
        "Lead organization (partner country)": f"mduls@{NODE}",
        "Specialized organization (partner country)": f"ite@{NODE}",
    }
    with override_settings(GOVDOC_NODE_ID="kr-dgcc.test"):
        instance = services.instance_start(
            definition=definition,
            agency=c.agencies["nia"],
            actor="test",
            title="DGCC in Serbia",
            parties=parties,
        )
    c.complete(instance, "propose_candidates", c("nia", H), candidates=["Serbia"])
    c.complete(instance, "select_country", c("mois", H), country="Serbia")
    c.complete(instance, "confirm_intention", c("mofa", H), intention_confirmed=True)
    c.complete(instance, "announce_selection", c("mois", HA))
    assert instance.open_tasks.get().remote == f"mduls@{NODE}"  # the partner's request, elsewhere
    _done_there(c, "mduls", H, "Send the request for cooperation and its documents")
    c.complete(instance, "review_documents", c("nia", H))
    c.complete(instance, "on_site_visit", c("nia", H))
    c.sign(instance, "sign_mou_korea", drafter=c("mois", H), approver=c("mois", HA))
    _countersigned_there(c, instance, "mduls", answer_to="mois")
    assert c.open(instance) == {"committee_members_korea", "committee_members_partner"}
    c.complete(instance, "committee_members_korea", c("mois", H))
    _done_there(
        c, "mduls", H, "Name the partner country's members of the Committee", {"comment": "MDULS, ITE"}
    )
    c.complete(instance, "committee_constituted", c("mduls", HA), agreement_needed=False)
    _done_there(c, "mduls", HA, "Designate the place of the Center", {"comment": "Nemanjina 11, Beograd"})
    c.complete(instance, "establish_center", c("ite", HU))
    c.complete(instance, "submit_plan", c("ite", HU))
    c.complete(instance, "approve_plan", c("mduls", HA), decision="closed")

    instance.refresh_from_db()
    assert instance.status == "completed"
    elsewhere = dict(
        ProcessStep.objects.filter(instance=instance)
        .exclude(completed_elsewhere="")
        .values_list("spec_name", "completed_elsewhere")
    )
    assert elsewhere == {
        "request_cooperation": f"mduls@{NODE}",
        "sign_mou_partner": f"mduls@{NODE}",
        "committee_members_partner": f"mduls@{NODE}",
        "designate_place": f"mduls@{NODE}",
    }
    assert RemoteTask.objects.filter(status="open").count() == 0


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_result_the_procedure_s_node_refuses_comes_back_to_be_done_again(c: Countries) -> None:
    instance = started(c)
    task = asked_of_ite(c, instance)
    # what this node was told the task asks no longer matches the procedure (say, an older copy)
    task.fields = [{"name": "visit_confirmed", "kind": "number", "choices": [], "label": "Visit confirmed?"}]
    task.save(update_fields=["fields"])
    services.remote_task_complete(task=task, actor=c("ite", H), data={"visit_confirmed": 5})
    run_queued_tasks()
    task.refresh_from_db()
    assert task.status == "open" and "task-data-invalid" in task.refusal
    assert c.open(instance) == {"confirm"}  # nothing moved there
    page = log_in(Client(), c("ite", H)).get(f"/work/procedures/remote/{task.pk}/", {"lang": "en"})
    assert 'id="remote-refusal"' in page.content.decode()

    task.fields = [{"name": "visit_confirmed", "kind": "flag", "choices": [], "label": "Visit confirmed?"}]
    task.save(update_fields=["fields"])
    services.remote_task_complete(task=task, actor=c("ite", H), data={"visit_confirmed": True})
    run_queued_tasks()
    task.refresh_from_db()
    assert (task.status, task.refusal, task.result.status) == ("done", "", "sent")  # type: ignore[union-attr]
    assert c.open(instance) == {"close"}


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_agency_system_or_official_does_the_partner_s_task_through_the_api(c: Countries) -> None:
    instance = started(c)
    task = asked_of_ite(c, instance)
    api = ApiClient(c("ite", H).username)
    (listed,) = api.get("/procedures/remote-tasks").json()
    assert (listed["id"], listed["origin"], listed["status"]) == (task.pk, f"nia@{NODE}", "open")
    assert listed["fields"] == [
        {"name": "visit_confirmed", "kind": "flag", "label": listed["fields"][0]["label"], "choices": []}
    ]
    assert ApiClient(c("nia", H).username).get("/procedures/remote-tasks").json() == []
    url = f"/procedures/remote-tasks/{task.pk}/complete"
    wrong = api.post(url, {"data": {"visit_confirmed": "yes"}})
    assert (wrong.status_code, wrong["Content-Type"]) == (400, "application/problem+json")
    assert ApiClient(c("nia", H).username).post(url, {"data": {"visit_confirmed": True}}).status_code == 404
    done = api.post(url, {"data": {"visit_confirmed": True}})
    assert (done.status_code, done.json()["status"]) == (200, "done")
    assert api.post(url, {"data": {"visit_confirmed": True}}).status_code == 409
    run_queued_tasks()
    assert c.open(instance) == {"close"}
