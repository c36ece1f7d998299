"""The one log-in of GovDoc, through Django's test client: the administrators' site goes
through it, officials enrol and pass a second factor, failures slow the guesser and not the
owner, sessions end when idle, signing and revoking ask for a fresh log-in."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings
from tests.support import log_in

from govdoc.accounts import totp
from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, SecondFactor
from govdoc.accounts.second_factor import demo_factor_set, demo_secret
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.core import clock

PASSWORD = "correct-horse-battery"


class Clock:
    """The project clock, frozen (at the start of the current 30-second step) and moved by hand."""

    def __init__(self) -> None:
        real = clock.now()
        self.at = T0 = real - dt.timedelta(seconds=real.timestamp() % 30)
        self.start = T0
        self._cm: Any = None

    def set(self, at: dt.datetime) -> None:
        if self._cm is not None:
            self._cm.__exit__(None, None, None)
        self.at = at
        self._cm = clock.frozen(at)
        self._cm.__enter__()

    def move(self, **delta: float) -> None:
        self.set(self.at + dt.timedelta(**delta))


@pytest.fixture
def frozen() -> Iterator[Clock]:
    c = Clock()
    c.set(c.start)
    yield c
    c._cm.__exit__(None, None, None)


@pytest.fixture
def official(unit: Any) -> Person:
    person = PersonFactory(username="jelena")
    person.set_password(PASSWORD)
    person.save()
    grant(person, unit, Role.HEAD_OF_UNIT)
    return person


@pytest.fixture
def enrolled(official: Person) -> Person:
    demo_factor_set(person=official, actor="test")  # a known secret: demo_secret("jelena")
    return official


def code(username: str, *, offset: int = 0) -> str:
    step = totp.step_at(clock.now().timestamp()) + offset
    return totp.hotp(totp.secret_bytes(demo_secret(username)), step)


def password_step(client: Client, username: str = "jelena", password: str = PASSWORD, **kw: Any) -> Any:
    return client.post("/login/", {"username": username, "password": password, **kw})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_the_admin_site_logs_in_through_govdoc_with_the_second_factor(frozen: Clock, unit: Any) -> None:
    admin = PersonFactory(username="root", is_staff=True, is_superuser=True)
    admin.set_password(PASSWORD)
    admin.save()
    demo_factor_set(person=admin, actor="test")
    client = Client()

    assert client.get("/admin/").url == "/admin/login/?next=/admin/"
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response.url == "/login/?next=%2Fadmin%2F"
    # Django's own admin log-in form is gone: posting to it logs nobody in
    assert client.post("/admin/login/", {"username": "root", "password": PASSWORD}).status_code == 405
    assert not logged_in(client)

    response = password_step(client, "root", next="/admin/")
    assert response.url == "/login/code/"
    assert not logged_in(client)  # the password alone is not a log-in
    assert client.get("/admin/").status_code == 302
    response = client.post("/login/code/", {"code": code("root")})
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    event = AuditEvent.objects.get(event="accounts.login_succeeded")
    assert event.actor_id == str(admin.pk) and event.data["factors"] == ["password", "totp"]


@pytest.mark.django_db
def test_an_official_enrols_an_authenticator_on_first_log_in(frozen: Clock, official: Person) -> None:
    client = Client()
    assert password_step(client).url == "/login/enrol/"
    page = client.get("/login/enrol/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert "<svg" in page and "otpauth://totp/GovDoc%3Ajelena?secret=" + secret in page
    # the secret is not stored as such
    stored = SecondFactor.objects.get(person=official)
    assert secret not in stored.secret_encrypted and stored.confirmed_at is None

    wrong = client.post("/login/enrol/", {"code": "000000"})
    assert wrong.status_code == 400 and "Kod nije tačan" in wrong.content.decode()
    assert not logged_in(client)
    good = totp.code_at(secret, clock.now().timestamp())
    shown = client.post("/login/enrol/", {"code": good})
    assert shown.status_code == 200 and logged_in(client)
    recovery = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", shown.content.decode())
    assert len(recovery) == 10
    stored.refresh_from_db()
    assert stored.confirmed_at is not None and recovery[0] not in str(stored.recovery_hashes)
    assert client.get("/work/").status_code == 200
    assert AuditEvent.objects.filter(event="accounts.second_factor_failed").count() == 1
    assert AuditEvent.objects.filter(event="accounts.second_factor_enrolled").count() == 1

    # next time: the code is asked; a recovery code works instead, once
    client.post("/logout/")
    frozen.move(minutes=1)
    assert password_step(client).url == "/login/code/"
    assert client.post("/login/code/", {"code": recovery[0]}).url == "/"
    client.post("/logout/")
    password_step(client)
    again = client.post("/login/code/", {"code": recovery[0]})
    assert again.status_code == 400 and not logged_in(client)


@pytest.mark.django_db
def test_a_code_is_accepted_once(frozen: Clock, enrolled: Person) -> None:
    first = Client()
    password_step(first)
    assert first.post("/login/code/", {"code": code("jelena")}).url == "/"

    second = Client()  # someone who saw the code over the shoulder, in the same 30 seconds
    password_step(second)
    refused = second.post("/login/code/", {"code": code("jelena")})
    assert refused.status_code == 400 and "već iskorišćen" in refused.content.decode()
    assert not logged_in(second)
    assert AuditEvent.objects.get(event="accounts.second_factor_failed").data["reused"] is True
    frozen.move(seconds=30)
    assert second.post("/login/code/", {"code": code("jelena")}).url == "/"


@pytest.mark.django_db
def test_an_officials_session_without_the_second_factor_opens_nothing(enrolled: Person) -> None:
    client = Client()
    client.force_login(enrolled)  # a session made outside GovDoc's log-in
    assert client.get("/work/").status_code == 302
    assert not logged_in(client)
    client.force_login(enrolled)
    assert client.get("/api/v1/me").status_code == 401
    # a citizen's session needs none
    citizen = PersonFactory(username="ana", is_citizen=True)
    client.force_login(citizen)
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_an_attacker_cannot_lock_the_owner_out(frozen: Clock, enrolled: Person) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(3):
        assert password_step(attacker, password="guess-1234").status_code == 400
    throttled = password_step(attacker, password="guess-1234")
    assert throttled.status_code == 429 and throttled["Retry-After"] == "1"
    assert "Sačekajte 1 sekundu" in throttled.content.decode()
    # the same answer for a name that does not exist
    for _ in range(3):
        password_step(attacker, "no-such-official", password="guess-1234")
    assert password_step(attacker, "no-such-official", password="guess-1234").status_code == 429
    # wrong second-factor codes count too
    owner = Client(REMOTE_ADDR="198.51.100.7")
    assert password_step(owner).url == "/login/code/"
    assert owner.post("/login/code/", {"code": code("jelena")}).url == "/"
    assert AuditEvent.objects.filter(event="accounts.login_throttled").count() == 2
    assert AuditEvent.objects.filter(event="accounts.login_failed").first().data["client"] == "203.0.113.66"  # type: ignore[union-attr]


@pytest.mark.django_db
def test_public_endpoints_answer_429_with_retry_after(settings: Settings, frozen: Clock) -> None:
    settings.GOVDOC_RATE_VERIFY = "2/m"
    client = Client(REMOTE_ADDR="203.0.113.5")
    assert client.get("/api/v1/verify/NO-SUCH-CODE").status_code == 400  # not a code
    assert client.get("/verify/NO-SUCH-CODE").status_code == 400
    refused = client.get("/api/v1/verify/NO-SUCH-CODE")
    assert refused.status_code == 429 and refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate-limited")
    assert 1 <= int(refused["Retry-After"]) <= 60  # the seconds left of this minute's window
    page = client.get("/verify/NO-SUCH-CODE")
    assert page.status_code == 429 and "Previše zahteva" in page.content.decode()
    assert Client(REMOTE_ADDR="198.51.100.1").get("/api/v1/verify/NO-SUCH-CODE").status_code == 400
    frozen.move(seconds=60)
    assert client.get("/api/v1/verify/NO-SUCH-CODE").status_code == 400

    settings.GOVDOC_RATE_TSA = "1/m"
    tsa = {"content_type": "text/plain"}  # refused (415) before the TSA would start under a frozen clock
    assert client.post("/pki/tsa", b"x", **tsa).status_code == 415
    flooded = client.post("/pki/tsa", b"x", **tsa)
    assert flooded.status_code == 429 and flooded["Retry-After"]

    settings.GOVDOC_RATE_SIGNUP = "1/h"
    assert client.post("/signup/", {"username": "x"}).status_code == 400
    assert client.post("/signup/", {"username": "x"}).status_code == 429


@pytest.mark.django_db
def test_an_idle_session_ends_and_so_does_a_long_one(
    frozen: Clock, enrolled: Person, settings: Settings
) -> None:
    client = Client()
    password_step(client)
    client.post("/login/code/", {"code": code("jelena")})
    frozen.move(minutes=29)
    assert client.get("/work/").status_code == 200
    frozen.move(minutes=29)  # active 29 minutes ago: still in
    assert client.get("/work/").status_code == 200
    frozen.move(minutes=31)
    response = client.get("/work/", follow=True)
    assert response.redirect_chain[0][0].startswith("/login/?next=/work/")
    assert "zbog neaktivnosti" in response.content.decode()
    assert client.get("/api/v1/me").status_code == 401

    settings.GOVDOC_SESSION_ABSOLUTE = 3600
    frozen.move(minutes=1)
    password_step(client)
    client.post("/login/code/", {"code": code("jelena")})
    for _ in range(3):
        frozen.move(minutes=20)
        assert client.get("/api/v1/me").status_code == 200
    frozen.move(minutes=1)
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_signing_and_revoking_ask_for_a_fresh_log_in(frozen: Clock, enrolled: Person) -> None:
    client = Client()
    password_step(client)
    client.post("/login/code/", {"code": code("jelena")})
    step = uuid.uuid4()
    decide_url = f"/api/v1/approvals/steps/{step}/decision"
    body = {"decision": "approve", "comment": "", "pin": "123456"}
    fresh = client.post(decide_url, body, content_type="application/json")
    assert fresh.status_code == 404  # past the step-up: the step does not exist

    frozen.move(minutes=11)
    stale = client.post(decide_url, body, content_type="application/json")
    assert stale.status_code == 401 and stale.json()["type"].endswith("/reauthentication-required")
    page = client.post(f"/work/steps/{step}/decide/", {"decision": "approve", "pin": "123456"})
    assert page.status_code == 302 and page.url.startswith("/login/confirm/?next=")

    wrong = client.post("/login/confirm/", {"password": PASSWORD, "code": "000000", "next": "/work/"})
    assert wrong.status_code == 400
    done = client.post("/login/confirm/", {"password": PASSWORD, "code": code("jelena"), "next": "/work/"})
    assert done.url == "/work/"
    assert client.post(decide_url, body, content_type="application/json").status_code == 404
    assert AuditEvent.objects.filter(event="accounts.reauthenticated").count() == 1


@pytest.mark.django_db
def test_bearer_tokens_are_not_asked_for_a_step_up(frozen: Clock, enrolled: Person) -> None:
    from govdoc.accounts.services import api_token_issue

    _, secret = api_token_issue(
        person=enrolled,
        name="case system",
        expires_at=clock.now() + dt.timedelta(days=30),
        scopes=(),
        actor="t",
    )
    response = Client().post(
        f"/api/v1/approvals/steps/{uuid.uuid4()}/decision",
        {"decision": "approve", "comment": "", "pin": "123456"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_a_test_helper_session_is_a_full_log_in(enrolled: Person) -> None:
    assert log_in(Client(), enrolled).get("/work/").status_code == 200


def test_an_administrator_removes_a_lost_authenticator(frozen: Clock, enrolled: Person) -> None:
    admin = PersonFactory(username="root", is_staff=True, is_superuser=True)
    client = log_in(Client(), admin)
    response = client.post(
        "/admin/accounts/person/", {"action": "second_factor_reset", "_selected_action": [str(enrolled.pk)]}
    )
    assert response.status_code == 302
    assert not SecondFactor.objects.filter(person=enrolled).exists()
    assert AuditEvent.objects.filter(
        event="accounts.second_factor_reset", target_id=str(enrolled.pk)
    ).exists()
    assert password_step(Client()).url == "/login/enrol/"
