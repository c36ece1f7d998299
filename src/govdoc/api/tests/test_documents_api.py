"""The documents API as a client sees it: status codes, problem+json, bytes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.services import api_token_issue
from govdoc.accounts.tests.factories import AgencyFactory, PersonFactory, UnitFactory, grant
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents.models import Document, RegistryEntry, StoredFile
from govdoc.documents.tests.samples import PDF, PDF_CORRECTED, PNG, create_document

pytestmark = pytest.mark.django_db

BASE = "/api/v1/documents"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _private_files(files_dir: Path) -> Path:
    return files_dir


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


class Api:
    """A client that acts as one person through a bearer token."""

    def __init__(self, person: Person) -> None:
        _, token = api_token_issue(
            person=person, name="tests", expires_at=clock.now() + dt.timedelta(days=1), actor=None
        )
        # An integrator that reads English asks for it; without Accept-Language the problems'
        # texts are in Serbian Latin (test_problems_speak_the_language_the_client_asks_for).
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")

    def get(self, path: str) -> Any:
        return self.client.get(BASE + path)

    def post_form(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(BASE + path, data)

    def post_json(self, path: str, body: object) -> Any:
        return self.client.post(BASE + path, json.dumps(body), content_type="application/json")


def _create_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "agency": "mup",
        "owner_unit": "uprava",
        "title": "Rešenje o prebivalištu",
        "doc_type": "resenje",
        "classification_code": "02-01",
        "disclosure": "public",
        "file": SimpleUploadedFile("resenje.pdf", PDF, content_type="application/pdf"),
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://govdoc.example/problems/{code}"
    assert body["status"] == status
    return body


@pytest.fixture
def api(handler: Person) -> Api:
    return Api(handler)


@pytest.fixture
def other_api(db: None) -> Api:
    other_unit = UnitFactory(agency=AgencyFactory(code="rgz"), code="katastar")
    person = PersonFactory(username="other-official")
    grant(person, other_unit, Role.HEAD_OF_AGENCY)
    return Api(person)


@pytest.fixture
def archivist(unit: Unit) -> Person:
    person = PersonFactory(username="archivist")
    grant(person, unit, Role.ARCHIVIST)
    return person


def test_create_list_get_and_download(api: Api) -> None:
    created = api.post_form("", _create_form())
    assert created.status_code == 201, created.content
    doc = created.json()
    assert (doc["title"], doc["agency"], doc["owner_unit"], doc["author"]) == (
        "Rešenje o prebivalištu",
        "mup",
        "uprava",
        "handler",
    )
    assert doc["current_version"] == 1 and doc["registry_number"] is None

    listed = api.get("").json()
    assert listed["count"] == 1 and [d["id"] for d in listed["items"]] == [doc["id"]]

    detail = api.get(f"/{doc['id']}").json()
    (version,) = detail["versions"]
    assert version["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (version["media_type"], version["filename"], version["size"]) == (
        "application/pdf",
        "resenje.pdf",
        len(PDF),
    )

    download = api.client.get(version["file_url"])
    assert download.status_code == 200
    assert download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="resenje.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_correction_is_a_new_version(api: Api, unit: Unit, handler: Person) -> None:
    document = create_document(unit=unit, actor=handler)
    response = api.post_form(
        f"/{document.pk}/versions",
        {
            "note": "ispravka",
            "file": SimpleUploadedFile("v2.pdf", PDF_CORRECTED, content_type="application/pdf"),
        },
    )
    assert response.status_code == 201, response.content
    assert (response.json()["number"], response.json()["note"]) == (2, "ispravka")
    assert api.client.get(f"{BASE}/{document.pk}/versions/1/file").content == PDF
    assert api.client.get(f"{BASE}/{document.pk}/versions/2/file").content == PDF_CORRECTED


def test_register_once(api: Api, unit: Unit, handler: Person) -> None:
    document = create_document(unit=unit, actor=handler)
    first = api.post_json(f"/{document.pk}/register", {"subject": "Prebivalište"})
    assert first.status_code == 201, first.content
    number = first.json()["registry_number"]
    assert number.startswith("MUP-") and number.endswith("-000001")
    assert api.get(f"/{document.pk}").json()["registry_number"] == number

    again = _problem(api.post_json(f"/{document.pk}/register", {}), 409, "already-registered")
    assert number in again["title"]


@pytest.mark.parametrize(
    ("file", "status", "code", "title"),
    [
        (
            SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf"),
            415,
            "upload-rejected",
            "the file scan.pdf is a PNG image, not a PDF document",
        ),
        (
            SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"),
            400,
            "upload-empty",
            "is empty",
        ),
        (
            SimpleUploadedFile("big.pdf", PDF.ljust(5000, b" "), content_type="application/pdf"),
            413,
            "upload-too-large",
            "more than the limit of 4.0 KB",
        ),
        (None, 422, "validation", "The request is not valid."),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(
    api: Api, files_dir: Path, settings: Settings, file: Any, status: int, code: str, title: str
) -> None:
    settings.GOVDOC_MAX_UPLOAD_BYTES = 4096
    events = AuditEvent.objects.count()
    body = _problem(api.post_form("", _create_form(file=file)), status, code)
    assert title in body["title"]
    assert not Document.objects.exists()
    assert not StoredFile.objects.exists()
    assert _files(files_dir) == []
    # only the refusal itself is recorded, when the service saw the file (the size is checked
    # before it is read, the form before the service), beside the token's use
    new = AuditEvent.objects.order_by("seq").values_list("event", flat=True)[events:]
    expected = 1 if code in ("upload-rejected", "upload-empty") else 0
    assert [e for e in new if e != "accounts.api_token_used"] == ["documents.upload_refused"] * expected


@pytest.mark.parametrize(
    ("accept_language", "title"),
    [
        ("", "datoteka scan.pdf je PNG slika, a ne PDF dokument"),
        ("sr-Cyrl", "датотека scan.pdf је PNG слика, а не PDF документ"),
        ("en", "the file scan.pdf is a PNG image, not a PDF document"),
    ],
)
def test_problems_speak_the_language_the_client_asks_for(api: Api, accept_language: str, title: str) -> None:
    file = SimpleUploadedFile("scan.pdf", PNG, content_type="application/pdf")
    response = api.client.post(BASE, _create_form(file=file), HTTP_ACCEPT_LANGUAGE=accept_language)
    assert _problem(response, 415, "upload-rejected")["title"] == title  # the type stays English


def test_invalid_fields_answer_problems(api: Api) -> None:
    body = _problem(api.post_form("", _create_form(disclosure="not_public")), 400, "legal-ground-required")
    assert body["details"] == {"field": "legal_ground"}
    body = _problem(api.post_form("", _create_form(disclosure="secret")), 422, "validation")
    assert body["errors"][0]["field"].endswith("disclosure")
    _problem(api.post_form("", _create_form(owner_unit="nepostojeca")), 400, "invalid-document-field")
    _problem(api.post_form("", _create_form(agency="nema")), 404, "agency-not-found")
    assert not Document.objects.exists()


def test_register_body_is_strict(api: Api, unit: Unit, handler: Person) -> None:
    document = create_document(unit=unit, actor=handler)
    _problem(api.post_json(f"/{document.pk}/register", {"subject": 5}), 422, "validation")
    _problem(api.post_json(f"/{document.pk}/register", {"subjekt": "x"}), 422, "validation")
    assert not RegistryEntry.objects.exists()


def test_unknown_or_malformed_document_ids(api: Api) -> None:
    _problem(api.get(f"/{uuid.uuid4()}"), 404, "document-not-found")
    _problem(api.get("/not-a-uuid"), 422, "validation")
    _problem(api.client.get(f"{BASE}/{uuid.uuid4()}/versions/1/file"), 404, "document-not-found")


def test_another_agencys_official_can_neither_see_nor_register(
    unit: Unit, handler: Person, other_api: Api
) -> None:
    document = create_document(unit=unit, actor=handler)

    assert other_api.get("").json() == {"count": 0, "items": []}
    hidden = _problem(other_api.get(f"/{document.pk}"), 404, "document-not-found")
    missing = _problem(other_api.get(f"/{uuid.uuid4()}"), 404, "document-not-found")
    assert hidden["title"] == missing["title"]  # existence is not leaked
    _problem(other_api.client.get(f"{BASE}/{document.pk}/versions/1/file"), 404, "document-not-found")
    _problem(other_api.post_json(f"/{document.pk}/register", {}), 404, "document-not-found")
    _problem(other_api.post_form("", _create_form()), 403, "not-an-official-of-agency")
    assert not RegistryEntry.objects.exists()
    assert Document.objects.count() == 1


def test_an_official_without_a_writing_role_may_read_but_not_register(
    unit: Unit, handler: Person, archivist: Person
) -> None:
    document = create_document(unit=unit, actor=handler)
    reader = Api(archivist)
    assert reader.get(f"/{document.pk}").status_code == 200
    _problem(reader.post_json(f"/{document.pk}/register", {}), 403, "not-an-official-of-agency")
    assert not RegistryEntry.objects.exists()


def test_a_corrupted_file_is_reported_not_served(
    api: Api, unit: Unit, handler: Person, files_dir: Path
) -> None:
    document = create_document(unit=unit, actor=handler)
    version = document.versions.get(number=1)
    tampered = PDF.replace(b"Catalog", b"Catalox")
    (files_dir / version.file.storage_name).write_bytes(tampered)

    response = api.client.get(f"{BASE}/{document.pk}/versions/1/file")

    body = _problem(response, 409, "file-integrity")
    assert "no longer matches its SHA-256" in body["title"]
    assert b"Catalox" not in response.content
    event = AuditEvent.objects.get(event="documents.file_integrity_failed")
    assert event.data["sha256"] == version.file_id


def test_citizens_and_anonymous_callers_see_nothing(unit: Unit, handler: Person, citizen: Person) -> None:
    document = create_document(unit=unit, actor=handler)
    _problem(Api(citizen).get(f"/{document.pk}"), 404, "document-not-found")
    latin = _problem(Client().get(f"{BASE}/{document.pk}"), 401, "unauthenticated")
    assert latin["title"] == "Potrebna je prijava (autentifikacija)."  # the request's language
    english = Client().post(BASE, _create_form(), HTTP_ACCEPT_LANGUAGE="en")
    assert _problem(english, 401, "unauthenticated")["title"] == "Authentication is required."
    assert Document.objects.count() == 1


def test_list_is_paged_newest_first(api: Api, unit: Unit, handler: Person) -> None:
    for day in (1, 2, 3):
        with clock.frozen(dt.datetime(2026, 3, day, 9, tzinfo=dt.UTC)):
            create_document(unit=unit, actor=handler, title=f"Dan {day}")
    page = api.get("?limit=2&offset=0").json()
    assert page["count"] == 3
    assert [d["title"] for d in page["items"]] == ["Dan 3", "Dan 2"]
    assert [d["title"] for d in api.get("?limit=2&offset=2").json()["items"]] == ["Dan 1"]
    _problem(api.get("?limit=1000"), 422, "validation")


def test_openapi_documents_the_operations_and_their_problems(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    register = schema["paths"]["/api/v1/documents/{document_id}/register"]["post"]
    assert {"201", "403", "404", "409"} <= set(register["responses"])
    download = schema["paths"]["/api/v1/documents/{document_id}/versions/{number}/file"]["get"]
    assert "409" in download["responses"]
