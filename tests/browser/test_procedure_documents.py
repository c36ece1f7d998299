"""A procedure's document in a real browser: the police handler opens the task "Sign the MOU for
Korea", is told beside the field that the text is missing, drafts the Memorandum from its
template, and sends it for approval to the head of the agency, the only final approver offered;
the head approves it with the signing PIN and the worker numbers, seals and sends it; the task
is then done and the procedure's page lists the sealed document. On the partner's side the
countersignature waits until its registry registers the Memorandum, then is drafted from the
task's page. The pages pass axe-core under the strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdoc.accounts.models import Agency
from govdoc.distribution.models import Delivery
from govdoc.distribution.services import delivery_register
from govdoc.procedures import services
from govdoc.procedures.models import ProcessInstance
from tests.browser.test_accessibility import _violations, axe_source  # noqa: F401
from tests.browser.test_distribution_journey import approve, login
from tests.support import person, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# "Sign the MOU for Korea", drawn as the shipped procedure draws it, reads in Serbian
SIGN_MOU = "Potpisati Memorandum o razumevanju u ime Koreje"
MOU_SIGNING = (Path(__file__).resolve().parents[1] / "federation" / "bpmn" / "mou_signing.bpmn").read_bytes()


def _started() -> ProcessInstance:
    definition = services.definition_load(xml_bytes=MOU_SIGNING, actor="test")
    return services.instance_start(
        definition=definition,
        agency=Agency.objects.get(code="mup"),
        actor="test",
        title="Saradnja u digitalnoj upravi",
        business_key="MOU-2027-1",
        parties={"Lead organization (Korea)": "mup", "Lead organization (partner country)": "beograd"},
    )


def test_the_mou_is_drafted_from_its_task_approved_and_the_task_is_done(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    base = live_server.url
    instance = _started()
    handler = login(browser, base, "handler")
    blocked: list[str] = []
    handler.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    handler.goto(f"{base}/work/procedures/tasks/")
    handler.get_by_role("link", name=SIGN_MOU).click()
    assert "Gradska uprava grada Beograda" in handler.locator("#task-document-recipients").inner_text()
    assert _violations(handler, axe_source) == []
    handler.get_by_role("button", name="Sastavi dokument").click()
    assert handler.locator("#err_text").inner_text() == "Napišite tekst dokumenta."
    handler.get_by_label("Tekst (prazan red započinje novi pasus)").fill(
        "Strane sarađuju u oblasti digitalne uprave.\n\nCentar se osniva u Beogradu."
    )
    handler.get_by_role("button", name="Sastavi dokument").click()

    # the outgoing document's page: the Memorandum binds the ministry, so its head approves it
    assert handler.locator("#outgoing-status").get_attribute("data-status") == "draft"
    offered = handler.get_by_label("Konačno odobrava").locator("option").all_inner_texts()
    assert offered == ["Nikola Nikolić"], offered
    handler.get_by_role("button", name="Pošalji na odobravanje").click()
    assert handler.locator("#outgoing-status").get_attribute("data-status") == "in_approval"

    approve(login(browser, base, "head-agency"), base, SIGN_MOU)
    run_worker()  # number, seal, send; then the task completes

    handler.goto(f"{base}/work/procedures/tasks/")
    assert handler.get_by_role("link", name=SIGN_MOU).count() == 0
    handler.goto(f"{base}/work/procedures/{instance.pk}/")
    documents = handler.locator("#procedure-documents").inner_text()
    assert SIGN_MOU in documents and "MUP-" in documents
    assert _violations(handler, axe_source) == []

    # the partner's countersignature waits for its registry, then is drafted from the task
    partner = login(browser, base, "handler-bg")
    task = instance.open_tasks.get(spec_name="sign_mou_partner")
    url = f"{base}/work/procedures/{instance.pk}/tasks/{task.task_id}/"
    partner.goto(url)
    assert "pisarnica mora prvo da ga zavede" in partner.locator("#task-document-arrival").inner_text()
    assert partner.get_by_role("button", name="Supotpiši dokument").is_disabled()
    clerk = person("registry-bg")
    delivery = Delivery.objects.get(agency__code="beograd", outgoing__isnull=False)
    delivery_register(delivery=delivery, actor=clerk, unit=clerk.memberships.first().unit)  # type: ignore[union-attr]
    partner.goto(url)
    partner.get_by_role("button", name="Supotpiši dokument").click()
    assert partner.locator("#outgoing-status").get_attribute("data-status") == "draft"
    assert blocked == []
