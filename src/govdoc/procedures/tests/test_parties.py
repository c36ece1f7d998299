"""Party lanes ('Lead organization (Korea) / head of agency'): how a lane's name is read, the
files refused for a malformed one, and the parties an instance must be given at the start."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_django import Settings

from govdoc.accounts.constants import Role
from govdoc.distribution.models import Node
from govdoc.procedures import errors, services
from govdoc.procedures.lanes import Lane, LaneNameError, lane_read
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessParty
from govdoc.procedures.selectors import tasks_for
from govdoc.procedures.tests.conftest import SHIPPED_DIR, T0, Countries, Office

TRAINING = (SHIPPED_DIR / "training_programme.bpmn").read_bytes()
HOST, SENDING = "Host organization (Korea)", "Sending organization (partner country)"
LANE = f'name="{HOST} / handler"'


@pytest.mark.parametrize(
    ("name", "lane"),
    [
        ("handler", Lane("", Role.HANDLER)),
        ("Lead organization (partner country) / head of agency",
         Lane("Lead organization (partner country)", Role.HEAD_OF_AGENCY)),
        ("  Lead   organization (Korea)/Head-of-unit ", Lane("Lead organization (Korea)", Role.HEAD_OF_UNIT)),
        ("Ministarstvo uprave / registry clerk", Lane("Ministarstvo uprave", Role.REGISTRY_CLERK)),
    ],
)  # fmt: skip
def test_a_lane_names_a_role_or_a_party_and_a_role(name: str, lane: Lane) -> None:
    assert lane_read(name) == lane


@pytest.mark.parametrize(
    ("name", "problem", "message"),
    [
        ("Lead organization / minister", "role", "names no GovDoc role"),
        (" / handler", "party-empty", "names no party before the '/'"),
        ("Korea / Lead / handler", "separators", "more than one '/'"),
        ("Lead <organization> / handler", "party-name", "must be at most 100 letters"),
        (f"{'x' * 101} / handler", "party-name", "must be at most 100 letters"),
    ],
)
def test_a_file_with_a_malformed_party_lane_is_refused(
    office: Office, name: str, problem: str, message: str
) -> None:
    with pytest.raises(LaneNameError) as read:
        lane_read(name)
    assert read.value.problem == problem
    bad = TRAINING.replace(LANE.encode(), f'name="{name.replace("<", "&lt;").replace(">", "&gt;")}"'.encode())
    with pytest.raises(errors.DefinitionLaneError, match=message):
        services.definition_load(xml_bytes=bad, actor=office.admin)
    assert not ProcessDefinition.objects.exists()


@pytest.fixture
def training(countries: Countries) -> ProcessDefinition:
    return services.definition_load(xml_bytes=TRAINING, actor="test")


def start(countries: Countries, definition: ProcessDefinition, parties: dict[str, str]) -> ProcessInstance:
    return services.instance_start(
        definition=definition, agency=countries.agencies["nia"], actor="test", parties=parties
    )


@pytest.mark.parametrize(
    ("parties", "field", "message"),
    [
        ({HOST: "nia"}, SENDING, f"say which agency is '{SENDING}'"),
        ({HOST: "nia", SENDING: "ite", "Embassy": "mofa"}, "Embassy", "has no party 'Embassy'"),
        ({HOST: "nia", SENDING: "nowhere"}, SENDING, "no agency here has the code 'nowhere'"),
        ({HOST: "nia@kr.unknown.example", SENDING: "ite"}, HOST, "is no trusted node"),
        ({HOST: "mois@kr.dgcc.example", SENDING: "ite"}, HOST, "has no agency 'mois'"),
        ({HOST: "nia", "host ORGANIZATION  (korea)": "nia", SENDING: "ite"}, "host ORGANIZATION  (korea)",
         "given twice"),
        ({HOST: "", SENDING: "ite"}, HOST, "give an agency code"),
    ],
)  # fmt: skip
def test_the_parties_must_fit_the_process(
    countries: Countries, training: ProcessDefinition, parties: dict[str, str], field: str, message: str
) -> None:
    Node.objects.create(
        node_id="kr.dgcc.example",
        name="DGCC Korea",
        endpoint="https://kr.dgcc.example/",
        root_certificate="-",
        agencies={"nia": "NIA"},
        added_at=T0,
        changed_at=T0,
    )
    with pytest.raises(errors.PartiesInvalidError) as refused:
        start(countries, training, parties)
    assert message in refused.value.details["errors"][f"parties.{field}"]  # type: ignore[index]
    assert refused.value.status == 400
    assert not ProcessInstance.objects.exists()
    assert not ProcessParty.objects.exists()


def test_a_party_named_in_another_spelling_or_on_this_node_is_the_same(
    countries: Countries, training: ProcessDefinition, settings: Settings
) -> None:
    settings.GOVDOC_NODE_ID = "rs.govdoc.example"
    instance = start(
        countries, training, {"host organization  (KOREA)": "nia", SENDING: "ite@RS.govdoc.example"}
    )
    parties = {p.name: p.address for p in instance.parties.all()}
    assert parties == {HOST: "nia", SENDING: "ite"}


def test_a_process_of_role_lanes_takes_no_parties(office: Office) -> None:
    definition = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "egov_project.bpmn").read_bytes(), actor=office.admin
    )
    with pytest.raises(errors.PartiesInvalidError, match="none"):
        services.instance_start(
            definition=definition, agency=office.agency, actor=office.handler, parties={HOST: "mup"}
        )
    instance = services.instance_start(definition=definition, agency=office.agency, actor=office.handler)
    task = instance.open_tasks.get()
    assert (task.party, task.agency, task.remote, task.waiting_for()) == ("", office.agency, "", "")


def test_the_admin_lists_an_instance_s_parties_and_tasks(
    countries: Countries, training: ProcessDefinition, admin_client: object
) -> None:
    from django.test import Client

    assert isinstance(admin_client, Client)
    start(countries, training, {HOST: "nia", SENDING: "ite"})
    for model in ("processparty", "processtask", "processstep"):
        page = admin_client.get(f"/admin/procedures/{model}/")
        assert page.status_code == 200, model
    assert SENDING in admin_client.get("/admin/procedures/processparty/").content.decode()


def test_a_party_s_work_list_takes_two_queries_however_many_processes(
    countries: Countries, training: ProcessDefinition, django_assert_num_queries: Any
) -> None:
    for _ in range(5):
        instance = start(countries, training, {HOST: "nia", SENDING: "ite"})
        countries.complete(instance, "invite", countries("nia", Role.HANDLER))
    head = countries("ite", Role.HEAD_OF_UNIT)
    with django_assert_num_queries(2):  # the person's memberships, then the tasks of their agencies
        waiting = [(t.spec_name, t.party, t.instance.agency.code) for t in tasks_for(person=head)]
    assert waiting == [("select_trainees", SENDING, "nia")] * 5
    assert not tasks_for(person=countries("nia", Role.HEAD_OF_UNIT)).exists()  # the host's head: not theirs
