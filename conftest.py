"""Fixtures shared by every domain's tests: agencies, units, officials and citizens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Settings) -> None:
    """Argon2 costs ~0.4 s per person; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _command_in_english(monkeypatch: pytest.MonkeyPatch) -> None:
    """``govdoc`` speaks the terminal's language; tests that run it read its English, whatever
    the machine's locale (tests/flows/test_cli_language.py asks for the others)."""
    monkeypatch.setenv("GOVDOC_LANGUAGE", "en")


@pytest.fixture(autouse=True)
def _generous_rate_limits(settings: Settings) -> None:
    """Tests send many verifications from one address in seconds (API fuzzing, journeys); the
    tests about rate limits set the rates they check (web/tests/test_login.py)."""
    settings.GOVDOC_RATE_VERIFY = settings.GOVDOC_RATE_TSA = settings.GOVDOC_RATE_SIGNUP = "100000/m"


@pytest.fixture
def agency(db: None) -> Agency:
    return AgencyFactory(code="mup", name="Ministarstvo unutrašnjih poslova")


@pytest.fixture
def unit(agency: Agency) -> Unit:
    return UnitFactory(agency=agency, code="uprava", name="Uprava za upravne poslove")


@pytest.fixture
def handler(unit: Unit) -> Person:
    person = PersonFactory(username="handler")
    grant(person, unit, Role.HANDLER)
    return person


@pytest.fixture
def citizen(db: None) -> Person:
    return PersonFactory(username="citizen", is_citizen=True)


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The demo installation exactly as ``govdoc demo`` loads it: agencies, officials with
    signing keys (PIN 123456), a citizen and the service catalogue."""
    from govdoc.cli import demo_data

    demo_data.ensure(progress=lambda _m: None)


@pytest.fixture
def files_dir(tmp_path: Path, settings: Settings) -> Path:
    """A private file store for one test, so "nothing was written" can be checked on disk.
    Test packages that check stored files make it autouse in their own conftest."""
    folder = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder)},
        },
    }
    return folder


@pytest.fixture
def admin_client(admin_user: Any) -> Any:
    """pytest-django's administrator client, logged in as GovDoc's log-in leaves a person: both
    factors passed (tests of the log-in itself go through /login/)."""
    from django.test import Client
    from tests.support import log_in

    return log_in(Client(), admin_user)
