"""Procedures through the API, as an integrator's system acting for an official would use them:
my tasks with the data each asks for, starting, completing, the document a task produces, and
what is refused (problem+json, nothing changed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support import ApiClient

from govdoc.accounts.constants import Role
from govdoc.procedures import services
from govdoc.procedures.models import ProcessInstance, ProcessStep
from govdoc.procedures.tests.conftest import SHIPPED_DIR, Countries, Office

pytestmark = pytest.mark.django_db

PERMIT = (Path(__file__).resolve().parents[2] / "web" / "tests" / "bpmn" / "permit_request.bpmn").read_bytes()


@pytest.fixture
def permit(office: Office) -> None:
    services.definition_load(xml_bytes=PERMIT, actor=office.admin)


def test_an_official_starts_a_procedure_sees_the_task_and_completes_it(office: Office, permit: None) -> None:
    api = ApiClient(office.handler.username)
    listed = api.get("/procedures/definitions").json()
    assert {"procedure": "permit_request", "may_start_in": ["mup"]}.items() <= listed[0].items()

    started = api.post("/procedures", {"procedure": "permit_request", "agency": "mup", "title": "Dozvola"})
    assert started.status_code == 201, started.content
    body = started.json()
    assert (body["status"], body["agency"], body["title"]) == ("running", "mup", "Dozvola")
    (task,) = api.get("/procedures/tasks").json()
    assert task["spec_name"] == "review" and task["document"] is None
    assert task["fields"][0]["kind"] == "choice"
    url = f"/procedures/{task['instance_id']}/tasks/{task['task_id']}/complete"
    no_document = api.post(url.replace("/complete", "/document"), {"text": "Tekst."})
    assert no_document.status_code == 400
    assert no_document.json()["type"].endswith("procedure-task-document")

    # a value the gateway cannot use: refused, nothing moved
    wrong = api.post(url, {"data": {"decision": 7}})
    assert wrong.status_code == 400 and wrong["Content-Type"] == "application/problem+json"
    bad_name = api.post(url, {"data": {"1decision": "approve"}})
    assert bad_name.status_code == 400
    assert not ProcessStep.objects.exists()
    # the head of unit holds no handler lane; another agency's official does not even see it
    assert ApiClient(office.head.username).post(url, {"data": {"decision": "approve"}}).status_code == 403
    assert ApiClient(office.outsider.username).get(f"/procedures/{task['instance_id']}").status_code == 404

    done = api.post(url, {"data": {"decision": "approve"}})
    assert done.status_code == 200, done.content
    after = done.json()
    assert [s["spec_name"] for s in after["steps"]] == ["review"]
    assert after["steps"][0]["completed_by"] == office.handler.username
    assert [t["spec_name"] for t in after["open_tasks"]] == ["sign"]
    again = api.post(url, {"data": {"decision": "approve"}})
    assert again.status_code == 409 and again.json()["type"].endswith("procedure-task-not-open")


def test_a_task_that_produces_a_document_is_drafted_not_completed(countries: Countries) -> None:
    from govdoc.procedures.tests.test_shipped_dgcc import PARTIES
    from govdoc.procedures.tests.test_task_documents import at_the_mou

    c = countries
    dgcc = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "dgcc_operation.bpmn").read_bytes(), actor="test"
    )
    instance = at_the_mou(c, dgcc, PARTIES)
    drafter = ApiClient(c("mois", Role.HANDLER).username)
    task = next(t for t in drafter.get("/procedures/tasks").json() if t["spec_name"] == "sign_mou_korea")
    assert task["document"] == "draft"
    base = f"/procedures/{instance.pk}/tasks/{task['task_id']}"

    by_hand = drafter.post(f"{base}/complete", {"data": {}})
    assert by_hand.status_code == 409 and by_hand.json()["type"].endswith("procedure-task-waits-for-document")
    empty = drafter.post(f"{base}/document", {"text": ""})
    assert empty.status_code == 400 and [e["field"] for e in empty.json()["errors"]] == ["text"]
    made = drafter.post(f"{base}/document", {"text": "Article 1.", "script": "en"})
    assert made.status_code == 201, made.content
    outgoing = drafter.get(f"/outgoing/{made.json()['outgoing_id']}").json()
    assert (outgoing["kind"], outgoing["status"]) == ("sporazum", "draft")
    shown = drafter.get(f"/procedures/{instance.pk}").json()
    assert shown["documents"][0]["outgoing_id"] == made.json()["outgoing_id"]
    assert ProcessInstance.objects.get(pk=instance.pk).status == "running"


def test_my_tasks_come_a_page_at_a_time_with_the_total(office: Office, permit: None) -> None:
    api = ApiClient(office.handler.username)
    for n in range(3):
        assert (
            api.post(
                "/procedures", {"procedure": "permit_request", "agency": "mup", "title": f"Uverenje {n}"}
            ).status_code
            == 201
        )
    first = api.get("/procedures/tasks?limit=2")
    assert (first.status_code, first["X-Total-Count"]) == (200, "3")
    second = api.get("/procedures/tasks?limit=2&offset=2")
    titles = [t["procedure_title"] for t in first.json() + second.json()]
    assert sorted(titles) == ["Uverenje 0", "Uverenje 1", "Uverenje 2"]
    assert api.get("/procedures/tasks?limit=501").status_code == 422
