"""Errors no API operation writes itself (unknown paths, wrong methods, bodies the server cannot
parse or will not take) are problem+json too, with a stable ``type``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from govdoc.accounts.models import Person
from govdoc.accounts.services import api_token_issue
from govdoc.applications.models import Application
from govdoc.core import clock
from govdoc.documents.tests.samples import one_page_pdf

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _client(person: Person) -> Client:
    _, token = api_token_issue(
        person=person, name="tests", expires_at=clock.now() + dt.timedelta(days=1), actor=None
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"https://govdoc.example/problems/{code}"
    assert body["title"]
    return body


def test_an_unknown_api_path_is_a_problem_not_an_html_page(client: Client) -> None:
    _problem(client.get("/api/v1/no-such-thing"), 404, "not-found")
    _problem(client.get("/api/v1/documents/x/y/z/"), 404, "not-found")


def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(client: Client) -> None:
    response = client.delete("/api/v1/health")
    body = _problem(response, 405, "method-not-allowed")
    assert response["Allow"] == "GET"
    assert "GET" in body["detail"]


def test_a_broken_multipart_body_is_a_400_problem(handler: Person) -> None:
    response = _client(handler).generic(
        "POST",
        "/api/v1/documents",
        b'--xyz\r\nContent-Disposition: form-data; name="title"\r\n\r\nno end boundary',
        content_type="multipart/form-data",  # no boundary: the parser refuses the body
    )
    body = _problem(response, 400, "multipart-invalid")
    assert "boundary" in body["detail"].lower()


def test_a_declared_body_over_the_server_limit_is_refused_before_it_is_read(
    handler: Person, settings: Settings
) -> None:
    settings.GOVDOC_MAX_REQUEST_BYTES = 1000
    response = _client(handler).post(
        "/api/v1/documents", b"x" * 2000, content_type="application/octet-stream"
    )
    _problem(response, 413, "request-too-large")


def test_a_too_large_form_without_files_is_a_413_problem(handler: Person, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = _client(handler).post(
        "/api/v1/documents",
        "title=" + "x" * 500 + "&agency=a",
        content_type="application/x-www-form-urlencoded",
    )
    _problem(response, 413, "request-too-large")


def test_a_missing_csrf_token_with_a_session_is_a_problem(handler: Person) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(handler)
    response = client.post("/api/v1/documents", {"title": "x"})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM


def test_pages_outside_the_api_keep_their_html_errors(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_pdf_with_a_launch_action_is_a_400_problem_naming_the_field(demo: None) -> None:
    citizen = _client(Person.objects.get(username="citizen"))
    launch = one_page_pdf(page_extra=b"/AA << /O << /S /Launch /F (cmd.exe) >> >> ")
    response = citizen.post(
        "/api/v1/applications",
        {
            "service": "uverenje-o-prebivalistu",
            "script": "sr-cyrl",
            "data": json.dumps(
                {
                    "ime_prezime": "Ана Петровић",
                    "jmbg": "0101990710006",
                    "adresa": "Булевар краља Александра 73",
                    "opstina": "Звездара",
                    "svrha": "ради запослења",
                }
            ),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", launch, "application/pdf")],
        },
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [
        {
            "field": "attachments.licna_karta",
            "message": "Датотека lk.pdf је PDF документ са радњом која покреће други програм, што се не "
            "прихвата. Одштампајте је у нови PDF (или је скенирајте) и пошаљите тај.",
        }
    ]
    assert not Application.objects.exists()
