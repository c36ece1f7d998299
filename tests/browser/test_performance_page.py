"""The performance page in a real browser: its charts are drawn under the strict
Content-Security-Policy (nothing blocked), the page passes axe-core, and nothing scrolls
sideways on a phone; each table's CSV link downloads its file."""

from __future__ import annotations

from typing import Any

import pytest

from govdoc.accounts.selectors import memberships_current
from govdoc.procedures import services
from tests.browser.test_accessibility import _check, _session_of, axe_source  # noqa: F401
from tests.browser.test_procedures_journey import PERMIT
from tests.support import browser_login, person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_performance_page_draws_its_charts_and_is_accessible(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    handler = person("handler")
    agency = memberships_current(person=handler).first().unit.agency
    definition = services.definition_load(xml_bytes=PERMIT, actor="test")
    instance = services.instance_start(definition=definition, agency=agency, actor=handler, title="Dozvola")
    review = instance.open_tasks.get()
    services.task_complete(
        instance=instance, task_id=str(review.task_id), actor=handler, data={"decision": "approve"}
    )
    base = live_server.url

    context = browser.new_context(
        locale="sr-Latn-RS", viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, base, "handler")
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Postupci", exact=True).click()
    page.get_by_role("link", name="Učinak", exact=True).click()
    assert page.locator("h1").inner_text() == "Učinak postupaka i usluga"
    chart = page.locator("#procedures-running svg.chart")
    assert chart.get_attribute("role") == "img"
    box = chart.locator("rect").first.bounding_box()
    assert box is not None and box["width"] > 100  # the bar of the largest count is drawn
    assert "Review the request" in page.locator("#t-procedures-stages").inner_text()
    with page.expect_download() as download:
        page.locator("#procedures-stages .csv-link").click()
    assert download.value.suggested_filename.startswith("govdoc-procedures-stages-")
    assert blocked == []
    context.close()

    problems = _check(browser, axe_source, base, ["/work/performance/"], _session_of("handler"))
    assert problems == {}
