"""Every page in each of the three languages, and nothing on it in another language or script:
what a citizen who reads only Cyrillic, a Latin reader and an English reader each see.

Pages are listed per part of GovDoc; a page added to GovDoc is added here. Proper names the demo
people typed (in Latin) are allowed on every page (``NAMES``).
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from govdoc.accounts import second_factor, totp
from govdoc.accounts.models import Person, SecondFactor
from govdoc.applications.models import Application
from govdoc.cli import demo_data
from govdoc.core import clock
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.language_check import problems
from tests.support import log_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SCRIPTS = ("sr-latn", "sr-cyrl", "en")
NAMES = frozenset(
    {f"{p.first_name} {p.last_name}" for p in demo_data.PEOPLE}
    | {p.first_name for p in demo_data.PEOPLE}
    | {p.last_name for p in demo_data.PEOPLE}
    | {p.username for p in demo_data.PEOPLE}
)

# Each list is one part of GovDoc's pages (and one test below).
PUBLIC_AND_CITIZEN = [
    "/",
    "/services/",
    "/verify/",
    "/no/such/page/",
    "/services/uverenje-o-prebivalistu/apply/",
    "/my/applications/",
    "/my/applications/{application}/",
    "/inbox/",
    "/my/data-access/",
]
OFFICIALS = [
    "/work/",
    "/work/cases/",
    "/work/cases/?state=closed",
    "/work/applications/{application}/",
]
ACCOUNT_PUBLIC = ["/login/", "/signup/", "/password/reset/", "/signup/confirm/MQ/a-token/"]
ACCOUNT_CITIZEN = ["/account/password/", "/login/confirm/"]
ACCOUNT_OFFICIAL = ["/work/pin/", "/login/confirm/"]


@pytest.fixture
def application(demo: None) -> Application:
    citizen = log_in(Client(), Person.objects.get(username="citizen"))
    answer = citizen.post(
        "/services/uverenje-o-prebivalistu/apply/",
        {
            "ime_prezime": "Ana Petrović",
            "jmbg": "0101990710008",
            "adresa": "Bulevar kralja Aleksandra 73",
            "opstina": "Zvezdara",
            "svrha": "radi zaposlenja",
            "file_licna_karta": SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf"),
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:300]
    return Application.objects.get()


def _check(client: Client, paths: list[str], application: Application) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for path in paths:
            url = path.format(application=application.pk)
            answer = client.get(url, {"lang": script})
            assert answer.status_code in (200, 404), f"{url}: {answer.status_code}"
            wrong = problems(answer.content.decode(), script, names=NAMES)
            if wrong:
                found[f"{script} {url}"] = wrong
    return found


def _as(username: str) -> Client:
    return log_in(Client(), Person.objects.get(username=username))


def test_public_and_citizens_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), PUBLIC_AND_CITIZEN[:4], application)
    found |= _check(_as("citizen"), PUBLIC_AND_CITIZEN, application)
    assert found == {}


def test_officials_pages_are_in_the_language_chosen(application: Application) -> None:
    assert _check(_as("head-unit"), OFFICIALS, application) == {}


def test_account_pages_are_in_the_language_chosen(application: Application) -> None:
    found = _check(Client(), ACCOUNT_PUBLIC, application)
    found |= _check(_as("citizen"), ACCOUNT_CITIZEN, application)
    found |= _check(_as("head-unit"), ACCOUNT_OFFICIAL, application)
    assert found == {}


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
