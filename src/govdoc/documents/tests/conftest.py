"""Fixtures of the documents tests: a private file store per test, officials, sample files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import create_document


@pytest.fixture(autouse=True)
def _messages_in_english() -> Iterator[None]:
    """The services' messages are people's texts, in the language active when they are made
    (Serbian Latin unless a page or an API call chose another); these tests read them in
    English, the language they are written in. Their translations are checked on the pages
    (tests/flows/test_languages.py) and in test_*_messages_are_translated."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _private_files(files_dir: Path) -> Path:
    """Every test here stores its files in its own folder (root conftest ``files_dir``)."""
    return files_dir


@pytest.fixture
def clerk(unit: Unit) -> Person:
    person = PersonFactory(username="clerk")
    grant(person, unit, Role.REGISTRY_CLERK)
    return person


@pytest.fixture
def other_agency(db: None) -> Agency:
    return AgencyFactory(code="rgz", name="Republički geodetski zavod")


@pytest.fixture
def other_unit(other_agency: Agency) -> Unit:
    return UnitFactory(agency=other_agency, code="katastar", name="Katastar")


@pytest.fixture
def other_official(other_unit: Unit) -> Person:
    person = PersonFactory(username="other-official")
    grant(person, other_unit, Role.HEAD_OF_AGENCY)
    return person


@pytest.fixture
def archivist(unit: Unit) -> Person:
    person = PersonFactory(username="archivist")
    grant(person, unit, Role.ARCHIVIST)
    return person


@pytest.fixture
def document(unit: Unit, handler: Person) -> Document:
    return create_document(unit=unit, actor=handler)
