"""The officials' procedure pages through Django's test client: my tasks, completing a task (and
its refusals), the agency's procedures, a procedure's page and its BPMN file, the definitions
page for administrators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from tests.support import log_in

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.procedures import selectors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep
from govdoc.procedures.selectors import task_deadline
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST, Office
from govdoc.web.language import SESSION_KEY

PERMIT = (Path(__file__).parent / "bpmn" / "permit_request.bpmn").read_bytes()


def _client(person: Person, language: str = "en") -> Client:
    client = log_in(Client(), person)
    session = client.session
    session[SESSION_KEY] = language
    session.save()
    return client


@pytest.fixture
def permit(office: Office) -> ProcessDefinition:
    return services.definition_load(xml_bytes=PERMIT, actor=office.admin)


@pytest.fixture
def running(office: Office, permit: ProcessDefinition) -> ProcessInstance:
    return services.instance_start(
        definition=permit, agency=office.agency, actor=office.handler, title="Dozvola", business_key="P-7"
    )


def _task_url(instance: ProcessInstance, spec_name: str) -> str:
    task = instance.open_tasks.get(spec_name=spec_name)
    return f"/work/procedures/{instance.pk}/tasks/{task.task_id}/"


def test_my_tasks_lists_the_tasks_of_my_role_in_my_agency(office: Office, running: ProcessInstance) -> None:
    page = _client(office.handler).get("/work/procedures/tasks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Review the request" in text and "Permit request" in text and "P-7" in text
    # the head of unit has nothing yet; a handler of another agency sees nothing of it
    assert "Review the request" not in _client(office.head).get("/work/procedures/tasks/").content.decode()
    assert (
        "Review the request" not in _client(office.outsider).get("/work/procedures/tasks/").content.decode()
    )


def test_a_handler_decides_and_the_head_sees_the_task_with_its_deadline(
    office: Office,
    running: ProcessInstance,
) -> None:
    handler = _client(office.handler)
    form = handler.get(_task_url(running, "review")).content.decode()
    assert 'name="data_decision"' in form and ">Approve<" in form and ">Reject<" in form
    response = handler.post(_task_url(running, "review"), {"data_decision": "0", "comment": "Uredno"})
    assert response.status_code == 302
    step = ProcessStep.objects.get(instance=running)
    assert step.data == {"decision": "approve", "comment": "Uredno"}
    assert step.completed_by == office.handler
    sign = running.open_tasks.get()
    assert sign.spec_name == "sign"
    deadline = task_deadline(task=sign)
    assert deadline is not None and (deadline - sign.since).days == 5
    mine = _client(office.head).get("/work/procedures/tasks/").content.decode()
    assert "Sign the permit" in mine and deadline.astimezone().strftime("%Y") in mine
    assert 'class="deadline"' in mine


def test_a_missing_decision_is_shown_beside_the_field_and_nothing_moves(
    office: Office,
    running: ProcessInstance,
) -> None:
    response = _client(office.handler).post(
        _task_url(running, "review"), {"data_decision": "", "comment": "x"}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="err_data_decision"' in text and "Choose one of the offered answers." in text
    assert not ProcessStep.objects.exists()
    assert running.open_tasks.get().spec_name == "review"


def test_someone_without_the_lanes_role_is_refused_beside_the_form(
    office: Office,
    running: ProcessInstance,
) -> None:
    response = _client(office.head).post(_task_url(running, "review"), {"data_decision": "1"})
    assert response.status_code == 403
    assert 'id="task-error"' in response.content.decode()
    assert "is for the handler" in response.content.decode()
    assert not ProcessStep.objects.exists()


def test_a_task_already_done_is_refused_with_a_clear_message(
    office: Office, running: ProcessInstance
) -> None:
    url = _task_url(running, "review")
    handler = _client(office.handler)
    assert handler.post(url, {"data_decision": "1"}).status_code == 302
    again = handler.post(url, {"data_decision": "0"})
    assert again.status_code == 409
    assert "not waiting for anyone any more" in again.content.decode()
    assert ProcessStep.objects.count() == 1


def test_another_agencys_procedure_is_not_found(office: Office, running: ProcessInstance) -> None:
    outsider = _client(office.outsider)
    for path in ("/", "/diagram.bpmn", f"/tasks/{running.open_tasks.get().task_id}/"):
        assert outsider.get(f"/work/procedures/{running.pk}{path}").status_code == 404
    assert outsider.post(_task_url(running, "review"), {"data_decision": "0"}).status_code == 404
    assert "Dozvola" not in outsider.get("/work/procedures/").content.decode()
    assert not ProcessStep.objects.exists()


def test_citizens_are_kept_out(office: Office, running: ProcessInstance, citizen: Person) -> None:
    response = _client(citizen).get(f"/work/procedures/{running.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/my/applications/")


def test_the_procedure_page_shows_current_tasks_history_data_and_the_diagram_hooks(
    office: Office,
    running: ProcessInstance,
) -> None:
    handler = _client(office.handler)
    handler.post(_task_url(running, "review"), {"data_decision": "0", "comment": "Uredno"})
    text = handler.get(f"/work/procedures/{running.pk}/").content.decode()
    assert 'data-current="sign"' in text and 'data-done="review"' in text
    assert "Review the request" in text and office.handler.get_full_name() in text  # history
    assert "Sign the permit" in text  # current task, listed without JavaScript
    assert "approve" in text and "Uredno" in text  # the data
    assert "bpmn-viewer.production.min.js" in text and "<script>" not in text
    xml = handler.get(f"/work/procedures/{running.pk}/diagram.bpmn")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")
    assert xml.content == PERMIT


def test_the_list_filters_by_procedure_and_status(office: Office, running: ProcessInstance) -> None:
    certificate = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)
    services.instance_start(
        definition=certificate, agency=office.agency, actor=office.handler, title="Uverenje"
    )
    handler = _client(office.handler)
    everything = handler.get("/work/procedures/").content.decode()
    assert "Dozvola" in everything and "Uverenje" in everything
    only = handler.get("/work/procedures/?procedure=permit_request").content.decode()
    assert "Dozvola" in only and "Uverenje" not in only
    assert "Dozvola" not in handler.get("/work/procedures/?status=completed").content.decode()


def test_an_official_starts_a_procedure_their_role_may_start(
    office: Office, permit: ProcessDefinition
) -> None:
    handler = _client(office.handler)
    assert 'id="start"' in handler.get("/work/procedures/").content.decode()
    response = handler.post(
        "/work/procedures/start/", {"procedure": "permit_request", "title": "Nova", "business_key": "P-8"}
    )
    instance = ProcessInstance.objects.get(title="Nova")
    assert response.status_code == 302 and response["Location"].startswith(f"/work/procedures/{instance.pk}/")
    # the start event is in the handler's lane: the head of unit is offered no form and refused
    head = _client(office.head)
    assert 'id="start"' not in head.get("/work/procedures/").content.decode()
    refused = head.post(
        "/work/procedures/start/", {"procedure": "permit_request", "title": "Ne"}, follow=True
    )
    assert "you may not start" in refused.content.decode()
    assert not ProcessInstance.objects.filter(title="Ne").exists()


def test_a_procedure_of_several_organizations_asks_which_agency_is_each(office: Office) -> None:
    shipped = Path(services.__file__).resolve().parent.parent / "bpmn" / "training_programme.bpmn"
    services.definition_load(xml_bytes=shipped.read_bytes(), actor=office.admin)
    handler = _client(office.handler)
    start = {"procedure": "training_programme", "title": "Obuka", "business_key": "T-1"}
    asked = handler.post("/work/procedures/start/", start)
    assert asked.status_code == 200
    form = asked.content.decode()
    assert "Host organization (Korea)" in form and "Sending organization (partner country)" in form
    assert 'value="mup"' in form and 'value="rgz"' in form and 'value="Obuka"' in form
    assert not ProcessInstance.objects.exists()

    half = handler.post("/work/procedures/start/", {**start, "parties": "1", "party-0": "mup", "party-1": ""})
    assert half.status_code == 400
    text = half.content.decode()
    assert 'id="error_party-1"' in text and "say which agency is" in text
    assert 'id="error_party-0"' not in text and '<option value="mup" selected>' in text
    unknown = handler.post(
        "/work/procedures/start/", {**start, "parties": "1", "party-0": "mup", "party-1": "x"}
    )
    assert unknown.status_code == 400 and 'id="error_party-1"' in unknown.content.decode()
    assert not ProcessInstance.objects.exists()  # nothing started by a wrong form

    done = handler.post(
        "/work/procedures/start/", {**start, "parties": "1", "party-0": "mup", "party-1": "rgz"}
    )
    instance = ProcessInstance.objects.get(title="Obuka")
    assert done.status_code == 302 and done["Location"].startswith(f"/work/procedures/{instance.pk}/")
    assert {p.name: p.agency.code for p in selectors.instance_parties(instance=instance)} == {
        "Host organization (Korea)": "mup",
        "Sending organization (partner country)": "rgz",
    }

    # the sending organization's people see the procedure and work their party's tasks there,
    # though it runs in the host's agency; a third agency sees nothing of it
    head_rgz = PersonFactory(username="rgz.head")
    grant(head_rgz, office.outsider.memberships.get().unit, Role.HEAD_OF_UNIT)
    invite = instance.open_tasks.get()
    services.task_complete(instance=instance, task_id=str(invite.task_id), actor=office.handler)
    theirs = _client(head_rgz)
    assert "Obuka" in theirs.get("/work/procedures/").content.decode()
    assert theirs.get(f"/work/procedures/{instance.pk}/").status_code == 200
    task_page = theirs.get(_task_url(instance, "select_trainees"))
    assert task_page.status_code == 200 and "Select the trainees" in task_page.content.decode()
    stranger = PersonFactory(username="third.head")
    grant(stranger, UnitFactory(agency=AgencyFactory(code="rfzo"), code="k"), Role.HEAD_OF_UNIT)
    assert _client(stranger).get(f"/work/procedures/{instance.pk}/").status_code == 404
    assert "Obuka" not in _client(stranger).get("/work/procedures/").content.decode()


def test_only_administrators_see_and_load_definitions(office: Office) -> None:
    assert _client(office.handler).get("/work/procedures/definitions/").status_code == 403
    admin = _client(office.admin)
    assert admin.get("/work/procedures/definitions/").status_code == 200
    upload = SimpleUploadedFile("permit.bpmn", PERMIT, "application/xml")
    response = admin.post("/work/procedures/definitions/", {"bpmn": upload}, follow=True)
    assert "is loaded as version 1" in response.content.decode()
    assert ProcessDefinition.objects.get(key="permit_request").version == 1
    assert AuditEvent.objects.filter(event="procedures.definition_loaded").count() == 1


def test_a_refused_bpmn_file_shows_the_reason_beside_the_field(office: Office) -> None:
    bad = PERMIT.replace(b'<bpmn:userTask id="review"', b'<bpmn:scriptTask id="review"').replace(
        b"</bpmn:userTask>", b"</bpmn:scriptTask>", 1
    )
    response = _client(office.admin).post(
        "/work/procedures/definitions/", {"bpmn": SimpleUploadedFile("bad.bpmn", bad, "application/xml")}
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert 'id="err_bpmn"' in text and "scripts or script tasks" in text
    assert not ProcessDefinition.objects.exists()


@pytest.mark.parametrize(
    ("language", "heading", "task_heading"),
    [
        ("sr-latn", "Moji zadaci", "Zadatak"),
        ("sr-cyrl", "Моји задаци", "Задатак"),
        ("en", "My tasks", "Task"),
    ],
)
def test_my_tasks_in_every_language(
    office: Office,
    running: ProcessInstance,
    language: str,
    heading: str,
    task_heading: str,
) -> None:
    text = _client(office.handler, language).get("/work/procedures/tasks/").content.decode()
    assert f"<h1>{heading}</h1>" in text
    assert f">{task_heading}</th>" in text


def test_the_agencys_procedures_are_listed_in_few_queries(
    office: Office, permit: ProcessDefinition, django_assert_max_num_queries: Any
) -> None:
    for n in range(5):
        services.instance_start(definition=permit, agency=office.agency, actor=office.handler, title=f"D{n}")
    with django_assert_max_num_queries(3):
        rows = list(selectors.instances_of_agencies(agency_ids={office.agency.pk}))
        assert sum(len(r.open_tasks.all()) for r in rows) == 5


def test_a_yes_no_question_and_check_boxes_give_a_flag_and_a_list(office: Office) -> None:
    certificate = services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)
    instance = services.instance_start(definition=certificate, agency=office.agency, actor=office.handler)
    handler = _client(office.handler)
    form = handler.get(_task_url(instance, "review")).content.decode()
    assert 'name="data_complete"' in form and 'type="checkbox" name="data_paid"' in form
    refused = handler.post(_task_url(instance, "review"), {"data_complete": "maybe"})
    assert refused.status_code == 400 and "Choose yes or no." in refused.content.decode()
    done = handler.post(_task_url(instance, "review"), {"data_complete": "yes", "data_paid": ["0", "0", "7"]})
    assert done.status_code == 302
    assert ProcessStep.objects.get(instance=instance).data == {"complete": True, "paid": ["fee"]}
    assert set(instance.open_tasks.values_list("spec_name", flat=True)) == {"check_register", "check_fees"}


# ------------------------------------------------------------- a task that produces a document


def test_a_document_task_is_drafted_from_its_page_and_waits_for_its_document(countries: Any) -> None:
    from govdoc.distribution.models import OutgoingDocument
    from govdoc.procedures.tests.conftest import SHIPPED_DIR
    from govdoc.procedures.tests.test_shipped_dgcc import PARTIES
    from govdoc.procedures.tests.test_task_documents import at_the_mou

    c = countries
    dgcc = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "dgcc_operation.bpmn").read_bytes(), actor="test"
    )
    instance = at_the_mou(c, dgcc, PARTIES)
    url = _task_url(instance, "sign_mou_korea")
    drafter = _client(c("mois", Role.HANDLER))

    form = drafter.get(url).content.decode()
    assert 'id="task-document-form"' in form and "Memorandum of understanding" in form
    assert "Lead organization (partner country): Ministarstvo državne uprave i lokalne samouprave" in form
    assert "The final approval is given by the head of agency of Ministry of the Interior and Safety." in form
    assert "Complete the task" not in form  # it is done by sending its document

    empty = drafter.post(url, {"unit": "", "title": "MOU", "text": "", "script": "en"})
    assert empty.status_code == 400
    assert 'id="err_unit"' in empty.content.decode()
    unit = c("mois", Role.HANDLER).memberships.get().unit
    no_text = drafter.post(url, {"unit": str(unit.pk), "title": "MOU", "text": "  ", "script": "en"})
    assert no_text.status_code == 400 and "Write the document&#x27;s text." in no_text.content.decode()
    assert not OutgoingDocument.objects.exists()

    done = drafter.post(
        url,
        {"unit": str(unit.pk), "title": "MOU on digital government", "text": "Article 1.", "script": "en"},
    )
    outgoing = OutgoingDocument.objects.get()
    assert done.status_code == 302 and done["Location"].startswith(f"/work/outgoing/{outgoing.pk}/")
    assert outgoing.document.title == "MOU on digital government" and outgoing.kind == "sporazum"
    again = drafter.get(url).content.decode()
    assert 'id="task-document-pending"' in again and "MOU on digital government" in again
    procedure = drafter.get(f"/work/procedures/{instance.pk}/").content.decode()
    assert 'id="procedure-documents"' in procedure and f"/work/outgoing/{outgoing.pk}/" in procedure
    # the partner's countersignature waits for the Memorandum to arrive
    partner = _client(c("mduls", Role.HANDLER)).get(_task_url(instance, "sign_mou_partner")).content.decode()
    assert "The document to countersign has not arrived yet." in partner
    assert 'id="task-document-form"' in partner and " disabled>" in partner


PROGRAMME = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:govdoc="https://govdoc.example/bpmn/1" id="D" targetNamespace="http://govdoc.example/bpmn">
  <bpmn:process id="permit_programme" name="Permit programme" isExecutable="true">
    <bpmn:laneSet id="L"><bpmn:lane id="L1" name="handler">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>plan</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="plan" name="Plan the permits">
      <bpmn:extensionElements>
        <govdoc:start process="permit_request" each="permits" />
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="plan" />
    <bpmn:sequenceFlow id="f2" sourceRef="plan" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_task_that_starts_procedures_asks_one_title_per_line(
    office: Office, permit: ProcessDefinition
) -> None:
    programme = services.definition_load(xml_bytes=PROGRAMME, actor=office.admin)
    running = services.instance_start(definition=programme, agency=office.agency, actor=office.handler)
    handler = _client(office.handler)
    form = handler.get(_task_url(running, "plan")).content.decode()
    assert '<textarea id="id_data_permits"' in form and "One per line; each starts a new procedure." in form

    too_long = handler.post(_task_url(running, "plan"), {"data_permits": "x" * 201})
    assert too_long.status_code == 400 and 'id="err_data_permits"' in too_long.content.decode()
    assert not ProcessInstance.objects.filter(parent=running).exists()

    done = handler.post(
        _task_url(running, "plan"), {"data_permits": "Kiosk, Knez Mihailova 5\n\n  Terasa   Skadarlija "}
    )
    assert done.status_code == 302
    started = ProcessInstance.objects.filter(parent=running).order_by("business_key")
    assert [(p.definition.key, p.title) for p in started] == [
        ("permit_request", "Kiosk, Knez Mihailova 5"),
        ("permit_request", "Terasa Skadarlija"),
    ]
    assert ProcessStep.objects.get(instance=running).data["permits"] == [
        "Kiosk, Knez Mihailova 5",
        "Terasa Skadarlija",
    ]


def test_the_head_of_the_agency_cancels_a_procedure_with_the_reason(
    office: Office, running: ProcessInstance
) -> None:
    url = f"/work/procedures/{running.pk}/"
    assert 'id="cancel-form"' not in _client(office.handler).get(url).content.decode()
    refused = _client(office.handler).post(f"{url}cancel", {"reason": "Nije potrebno."})
    assert refused.status_code == 403
    chief = _client(office.chief)
    assert 'id="cancel-form"' in chief.get(url).content.decode()
    no_reason = chief.post(f"{url}cancel", {"reason": "  "})
    assert no_reason.status_code == 400 and 'id="err_reason"' in no_reason.content.decode()
    assert ProcessInstance.objects.get(pk=running.pk).status == "running"
    done = chief.post(f"{url}cancel", {"reason": "Podnosilac je odustao."})
    assert done.status_code == 302
    cancelled = ProcessInstance.objects.get(pk=running.pk)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Podnosilac je odustao.")
    page = chief.get(url).content.decode()
    assert "Podnosilac je odustao." in page and 'id="cancel-form"' not in page
    assert _client(office.outsider).post(f"{url}cancel", {"reason": "x"}).status_code == 404


def test_my_tasks_come_fifty_to_a_page(office: Office, permit: ProcessDefinition) -> None:
    for n in range(51):
        services.instance_start(
            definition=ProcessDefinition.objects.get(key="permit_request"),
            agency=office.agency,
            actor=office.handler,
            business_key=f"P-{n:03}",
        )
    handler = _client(office.handler)
    first = handler.get("/work/procedures/tasks/").content.decode()
    assert first.count('data-task="review"') == 50 and "1 / 2" in first and "P-000" in first
    second = handler.get("/work/procedures/tasks/?page=2").content.decode()
    assert second.count('data-task="review"') == 1 and "P-050" in second
    assert handler.get("/work/procedures/tasks/?page=x").status_code == 200  # the first page


def test_a_report_task_before_a_gateway_asks_its_decision_with_the_internal_draft(office: Office) -> None:
    """The e-government project's stage documents are internal (no recipients); the feasibility
    analysis leads into the project-type gateway, so its page asks the type beside the text: a
    missing answer is shown beside its field and nothing is drafted; the answer is kept with the
    draft and enters the process data when the report is filed."""
    from govdoc.procedures.models import TaskDocument
    from govdoc.procedures.tests.conftest import SHIPPED_DIR

    o = office
    project = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "egov_project.bpmn").read_bytes(), actor=o.admin
    )
    instance = services.instance_start(definition=project, agency=o.agency, actor=o.handler)
    handler = _client(o.handler)
    plan = handler.get(_task_url(instance, "plan_project")).content.decode()
    assert 'id="task-document-internal"' in plan and 'id="task-document-recipients"' not in plan
    assert "filed there" in plan and 'id="task-document-decision"' not in plan  # no gateway follows
    o.sign(instance, "plan_project", o.handler, o.head)
    o.complete(instance, "approve_plan", o.head, order_type="integrated")
    for name, who in [
        ("order_integrated", o.handler),
        ("evaluate_proposals", o.handler),
        ("technical_negotiation", o.handler),
        ("sign_contract", o.chief),
    ]:
        o.complete(instance, name, who)
    url = _task_url(instance, "feasibility_analysis")
    page = handler.get(url).content.decode()
    assert 'id="task-document-decision"' in page and 'name="data_project_type"' in page
    assert "The final approval is given by the head of unit of" in page  # approved-by, not the lane
    form = {
        "unit": str(o.unit.pk),
        "title": "",
        "text": "Feasible.",
        "script": "en",
        "classification_code": "",
    }
    refused = handler.post(url, form)
    assert refused.status_code == 400 and 'id="err_data_project_type"' in refused.content.decode()
    assert not TaskDocument.objects.filter(spec_name="feasibility_analysis").exists()
    drafted = handler.post(url, {**form, "data_project_type": "1"})  # maintenance
    assert drafted.status_code == 302
    made = TaskDocument.objects.get(spec_name="feasibility_analysis")
    assert made.outgoing is not None and made.outgoing.internal
    assert made.data == {"project_type": "maintenance"}


def test_a_shipped_procedure_reads_in_the_persons_language_and_an_agencys_own_as_drawn(
    office: Office, permit: ProcessDefinition
) -> None:
    from govdoc.procedures.tests.conftest import SHIPPED_DIR

    training = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "training_programme.bpmn").read_bytes(), actor=office.admin
    )
    instance = services.instance_start(
        definition=training,
        agency=office.agency,
        actor=office.handler,
        title="Obuka",
        business_key="T-1",
        parties={"Host organization (Korea)": "mup", "Sending organization (partner country)": "rgz"},
    )
    services.instance_start(definition=permit, agency=office.agency, actor=office.handler, title="Dozvola")
    serbian = _client(office.handler, "sr-latn")

    tasks = serbian.get("/work/procedures/tasks/").content.decode()
    assert '<span class="drawn">Pozvati partnersku zemlju da predloži polaznike</span>' in tasks
    assert '<span class="drawn">Program obuke po pozivu</span>' in tasks
    assert "Invite the partner country" not in tasks and "Invitational training" not in tasks
    # the agency's own procedure, drawn in English, is shown as drawn and marked so
    assert '<span class="drawn" translate="no">Review the request</span>' in tasks
    cyrillic = serbian.get("/work/procedures/tasks/", {"lang": "sr-cyrl"}).content.decode()
    assert '<span class="drawn">Позвати партнерску земљу да предложи полазнике</span>' in cyrillic
    english = _client(office.handler).get("/work/procedures/tasks/").content.decode()
    assert '<span class="drawn">Invite the partner country to nominate trainees</span>' in english
    assert "Pozvati" not in english

    invite = instance.open_tasks.get()
    services.task_complete(instance=instance, task_id=str(invite.task_id), actor=office.handler)
    page = serbian.get(f"/work/procedures/{instance.pk}/", {"lang": "sr-latn"}).content.decode()
    assert "<title>Program obuke po pozivu — GovDoc</title>" in page
    assert '<h1><span class="drawn">Program obuke po pozivu</span>: Obuka</h1>' in page
    history = page.split('id="history"')[1]
    assert "Pozvati partnersku zemlju da predloži polaznike" in history  # the step done
    current = page.split('id="current-tasks"')[1].split("</ul>")[0]
    assert "Izabrati polaznike: jedan viši službenik, tri službenika izvršilačkog nivoa" in current
    listed = serbian.get("/work/procedures/").content.decode()
    assert ">Program obuke po pozivu (1)</option>" in listed  # the start form's choice
    assert '<option value="permit_request" translate="no">Permit request (1)</option>' in listed
    in_english = _client(office.handler).get(f"/work/procedures/{instance.pk}/").content.decode()
    assert "<title>Invitational training programme — GovDoc</title>" in in_english
    # the start form names the parties in Serbian too
    asked = serbian.post("/work/procedures/start/", {"procedure": "training_programme", "title": "Druga"})
    assert '<label for="id_party-0"><span class="drawn">Organizacija domaćin (Koreja)</span></label>' in (
        asked.content.decode()
    )
