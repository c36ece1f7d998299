"""The shipped e-government project life cycle (one agency, role lanes) and invitational
training programme (two parties): every gateway branch, the loops, the reminders, the wrong
people refused, a restart in the middle; the project's stage documents (plan, feasibility
analysis, inspection and evaluation reports) approved, sealed and filed for real."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govdoc.accounts.constants import Role
from govdoc.core import clock
from govdoc.distribution.models import OutgoingDocument
from govdoc.documents.storage import file_read
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessStep
from govdoc.procedures.selectors import instance_get, tasks_for
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.tests.conftest import SHIPPED_DIR, T0, Countries, Office
from govdoc.signatures.selectors import pdf_verify
from govdoc.signatures.tests.conftest import require_tool, run_tool

H, HU, HA = Role.HANDLER, Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY


def opened(instance: ProcessInstance) -> set[str]:
    return {t.spec_name for t in instance.open_tasks.all()}


@pytest.fixture
def project(office: Office) -> ProcessDefinition:
    return services.definition_load(
        xml_bytes=(SHIPPED_DIR / "egov_project.bpmn").read_bytes(), actor=office.admin
    )


def filed(document: OutgoingDocument, tmp_path: Path) -> str:
    """``document`` is an internal document approved, numbered in the agency's own registry,
    sealed and filed, with nothing sent; returns its registry number after poppler's ``pdfsig``
    found the agency's seal valid."""
    entry = document.registry_entry
    assert (document.status, document.internal, document.filed_at is not None) == ("filed", True, True)
    assert entry is not None and entry.direction == "internal" and entry.correspondent == ""
    assert (document.sent_at, document.deliveries.count(), document.consignments.count()) == (None, 0, 0)
    assert document.sealed_version is not None
    sealed = file_read(document.sealed_version.file)
    seals = pdf_verify(sealed).signatures  # the e-seal and its archive timestamp (PAdES B-LTA)
    assert seals and all(s.intact for s in seals)
    shown = run_tool([require_tool("pdfsig")], tmp_path, sealed).stdout
    assert "Signature Validation: Signature is Valid" in shown, shown
    return str(entry.registry_number)


@pytest.mark.parametrize(
    ("order_type", "project_type", "loops"),
    [
        ("integrated", "development", True),
        ("separate", "maintenance", False),
        ("separate", "consulting", False),
    ],
)
def test_a_project_runs_its_life_cycle_by_order_and_project_type(
    office: Office,
    project: ProcessDefinition,
    tmp_path: Path,
    order_type: str,
    project_type: str,
    loops: bool,
) -> None:
    """Its stage documents are real: drafted, approved on a signed line, sealed and filed (at
    the real time: a seal made at a frozen future moment would carry a CRL from the future)."""
    o = office
    instance = services.instance_start(
        definition=project, agency=o.agency, actor=o.handler, title="eUprava 2027"
    )
    with pytest.raises(errors.TaskWaitsForDocumentError):  # the plan is a document, not a tick
        o.complete(instance, "plan_project", o.handler)
    numbers = [filed(o.sign(instance, "plan_project", o.handler, o.head), tmp_path)]
    o.complete(instance, "approve_plan", o.head, order_type=order_type)
    assert opened(instance) == {f"order_{order_type}"}
    o.complete(instance, f"order_{order_type}", o.handler)
    o.complete(instance, "evaluate_proposals", o.handler)
    o.complete(instance, "technical_negotiation", o.handler)
    o.complete(instance, "sign_contract", o.chief)
    # the feasibility analysis report decides the project type when it is filed
    analysis = o.sign(instance, "feasibility_analysis", o.handler, o.head, project_type=project_type)
    numbers.append(filed(analysis, tmp_path))
    assert opened(instance) == {f"method_{project_type}"}
    o.complete(instance, f"method_{project_type}", o.handler)
    o.complete(instance, "approve_subcontracting", o.head)
    o.complete(instance, "manage_progress", o.handler, change_requested=loops)
    if loops:
        o.complete(instance, "decide_change", o.head)
        o.complete(instance, "manage_progress", o.handler, change_requested=False)
    first = o.sign(instance, "inspect_deliverables", o.handler, o.head, deliverables_accepted=not loops)
    numbers.append(filed(first, tmp_path))
    if loops:
        assert opened(instance) == {"rework"}
        o.complete(instance, "rework", o.handler)
        # the inspection waits: after 14 days the head of unit is reminded
        with clock.frozen(clock.now() + dt.timedelta(days=14, minutes=1)):
            services.procedures_tick()
        assert opened(instance) == {"inspect_deliverables", "follow_up_inspection"}
        o.complete(instance, "follow_up_inspection", o.head)
        again = o.sign(instance, "inspect_deliverables", o.handler, o.head, deliverables_accepted=True)
        numbers.append(filed(again, tmp_path))
    evaluation = o.sign(instance, "evaluate_project", o.head, o.chief)
    assert (evaluation.kind, evaluation.final_approver_role, evaluation.retention_years) == (
        "izvestaj",
        "head_of_agency",
        None,
    )
    numbers.append(filed(evaluation, tmp_path))
    o.complete(instance, "feedback", o.chief)
    instance.refresh_from_db()
    assert (instance.status, opened(instance)) == ("completed", set())
    # each stage document is numbered in the agency's own registry, once, and the process data
    # keeps the decisions the reports gave
    assert len(set(numbers)) == len(numbers) == (5 if loops else 4)
    steps = {s.spec_name: s.data for s in ProcessStep.objects.filter(instance=instance)}
    assert steps["feasibility_analysis"]["project_type"] == project_type
    assert steps["inspect_deliverables"]["deliverables_accepted"] is True
    assert steps["evaluate_project"]["document_registry_number"] == numbers[-1]
    assert (
        ProcessStep.objects.filter(instance=instance, spec_name="plan_project").get().completed_by
        == o.handler
    )


def test_a_project_s_tasks_are_refused_to_the_wrong_role_and_it_survives_a_restart(
    office: Office, project: ProcessDefinition
) -> None:
    o = office
    instance = services.instance_start(definition=project, agency=o.agency, actor=o.handler)
    o.sign(instance, "plan_project", o.handler, o.head)
    for wrong in (o.handler, o.outsider, o.chief):
        with pytest.raises(errors.NotYourTaskError):
            o.complete(instance, "approve_plan", wrong, order_type="integrated")
    parsed_definition.cache_clear()
    again = instance_get(instance.pk)
    o.complete(again, "approve_plan", o.head, order_type="integrated")
    assert opened(again) == {"order_integrated"}


TRAINING_PARTIES = {"Host organization (Korea)": "nia", "Sending organization (partner country)": "ite"}


@pytest.fixture
def training(countries: Countries) -> ProcessDefinition:
    return services.definition_load(
        xml_bytes=(SHIPPED_DIR / "training_programme.bpmn").read_bytes(), actor="test"
    )


def test_the_training_programme_from_the_invitation_to_the_results_report(
    countries: Countries, training: ProcessDefinition
) -> None:
    c = countries
    with clock.frozen(T0):
        instance = services.instance_start(
            definition=training,
            agency=c.agencies["nia"],
            actor=c("nia", H),
            title="Public data and big data policy",
            parties=TRAINING_PARTIES,
        )
        c.complete(instance, "invite", c("nia", H))
        assert [t.spec_name for t in tasks_for(person=c("ite", HU))] == ["select_trainees"]
    with clock.frozen(T0 + dt.timedelta(days=21, minutes=1)):  # no nomination after three weeks
        services.procedures_tick()
        assert opened(instance) == {"select_trainees", "follow_up_nomination"}
        c.complete(instance, "follow_up_nomination", c("ite", H))
        with pytest.raises(errors.NotYourTaskError):  # the host does not choose the partner's people
            c.complete(instance, "select_trainees", c("nia", HU), senior_count=1, working_level_count=3)
        c.complete(instance, "select_trainees", c("ite", HU), senior_count=2, working_level_count=2)
        assert opened(instance) == {"select_trainees"}  # not one senior and three working-level
        c.complete(
            instance,
            "select_trainees",
            c("ite", HU),
            trainees=["Senior advisor", "Advisor 1", "Advisor 2", "Advisor 3"],
            senior_count=1,
            working_level_count=3,
        )
        assert opened(instance) == {"visas", "travel_insurance", "accommodation"}
        c.complete(instance, "visas", c("ite", H))
        c.complete(instance, "accommodation", c("nia", H))
        assert opened(instance) == {"travel_insurance"}
        c.complete(instance, "travel_insurance", c("nia", H))
        c.complete(instance, "field_visits", c("nia", H), institutions=["NIA", "KLID", "NAK"])
        c.complete(instance, "operation_manual", c("nia", H))
        parsed_definition.cache_clear()
        instance = instance_get(instance.pk)
        c.complete(instance, "approve_manual", c("nia", HU))
        c.complete(instance, "run_training", c("nia", H))
    # the report is a document: drafted, approved by the host's head of unit, sealed and sent
    # (at the real time: a seal made at a frozen future moment would carry a CRL from the future)
    report = c.sign(instance, "results_report", drafter=c("nia", H), approver=c("nia", HU))
    assert (report.status, report.kind, report.final_approver_role) == ("sent", "dopis", "head_of_unit")
    assert report.deliveries.get().agency == c.agencies["ite"]
    c.complete(instance, "accept_report", c("ite", HU))
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert ProcessStep.objects.filter(instance=instance, agency__code="ite").count() == 5
