"""Every page GovDoc shows, checked by axe-core in a real browser: no accessibility violation of
any impact, and on a phone no page scrolls sideways (navigation folds, tables reflow).

axe-core comes from npm (package.json; ``scripts/test`` runs ``npm ci``). Missing, the test is
skipped with a reason, unless GOVDOC_REQUIRE_TOOLS=1 (CI), where it fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.support import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail("axe-core is required (GOVDOC_REQUIRE_TOOLS=1): run npm ci")
        pytest.skip("axe-core is not installed (npm ci)")
    return AXE.read_text(encoding="utf-8")


def _session_of(username: str) -> str:
    """A logged-in session for ``username`` (the log-in itself has its own tests)."""
    client = log_in(Client(), Person.objects.get(username=username))
    return client.cookies["sessionid"].value


def _violations(page: Any, axe_source: str) -> list[str]:
    page.evaluate(axe_source)
    found = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(
                v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(" ")).join(", ")}`
            );
        }"""
    )
    return [str(v) for v in found]


def _check(
    browser: Any, axe_source: str, base: str, paths: list[str], session: str | None
) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for width in (1100, 375):
        context = browser.new_context(
            locale="sr-Latn-RS", viewport={"width": width, "height": 900}, bypass_csp=True
        )
        if session:
            context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page = context.new_page()
        page.set_default_timeout(20_000)
        for path in paths:
            page.goto(f"{base}{path}")
            if width == 1100:
                found = _violations(page, axe_source)
                if found:
                    problems[path] = found
            else:
                overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
                if overflow > 2:
                    problems.setdefault(path, []).append(f"scrolls sideways on a phone by {overflow}px")
        context.close()
    return problems


def test_public_citizen_and_official_pages_have_no_accessibility_violations(
    demo: None, live_server: Any, browser: Any, axe_source: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    base = live_server.url
    public = ["/", "/services/", "/verify/", "/login/", "/signup/", "/password/reset/", "/no/such/page/"]
    citizen = Client()
    citizen.force_login(Person.objects.get(username="citizen"))
    citizen.post(
        "/services/uverenje-o-prebivalistu/apply/",
        {
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710006",
            "adresa": "Bulevar kralja Aleksandra 73",
            "opstina": "Zvezdara",
            "svrha": "radi zaposlenja",
            "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf"),
        },
    )
    from govdoc.applications.models import Application

    application = Application.objects.get()
    mine = [
        "/services/uverenje-o-prebivalistu/apply/",
        "/my/applications/",
        f"/my/applications/{application.pk}/",
        f"/my/applications/{application.pk}/receipt",
        "/inbox/",
        "/my/data-access/",
        "/account/password/",
    ]
    work = [
        "/work/",
        "/work/cases/",
        "/work/cases/?state=closed&q=Petrovi",
        f"/work/applications/{application.pk}/",
        "/work/pin/",
        "/account/password/",
    ]
    outgoing, delivery = _letter_delivered()
    drafter = ["/work/outgoing/", "/work/outgoing/new/", f"/work/outgoing/{outgoing}/"]
    registry = ["/work/incoming/", f"/work/incoming/{delivery}/"]
    problems = _check(browser, axe_source, base, public, None)
    problems |= _check(browser, axe_source, base, mine, _session_of("citizen"))
    problems |= _check(browser, axe_source, base, work, _session_of("head-unit"))
    problems |= _check(browser, axe_source, base, drafter, _session_of("handler"))
    problems |= _check(browser, axe_source, base, registry, _session_of("registry-bg"))
    assert problems == {}


def _letter_delivered() -> tuple[str, str]:
    """A letter of the police, drafted and delivered to the City of Belgrade: its outgoing
    page (with the drafter's forms while a draft) and the delivery awaiting registration."""
    from govdoc.accounts.models import Agency, Unit
    from govdoc.distribution import services as distribution
    from govdoc.documents.tests.samples import text_pdf

    draft = distribution.outgoing_draft(
        actor=Person.objects.get(username="handler"),
        unit=Unit.objects.get(code="pu-beograd"),
        title="Zahtev za dostavu podataka",
        kind="dopis",
        classification_code="02-05",
        retention_years=10,
        disclosure="not_public",
        legal_ground="Zakon o zaštiti podataka o ličnosti, čl. 12",
        content=text_pdf("Molimo da nam dostavite podatke."),
        filename="dopis.pdf",
        recipients=[distribution.Recipient(agency=Agency.objects.get(code="beograd"))],
    )
    sent = _sent_copy()
    return str(draft.pk), sent


def _sent_copy() -> str:
    """A second letter, approved and delivered (the worker run once)."""
    from govdoc.accounts.models import Agency, Unit
    from govdoc.approvals import selectors as approvals
    from govdoc.approvals import services as approval_services
    from govdoc.approvals.services import StepSpec
    from govdoc.distribution import services as distribution
    from govdoc.documents.tests.samples import text_pdf
    from tests.support import PIN, run_worker

    handler, head = Person.objects.get(username="handler"), Person.objects.get(username="head-unit")
    outgoing = distribution.outgoing_draft(
        actor=handler,
        unit=Unit.objects.get(code="pu-beograd"),
        title="Obaveštenje o promeni adrese",
        kind="obavestenje",
        classification_code="02-05",
        retention_years=None,
        disclosure="public",
        content=text_pdf("Obavestavamo vas."),
        filename="obavestenje.pdf",
        recipients=[distribution.Recipient(agency=Agency.objects.get(code="beograd"))],
    )
    distribution.outgoing_send_for_approval(
        outgoing=outgoing, steps=[StepSpec("approval", head.pk, 1)], actor=handler
    )
    for step in approvals.queue_for(person=head):
        approval_services.step_decide(step=step, actor=head, decision="approve", pin=PIN)
    run_worker()
    return str(outgoing.deliveries.get().pk)
