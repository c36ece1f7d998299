"""A task a procedure on another GovDoc node asks of an agency here, in a real browser. The
City of Belgrade is the partner of a study visit that the Ministry of Interior runs "on another
node" (this installation trusting itself as the peer rs-self.test, so the task and its result
travel as signed messages over real HTTP): Belgrade's handler finds the task in My tasks, under
the tasks of procedures run on other nodes, is told beside the field that the answer is
missing, confirms the visit, and the procedure moves on at the Ministry. The pages pass
axe-core under the strict Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import override_settings

from govdoc.accounts.models import Agency
from govdoc.distribution import nodes
from govdoc.procedures import services
from govdoc.procedures.models import ProcessInstance, ProcessStep
from govdoc.signatures import keyring
from tests.browser.test_accessibility import _violations, axe_source  # noqa: F401
from tests.browser.test_distribution_journey import login
from tests.support import person, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

NODE = "rs-self.test"
BPMN = (
    Path(__file__).resolve().parents[2] / "src/govdoc/procedures/tests/bpmn/partner_confirmation.bpmn"
).read_bytes()


def _asked_of_belgrade(url: str) -> ProcessInstance:
    nodes.node_add(
        node_id=NODE,
        name="GovDoc Serbia",
        endpoint=url,
        root_certificate=keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={a.code: a.name for a in Agency.objects.all()},
        crl=keyring.ensure().crl_der(),
        actor="admin",
    )
    definition = services.definition_load(xml_bytes=BPMN, actor="test")
    with override_settings(GOVDOC_NODE_ID="kr-dgcc.test"):  # so that rs-self.test is "another node"
        instance = services.instance_start(
            definition=definition,
            agency=Agency.objects.get(code="mup"),
            actor="test",
            title="Studijska poseta",
            parties={"Host organization": "mup", "Partner organization": f"beograd@{NODE}"},
        )
    task = instance.open_tasks.get(spec_name="prepare")
    services.task_complete(instance=instance, task_id=str(task.task_id), actor=person("handler"))
    run_worker()  # the signed task is posted to "the partner's node"
    return instance


@override_settings(GOVDOC_NODE_ID=NODE)
def test_the_partner_s_handler_does_the_task_asked_from_another_node(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    base = live_server.url
    instance = _asked_of_belgrade(live_server.url)
    page = login(browser, base, "handler-bg")
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{base}/work/procedures/tasks/")
    remote = page.locator("#remote-tasks")
    assert f"mup@{NODE}" in remote.inner_text()
    assert _violations(page, axe_source) == []
    remote.get_by_role("link", name="Confirm the study visit").click()
    assert "rs-self.test" in page.locator("#remote-origin").inner_text()
    assert _violations(page, axe_source) == []
    page.get_by_role("button", name="Završi zadatak").click()
    assert page.locator(".field-error").count() == 1  # the answer is required, said beside it
    page.locator("#task-form select").select_option("yes")
    page.get_by_role("button", name="Završi zadatak").click()
    assert "Confirm the study visit" in page.locator(".messages").inner_text()
    assert page.locator("#remote-tasks").count() == 0

    run_worker()  # the signed result goes back to "the Ministry's node"
    step = ProcessStep.objects.get(instance=instance, spec_name="confirm")
    assert (step.completed_elsewhere, step.data["visit_confirmed"]) == (f"beograd@{NODE}", True)
    assert {t.spec_name for t in instance.open_tasks.all()} == {"close"}
    assert blocked == []
