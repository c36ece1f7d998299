"""An official's letter in a real browser: the police handler drafts it (a missing field is
shown beside it first) and sends it for approval, the head of unit approves it with the signing
PIN, the worker numbers, seals and delivers it to the City of Belgrade, whose registry clerk
registers it and assigns it to a handler, who reads it and answers it; the answer reaches the
police's registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdoc.cli.demo_data import DEMO_PASSWORD, DEMO_SIGNING_PIN
from govdoc.documents.tests.samples import text_pdf
from tests.support import browser_login, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TITLE = "Zahtev za dostavu podataka o prebivalištu"


def login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(locale="sr-Latn-RS", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    browser_login(page, base, username, DEMO_PASSWORD)
    try:
        page.wait_for_url(f"{base}/")
    except Exception as exc:  # say where the log-in stopped
        raise AssertionError(f"{username}: {page.url} {page.locator('main').inner_text()[:300]}") from exc
    return page


def approve(page: Any, base: str, title: str) -> None:
    page.goto(f"{base}/work/")
    card = page.locator("article.card", has_text=title).first
    card.get_by_label("PIN za potpisivanje", exact=True).fill(DEMO_SIGNING_PIN)
    card.get_by_role("button", name="Odobri i potpiši").click()
    assert "potpisana" in page.locator(".messages").inner_text()


def test_a_letter_is_drafted_approved_sent_registered_read_and_answered(
    demo: None, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    base = live_server.url
    letter = tmp_path / "dopis.pdf"
    letter.write_bytes(text_pdf("Molimo da nam dostavite podatke."))
    answer_pdf = tmp_path / "odgovor.pdf"
    answer_pdf.write_bytes(text_pdf("Dostavljamo podatke."))

    # the police handler drafts the letter; the title is forgotten first
    handler = login(browser, base, "handler")
    handler.get_by_role("link", name="Otpremljeni", exact=True).click()
    handler.get_by_role("link", name="Sastavi novi dokument").click()
    handler.get_by_label("Vrsta", exact=True).select_option(label="Dopis")
    handler.get_by_label("Klasifikacioni znak").fill("02-05")
    handler.get_by_label("Rok čuvanja").select_option(label="10 godina")
    handler.get_by_label("Stepen dostupnosti").select_option(label="Javan")
    handler.get_by_label("Gradska uprava grada Beograda", exact=True).check()
    handler.get_by_label("Dokument (PDF)").set_input_files(str(letter))
    handler.get_by_role("button", name="Sačuvaj nacrt").click()
    assert handler.locator("#err_title").is_visible()
    assert handler.get_by_label("Klasifikacioni znak").input_value() == "02-05"
    assert handler.get_by_label("Gradska uprava grada Beograda", exact=True).is_checked()
    handler.get_by_label("Naslov").fill(TITLE)
    handler.get_by_label("Dokument (PDF)").set_input_files(str(letter))
    handler.get_by_role("button", name="Sačuvaj nacrt").click()
    assert handler.locator("#outgoing-status").get_attribute("data-status") == "draft"

    # sends it for approval: the head of unit is the final approver already chosen
    assert (
        handler.get_by_label("Konačno odobrava").locator("option:checked").inner_text() == "Jelena Jovanović"
    )
    handler.get_by_role("button", name="Pošalji na odobravanje").click()
    assert handler.locator("#outgoing-status").get_attribute("data-status") == "in_approval"

    approve(login(browser, base, "head-unit"), base, TITLE)
    run_worker()  # what `govdoc worker` does: number, seal, deliver

    handler.reload()
    assert handler.locator("#outgoing-status").get_attribute("data-status") == "sent"
    number = handler.locator("#registry-number").inner_text()
    assert number.startswith("MUP-")
    assert handler.locator("#deliveries [data-status]").first.get_attribute("data-status") == "delivered"

    # the City of Belgrade's registry clerk registers it and assigns it to the handler
    clerk = login(browser, base, "registry-bg")
    clerk.get_by_role("link", name="Primljeni", exact=True).click()
    card = clerk.locator("article.card", has_text=TITLE)
    assert number in card.inner_text()
    card.get_by_label("Dodeli jedinici").select_option(label="Sektor za matične knjige")
    card.get_by_label("Obrađivač (nije obavezno)").select_option(
        label="Vesna Vasić (Sektor za matične knjige)"
    )
    card.get_by_role("button", name="Zavedi").click()
    assert clerk.locator("#delivery-status").get_attribute("data-status") == "registered"
    assert clerk.locator("#incoming-number").inner_text().startswith("BEOGRAD-")

    # the handler there reads it (recorded) and answers it
    city = login(browser, base, "handler-bg")
    city.get_by_role("link", name="Primljeni", exact=True).click()
    city.get_by_role("link", name=TITLE).click()
    pdf = city.request.get(base + city.locator("#read-pdf").get_attribute("href"))
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    city.reload()
    assert "Vesna Vasić" in city.locator("#readings").inner_text()
    city.get_by_role("link", name="Odgovori", exact=True).click()
    assert city.get_by_label("Naslov").input_value() == f"Odgovor: {TITLE}"
    assert city.get_by_label("Policijska uprava za grad Beograd", exact=True).is_checked()
    city.get_by_label("Dokument (PDF)").set_input_files(str(answer_pdf))
    city.get_by_role("button", name="Sačuvaj nacrt").click()
    assert TITLE in city.locator("#thread").inner_text()
    city.get_by_role("button", name="Pošalji na odobravanje").click()

    approve(login(browser, base, "head-unit-bg"), base, f"Odgovor: {TITLE}")
    run_worker()

    # the answer arrives at the police's registry
    registry = login(browser, base, "registry")
    registry.get_by_role("link", name="Primljeni", exact=True).click()
    assert f"Odgovor: {TITLE}" in registry.locator("article.card").first.inner_text()
