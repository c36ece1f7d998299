from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpRequest
from django.test import RequestFactory
from pytest_django import Settings

from govdoc.accounts import identity, services, throttle
from govdoc.accounts.errors import InvalidCredentialsError, LoginThrottledError, RegistrationInvalidError
from govdoc.accounts.models import LoginAttempt, Person
from govdoc.audit.models import AuditEvent
from govdoc.core import clock

pytestmark = pytest.mark.django_db


def _request(address: str = "192.0.2.1", **extra: str) -> HttpRequest:
    return RequestFactory().post("/login/", REMOTE_ADDR=address, **extra)


def _login(username: str, password: str, address: str = "192.0.2.1") -> Person:
    return identity.authenticate(_request(address), username=username, password=password)


def test_a_correct_password_passes_the_first_factor_and_a_wrong_one_is_audited(handler: Person) -> None:
    assert _login("handler", "correct-horse-battery") == handler
    with pytest.raises(InvalidCredentialsError):
        _login("handler", "wrong", address="192.0.2.77")
    failed = AuditEvent.objects.get(event="accounts.login_failed")
    assert failed.data == {"username": "handler", "client": "192.0.2.77"}


def test_failures_bring_growing_delays_not_a_lock(handler: Person) -> None:
    t0 = clock.now()
    with clock.frozen(t0):
        for _ in range(3):  # three free failures
            with pytest.raises(InvalidCredentialsError):
                _login("handler", "wrong")
    elapsed = 0.0
    for expected_wait in (1, 2, 4, 8, 16):
        with clock.frozen(t0 + dt.timedelta(seconds=elapsed)):
            with pytest.raises(LoginThrottledError) as caught:
                _login("handler", "correct-horse-battery")  # not even checked while waiting
            assert caught.value.retry_after == expected_wait
        elapsed += expected_wait
        with clock.frozen(t0 + dt.timedelta(seconds=elapsed)), pytest.raises(InvalidCredentialsError):
            _login("handler", "wrong")
    with clock.frozen(t0 + dt.timedelta(seconds=elapsed + 32)):
        assert _login("handler", "correct-horse-battery") == handler
    throttled = AuditEvent.objects.filter(event="accounts.login_throttled")
    assert throttled.count() == 5
    assert throttled.first().data["client"] == "192.0.2.1"  # type: ignore[union-attr]


def test_the_delay_is_capped(handler: Person, settings: Settings) -> None:
    settings.GOVDOC_LOGIN_MAX_DELAY = 900
    t0 = clock.now()
    for n in range(20):
        LoginAttempt.objects.create(username="handler", client=throttle.client_key(_request()), at=t0)
        del n
    with clock.frozen(t0), pytest.raises(LoginThrottledError) as caught:
        _login("handler", "correct-horse-battery")
    assert caught.value.retry_after == 900


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(handler: Person) -> None:
    t0 = clock.now()
    with clock.frozen(t0):
        for _ in range(3):
            with pytest.raises(InvalidCredentialsError):
                _login("handler", "guess", address="203.0.113.9")
        with pytest.raises(LoginThrottledError):
            _login("handler", "guess", address="203.0.113.9")
        # the owner, from their own address, is not slowed at all
        assert _login("handler", "correct-horse-battery", address="198.51.100.4") == handler


def test_an_attacker_on_many_addresses_slows_new_browsers_but_not_the_owners(handler: Person) -> None:
    t0 = clock.now()
    with clock.frozen(t0):
        for n in range(30):
            with pytest.raises(InvalidCredentialsError):
                _login("handler", "guess", address=f"203.0.113.{n}")
        with pytest.raises(LoginThrottledError):
            _login("handler", "correct-horse-battery", address="198.51.100.4")
        known = _request(
            "198.51.100.4",
            HTTP_COOKIE=f"{throttle.DEVICE_COOKIE}={throttle.device_cookie_value(username='handler')}",
        )
        assert identity.authenticate(known, username="handler", password="correct-horse-battery") == handler
    # and it is a delay that passes, not a lock
    with clock.frozen(t0 + dt.timedelta(minutes=16)):
        assert _login("handler", "correct-horse-battery", address="198.51.100.4") == handler


def test_the_answer_is_the_same_for_an_unknown_username(handler: Person) -> None:
    answers = []
    t0 = clock.now()
    for name in ("handler", "nobody-by-this-name"):
        with clock.frozen(t0):
            for _ in range(3):
                with pytest.raises(InvalidCredentialsError) as wrong:
                    _login(name, "wrong", address="192.0.2.200")
            with pytest.raises(LoginThrottledError) as throttled:
                _login(name, "wrong", address="192.0.2.200")
        answers.append((wrong.value.message, throttled.value.message, throttled.value.retry_after))
        LoginAttempt.objects.all().delete()
    assert answers[0] == answers[1]


def test_x_forwarded_for_counts_only_behind_a_configured_proxy(settings: Settings) -> None:
    request = _request("10.9.8.7", HTTP_X_FORWARDED_FOR="1.1.1.1, 192.0.2.50")
    settings.GOVDOC_PROXY_COUNT = 0
    assert throttle.client_address(request) == "10.9.8.7"
    settings.GOVDOC_PROXY_COUNT = 1
    assert throttle.client_address(request) == "192.0.2.50"  # what our proxy saw, not what the client wrote


def test_registration_reports_every_bad_field_and_creates_nobody(db: None) -> None:
    with pytest.raises(RegistrationInvalidError) as caught:
        services.citizen_register(
            username="x",
            password="123",
            first_name="",
            last_name="Petrović",
            email="not-an-email",
            national_id="12345",
            preferred_script="klingon",
        )
    fields = caught.value.details["errors"]
    assert isinstance(fields, dict)
    assert set(fields) == {"username", "first_name", "email", "national_id", "preferred_script", "password"}
    assert not Person.objects.exists()
    assert not AuditEvent.objects.exists()


def test_registered_citizen_is_an_inactive_citizen_with_the_chosen_script(db: None) -> None:
    services.citizen_register(
        username="jovana",
        password="dugacka-lozinka-2026",
        first_name="Jovana",
        last_name="Jovanović",
        email="jovana@example.rs",
        national_id="0101990710008",
        preferred_script="sr-cyrl",
    )
    person = Person.objects.get(username="jovana")
    assert person.is_citizen
    assert person.preferred_script == "sr-cyrl"
    assert not person.memberships.exists()
    # it cannot log in until the link sent to the e-mail address is followed
    assert not person.is_active and person.email_confirmed_at is None
    with pytest.raises(InvalidCredentialsError):
        _login("jovana", "dugacka-lozinka-2026")
