"""A procedure in a real browser: the police handler opens My tasks, completes the review of a
permit request with the decision its gateway asks for, and sees the procedure's diagram drawn by
bpmn-js (served by GovDoc, under the strict Content-Security-Policy) with the head of unit's
signing task marked current and the review marked done; the page passes axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdoc.accounts.selectors import memberships_current
from govdoc.procedures import services
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST
from tests.browser.test_accessibility import _check, _session_of, _violations, axe_source  # noqa: F401
from tests.support import browser_login, person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

PERMIT = (
    Path(__file__).resolve().parents[2] / "src" / "govdoc" / "web" / "tests" / "bpmn" / "permit_request.bpmn"
).read_bytes()


def test_an_official_completes_a_task_and_sees_the_diagram_with_the_current_task(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    base = live_server.url
    handler = person("handler")
    agency = memberships_current(person=handler).first().unit.agency
    definition = services.definition_load(xml_bytes=PERMIT, actor="test")
    instance = services.instance_start(
        definition=definition,
        agency=agency,
        actor=handler,
        title="Dozvola za prekop",
        business_key="P-2027-1",
    )

    context = browser.new_context(locale="sr-Latn-RS", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
    browser_login(page, base, "handler")
    page.wait_for_url(f"{base}/")

    # My tasks, from the menu
    page.get_by_role("link", name="Postupci", exact=True).click()
    assert page.locator("h1").inner_text() == "Moji zadaci"
    row = page.locator("#my-tasks tr[data-task=review]")
    assert "Dozvola za prekop" in row.inner_text()
    row.get_by_role("link", name="Review the request").click()

    # the decision is asked first: without it nothing moves
    page.get_by_role("button", name="Završi zadatak").click()
    assert page.locator("#err_data_decision").inner_text() == "Izaberite jedan od ponuđenih odgovora."
    page.get_by_label("Decision").select_option(label="Approve")
    page.get_by_label("Komentar (nije obavezan)").fill("Zahtev je uredan.")
    page.get_by_role("button", name="Završi zadatak").click()
    assert "Zadatak „Review the request“ je završen." in page.locator(".messages").inner_text()
    assert page.locator("#my-tasks tr[data-task=review]").count() == 0

    # the procedure's page: the diagram drawn by bpmn-js with the markers
    page.get_by_role("link", name="Postupci u toku").click()
    page.get_by_role("link", name="Permit request: Dozvola za prekop").click()
    assert page.url.startswith(f"{base}/work/procedures/{instance.pk}/")
    page.locator("#procedure-diagram[data-rendered=true]").wait_for()
    current = page.locator('#procedure-diagram svg g.djs-element.govdoc-current[data-element-id="sign"]')
    assert current.count() == 1
    assert "Sign the permit" in (current.text_content() or "")
    assert page.locator('svg g.govdoc-done[data-element-id="review"]').count() == 1
    assert page.locator("svg g.govdoc-current").count() == 1
    assert "Sign the permit" in page.locator("#current-tasks").inner_text()
    assert "Zahtev je uredan." in page.locator("#history").inner_text()
    assert page.locator(".bjs-powered-by").is_visible()  # bpmn.io's licence keeps it visible

    assert blocked == []
    assert outside == []
    assert _violations(page, axe_source) == []
    page.set_viewport_size({"width": 375, "height": 800})  # on a phone nothing scrolls sideways
    assert page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth") <= 2
    context.close()


def test_the_procedure_pages_have_no_accessibility_violations(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    """My tasks, a task's form (with its decision and a timer's deadline), the agency's
    procedures with the start form, and the definitions page, on a desk and on a phone."""
    handler = person("handler")
    agency = memberships_current(person=handler).first().unit.agency
    definition = services.definition_load(xml_bytes=PERMIT, actor="test")
    instance = services.instance_start(definition=definition, agency=agency, actor=handler, title="Dozvola")
    review = instance.open_tasks.get()
    base = live_server.url
    pages = [
        "/work/procedures/tasks/",
        f"/work/procedures/{instance.pk}/tasks/{review.task_id}/",
        "/work/procedures/",
        "/work/procedures/?procedure=permit_request&status=running",
    ]
    problems = _check(browser, axe_source, base, pages, _session_of("handler"))
    assert problems == {}
    # a file drawn without BPMN DI (the process only): the page says the diagram cannot be drawn
    undrawn = services.instance_start(
        definition=services.definition_load(xml_bytes=CERTIFICATE_REQUEST, actor="test"),
        agency=agency,
        actor=handler,
    )
    context = browser.new_context(locale="sr-Latn-RS")
    context.add_cookies([{"name": "sessionid", "value": _session_of("handler"), "url": base}])
    page = context.new_page()
    page.goto(f"{base}/work/procedures/{undrawn.pk}/")
    assert page.locator(".diagram-failed").inner_text() == "Dijagram nije mogao da se iscrta."
    # the task is named as a shipped procedure names it: GovDoc's own words, in Serbian
    assert "Pregledati zahtev" in page.locator("#current-tasks").inner_text()
    context.close()
    problems |= _check(browser, axe_source, base, ["/work/procedures/definitions/"], _session_of("mup-admin"))
    assert problems == {}


def test_the_e_government_project_s_diagram_with_its_stage_documents_is_drawn_by_bpmn_js(
    demo: None, live_server: Any, browser: Any
) -> None:
    """The shipped file, with its govdoc:draft elements and conditions, imports into bpmn-js:
    every task is drawn where its shape says, the plan's task marked current."""
    from govdoc.procedures.tests.conftest import SHIPPED_DIR

    base = live_server.url
    handler = person("handler")
    agency = memberships_current(person=handler).first().unit.agency
    definition = services.definition_load(
        xml_bytes=(SHIPPED_DIR / "egov_project.bpmn").read_bytes(), actor="test"
    )
    instance = services.instance_start(definition=definition, agency=agency, actor=handler, title="eUprava")
    context = browser.new_context(locale="sr-Latn-RS", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type in ("error", "warning") and "Permissions-Policy" not in m.text  # Chromium's, not ours
            else None
        ),
    )
    browser_login(page, base, "handler")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/work/procedures/{instance.pk}/")
    page.locator("#procedure-diagram[data-rendered=true]").wait_for()
    for task in (
        "plan_project",
        "feasibility_analysis",
        "inspect_deliverables",
        "evaluate_project",
        "approve_plan",
    ):
        assert page.locator(f'#procedure-diagram svg g.djs-element[data-element-id="{task}"]').count() == 1, (
            task
        )
    current = page.locator(
        '#procedure-diagram svg g.djs-element.govdoc-current[data-element-id="plan_project"]'
    )
    assert current.count() == 1
    assert problems == []
    context.close()
