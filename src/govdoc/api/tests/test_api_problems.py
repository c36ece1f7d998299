"""Bad input never gets a server error and every error is documented problem+json: the bugs the
schemathesis run (tests/flows/test_api_fuzz.py) and its follow-up probes found, one test each."""

from __future__ import annotations

import datetime as dt
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
from govdoc.accounts.tests.factories import PersonFactory, grant
from govdoc.api.v1 import api
from govdoc.applications.models import Application
from govdoc.applications.tests.conftest import FORM_SCHEMA, VALID_DATA, make_service
from govdoc.core import clock
from govdoc.documents.models import Document, RegistryEntry
from govdoc.documents.tests.samples import PDF, create_document

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def files_dir(tmp_path: Path, settings: Settings) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "files")},
        },
    }


def _client(person: Person) -> Client:
    _, token = api_token_issue(
        person=person, name="tests", expires_at=clock.now() + dt.timedelta(days=1), actor=None
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://govdoc.example/problems/")
    return body


def _operations() -> dict[tuple[str, str], dict[str, Any]]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


# --- the OpenAPI document -------------------------------------------------------------------


def test_openapi_documents_every_error_answer_as_problem_json() -> None:
    """ninja documented 4xx bodies as application/json; the API answers application/problem+json."""
    for key, operation in _operations().items():
        for status, response in operation["responses"].items():
            if int(status) >= 400 and "content" in response:
                assert list(response["content"]) == [PROBLEM], (key, status)
                schema = response["content"][PROBLEM]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}, (key, status)


# Statuses each operation answers besides success (401 without a token, 422 for input that does
# not validate, the rest from its services), as the fuzzer saw them answered undocumented.
DOCUMENTED = {
    ("POST", "/api/v1/applications"): {400, 401, 403, 404, 422},
    ("GET", "/api/v1/applications"): {401},
    ("GET", "/api/v1/applications/{application_id}"): {401, 404, 422},
    ("POST", "/api/v1/applications/{application_id}/withdraw"): {401, 403, 404, 409, 422},
    ("POST", "/api/v1/applications/{application_id}/assign"): {400, 401, 403, 404, 409, 422},
    ("POST", "/api/v1/applications/{application_id}/completion-requests"): {400, 401, 403, 404, 409, 422},
    ("POST", "/api/v1/applications/{application_id}/complete"): {400, 401, 403, 404, 409, 422},
    ("PUT", "/api/v1/applications/{application_id}/decision"): {400, 401, 403, 404, 409, 422},
    ("POST", "/api/v1/applications/{application_id}/decision/send"): {400, 401, 403, 404, 409, 422},
    ("GET", "/api/v1/inbox"): {401},
    ("POST", "/api/v1/inbox/{message_id}/read"): {401, 404, 422},
    ("GET", "/api/v1/approvals/queue"): {401},
    ("POST", "/api/v1/approvals/steps/{step_id}/decision"): {400, 401, 403, 404, 409, 422},
    ("GET", "/api/v1/approvals/lines/{line_id}"): {401, 404, 422},
    ("GET", "/api/v1/approvals/lines/{line_id}/manifest"): {401, 404, 422},
    ("POST", "/api/v1/signatures/verify"): {413, 422},
    ("POST", "/api/v1/verify/file"): {413, 422},
    ("GET", "/api/v1/verify/{code}"): {400, 404, 422},
    ("POST", "/api/v1/verify/payload"): {400, 422},
}


@pytest.mark.parametrize(
    ("operation", "statuses"), DOCUMENTED.items(), ids=[" ".join(key) for key in DOCUMENTED]
)
def test_operation_documents_the_errors_it_answers(operation: tuple[str, str], statuses: set[int]) -> None:
    documented = {int(s) for s in _operations()[operation]["responses"] if int(s) >= 400}
    assert statuses <= documented


# --- request strictness ---------------------------------------------------------------------


def test_false_is_not_taken_for_the_integer_0(handler: Person) -> None:
    """A step's position ``false`` was read as 0 (pydantic lax mode)."""
    response = _client(handler).post(
        f"/api/v1/applications/{uuid.uuid4()}/decision/send",
        json.dumps({"steps": [{"kind": "approval", "assignee_id": str(handler.pk), "position": False}]}),
        content_type="application/json",
    )
    body = _problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"steps.0.position"}


def test_an_unknown_field_in_a_json_body_is_refused(handler: Person) -> None:
    response = _client(handler).post(
        f"/api/v1/applications/{uuid.uuid4()}/assign",
        json.dumps({"handler_id": str(handler.pk), "handler": "someone else"}),
        content_type="application/json",
    )
    assert {e["field"] for e in _problem(response, 422)["errors"]} == {"handler"}


def test_an_offset_past_any_list_is_a_422_not_a_server_error(handler: Person) -> None:
    """``offset=114616086205675831296`` (beyond 64 bits) reached the database: a 500."""
    response = _client(handler).get("/api/v1/documents", {"offset": str(2**66), "limit": "100"})
    assert [e["field"] for e in _problem(response, 422)["errors"]] == ["offset"]


# --- NUL characters (PostgreSQL refuses them in text: a DataError, so a 500) -----------------


def test_nul_in_a_form_field_is_a_422_naming_the_field_and_writes_nothing(unit: Unit) -> None:
    clerk = PersonFactory(username="clerk")
    grant(clerk, unit, Role.REGISTRY_CLERK)
    response = _client(clerk).post(
        "/api/v1/documents",
        {
            "agency": unit.agency.code,
            "owner_unit": unit.code,
            "title": "Rešenje\x00",
            "doc_type": "resenje",
            "classification_code": "02-01",
            "disclosure": "public",
            "file": SimpleUploadedFile("resenje.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert [e["field"] for e in _problem(response, 422)["errors"]] == ["title"]
    assert not Document.objects.exists()


def test_nul_in_a_query_parameter_is_a_422(db: None) -> None:
    response = Client().get("/api/v1/verify/ABCD-EFGH-JKMN-PQRS", {"verifier": "banka\x00"})
    assert [e["field"] for e in _problem(response, 422)["errors"]] == ["verifier"]


def test_nul_in_a_json_body_is_a_400_and_writes_nothing(unit: Unit, handler: Person) -> None:
    clerk = PersonFactory(username="clerk")
    grant(clerk, unit, Role.REGISTRY_CLERK)
    document = create_document(unit=unit, actor=handler)
    response = _client(clerk).post(
        f"/api/v1/documents/{document.pk}/register",
        json.dumps({"subject": "Rešenje\x00"}),
        content_type="application/json",
    )
    _problem(response, 400)
    assert not RegistryEntry.objects.exists()


def test_nul_escaped_inside_application_data_is_refused(unit: Unit, citizen: Person) -> None:
    """``data`` is JSON inside a form field: ``\\u0000`` passes the form check and only becomes a
    NUL when the operation parses it."""
    administrator = PersonFactory(username="admin")
    grant(administrator, unit, Role.ADMINISTRATOR)
    service = make_service(unit=unit, actor=administrator, form_schema=FORM_SCHEMA)
    response = _client(citizen).post(
        "/api/v1/applications",
        {
            "service": service.code,
            "data": json.dumps({**VALID_DATA, "adresa": "Bulevar\x00 73"}),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", PDF, content_type="application/pdf")],
        },
    )
    assert [e["field"] for e in _problem(response, 400)["errors"]] == ["data"]
    assert not Application.objects.exists()


# --- the problem's words in the reader's language ------------------------------------------


@pytest.mark.parametrize(
    ("accept", "title"),
    [("sr-Cyrl", "нема такве пријаве"), ("sr-Latn", "nema takve prijave"), ("en", "no such application")],
)
def test_a_services_refusal_is_told_in_the_language_asked_for(
    citizen: Person, accept: str, title: str
) -> None:
    """The service's own sentence (``applications.selectors``) reaches the problem's ``title`` in
    the language of ``Accept-Language``; the ``type`` stays the same for every language."""
    response = _client(citizen).get(f"/api/v1/applications/{uuid.uuid4()}", HTTP_ACCEPT_LANGUAGE=accept)
    body = _problem(response, 404)
    assert body["title"] == title
    assert body["type"].endswith("/application-not-found")
