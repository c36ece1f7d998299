"""Sign-up, e-mail confirmation and log-in in a real browser, with errors shown beside the fields."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from govdoc.accounts.models import Person
from govdoc.jobs.tests.worker import run_queued_tasks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_citizen_signs_up_sees_field_errors_then_logs_in(live_server: Any, page: Any) -> None:
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Korisničko ime").fill("milan")
    page.get_by_label("Ime", exact=True).fill("Milan")
    page.get_by_label("Prezime").fill("Milanović")
    page.get_by_label("Adresa e-pošte").fill("milan@example.rs")
    page.get_by_label("JMBG").fill("123")
    page.get_by_label("Lozinka (najmanje 12 znakova)").fill("short")
    page.get_by_role("button", name="Registruj se").click()

    assert page.locator("#err_national_id").inner_text() == "JMBG ima tačno 13 cifara."
    assert "prekratka" in page.locator("#err_password").inner_text()  # Django's own message, in Serbian
    assert not Person.objects.filter(username="milan").exists()
    # what was typed is kept, except the password
    assert page.get_by_label("Ime", exact=True).input_value() == "Milan"

    page.get_by_label("JMBG").fill("0101990710008")
    page.get_by_label("Lozinka (najmanje 12 znakova)").fill("very-long-passphrase-42")
    page.get_by_label("Jezik i pismo", exact=True).select_option("sr-cyrl")
    page.get_by_role("button", name="Registruj se").click()
    assert "milan@example.rs" in page.locator("#signup-sent").inner_text()
    assert Person.objects.get(username="milan").preferred_script == "sr-cyrl"

    # the account waits for the link sent by e-mail
    run_queued_tasks()  # what the worker does
    link = re.search(r"http://[^/\s]+(/signup/confirm/\S+/)", mail.outbox[0].body)
    assert link is not None
    page.goto(live_server.url + link.group(1))
    page.get_by_role("button", name="Potvrdi").click()
    page.wait_for_url(f"{live_server.url}/login/")

    page.get_by_label("Korisničko ime").fill("milan")
    page.get_by_label("Lozinka", exact=True).fill("wrong-password-123")
    page.get_by_role("button", name="Prijavi se").click()
    assert page.get_by_role("alert").inner_text() == "Korisničko ime ili lozinka nisu tačni."
    page.get_by_label("Lozinka", exact=True).fill("very-long-passphrase-42")
    page.get_by_role("button", name="Prijavi se").click()
    # he chose Cyrillic when signing up: the pages turn to it, and the address says so
    page.wait_for_url(f"{live_server.url}/?lang=sr-Cyrl")
    assert "Milan Milanović" in page.locator("header").inner_text()


def test_an_official_enrols_an_authenticator_then_logs_in_with_a_code(live_server: Any, page: Any) -> None:
    from govdoc.accounts import totp
    from govdoc.accounts.constants import Role
    from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
    from govdoc.core import clock

    official = PersonFactory(username="jelena", first_name="Jelena", last_name="Jovanović")
    official.set_password("correct-horse-battery")
    official.save()
    grant(official, UnitFactory(), Role.HEAD_OF_UNIT)

    page.goto(f"{live_server.url}/admin/")  # the administrators' site sends everyone to the one log-in
    page.wait_for_url(f"{live_server.url}/login/?next=%2Fadmin%2F")
    page.goto(f"{live_server.url}/login/?next=/work/")
    page.get_by_label("Korisničko ime").fill("jelena")
    page.get_by_label("Lozinka", exact=True).fill("correct-horse-battery")
    page.get_by_role("button", name="Prijavi se").click()
    page.wait_for_url(f"{live_server.url}/login/enrol/")
    assert page.locator("figure.qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")

    page.get_by_label("Kod iz aplikacije").fill("123456")
    page.get_by_role("button", name="Potvrdi").click()
    assert "nije tačan" in page.get_by_role("alert").inner_text()
    page.get_by_label("Kod iz aplikacije").fill(totp.code_at(secret, clock.now().timestamp()))
    page.get_by_role("button", name="Potvrdi").click()
    assert page.locator("#recovery-codes li").count() == 10
    page.get_by_role("link", name="Nastavi").click()
    page.wait_for_url(f"{live_server.url}/work/")
    assert "Jelena Jovanović" in page.locator("header").inner_text()

    page.get_by_role("button", name="Odjava").click()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Korisničko ime").fill("jelena")
    page.get_by_label("Lozinka", exact=True).fill("correct-horse-battery")
    page.get_by_role("button", name="Prijavi se").click()
    page.wait_for_url(f"{live_server.url}/login/code/")
    step = totp.step_at(clock.now().timestamp()) + 1  # the enrolment used this step's code already
    page.get_by_label("Kod", exact=True).fill(totp.hotp(totp.secret_bytes(secret), step))
    page.get_by_role("button", name="Potvrdi").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Jelena Jovanović" in page.locator("header").inner_text()
