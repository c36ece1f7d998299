"""Requests Django refuses while reading them, before any GovDoc view runs: a host name not
served here, a form with too many fields, a multipart body it cannot parse, a body over the
limit. The visitor gets the styled page (problem+json under /api/), and a security officer
finds each refusal in the audit log with where it came from, once per address and interval."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from pytest_django import Settings

from govdoc.accounts.models import Person
from govdoc.accounts.services import api_token_issue
from govdoc.audit.models import AuditEvent
from govdoc.core import clock

pytestmark = pytest.mark.django_db

BROKEN_MULTIPART = b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nno end boundary'


def _refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event="security.request_refused").order_by("seq"))


def _post_broken_form(client: Client, path: str) -> object:
    # No boundary in the media type: Django's multipart parser refuses the body.
    return client.generic("POST", path, BROKEN_MULTIPART, content_type="multipart/form-data")


def test_a_broken_multipart_form_on_a_page_gets_the_styled_page_and_is_recorded() -> None:
    client = Client(REMOTE_ADDR="192.0.2.10", HTTP_USER_AGENT="fuzzer/1", HTTP_ACCEPT_LANGUAGE="en")
    response = _post_broken_form(client, "/login/")
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "The request is not valid" in page and 'class="brand"' in page  # GovDoc's page, not a bare 400
    [event] = _refusals()
    assert event.client_address == "192.0.2.10" and event.user_agent == "fuzzer/1"
    assert event.actor_label == "anonymous"
    assert event.data["reason"] == "multipart-invalid"
    assert (event.data["method"], event.data["path"], event.data["status"]) == ("POST", "/login/", 400)


def test_the_styled_page_speaks_the_visitors_language() -> None:
    client = Client(REMOTE_ADDR="192.0.2.11", HTTP_ACCEPT_LANGUAGE="sr-Cyrl")
    response = _post_broken_form(client, "/login/")
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Захтев није исправан" in page and 'lang="sr-Cyrl"' in page


def test_a_broken_multipart_body_under_the_api_is_a_problem_and_is_recorded(handler: Person) -> None:
    _, token = api_token_issue(
        person=handler, name="tests", expires_at=clock.now() + dt.timedelta(days=1), actor=None
    )
    client = Client(REMOTE_ADDR="192.0.2.12", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = _post_broken_form(client, "/api/v1/documents")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    body = json.loads(response.content)  # type: ignore[attr-defined]
    assert body["type"] == "https://govdoc.example/problems/multipart-invalid"
    [event] = _refusals()
    assert event.client_address == "192.0.2.12" and event.data["reason"] == "multipart-invalid"
    assert event.data["problem"] == "https://govdoc.example/problems/multipart-invalid"


def test_too_many_fields_on_a_page_is_refused_and_recorded(settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client = Client(REMOTE_ADDR="192.0.2.13", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {f"f{i}": "x" for i in range(20)})
    assert response.status_code == 400
    assert "The request is not valid" in response.content.decode()
    [event] = _refusals()
    assert event.data["reason"] == "too-many-fields" and event.client_address == "192.0.2.13"


def test_a_form_over_the_memory_limit_on_a_page_is_a_413_page(settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client(REMOTE_ADDR="192.0.2.14", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", {"username": "x" * 500})
    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()
    [event] = _refusals()
    assert event.data["reason"] == "request-too-large" and event.data["status"] == 413


def test_a_declared_body_over_the_limit_on_a_page_is_the_413_page(settings: Settings) -> None:
    settings.GOVDOC_MAX_REQUEST_BYTES = 1000
    client = Client(REMOTE_ADDR="192.0.2.15", HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/login/", b"x" * 2000, content_type="application/octet-stream")
    assert response.status_code == 413
    page = response.content.decode()
    assert "The request is too large" in page and "Nothing was saved" in page
    [event] = _refusals()
    assert event.data["reason"] == "request-too-large" and event.client_address == "192.0.2.15"


def test_an_unknown_host_is_refused_with_the_styled_page_and_recorded() -> None:
    client = Client(REMOTE_ADDR="192.0.2.16", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE="en")
    response = client.get("/verify/")
    assert response.status_code == 400
    assert "The request is not valid" in response.content.decode()
    [event] = _refusals()
    assert event.data["reason"] == "disallowed-host" and event.client_address == "192.0.2.16"


def test_an_unknown_host_under_the_api_is_a_problem_naming_it() -> None:
    client = Client(REMOTE_ADDR="192.0.2.17", HTTP_HOST="evil.example")
    response = client.get("/api/v1/health")
    assert response.status_code == 400
    assert json.loads(response.content)["type"] == "https://govdoc.example/problems/disallowed-host"
    assert [e.data["reason"] for e in _refusals()] == ["disallowed-host"]


def test_a_flood_from_one_address_leaves_one_event_per_interval_and_reason() -> None:
    flood = Client(REMOTE_ADDR="192.0.2.20")
    for _ in range(5):
        assert _post_broken_form(flood, "/login/").status_code == 400  # type: ignore[attr-defined]
    assert len(_refusals()) == 1
    # another reason from the same address, and the same reason from another address, count
    assert Client(REMOTE_ADDR="192.0.2.20", HTTP_HOST="evil.example").get("/").status_code == 400
    assert _post_broken_form(Client(REMOTE_ADDR="192.0.2.21"), "/login/").status_code == 400  # type: ignore[attr-defined]
    assert len(_refusals()) == 3
    # after the interval the same refusal is recorded again
    with clock.frozen(clock.now() + dt.timedelta(minutes=16)):
        assert _post_broken_form(flood, "/login/").status_code == 400  # type: ignore[attr-defined]
    assert len(_refusals()) == 4


def test_a_page_view_that_answers_a_bad_form_itself_is_not_a_refusal(client: Client) -> None:
    """A log-in form with a wrong password is GovDoc's own answer, not a refused request."""
    response = client.post("/login/", {"username": "nobody", "password": "wrong"})
    assert response.status_code in (200, 400)
    assert [e for e in _refusals() if e.data.get("reason")] == []
