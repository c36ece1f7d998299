"""The steps of logging in, signing up and resetting a password, each answer in the three
languages (the pages themselves are in test_languages.py's lists): what a person sees after a
mistake, on an official's first log-in, and when slowed down."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django import Settings

from govdoc.accounts import second_factor, totp
from govdoc.accounts.models import Person, SecondFactor
from govdoc.cli import demo_data
from govdoc.core import clock
from tests.flows.test_languages import NAMES, SCRIPTS, _as
from tests.language_check import problems

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _look(found: dict[str, list[str]], what: str, script: str, answer: object, status: int) -> None:
    """One answer of a step of the log-in, sign-up or password reset, checked in ``script``."""
    assert answer.status_code == status, f"{what}: {answer.status_code}"  # type: ignore[attr-defined]
    wrong = problems(answer.content.decode(), script, names=NAMES)  # type: ignore[attr-defined]
    if wrong:
        found[f"{script} {what}"] = wrong


def _totp_now(person: Person) -> str:
    secret = second_factor.secret_of(SecondFactor.objects.get(person=person))
    return totp.hotp(totp.secret_bytes(secret), totp.step_at(clock.now().timestamp()))


def test_the_steps_of_logging_in_are_in_the_language_chosen(demo: None, settings: Settings) -> None:
    """A wrong password, the second factor's code page and a wrong code, an official's first
    log-in (the authenticator, a wrong first code, the recovery codes), the slowed-down guesser."""
    settings.GOVDOC_LOGIN_FREE_FAILURES = settings.GOVDOC_LOGIN_ADDRESS_FREE_FAILURES = 1000
    found: dict[str, list[str]] = {}
    password = demo_data.DEMO_PASSWORD
    official = Person.objects.get(username="head-unit")
    for script in SCRIPTS:
        lang = f"?lang={script}"
        browser = Client()
        wrong = browser.post(f"/login/{lang}", {"username": "head-unit", "password": "not-the-password"})
        _look(found, "a wrong password", script, wrong, 400)
        assert (
            browser.post(f"/login/{lang}", {"username": "head-unit", "password": password}).status_code == 302
        )
        _look(found, "/login/code/", script, browser.get(f"/login/code/{lang}"), 200)
        _look(found, "a wrong code", script, browser.post(f"/login/code/{lang}", {"code": "000000"}), 400)

        second_factor.factor_reset(person=official, actor="test")
        browser = Client()
        assert (
            browser.post(f"/login/{lang}", {"username": "head-unit", "password": password}).status_code == 302
        )
        _look(found, "/login/enrol/", script, browser.get(f"/login/enrol/{lang}"), 200)
        _look(found, "a wrong first code", script, browser.post(f"/login/enrol/{lang}", {"code": "x"}), 400)
        codes = browser.post(f"/login/enrol/{lang}", {"code": _totp_now(official)})
        _look(found, "the recovery codes", script, codes, 200)
        assert "recovery-codes" in codes.content.decode()

    settings.GOVDOC_LOGIN_FREE_FAILURES = 0
    with clock.frozen(clock.now()):
        Client().post("/login/", {"username": "citizen", "password": "not-the-password"})
        for script in SCRIPTS:
            slowed = Client().post(f"/login/?lang={script}", {"username": "citizen", "password": "x"})
            _look(found, "too many tries", script, slowed, 429)
    assert found == {}


def test_sign_up_and_password_reset_answer_in_the_language_chosen(demo: None, settings: Settings) -> None:
    """A sign-up form with mistakes (every field's message), a good one, a used link, a password
    reset asked for, a password change refused, and the page of too many requests."""
    found: dict[str, list[str]] = {}
    for number, script in enumerate(SCRIPTS):
        lang = f"?lang={script}"
        bad = {
            "username": "a",
            "email": "no",
            "national_id": "123",
            "password": "1234",
            "preferred_script": "x",
        }
        _look(found, "a sign-up with mistakes", script, Client().post(f"/signup/{lang}", bad), 400)
        good = {
            "username": f"milan{number}",
            "first_name": "Milan",
            "last_name": "Milanović",
            "email": f"milan{number}@example.rs",
            "national_id": "0101990710008",
            "password": "very-long-passphrase-42",
            "preferred_script": script,
        }
        _look(found, "a sign-up", script, Client().post(f"/signup/{lang}", good), 200)
        used = Client().post(f"/signup/confirm/MQ/a-token/{lang}")
        _look(found, "a confirmation link that does not work", script, used, 400)
        sent = Client().post(f"/password/reset/{lang}", {"login": "citizen"})
        _look(found, "a password reset asked for", script, sent, 200)
        reset = Client()
        reset.get(f"/password/reset/MQ/a-token/{lang}")
        _look(
            found,
            "a reset link that does not work",
            script,
            reset.get("/password/reset/MQ/set-password/"),
            400,
        )
        refused = _as("citizen").post(
            f"/account/password/{lang}",
            {"old_password": "wrong", "new_password": "123", "new_password_again": "321"},
        )
        _look(found, "a password change refused", script, refused, 400)
    settings.GOVDOC_RATE_SIGNUP = "1/m"
    Client().post("/signup/", {})
    for script in SCRIPTS:
        _look(found, "too many sign-ups", script, Client().post(f"/signup/?lang={script}", {}), 429)
    assert found == {}
