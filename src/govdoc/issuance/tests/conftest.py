"""Fixtures of the issuance tests: officials of the issuing agency, citizens, a certificate
template long enough for two pages, an issuing helper and the external PDF tools."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from pytest_django import Settings
from tests.support import tool

from govdoc.accounts.constants import Role, Script
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.services import document_issue


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """The services' messages are people's texts, in the language active when they are made
    (Serbian Latin unless a page or an API call chose another); these tests read them in
    English, the language they are written in. Their translations are checked on the pages
    (tests/flows/test_languages.py) and in test_*_messages_are_translated."""
    with translation.override("en"):
        yield


# Written in Serbian Latin, as agencies write them; Cyrillic documents are transliterated.
CERTIFICATE_TEMPLATE = """
= Uverenje o prebivalištu

Na osnovu člana 12. Zakona o prebivalištu i boravištu građana izdaje se

== UVERENJE

Broj: #registry_number

kojim se potvrđuje da *#holder_name*, JMBG #data.jmbg,
ima prebivalište na adresi: #data.address.

#if script == "en" [This certificate is issued on request of the holder.] else [
Uverenje se izdaje na lični zahtev radi ostvarivanja prava.]

#for (i, line) in notes.enumerate() { par[Napomena #(i + 1): #line] }
"""
LONG_NOTES = [
    "Ovo uverenje važi do isteka roka navedenog u zaglavlju i služi samo za navedenu namenu; "
    "podaci su preuzeti iz službene evidencije o prebivalištu građana."
] * 30

# The external tools' finder is shared by every test package (tests/support.py).
__all__ = ["tool"]


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, settings: Settings) -> Path:
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
def head(unit: Unit) -> Person:
    person = PersonFactory(username="head", first_name="Marko", last_name="Marković")
    grant(person, unit, Role.HEAD_OF_UNIT)
    return person


@pytest.fixture
def other_agency_head(db: None) -> Person:
    other = AgencyFactory(code="rgz", name="Republički geodetski zavod")
    person = PersonFactory(username="rgz-head")
    grant(person, UnitFactory(agency=other, code="katastar"), Role.HEAD_OF_AGENCY)
    return person


@pytest.fixture
def holder(db: None) -> Person:
    return PersonFactory(
        username="ljubica",
        first_name="Ljubica",
        last_name="Đorđević",
        is_citizen=True,
        preferred_script=Script.CYRILLIC,
    )


Issue = Callable[..., IssuedDocument]


@pytest.fixture
def issue(agency: Agency, handler: Person, holder: Person) -> Issue:
    """Issue a residence certificate; keyword arguments override document_issue's."""

    def _issue(**overrides: Any) -> IssuedDocument:
        recipient = overrides.get("recipient", holder)
        fields: dict[str, Any] = {
            "agency": agency,
            "recipient": recipient,
            "title": "Uverenje o prebivalištu",
            "template_html": CERTIFICATE_TEMPLATE,
            "context": {"notes": []},
            "data": {"jmbg": "0101990710123", "address": "Njegoševa 7, Beograd"},
            "script": getattr(recipient, "preferred_script", Script.LATIN),
            "valid_until": None,
            "actor": handler,
            "doc_type": "uverenje",
            "classification_code": "02-05",
        }
        fields.update(overrides)
        return document_issue(**fields)

    return _issue


def in_days(days: int) -> dt.datetime:
    from govdoc.core import clock

    return clock.now() + dt.timedelta(days=days)
