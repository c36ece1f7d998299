from __future__ import annotations

import pytest
from django.test import RequestFactory

from govdoc.accounts import identity, services
from govdoc.accounts.errors import AccountLockedError, InvalidCredentialsError, RegistrationInvalidError
from govdoc.accounts.models import Person
from govdoc.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _login(username: str, password: str) -> Person:
    return identity.authenticate(RequestFactory().post("/login/"), username=username, password=password)


def test_correct_password_logs_in_and_is_audited(handler: Person) -> None:
    assert _login("handler", "correct-horse-battery") == handler
    assert AuditEvent.objects.filter(event="accounts.login_succeeded", actor_id=str(handler.pk)).exists()


def test_five_failures_lock_the_account_even_for_the_right_password(handler: Person) -> None:
    for _ in range(5):
        with pytest.raises(InvalidCredentialsError):
            _login("handler", "wrong")
    with pytest.raises(AccountLockedError, match="locked for 15 minutes"):
        _login("handler", "correct-horse-battery")
    assert AuditEvent.objects.filter(event="accounts.login_failed").count() == 5


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
