"""The whole journey in a real browser: a citizen applies online, the head of unit assigns the
application, the handler sends the decision up the approval line, three officials approve in
turn (each signing with their PIN), the certificate is issued, the citizen downloads it and
verifies it as authentic; a copy with one changed byte is altered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdoc.cli.demo_data import DEMO_PASSWORD, DEMO_SIGNING_PIN
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.support import browser_login, pdf_text, run_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(
        locale="sr-Latn-RS", viewport={"width": 1100, "height": 900}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    browser_login(page, base, username, DEMO_PASSWORD)
    page.wait_for_url(f"{base}/")
    return page


def test_citizen_applies_three_officials_approve_citizen_verifies(
    demo: None, live_server: Any, browser: Any, tmp_path: Path
) -> None:
    base = live_server.url
    scan = tmp_path / "licna-karta.pdf"
    scan.write_bytes(make_sample_pdf("Licna karta"))

    # the citizen applies
    citizen = login(browser, base, "citizen")
    citizen.get_by_role("link", name="Usluge", exact=True).click()
    citizen.get_by_role("link", name="Uverenje o prebivalištu").click()
    citizen.get_by_label("Ime i prezime").fill("Ana Petrović")
    citizen.get_by_label("JMBG").fill("123")  # wrong first: the error is shown beside the field
    citizen.get_by_label("Adresa prebivališta").fill("Bulevar kralja Aleksandra 73")
    citizen.get_by_label("Opština").fill("Zvezdara")
    citizen.get_by_label("Svrha izdavanja").fill("radi zaposlenja")
    citizen.get_by_label("Skenirana lična karta").set_input_files(str(scan))
    citizen.get_by_role("button", name="Podnesi zahtev").click()
    assert citizen.locator("#err_jmbg").is_visible()
    assert citizen.get_by_label("Ime i prezime").input_value() == "Ana Petrović"
    citizen.get_by_label("JMBG").fill("0101990710006")
    citizen.get_by_label("Skenirana lična karta").set_input_files(str(scan))
    citizen.get_by_role("button", name="Podnesi zahtev").click()
    receipt = citizen.locator("#receipt-number").inner_text()
    assert receipt.startswith("P-MUP-")

    # the head of unit assigns it to the handler
    head_unit = login(browser, base, "head-unit")
    head_unit.goto(f"{base}/work/")
    head_unit.get_by_role("link", name=receipt).click()
    head_unit.get_by_label("Obrađivač", exact=True).select_option(label="Marko Marković")
    head_unit.get_by_role("button", name="Dodeli").click()
    assert "Marko" in head_unit.locator("main").inner_text()

    # the handler sends the decision up the approval line
    handler = login(browser, base, "handler")
    handler.goto(f"{base}/work/")
    handler.get_by_role("link", name=receipt).click()
    handler.get_by_role("button", name="Pošalji na odobravanje").click()
    assert "in_approval" in handler.locator("#app-status").get_attribute("class")

    # three officials approve in turn, each signing with their PIN
    for page in (head_unit, login(browser, base, "registry"), login(browser, base, "head-agency")):
        page.goto(f"{base}/work/")
        card = page.locator("article.card").first
        card.get_by_label("PIN za potpisivanje", exact=True).fill(DEMO_SIGNING_PIN)
        card.get_by_role("button", name="Odobri i potpiši").click()
        assert "potpisana" in page.locator(".messages").inner_text()

    run_worker()  # what `govdoc worker` does in the background: issue and deliver

    # the citizen downloads the certificate from the e-inbox and verifies it
    citizen.goto(f"{base}/inbox/")
    citizen.locator("#issued a").first.click()
    assert citizen.locator("#doc-status").inner_text() == "Važeći"
    with citizen.expect_download() as download:
        citizen.locator("#download").click()
    pdf_path = tmp_path / "uverenje.pdf"
    download.value.save_as(pdf_path)
    text = pdf_text(pdf_path.read_bytes())
    assert "Ana Petrović, JMBG 0101990710006" in text
    assert receipt not in text  # the issued document carries its registry number, not the receipt

    citizen.goto(f"{base}/verify/")
    citizen.get_by_label("PDF dokument").set_input_files(str(pdf_path))
    citizen.get_by_role("button", name="Proveri datoteku").click()
    assert citizen.locator("#verdict").get_attribute("data-state") == "authentic"
    assert citizen.locator("#identical").get_attribute("data-identical") == "true"

    altered = bytearray(pdf_path.read_bytes())
    altered[len(altered) // 4] ^= 0x01
    altered_path = tmp_path / "uverenje-izmenjeno.pdf"
    altered_path.write_bytes(bytes(altered))
    citizen.goto(f"{base}/verify/")
    citizen.get_by_label("PDF dokument").set_input_files(str(altered_path))
    citizen.get_by_role("button", name="Proveri datoteku").click()
    assert citizen.locator("#verdict").get_attribute("data-state") == "altered"

    # and sees who verified the document
    citizen.goto(f"{base}/inbox/")
    citizen.locator("#issued a").first.click()
    assert citizen.locator("#verifications tbody tr").count() >= 1
    assert "Otpremljena datoteka" in citizen.locator("#verifications").inner_text()
