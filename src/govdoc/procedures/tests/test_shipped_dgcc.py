"""The shipped DGCC operation procedure (procedures/bpmn/dgcc_operation.bpmn), run by the
organizations of two countries: every gateway branch, the MOU and the Agreement signed in two
parties' lanes, the Committee's recurring approval with its yearly timer, the reminder on the
diplomatic enquiry, the wrong people refused, and a restart in the middle."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.constants import Role
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.procedures import errors, services
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessParty, ProcessStep
from govdoc.procedures.selectors import instance_get, tasks_for
from govdoc.procedures.services.definitions import parsed_definition
from govdoc.procedures.tests.conftest import SHIPPED_DIR, T0, Countries

H, HU, HA = Role.HANDLER, Role.HEAD_OF_UNIT, Role.HEAD_OF_AGENCY
PARTIES = {
    "Lead organization (Korea)": "mois",
    "Diplomatic organization (Korea)": "mofa",
    "Specialized organization (Korea)": "nia",
    "Lead organization (partner country)": "mduls",
    "Specialized organization (partner country)": "ite",
    "Cooperation Center": "ite",
    "Cooperation Committee": "mduls",
}


@pytest.fixture
def dgcc(countries: Countries) -> ProcessDefinition:
    return services.definition_load(
        xml_bytes=(SHIPPED_DIR / "dgcc_operation.bpmn").read_bytes(), actor="test"
    )


def start(countries: Countries, definition: ProcessDefinition) -> ProcessInstance:
    return services.instance_start(
        definition=definition,
        agency=countries.agencies["nia"],
        actor=countries("nia", H),
        title="DGCC in Serbia",
        parties=PARTIES,
    )


def up_to_the_committee(c: Countries, instance: ProcessInstance) -> None:
    """Stages 1 to 3: a country selected (the first candidate declines), the MOU signed by the
    ministers of both countries, the Committee's members named by both."""
    c.complete(instance, "propose_candidates", c("nia", H), candidates=["Serbia", "Uzbekistan"])
    c.complete(instance, "select_country", c("mois", H), country="Uzbekistan")
    c.complete(instance, "confirm_intention", c("mofa", H), intention_confirmed=False)
    assert c.open(instance) == {"select_country"}  # no: select another country
    c.complete(instance, "select_country", c("mois", H), country="Serbia")
    c.complete(instance, "confirm_intention", c("mofa", H), intention_confirmed=True)
    c.complete(instance, "announce_selection", c("mois", HA))
    c.complete(instance, "request_cooperation", c("mduls", H))
    c.complete(instance, "review_documents", c("nia", H))
    c.complete(instance, "on_site_visit", c("nia", H))
    assert c.open(instance) == {"sign_mou_korea", "sign_mou_partner"}
    mou = c.sign(instance, "sign_mou_korea", drafter=c("mois", H), approver=c("mois", HA))
    assert mou.status == "sent"
    assert c.open(instance) == {"sign_mou_partner"}  # the MOU needs both signatures
    c.register("mduls")
    countersigned = c.sign(instance, "sign_mou_partner", drafter=c("mduls", H), approver=c("mduls", HA))
    assert countersigned.status == "sent"
    assert c.open(instance) == {"committee_members_korea", "committee_members_partner"}
    c.complete(
        instance, "committee_members_korea", c("mois", H), members_korea=["MOIS", "NIA", "KOICA", "MOFA"]
    )
    c.complete(instance, "committee_members_partner", c("mduls", H), members_partner=["MDULS", "ITE", "MSP"])


def test_the_whole_procedure_with_the_agreement_and_a_yearly_approval(
    countries: Countries, dgcc: ProcessDefinition
) -> None:
    c = countries
    # Documents are sealed at the real time (a seal made at a frozen future moment would carry
    # certificates and a CRL from the future); the clock is frozen for the yearly timer only.
    instance = start(c, dgcc)
    assert c.open(instance) == {"propose_candidates"}
    up_to_the_committee(c, instance)
    c.complete(instance, "committee_constituted", c("mduls", HA), agreement_needed=True)
    c.complete(instance, "prepare_agreement", c("nia", H))
    assert c.open(instance) == {"sign_agreement_korea", "sign_agreement_partner"}
    c.sign(instance, "sign_agreement_korea", drafter=c("nia", H), approver=c("nia", HA))
    c.register("ite")
    c.sign(instance, "sign_agreement_partner", drafter=c("ite", H), approver=c("ite", HA))
    with clock.frozen(T0):
        c.complete(instance, "designate_place", c("mduls", HA), place="Nemanjina 11, Beograd")
        c.complete(instance, "establish_center", c("ite", HU))
        c.complete(instance, "submit_plan", c("ite", HU))
        c.complete(instance, "approve_plan", c("mduls", HA), decision="returned")
        assert c.open(instance) == {"submit_plan"}  # returned for correction
        c.complete(instance, "submit_plan", c("ite", HU))
        with pytest.raises(errors.ProcessStepFailedError, match="'egov_project', which is not installed"):
            c.complete(instance, "approve_plan", c("mduls", HA), decision="approved", projects=["eID"])
        assert c.open(instance) == {"approve_plan"}  # refused: nothing moved
        services.definition_load(xml_bytes=(SHIPPED_DIR / "egov_project.bpmn").read_bytes(), actor="test")
        c.complete(
            instance,
            "approve_plan",
            c("mduls", HA),
            decision="approved",
            projects=["Electronic identity for citizens", "e-Archive"],
        )
    # the Committee's cooperation projects: each an e-government project the Center carries out
    projects = list(ProcessInstance.objects.filter(parent=instance).order_by("business_key"))
    assert [(p.definition.key, p.agency.code, p.title, p.business_key) for p in projects] == [
        (
            "egov_project",
            "ite",
            "Electronic identity for citizens",
            f"dgcc_operation-{str(instance.pk)[:8]}/1",
        ),
        ("egov_project", "ite", "e-Archive", f"dgcc_operation-{str(instance.pk)[:8]}/2"),
    ]
    assert all(p.open_tasks.exists() for p in projects)
    instance.refresh_from_db()
    assert c.open(instance) == set()  # the Center works; next year's plan is due in a year
    assert instance.next_timer_at == T0.replace(year=2028)  # P1Y: a calendar year

    with clock.frozen(T0.replace(year=2028) + dt.timedelta(minutes=1)):
        assert services.procedures_tick()["fired"] == 1
        assert c.open(instance) == {"submit_plan"}
        c.complete(instance, "submit_plan", c("ite", HU))
        c.complete(instance, "approve_plan", c("mduls", HA), decision="closed")

    instance.refresh_from_db()
    assert instance.status == "completed"
    steps = list(
        ProcessStep.objects.filter(instance=instance).values_list("spec_name", "party", "agency__code")
    )
    assert ("sign_mou_korea", "Lead organization (Korea)", "mois") in steps
    assert ("sign_mou_partner", "Lead organization (partner country)", "mduls") in steps
    assert ("sign_agreement_partner", "Specialized organization (partner country)", "ite") in steps
    started = AuditEvent.objects.get(event="procedures.instance_started", target_id=str(instance.pk))
    assert started.data["parties"] == PARTIES
    signed = AuditEvent.objects.filter(event="procedures.task_completed", target_id=str(instance.pk))
    assert {"party": "Lead organization (Korea)", "agency": "mois", "task": "sign_mou_korea"}.items() <= next(
        e.data for e in signed if e.data["task"] == "sign_mou_korea"
    ).items()


def test_without_an_agreement_and_a_restart_in_the_middle(
    countries: Countries, dgcc: ProcessDefinition
) -> None:
    c = countries
    instance = start(c, dgcc)
    up_to_the_committee(c, instance)
    c.complete(instance, "committee_constituted", c("mduls", HA), agreement_needed=False)
    assert c.open(instance) == {"designate_place"}  # no Agreement to sign

    parsed_definition.cache_clear()  # a new process: nothing in memory but the database
    again = instance_get(instance.pk)
    del instance
    c.complete(again, "designate_place", c("mduls", HA), place="Beograd")
    c.complete(again, "establish_center", c("ite", HU))
    c.complete(again, "submit_plan", c("ite", HU))
    c.complete(again, "approve_plan", c("mduls", HA), decision="closed")
    again.refresh_from_db()
    assert again.status == "completed"
    assert not ProcessStep.objects.filter(instance=again, spec_name__startswith="sign_agreement").exists()


def test_an_unanswered_enquiry_is_followed_up_after_thirty_days(
    countries: Countries, dgcc: ProcessDefinition
) -> None:
    c = countries
    with clock.frozen(T0):
        instance = start(c, dgcc)
        c.complete(instance, "propose_candidates", c("nia", H), candidates=["Serbia"])
        c.complete(instance, "select_country", c("mois", H), country="Serbia")
    with clock.frozen(T0 + dt.timedelta(days=30, minutes=1)):
        services.procedures_tick()
    # a reminder beside the enquiry, which stays with the diplomatic organization
    assert c.open(instance) == {"confirm_intention", "follow_up_enquiry"}
    assert [t.spec_name for t in tasks_for(person=c("nia", H))] == ["follow_up_enquiry"]
    c.complete(instance, "follow_up_enquiry", c("nia", H))
    c.complete(instance, "confirm_intention", c("mofa", H), intention_confirmed=True)
    assert c.open(instance) == {"announce_selection"}


@pytest.mark.parametrize(
    ("who", "why"),
    [
        (("mois", HA), "Korea's minister signs for Korea, not for the partner"),
        (("ite", HA), "the head of the partner's specialized organization is not the lead's"),
    ],
)
def test_the_partner_s_mou_signature_is_refused_to_anyone_else(
    countries: Countries, dgcc: ProcessDefinition, who: tuple[str, Role], why: str
) -> None:
    c = countries
    instance = start(c, dgcc)
    up_to = ["propose_candidates", "select_country", "confirm_intention", "announce_selection"]
    actors = [c("nia", H), c("mois", H), c("mofa", H), c("mois", HA)]
    for spec, actor in zip(up_to, actors, strict=True):
        c.complete(instance, spec, actor, intention_confirmed=True)
    c.complete(instance, "request_cooperation", c("mduls", H))
    c.complete(instance, "review_documents", c("nia", H))
    c.complete(instance, "on_site_visit", c("nia", H))
    before = ProcessInstance.objects.get(pk=instance.pk).state
    task_id = c.task_id(instance, "sign_mou_partner")

    # nobody ticks it off by hand: it is done when the countersigned MOU is sent
    for person in (c(*who), c("mduls", HA)):
        with pytest.raises(errors.TaskWaitsForDocumentError):
            c.complete(instance, "sign_mou_partner", person)
    # only the partner's ministry drafts the countersignature
    with pytest.raises(errors.NotYourTaskError, match="Ministarstvo državne uprave"):
        services.task_document_countersign(
            instance=instance, task_id=task_id, actor=c(*who), unit=c(*who).memberships.get().unit
        )
    with pytest.raises(errors.TaskDocumentError, match="has not arrived yet"):  # its own people may
        services.task_document_countersign(
            instance=instance, task_id=task_id, actor=c("mduls", H), unit=c("mduls", H).memberships.get().unit
        )

    assert ProcessInstance.objects.get(pk=instance.pk).state == before, why
    assert "sign_mou_partner" in {t.spec_name for t in tasks_for(person=c("mduls", HA))}
    # a drafter of the partner's ministry sees it to prepare it; the others do not
    assert "sign_mou_partner" in {t.spec_name for t in tasks_for(person=c("mduls", H))}
    assert "sign_mou_partner" not in {t.spec_name for t in tasks_for(person=c(*who))}


def test_korea_s_parties_on_another_node_are_waited_for(
    countries: Countries, dgcc: ProcessDefinition
) -> None:
    from govdoc.distribution.models import Node

    Node.objects.create(
        node_id=REMOTE,
        name="DGCC Korea",
        endpoint="https://kr.dgcc.example/",
        root_certificate="-",
        agencies={"mois": "MOIS", "mofa": "MOFA", "nia": "NIA"},
        added_at=T0,
        changed_at=T0,
    )
    parties = {
        **PARTIES,
        **{name: f"{code}@{REMOTE}" for name, code in PARTIES.items() if code in {"mois", "mofa", "nia"}},
    }
    with pytest.raises(errors.NotAllowedToStartError):  # its start lane is the Korean NIA's
        services.instance_start(
            definition=dgcc, agency=countries.agencies["mduls"], actor=countries("mduls", H), parties=parties
        )
    instance = services.instance_start(
        definition=dgcc, agency=countries.agencies["mduls"], actor="federation", parties=parties
    )

    task = instance.open_tasks.get()
    assert (task.spec_name, task.agency, task.remote) == ("propose_candidates", None, f"nia@{REMOTE}")
    assert task.waiting_for() == f"waiting for Specialized organization (Korea) on {REMOTE}"
    assert ProcessParty.objects.get(instance=instance, key="specialized organization (korea)").address == (
        f"nia@{REMOTE}"
    )
    with pytest.raises(
        errors.TaskOnOtherNodeError, match=f"waiting for Specialized organization \\(Korea\\) on {REMOTE}"
    ):
        countries.complete(instance, "propose_candidates", countries("nia", H))
    assert not any(tasks_for(person=p).exists() for p in countries.people.values())


REMOTE = "kr.dgcc.example"
