"""Regenerate the screenshots in docs/img/ from a running demo (``govdoc demo``).

    GOVDOC_HOME=/tmp/shots .venv/bin/govdoc demo --port 8765 &
    .venv/bin/python docs/screenshots.py http://127.0.0.1:8765

Walks the citizen's journey once (apply, three approvals, issuance, verification) in Debian's
Chromium and saves a picture of each page a person sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django
from playwright.sync_api import Page, sync_playwright

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govdoc.settings")
django.setup()  # the sample PDFs come from the tests' helpers, which need GovDoc's settings

from govdoc.signatures.tests.conftest import make_sample_pdf  # noqa: E402

OUT = Path(__file__).parent / "img"
PERMIT_BPMN = Path(__file__).parents[1] / "src" / "govdoc" / "web" / "tests" / "bpmn" / "permit_request.bpmn"
PASSWORD = "demo-govdoc-2026"
PIN = "123456"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def login(browser: object, base: str, username: str) -> Page:
    page: Page = browser.new_page(locale="sr-Latn-RS", viewport={"width": 1200, "height": 900}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(f"{base}/login/")
    page.get_by_label("Korisničko ime").fill(username)
    page.get_by_label("Lozinka", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Prijavi se").click()
    page.wait_for_load_state()
    if page.url.endswith("/login/code/"):  # officials: the code from the authenticator app
        page.get_by_label("Kod", exact=True).fill(demo_code(username))
        page.get_by_role("button", name="Potvrdi").click()
    page.wait_for_url(f"{base}/")
    return page


def demo_code(username: str) -> str:
    """The current log-in code of a demo official (``govdoc demo-totp``)."""
    out = subprocess.run(
        [sys.executable, "-m", "govdoc.cli.main", "demo-totp", username],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()[0]


OTHER_LANGUAGES = (("sr-cyrl", "cyrl"), ("en", "en"))


def shot(page: Page, name: str, *, languages: bool = True) -> None:
    """The page as it is (Serbian Latin), and, for a page that a GET shows again, the same page
    in Serbian Cyrillic and English (``name-cyrl.png``, ``name-en.png``)."""
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    sys.stdout.write(f"docs/img/{name}.png\n")
    if not languages:
        return
    url = page.url.split("#")[0]
    joiner = "&" if "?" in url else "?"
    for lang, suffix in OTHER_LANGUAGES:
        page.goto(f"{url}{joiner}lang={lang}")
        if page.locator("#procedure-diagram").count():  # bpmn-js draws after the page loads
            page.locator("#procedure-diagram[data-rendered=true]").wait_for()
        page.screenshot(path=str(OUT / f"{name}-{suffix}.png"), full_page=True)
        sys.stdout.write(f"docs/img/{name}-{suffix}.png\n")
    page.goto(f"{url}{joiner}lang=sr-latn")


def main(base: str) -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        scan = Path(tmp) / "lk.pdf"
        scan.write_bytes(make_sample_pdf("Licna karta"))  # a real, well-formed PDF (uploads are read in depth)

        citizen = login(browser, base, "citizen")
        citizen.goto(f"{base}/services/")
        shot(citizen, "01-services")
        citizen.get_by_role("link", name="Uverenje o prebivalištu").click()
        citizen.get_by_label("Ime i prezime").fill("Ana Petrović")
        citizen.get_by_label("JMBG").fill("01019907")
        citizen.get_by_label("Adresa prebivališta").fill("Bulevar kralja Aleksandra 73")
        citizen.get_by_label("Opština").fill("Zvezdara")
        citizen.get_by_label("Svrha izdavanja").fill("radi zaposlenja")
        citizen.get_by_role("button", name="Podnesi zahtev").click()
        shot(citizen, "02-apply-errors", languages=False)
        citizen.get_by_label("JMBG").fill("0101990710006")
        citizen.get_by_label("Skenirana lična karta").set_input_files(str(scan))
        citizen.get_by_role("button", name="Podnesi zahtev").click()
        receipt = citizen.locator("#receipt-number").inner_text()
        shot(citizen, "03-my-application")

        head = login(browser, base, "head-unit")
        head.goto(f"{base}/work/")
        head.get_by_role("link", name=receipt).click()
        head.get_by_label("Obrađivač", exact=True).select_option(label="Marko Marković")
        head.get_by_role("button", name="Dodeli").click()
        handler = login(browser, base, "handler")
        handler.goto(f"{base}/work/")
        handler.get_by_role("link", name=receipt).click()
        shot(handler, "04-handler-application")
        handler.get_by_role("button", name="Pošalji na odobravanje").click()
        head.goto(f"{base}/work/")
        shot(head, "05-approval-queue")
        for page in (head, login(browser, base, "registry"), login(browser, base, "head-agency")):
            page.goto(f"{base}/work/")
            card = page.locator("article.card").first
            card.get_by_label("PIN za potpisivanje", exact=True).fill(PIN)
            card.get_by_role("button", name="Odobri i potpiši").click()
        for _ in range(60):  # the demo's worker issues the certificate in the background
            citizen.goto(f"{base}/inbox/")
            if citizen.locator("#issued a").count():
                break
            time.sleep(1)
        shot(citizen, "06-inbox")
        citizen.locator("#issued a").first.click()
        with citizen.expect_download() as download:
            citizen.locator("#download").click()
        pdf = Path(tmp) / "uverenje.pdf"
        download.value.save_as(pdf)
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", str(pdf), str(OUT / "07-certificate")], check=True)
        sys.stdout.write("docs/img/07-certificate.png\n")
        citizen.goto(f"{base}/verify/")
        citizen.get_by_label("PDF dokument").set_input_files(str(pdf))
        citizen.locator("#id_verifier_file").fill("Banka, ekspozitura 12")
        citizen.get_by_role("button", name="Proveri datoteku").click()
        shot(citizen, "08-verify-file", languages=False)
        code = citizen.locator("body").inner_text()
        citizen.goto(f"{base}/inbox/")
        citizen.locator("#issued a").first.click()
        shot(citizen, "09-who-verified")
        # What a phone shows after scanning the QR code: the registered document, what the QR
        # code's signature says (checked by the page), and the signed decisions it rests on.
        page_png = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(page_png)], check=True)
        scanned = subprocess.run(
            ["zbarimg", "--raw", "-q", f"{page_png}.png"], capture_output=True, text=True, check=True
        ).stdout.strip()
        phone = browser.new_page(locale="sr-Latn-RS", viewport={"width": 430, "height": 900})  # type: ignore[attr-defined]
        phone.goto(scanned)
        phone.locator("#signed-verdict").filter(has_text="").wait_for()
        time.sleep(1)
        shot(phone, "10-verify-qr", languages=False)

        # An official's letter to another agency: drafted, approved, sent, registered there.
        letter = Path(tmp) / "dopis.pdf"
        letter.write_bytes(make_sample_pdf("Dopis: zahtev za dostavu podataka"))
        title = "Zahtev za dostavu podataka o prebivalištu"
        handler.goto(f"{base}/work/outgoing/new/")
        handler.get_by_label("Naslov").fill(title)
        handler.get_by_label("Vrsta", exact=True).select_option(label="Dopis")
        handler.get_by_label("Klasifikacioni znak").fill("02-05")
        handler.get_by_label("Rok čuvanja").select_option(label="10 godina")
        handler.get_by_label("Stepen dostupnosti").select_option(label="Javan")
        handler.get_by_label("Gradska uprava grada Beograda", exact=True).check()
        shot(handler, "11-outgoing-new", languages=False)
        handler.get_by_label("Dokument (PDF)").set_input_files(str(letter))
        handler.get_by_role("button", name="Sačuvaj nacrt").click()
        handler.get_by_role("button", name="Pošalji na odobravanje").click()
        head.goto(f"{base}/work/")
        card = head.locator("article.card", has_text=title).first
        card.get_by_label("PIN za potpisivanje", exact=True).fill(PIN)
        card.get_by_role("button", name="Odobri i potpiši").click()
        for _ in range(60):  # the demo's worker numbers, seals and delivers it
            handler.reload()
            if handler.locator("#outgoing-status").get_attribute("data-status") == "sent":
                break
            time.sleep(1)
        shot(handler, "12-outgoing-sent")
        clerk = login(browser, base, "registry-bg")
        clerk.goto(f"{base}/work/incoming/")
        shot(clerk, "13-incoming-to-register")
        arrived = clerk.locator("article.card", has_text=title)
        arrived.get_by_label("Dodeli jedinici").select_option(label="Sektor za matične knjige")
        arrived.get_by_role("button", name="Zavedi").click()
        clerk.goto(f"{base}/work/registry/")
        shot(clerk, "14-registry")

        # A procedure: the MUP administrator loads a BPMN file, the handler starts it, completes
        # the review with the gateway's decision, and opens the procedure's page (bpmn-js).
        admin = login(browser, base, "mup-admin")
        admin.goto(f"{base}/work/procedures/definitions/")
        admin.get_by_label("BPMN datoteka").set_input_files(str(PERMIT_BPMN))
        admin.get_by_role("button", name="Učitaj").click()
        shot(admin, "15-procedure-definitions")
        handler.goto(f"{base}/work/procedures/")
        handler.locator("#id_start_procedure").select_option(label="Permit request (1)")  # not a shipped one
        handler.get_by_label("Naslov").fill("Dozvola za prekop ulice")
        handler.get_by_label("Na šta se odnosi (npr. broj zahteva)").fill("P-2027-1")
        handler.get_by_role("button", name="Pokreni").click()
        handler.goto(f"{base}/work/procedures/tasks/")
        shot(handler, "16-my-tasks")
        handler.get_by_role("link", name="Review the request").first.click()
        handler.get_by_label("Decision").select_option(label="Approve")
        handler.get_by_label("Komentar (nije obavezan)").fill("Zahtev je uredan.")
        shot(handler, "17-procedure-task", languages=False)
        handler.get_by_role("button", name="Završi zadatak").click()
        handler.goto(f"{base}/work/procedures/")
        handler.get_by_role("link", name="Permit request: Dozvola za prekop ulice").first.click()
        handler.locator("#procedure-diagram[data-rendered=true]").wait_for()
        shot(handler, "18-procedure")
        # The performance of the agency's procedures and services: charts, tables, CSV links.
        handler.goto(f"{base}/work/performance/")
        shot(handler, "19-performance")
        # An application that a BPMN procedure handles (the Ministry of Justice's certificate):
        # its page says what the procedure waits for and offers the review it asks for.
        citizen.goto(f"{base}/services/")
        citizen.get_by_role("link", name="Uverenje da se ne vodi krivični postupak").click()
        citizen.get_by_label("Ime i prezime").fill("Ana Petrović")
        citizen.get_by_label("JMBG").fill("0101990710006")
        citizen.get_by_label("Ime oca").fill("Petar")
        citizen.get_by_label("Adresa prebivališta").fill("Bulevar kralja Aleksandra 73")
        citizen.get_by_label("Svrha izdavanja").fill("radi zaposlenja")
        citizen.get_by_label("Skenirana lična karta").set_input_files(str(scan))
        citizen.get_by_label("Dokaz o uplati administrativne takse").set_input_files(str(scan))
        citizen.get_by_role("button", name="Podnesi zahtev").click()
        handled = citizen.locator("#receipt-number").inner_text()
        head_pr = login(browser, base, "head-unit-pr")
        head_pr.goto(f"{base}/work/")
        head_pr.get_by_role("link", name=handled).click()
        head_pr.get_by_label("Obrađivač", exact=True).select_option(label="Sanja Savić")
        head_pr.get_by_role("button", name="Dodeli").click()
        handler_pr = login(browser, base, "handler-pr")
        handler_pr.goto(f"{base}/work/")
        handler_pr.get_by_role("link", name=handled).click()
        shot(handler_pr, "20-application-procedure")
        browser.close()
        del code


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
