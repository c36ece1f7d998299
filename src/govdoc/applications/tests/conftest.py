"""Fixtures of the applications tests: a private file store, a handling unit's officials, a
service with a form and an attachment rule, and a second citizen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.applications import services
from govdoc.applications.models import Application, Service
from govdoc.applications.specs import UploadedFileData
from govdoc.documents.tests.samples import PDF

FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "ime_prezime": {"type": "string", "minLength": 3},
        "jmbg": {"type": "string", "pattern": r"^\d{13}$"},
        "adresa": {"type": "string", "minLength": 5},
        "svrha": {"type": "string", "minLength": 3},
    },
    "required": ["ime_prezime", "jmbg", "adresa", "svrha"],
    "additionalProperties": False,
}

VALID_DATA: dict[str, Any] = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73, Beograd",
    "svrha": "radi zaposlenja",
}

ID_CARD_RULE = {
    "key": "licna_karta",
    "label": "Skenirana lična karta",
    "label_cyrl": "Скенирана лична карта",
    "label_en": "Scanned identity card",
    "allowed": ["application/pdf"],
    "max_bytes": 1024,
    "required": True,
}

TEMPLATE = (
    "= #title\n\nUverava se da #data.ime_prezime ima prebivalište na adresi #data.adresa.\n\n"
    "Uverenje se izdaje #purpose(data.svrha).\n\n"
    '#if decision.at("napomena", default: "") != "" [#decision.napomena]\n'
)


@pytest.fixture(autouse=True)
def _private_files(files_dir: Path) -> Path:
    """Every test here stores its files in its own folder (root conftest ``files_dir``)."""
    return files_dir


@pytest.fixture
def administrator(unit: Unit) -> Person:
    person = PersonFactory(username="admin")
    grant(person, unit, Role.ADMINISTRATOR)
    return person


@pytest.fixture
def head(unit: Unit) -> Person:
    person = PersonFactory(username="head", email="head@mup.example")
    grant(person, unit, Role.HEAD_OF_UNIT)
    return person


@pytest.fixture
def clerk(unit: Unit) -> Person:
    person = PersonFactory(username="clerk")
    grant(person, unit, Role.REGISTRY_CLERK)
    return person


@pytest.fixture
def other_agency(db: None) -> Agency:
    return AgencyFactory(code="rgz", name="Republički geodetski zavod")


@pytest.fixture
def other_official(other_agency: Agency) -> Person:
    person = PersonFactory(username="other-official")
    grant(person, UnitFactory(agency=other_agency, code="katastar"), Role.HEAD_OF_UNIT)
    return person


@pytest.fixture
def other_citizen(db: None) -> Person:
    return PersonFactory(username="other-citizen", is_citizen=True)


def make_service(*, unit: Unit, actor: Person | str, **overrides: Any) -> Service:
    fields: dict[str, Any] = {
        "agency": unit.agency,
        "unit": unit,
        "code": "uverenje-o-prebivalistu",
        "name": "Uverenje o prebivalištu",
        "name_cyrl": "Уверење о пребивалишту",
        "name_en": "Certificate of residence",
        "form_schema": FORM_SCHEMA,
        "attachment_rules": [ID_CARD_RULE],
        "deadline_working_days": 8,
        "output_title": "Uverenje o prebivalištu",
        "output_title_cyrl": "Уверење о пребивалишту",
        "output_title_en": "Certificate of residence",
        "output_template": TEMPLATE,
        "output_doc_type": "uverenje",
        "classification_code": "02-021",
        "validity_days": 180,
        "default_line": [{"kind": "approval", "role": "head_of_unit", "position": 1}],
        "approval_policy": {
            "steps": [
                {
                    "kind": "approval",
                    "holders": [
                        {"role": "head_of_unit", "scope": "unit"},
                        {"role": "head_of_agency", "scope": "agency"},
                    ],
                }
            ]
        },
        "direct_issuance": True,
        "direct_issuance_legal_basis": "Zakon o prebivalištu i boravištu građana, čl. 25",
        "actor": actor,
    }
    fields.update(overrides)
    return services.service_create(**fields)


@pytest.fixture
def service(unit: Unit, administrator: Person) -> Service:
    return make_service(unit=unit, actor=administrator)


def id_card(content: bytes = PDF, filename: str = "licna-karta.pdf") -> UploadedFileData:
    return UploadedFileData(rule_key="licna_karta", filename=filename, content=content)


def submit(service: Service, citizen: Person, **overrides: Any) -> Application:
    fields: dict[str, Any] = {
        "service": service,
        "applicant": citizen,
        "data": dict(VALID_DATA),
        "files": [id_card()],
        "script": "sr-latn",
        "actor": citizen,
    }
    fields.update(overrides)
    return services.application_submit(**fields)


@pytest.fixture
def application(service: Service, citizen: Person) -> Application:
    return submit(service, citizen)


@pytest.fixture
def assigned(application: Application, head: Person, handler: Person) -> Application:
    return services.application_assign(application=application, handler=handler, actor=head)
