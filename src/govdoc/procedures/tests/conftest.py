"""An agency with a handler, a head of unit, a head of agency and an administrator, another
agency's handler, and the certificate-request procedure (tests/bpmn/certificate_request.bpmn):

    handler lane:      start → review → <complete?> ─yes→ [split] → check_register ─→ [join]
                                             │                  └→ (head) check_fees ─┘   │
                                             no                              (head) approve → end
                                             ↓
                       request_completion → timer "P8D" → (head) decide_incomplete → end
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.approvals.models import ApprovalStep
from govdoc.approvals.services import StepSpec, step_decide
from govdoc.core import clock
from govdoc.distribution.models import Delivery, OutgoingDocument
from govdoc.distribution.services import delivery_register, outgoing_send_for_approval
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.procedures import services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.services.instances import document_spec
from govdoc.signatures.selectors import has_signing_key
from govdoc.signatures.services import person_certificate_issue

BPMN_DIR = Path(__file__).parent / "bpmn"
CERTIFICATE_REQUEST = (BPMN_DIR / "certificate_request.bpmn").read_bytes()
T0 = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_parse_cache() -> Iterator[None]:
    """Each test parses its definitions itself (as a new process would)."""
    parsed_definition.cache_clear()
    yield
    parsed_definition.cache_clear()


@pytest.fixture
def at_t0() -> Iterator[dt.datetime]:
    with clock.frozen(T0) as now:
        yield now


@dataclass
class Office:
    agency: Agency
    unit: Unit
    handler: Person
    head: Person  # head of unit
    chief: Person  # head of agency
    admin: Person
    outsider: Person  # a handler of another agency

    def open_tasks(self, instance: ProcessInstance) -> dict[str, str]:
        """spec name -> task id of the instance's open tasks, as stored."""
        return {t.spec_name: str(t.task_id) for t in instance.open_tasks.all()}

    def complete(self, instance: ProcessInstance, spec_name: str, actor: Person, **data: object) -> None:
        task_id = self.open_tasks(instance)[spec_name]
        services.task_complete(instance=instance, task_id=task_id, actor=actor, data=dict(data))

    def sign(
        self, instance: ProcessInstance, spec_name: str, drafter: Person, approver: Person, **data: object
    ) -> OutgoingDocument:
        """The task's document for real (``task_document_signed``), deciding ``data``."""
        task_id = self.open_tasks(instance)[spec_name]
        return task_document_signed(instance, task_id, drafter, approver, f"The {spec_name}.", data)


def task_document_signed(
    instance: ProcessInstance,
    task_id: str,
    drafter: Person,
    approver: Person,
    text: str = "",
    data: dict[str, object] | None = None,
) -> OutgoingDocument:
    """A task's document for real: drafted from its template (or, for a countersignature, the
    received PDF), with the decision ``data`` for the next gateway, approved by ``approver`` on a
    signed line, numbered, sealed, sent or filed; the worker's tasks run, so the task completes
    as GovDoc's worker would complete it."""
    unit = drafter.memberships.select_related("unit").first().unit  # type: ignore[union-attr]
    spec_name = next(t.spec_name for t in instance.open_tasks.all() if str(t.task_id) == task_id)
    spec = document_spec(instance, spec_name)
    assert spec is not None
    if spec.mode == "draft":
        made = services.task_document_draft(
            instance=instance,
            task_id=task_id,
            actor=drafter,
            unit=unit,
            title="",
            text=text or "The Parties agree to cooperate in digital government.\n\nArticle 2.",
            script="en",
            data=dict(data or {}),
        )
    else:
        made = services.task_document_countersign(
            instance=instance, task_id=task_id, actor=drafter, unit=unit
        )
    assert made.outgoing is not None
    if not has_signing_key(person=approver):
        person_certificate_issue(
            person=approver,
            pin=PIN,
            organization=approver.username,
            actor="test",
            pin_change_required=False,
        )
    outgoing_send_for_approval(
        outgoing=made.outgoing, steps=[StepSpec("approval", approver.pk, 1)], actor=drafter
    )
    line_id = OutgoingDocument.objects.get(pk=made.outgoing.pk).approval_line_id
    step_decide(step=ApprovalStep.objects.get(line_id=line_id), actor=approver, decision="approve", pin=PIN)
    run_queued_tasks()
    return OutgoingDocument.objects.get(pk=made.outgoing.pk)


@pytest.fixture
def office(db: None) -> Office:
    agency = AgencyFactory(code="mup", name="Ministarstvo unutrašnjih poslova")
    unit = UnitFactory(agency=agency, code="uprava", name="Uprava za upravne poslove")
    other = UnitFactory(agency=AgencyFactory(code="rgz", name="Republički geodetski zavod"), code="katastar")

    def official(username: str, role: Role, where: Unit = unit) -> Person:
        person = PersonFactory(username=username)
        grant(person, where, role)
        return person

    return Office(
        agency=agency,
        unit=unit,
        handler=official("marko.handler", Role.HANDLER),
        head=official("jelena.head", Role.HEAD_OF_UNIT),
        chief=official("petar.chief", Role.HEAD_OF_AGENCY),
        admin=official("ana.admin", Role.ADMINISTRATOR),
        outsider=official("ivan.outsider", Role.HANDLER, other),
    )


@pytest.fixture
def definition(office: Office) -> ProcessDefinition:
    return services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor=office.admin)


def start(office: Office, definition: ProcessDefinition, **data: object) -> ProcessInstance:
    return services.instance_start(
        definition=definition,
        agency=office.agency,
        actor=office.handler,
        data=dict(data),
        title="Uverenje o državljanstvu",
        business_key="APP-2027-000017",
    )


# ------------------------------------------------------------- parties of two countries

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "bpmn"
REMOTE_NODE = "kr.dgcc.example"


@dataclass
class Countries:
    """Agencies of Korea and of the partner country on this node, each with its officials
    (``people[(agency code, role)]``), for the shipped procedures whose lanes are parties."""

    agencies: dict[str, Agency]
    people: dict[tuple[str, Role], Person]

    def __call__(self, code: str, role: Role) -> Person:
        return self.people[(code, role)]

    def open(self, instance: ProcessInstance) -> set[str]:
        return {t.spec_name for t in instance.open_tasks.all()}

    def complete(self, instance: ProcessInstance, spec_name: str, actor: Person, **data: object) -> None:
        services.task_complete(
            instance=instance, task_id=self.task_id(instance, spec_name), actor=actor, data=dict(data)
        )

    def task_id(self, instance: ProcessInstance, spec_name: str) -> str:
        return next(str(t.task_id) for t in instance.open_tasks.all() if t.spec_name == spec_name)

    def sign(
        self, instance: ProcessInstance, spec_name: str, drafter: Person, approver: Person, text: str = ""
    ) -> OutgoingDocument:
        """The task's document for real (``task_document_signed``)."""
        return task_document_signed(instance, self.task_id(instance, spec_name), drafter, approver, text)

    def register(self, code: str) -> list[Delivery]:
        """Every document delivered to agency ``code``, registered by its registry clerk."""
        clerk = self(code, Role.REGISTRY_CLERK)
        unit = clerk.memberships.select_related("unit").first().unit  # type: ignore[union-attr]
        return [
            delivery_register(delivery=d, actor=clerk, unit=unit)
            for d in Delivery.objects.filter(agency__code=code, status="delivered")
        ]


PIN = "123456"
CLERK = Role.REGISTRY_CLERK
# code, name, roles held there (one person each)
COUNTRY_AGENCIES = (
    ("mois", "Ministry of the Interior and Safety", (Role.HEAD_OF_AGENCY, Role.HANDLER, CLERK)),
    ("mofa", "Ministry of Foreign Affairs", (Role.HANDLER,)),
    (
        "nia",
        "National Information Society Agency",
        (Role.HANDLER, Role.HEAD_OF_AGENCY, Role.HEAD_OF_UNIT, CLERK),
    ),
    ("mduls", "Ministarstvo državne uprave i lokalne samouprave", (Role.HEAD_OF_AGENCY, Role.HANDLER, CLERK)),
    ("ite", "Kancelarija za IT i eUpravu", (Role.HEAD_OF_AGENCY, Role.HEAD_OF_UNIT, Role.HANDLER, CLERK)),
)


@pytest.fixture
def countries(db: None) -> Countries:
    agencies: dict[str, Agency] = {}
    people: dict[tuple[str, Role], Person] = {}
    for code, name, roles in COUNTRY_AGENCIES:
        agency = agencies[code] = AgencyFactory(code=code, name=name)
        unit = UnitFactory(agency=agency, code=f"{code}-main")
        for role in roles:
            person = people[(code, role)] = PersonFactory(username=f"{code}.{role}")
            grant(person, unit, role)
    return Countries(agencies, people)


def trust_self(countries: Countries, *, node_id: str, url: str) -> None:
    """This installation trusts itself as the peer ``node_id`` at ``url`` (a live server), with
    the agencies of ``countries`` in its address book: what it sends "to another node" then
    travels signed over real HTTP and comes back to this database."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from govdoc.distribution import nodes
    from govdoc.signatures import keyring

    nodes.node_add(
        node_id=node_id,
        name="GovDoc Serbia",
        endpoint=url,
        root_certificate=keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={code: agency.name for code, agency in countries.agencies.items()},
        crl=keyring.ensure().crl_der(),
        actor="admin",
    )
