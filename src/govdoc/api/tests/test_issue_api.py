"""POST /api/v1/issued: an agency's system issues a service's document without an application."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from tests.support import ApiClient, pdf_text, person

from govdoc.audit.models import AuditEvent
from govdoc.documents.models import RegistryEntry
from govdoc.issuance.models import IssuedDocument

PROBLEM = "application/problem+json"
RESIDENCE = "uverenje-o-prebivalistu"
DATA: dict[str, Any] = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Njegoševa 12, Beograd",
    "opstina": "Vračar",
    "svrha": "radi zaposlenja",
}


def _body(**changes: Any) -> dict[str, Any]:
    return {
        "service": RESIDENCE,
        "recipient_id": str(person("citizen").pk),
        "data": DATA,
        "script": "sr-latn",
        **changes,
    }


def _written() -> tuple[int, int, int]:
    return IssuedDocument.objects.count(), RegistryEntry.objects.count(), AuditEvent.objects.count()


def test_head_of_unit_issues_a_residence_certificate_the_citizen_then_downloads(demo: None) -> None:
    response = ApiClient("head-unit").post("/issued", _body())

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["agency"] == "mup"
    assert body["title"] == "Uverenje o prebivalištu"
    assert body["status"] == "valid"
    assert body["valid_until"] is not None
    assert len(body["pdf_sha256"]) == 64
    citizen = ApiClient("citizen")
    assert [d["id"] for d in citizen.get("/issued").json()] == [body["id"]]
    pdf = citizen.get(f"/issued/{body['id']}/pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "Ana Petrović, JMBG 0101990710006" in text
    assert "Njegoševa 12, Beograd, opština Vračar" in text
    assert body["registry_number"] in text
    assert AuditEvent.objects.filter(event="applications.document_issued_directly").count() == 1


def test_a_handler_issues_in_cyrillic_when_asked(demo: None) -> None:
    response = ApiClient("handler").post("/issued", _body(script="sr-cyrl"))

    assert response.status_code == 201, response.content
    pdf = ApiClient("citizen").get(f"/issued/{response.json()['id']}/pdf")
    assert "Ана Петровић" in pdf_text(pdf.content)


def test_invalid_data_are_a_400_naming_each_field_and_nothing_is_written(demo: None) -> None:
    api = ApiClient("handler")  # issuing its token is an audit event of its own
    before = _written()

    response = api.post("/issued", _body(data={**DATA, "jmbg": "123", "opstina": ""}))

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/invalid-application")
    assert {e["field"] for e in problem["errors"]} == {"jmbg", "opstina"}
    assert _written() == before


def test_an_unknown_script_is_a_400_on_the_script_field(demo: None) -> None:
    response = ApiClient("handler").post("/issued", _body(script="latin"))

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["script"]


@pytest.mark.parametrize("who", ["citizen", "handler-bg"])
def test_a_citizen_or_an_official_of_another_agency_is_refused(demo: None, who: str) -> None:
    api = ApiClient(who)
    before = _written()

    response = api.post("/issued", _body())

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("/not-official-of-agency")
    assert _written() == before


def test_a_refused_caller_learns_nothing_about_the_recipient(demo: None) -> None:
    response = ApiClient("citizen").post("/issued", _body(recipient_id=str(uuid.uuid4())))

    assert response.status_code == 403


def test_an_unknown_recipient_or_a_recipient_who_is_no_citizen_is_a_400(demo: None) -> None:
    api = ApiClient("handler")
    for recipient_id in (str(uuid.uuid4()), str(person("registry").pk)):
        response = api.post("/issued", _body(recipient_id=recipient_id))
        assert response.status_code == 400, recipient_id
        assert [e["field"] for e in response.json()["errors"]] == ["recipient_id"]


def test_an_unknown_service_is_a_404(demo: None) -> None:
    response = ApiClient("handler").post("/issued", _body(service="nema-je"))

    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize(
    "body",
    [
        {"service": RESIDENCE, "data": DATA},  # no recipient
        {"service": RESIDENCE, "recipient_id": "x", "data": []},  # data not an object
        {"service": RESIDENCE, "recipient_id": "not-a-uuid", "data": DATA},
        {"service": RESIDENCE, "recipient_id": "x", "data": DATA, "script": 1},
        {"service": RESIDENCE, "recipient_id": "x", "data": DATA, "extra": True},
    ],
)
def test_a_malformed_body_is_a_422_problem(demo: None, body: dict[str, Any]) -> None:
    response = ApiClient("handler").post("/issued", body)

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_a_nul_character_postgresql_would_refuse_is_a_4xx_problem_not_a_500(demo: None) -> None:
    response = ApiClient("handler").post("/issued", _body(service="uverenje\x00"))

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM


def test_a_body_that_is_not_json_is_a_4xx_problem(demo: None) -> None:
    api = ApiClient("handler")
    response = api.client.post(
        "/api/v1/issued",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == PROBLEM


def test_without_a_token_the_answer_is_401(demo: None) -> None:
    response = Client().post("/api/v1/issued", _body(), content_type="application/json")

    assert response.status_code == 401
