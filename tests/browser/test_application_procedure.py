"""An application that a BPMN procedure handles, in a real browser: the Ministry of Justice's
handler sends the decision before reviewing the application and is told, on the page, what the
procedure waits for first; she finds the application complete with the button the procedure
offers and then sends it. The page passes axe-core under the strict Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest

from govdoc.applications import services as applications
from govdoc.applications.models import Application, Service
from govdoc.applications.specs import UploadedFileData
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.browser.test_accessibility import _violations, axe_source  # noqa: F401
from tests.browser.test_distribution_journey import login
from tests.support import person

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _assigned() -> Application:
    pdf = make_sample_pdf("LK")
    application = applications.application_submit(
        service=Service.objects.get(code="uverenje-da-se-ne-vodi-krivicni-postupak"),
        applicant=person("citizen"),
        data={
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710006",
            "ime_oca": "Petar",
            "adresa": "Bulevar kralja Aleksandra 73",
            "svrha": "radi zaposlenja",
        },
        files=[
            UploadedFileData(rule_key="licna_karta", filename="lk.pdf", content=pdf),
            UploadedFileData(rule_key="dokaz_o_uplati", filename="uplata.pdf", content=pdf),
        ],
        script="sr-latn",
        actor=person("citizen"),
    )
    return applications.application_assign(
        application=application, handler=person("handler-pr"), actor=person("head-unit-pr")
    )


def test_the_handler_is_told_what_the_procedure_waits_for_and_takes_that_step_first(
    demo: None,
    live_server: Any,
    browser: Any,
    axe_source: str,  # noqa: F811
) -> None:
    base = live_server.url
    application = _assigned()
    page = login(browser, base, "handler-pr")
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(f"{base}/work/applications/{application.pk}/")
    waits = page.locator("#handling-waits")
    assert "Pregledati zahtev" in waits.inner_text()  # the shipped procedure, in Serbian
    assert _violations(page, axe_source) == []

    page.get_by_role("button", name="Pošalji na odobravanje").click()
    assert "postupak obrade ovog zahteva najpre čeka" in page.locator("p.error").inner_text()
    assert page.locator("#app-status").inner_text() == "Dodeljen službeniku"

    page.get_by_role("button", name="Zahtev je potpun").click()
    assert "Utvrđeno je da je zahtev potpun." in page.locator(".messages").inner_text()
    waiting = page.locator("#handling-waits").inner_text()
    assert "Sastaviti nacrt odluke i poslati ga na odobravanje" in waiting
    page.get_by_role("button", name="Pošalji na odobravanje").click()
    assert "Odobriti odluku" in page.locator("#handling-waits").inner_text()
    assert _violations(page, axe_source) == []
    assert blocked == []
