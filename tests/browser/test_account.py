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
    page.get_by_label("Korisničko ime / Username").fill("milan")
    page.get_by_label("Ime / First name").fill("Milan")
    page.get_by_label("Prezime / Last name").fill("Milanović")
    page.get_by_label("E-pošta / E-mail").fill("milan@example.rs")
    page.get_by_label("JMBG").fill("123")
    page.get_by_label("Lozinka / Password (12+)").fill("short")
    page.get_by_role("button", name="Registruj se / Sign up").click()

    assert page.locator("#err_national_id").inner_text() == "The JMBG has exactly 13 digits."
    assert "prekratka" in page.locator("#err_password").inner_text()  # Django's own message, in Serbian
    assert not Person.objects.filter(username="milan").exists()
    # what was typed is kept, except the password
    assert page.get_by_label("Ime / First name").input_value() == "Milan"

    page.get_by_label("JMBG").fill("0101990710008")
    page.get_by_label("Lozinka / Password (12+)").fill("very-long-passphrase-42")
    page.get_by_label("Pismo / Script", exact=True).select_option("sr-cyrl")
    page.get_by_role("button", name="Registruj se / Sign up").click()
    assert "milan@example.rs" in page.locator("#signup-sent").inner_text()
    assert Person.objects.get(username="milan").preferred_script == "sr-cyrl"

    # the account waits for the link sent by e-mail
    run_queued_tasks()  # what the worker does
    link = re.search(r"http://[^/\s]+(/signup/confirm/\S+/)", mail.outbox[0].body)
    assert link is not None
    page.goto(live_server.url + link.group(1))
    page.get_by_role("button", name="Potvrdi / Confirm").click()
    page.wait_for_url(f"{live_server.url}/login/")

    page.get_by_label("Korisničko ime / Username").fill("milan")
    page.get_by_label("Lozinka / Password").fill("wrong-password-123")
    page.get_by_role("button", name="Prijavi se / Log in").click()
    assert page.get_by_role("alert").inner_text() == "The username or password is not correct."
    page.get_by_label("Lozinka / Password").fill("very-long-passphrase-42")
    page.get_by_role("button", name="Prijavi se / Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Milan Milanović" in page.locator("header").inner_text()
