"""Demo agencies, units and people for the embedded default (idempotent).

Names are real-looking Serbian bodies; logins and passwords are printed by ``govdoc demo``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from govdoc.accounts import services as accounts
from govdoc.accounts.constants import AccountKind, Role, Script
from govdoc.accounts.models import Agency, Person, Unit

DEMO_PASSWORD = "demo-govdoc-2026"  # noqa: S105 -- printed on start-up; demo data only
DEMO_SIGNING_PIN = "123456"
SETUP_ACTOR = "demo-setup"
DEMO_SYSTEM = "mup-salter"  # an agency system account (API only, no password)


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    name_cyrl: str
    name_en: str
    units: tuple[tuple[str, str, str], ...]  # (code, name, name_en)


AGENCIES = (
    DemoAgency(
        "mup",
        "Ministarstvo unutrašnjih poslova",
        "Министарство унутрашњих послова",
        "Ministry of Interior",
        (("pu-beograd", "Policijska uprava za grad Beograd", "Belgrade Police Department"),),
    ),
    DemoAgency(
        "beograd",
        "Gradska uprava grada Beograda",
        "Градска управа града Београда",
        "City Administration of Belgrade",
        (("maticna", "Sektor za matične knjige", "Civil Registry Department"),),
    ),
    DemoAgency(
        "pravda",
        "Ministarstvo pravde",
        "Министарство правде",
        "Ministry of Justice",
        (("kaznena", "Odeljenje za kaznenu evidenciju", "Criminal Records Department"),),
    ),
    DemoAgency(
        "ite",
        "Kancelarija za IT i eUpravu",
        "Канцеларија за ИТ и еУправу",
        "Office for IT and eGovernment",
        (("dgcc", "Centar za saradnju u digitalnoj upravi", "Digital Government Cooperation Center"),),
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    username: str
    first_name: str
    last_name: str
    agency: str | None
    role: Role | None
    position: str


PEOPLE = (
    DemoPerson("admin", "Ivana", "Administratorović", "ite", Role.ADMINISTRATOR, "System administrator"),
    DemoPerson("handler", "Marko", "Marković", "mup", Role.HANDLER, "Referent"),
    DemoPerson("head-unit", "Jelena", "Jovanović", "mup", Role.HEAD_OF_UNIT, "Načelnica odeljenja"),
    DemoPerson("registry", "Milica", "Milić", "mup", Role.REGISTRY_CLERK, "Delovođa"),
    DemoPerson("head-agency", "Nikola", "Nikolić", "mup", Role.HEAD_OF_AGENCY, "Načelnik uprave"),
    DemoPerson("mup-admin", "Petar", "Perić", "mup", Role.ADMINISTRATOR, "Administrator"),
    DemoPerson("handler-bg", "Vesna", "Vasić", "beograd", Role.HANDLER, "Matičar"),
    DemoPerson("head-unit-bg", "Zoran", "Zorić", "beograd", Role.HEAD_OF_UNIT, "Rukovodilac sektora"),
    DemoPerson("registry-bg", "Snežana", "Stojić", "beograd", Role.REGISTRY_CLERK, "Delovođa"),
    DemoPerson("archivist", "Dragan", "Dragić", "beograd", Role.ARCHIVIST, "Arhivar"),
    DemoPerson("handler-pr", "Sanja", "Savić", "pravda", Role.HANDLER, "Savetnik"),
    DemoPerson("head-unit-pr", "Goran", "Gocić", "pravda", Role.HEAD_OF_UNIT, "Načelnik odeljenja"),
    # Works the procedures the Digital Government Cooperation Center runs (training, projects).
    DemoPerson("dgcc", "Milan", "Milanović", "ite", Role.HANDLER, "Koordinator saradnje"),
    DemoPerson("citizen", "Ana", "Petrović", None, None, ""),
)


def _unit(agency: Agency, code: str) -> Unit:
    return Unit.objects.get(agency=agency, code=code)


@transaction.atomic
def _create(progress: Callable[[str], None]) -> None:
    progress("loading demo agencies and people")
    agencies: dict[str, Agency] = {}
    for spec in AGENCIES:
        agency = accounts.agency_create(
            code=spec.code, name=spec.name, name_cyrl=spec.name_cyrl, name_en=spec.name_en, actor=SETUP_ACTOR
        )
        for code, name, name_en in spec.units:
            accounts.unit_create(agency=agency, code=code, name=name, name_en=name_en, actor=SETUP_ACTOR)
        agencies[spec.code] = agency
    for p in PEOPLE:
        person = accounts.person_create(
            username=p.username,
            password=DEMO_PASSWORD,
            first_name=p.first_name,
            last_name=p.last_name,
            email=f"{p.username}@demo.govdoc.localhost",
            is_citizen=p.agency is None,
            national_id="0101990710008" if p.agency is None else "",
            preferred_script=Script.LATIN,
            is_staff=p.role == Role.ADMINISTRATOR,
            is_superuser=p.role == Role.ADMINISTRATOR,
            actor=SETUP_ACTOR,
        )
        if p.agency and p.role:
            agency = agencies[p.agency]
            unit = agency.units.order_by("code").first()
            assert unit is not None
            accounts.membership_grant(
                person=person, unit=unit, role=p.role, position=p.position, actor=SETUP_ACTOR
            )
    # Every demo official has a fixed, published authenticator secret (printed by ``govdoc
    # demo``; ``govdoc demo-totp USERNAME`` prints the current code), so a newcomer can walk the
    # demo without enrolling a phone. A real installation enrols each official on first log-in.
    from govdoc.accounts import second_factor

    for p in PEOPLE:
        if p.agency is not None:
            second_factor.demo_factor_set(person=Person.objects.get(username=p.username), actor=SETUP_ACTOR)
    # The police administration's counter system: it issues residence certificates directly
    # (the service opted in with its legal basis) once an administrator gives it a scoped token.
    accounts.system_account_create(
        unit=_unit(agencies["mup"], "pu-beograd"),
        username=DEMO_SYSTEM,
        name="Šalterski sistem PU Beograd",
        actor=SETUP_ACTOR,
    )


def ensure(*, progress: Callable[[str], None]) -> None:
    if Agency.objects.exists():
        _procedures(progress)  # a newer GovDoc may ship changed procedures
        return
    _create(progress)
    from govdoc.applications.demo_catalogue import ensure_demo_services

    with transaction.atomic():
        ensure_demo_services(actor=SETUP_ACTOR)
    # Officials' signing keys (under the demo PIN) are made outside the transaction: key files.
    from govdoc.signatures import services as signatures

    officials = Person.objects.filter(
        is_citizen=False, memberships__isnull=False, account_kind=AccountKind.PERSON
    )
    for person in officials.distinct():
        if person.username in ("admin", "mup-admin"):
            continue
        agency = person.memberships.select_related("unit__agency").first()
        assert agency is not None
        signatures.person_certificate_issue(
            person=person,
            pin=DEMO_SIGNING_PIN,
            organization=agency.unit.agency.name,
            actor=SETUP_ACTOR,
            # the demo's PIN is published for the walk-through; a real key's first PIN must change
            pin_change_required=False,
        )
    _procedures(progress)


def _procedures(progress: Callable[[str], None]) -> None:
    """The shipped procedures (an unchanged file is no new version) and, once, an invitational
    training programme whose parties are demo agencies: the Office for IT and eGovernment
    hosts it (standing in for the Korean host organization) and the Ministry of Interior sends
    its trainees: the Center's handler has invited the Ministry, whose head of unit finds the
    selection of trainees waiting."""
    from govdoc.procedures import selectors as procedures
    from govdoc.procedures import services as procedure_services

    with transaction.atomic():
        done = procedure_services.procedures_install(actor=SETUP_ACTOR)
        for one in done:
            if one.outcome == "installed":  # said once, not on every command
                progress(f"installed the shipped procedure {one.key} (version {one.version})")
        training = procedures.definition_active(key="training_programme")
        if training.instances.exists():
            return
        instance = procedure_services.instance_start(
            definition=training,
            agency=Agency.objects.get(code="ite"),
            actor=SETUP_ACTOR,
            title="Obuka po pozivu: politika javnih i otvorenih podataka",
            business_key="DGCC-TRAINING-2027",
            parties={"Host organization (Korea)": "ite", "Sending organization (partner country)": "mup"},
        )
        invite = instance.open_tasks.get(spec_name="invite")
        procedure_services.task_complete(
            instance=instance, task_id=str(invite.task_id), actor=Person.objects.get(username="dgcc")
        )


def logins() -> list[tuple[str, str, str]]:
    """(username, password, what they are) for the start-up banner."""
    out = []
    for p in PEOPLE:
        what = "citizen" if p.agency is None else f"{p.role.label if p.role else ''}, {p.agency}"
        out.append((p.username, DEMO_PASSWORD, what))
    return out


def totp_secrets() -> list[tuple[str, str]]:
    """(username, authenticator secret) of every demo official, for the start-up banner."""
    from govdoc.accounts.second_factor import demo_secret

    return [(p.username, demo_secret(p.username)) for p in PEOPLE if p.agency is not None]
