"""POST /api/v1/issued: an agency's system issues a service's document without an application.

Only a system account with a token scoped to the service; people (even with tokens) are refused."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from tests.support import ApiClient, pdf_text, person

from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents.models import RegistryEntry
from govdoc.issuance.models import IssuedDocument

PROBLEM = "application/problem+json"
PROBLEM_BASE = "https://govdoc.example/problems/"
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


def _written() -> tuple[int, int]:
    return IssuedDocument.objects.count(), RegistryEntry.objects.count()


def _system(*scopes: str) -> ApiClient:
    """The demo police administration's counter system, with a token scoped to ``scopes``."""
    return ApiClient("mup-salter", scopes=scopes or (f"issue:{RESIDENCE}",))


def _refusal_reasons() -> list[object]:
    return [e.data["reason"] for e in AuditEvent.objects.filter(event="applications.direct_issuance_refused")]


def test_the_counter_system_issues_a_residence_certificate_the_citizen_then_downloads(demo: None) -> None:
    system = _system()
    response = system.post("/issued", _body())

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
    event = AuditEvent.objects.get(event="applications.document_issued_directly")
    assert (event.actor_label, event.data["token"]) == ("mup-salter", str(system.token_obj.pk))


def test_it_issues_in_cyrillic_when_asked(demo: None) -> None:
    response = _system().post("/issued", _body(script="sr-cyrl"))

    assert response.status_code == 201, response.content
    pdf = ApiClient("citizen").get(f"/issued/{response.json()['id']}/pdf")
    assert "Ана Петровић" in pdf_text(pdf.content)


def test_invalid_data_are_a_400_naming_each_field_and_nothing_is_written(demo: None) -> None:
    api = _system()
    before = _written()

    response = api.post("/issued", _body(data={**DATA, "jmbg": "123", "opstina": ""}))

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["type"].endswith("/invalid-application")
    assert {e["field"] for e in problem["errors"]} == {"jmbg", "opstina"}
    assert _written() == before


def test_an_unknown_script_is_a_400_on_the_script_field(demo: None) -> None:
    response = _system().post("/issued", _body(script="latin"))

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["script"]


@pytest.mark.parametrize("who", ["head-unit", "handler", "registry", "citizen", "handler-bg"])
def test_people_even_with_tokens_are_refused_and_the_refusal_is_audited(demo: None, who: str) -> None:
    """The attack found: an official with any writing role issued a sealed certificate for any
    citizen with any data, with no application, no line and no signed decision."""
    api = ApiClient(who)
    before = _written()

    response = api.post("/issued", _body())

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"].endswith("/direct-issuance-systems-only")
    assert _written() == before
    assert _refusal_reasons() == ["direct-issuance-systems-only"]


def test_a_token_without_the_services_scope_is_refused(demo: None) -> None:
    response = _system("issue:izvod-iz-maticne-knjige-rodjenih").post("/issued", _body())

    assert response.status_code == 403
    assert response.json()["type"].endswith("/api-token-scope-missing")
    assert not IssuedDocument.objects.exists()
    assert _refusal_reasons() == ["api-token-scope-missing"]


def test_a_service_that_did_not_opt_in_is_refused(demo: None) -> None:
    code = "uverenje-da-se-ne-vodi-krivicni-postupak"  # the Ministry of Justice's; not opted in
    response = _system(f"issue:{code}").post("/issued", _body(service=code))

    assert response.status_code == 403
    assert response.json()["type"] in (
        PROBLEM_BASE + "direct-issuance-not-allowed",
        PROBLEM_BASE + "system-outside-agency",
    )
    assert not IssuedDocument.objects.exists()


def test_an_expired_or_revoked_token_is_refused_and_audited(demo: None) -> None:
    from govdoc.accounts.services import api_token_revoke

    system = _system()
    api_token_revoke(token=system.token_obj, actor="test")
    response = system.post("/issued", _body())
    assert response.status_code == 401
    assert response.json()["type"].endswith("/api-token-revoked")
    assert response.json()["title"] == "Ovaj API token je opozvan."  # the language of the request

    expired = _system()
    with clock.frozen(clock.now() + dt.timedelta(days=31)):
        response = expired.post("/issued", _body())
    assert response.status_code == 401
    assert response.json()["type"].endswith("/api-token-expired")
    assert not IssuedDocument.objects.exists()
    refused = AuditEvent.objects.filter(event="accounts.api_token_refused").order_by("seq")
    assert [e.data["reason"] for e in refused] == ["revoked", "expired"]


def test_a_system_token_opens_nothing_but_me_and_issued(demo: None) -> None:
    response = _system().get("/applications")

    assert response.status_code == 403
    assert response.json()["type"].endswith("/system-account-outside-scope")


def test_a_refused_caller_learns_nothing_about_the_recipient(demo: None) -> None:
    response = ApiClient("citizen").post("/issued", _body(recipient_id=str(uuid.uuid4())))

    assert response.status_code == 403


def test_an_unknown_recipient_or_a_recipient_who_is_no_citizen_is_a_400(demo: None) -> None:
    api = _system()
    for recipient_id in (str(uuid.uuid4()), str(person("registry").pk)):
        response = api.post("/issued", _body(recipient_id=recipient_id))
        assert response.status_code == 400, recipient_id
        assert [e["field"] for e in response.json()["errors"]] == ["recipient_id"]


def test_an_unknown_service_is_a_404(demo: None) -> None:
    response = _system().post("/issued", _body(service="nema-je"))

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
    response = _system().post("/issued", body)

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_a_nul_character_postgresql_would_refuse_is_a_4xx_problem_not_a_500(demo: None) -> None:
    response = _system().post("/issued", _body(service="uverenje\x00"))

    assert response.status_code in (400, 422)
    assert response["Content-Type"] == PROBLEM


def test_a_body_that_is_not_json_is_a_4xx_problem(demo: None) -> None:
    api = _system()
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


def test_a_retry_with_the_same_idempotency_key_gets_the_same_document_not_a_second_one(demo: None) -> None:
    system = _system()
    key = {"Idempotency-Key": "salter-7:2026-11-29:000123"}
    first = system.post("/issued", _body(), headers=key)
    assert first.status_code == 201, first.content
    written = _written()

    again = system.post("/issued", _body(), headers=key)  # the answer to the first was lost

    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert _written() == written
    assert AuditEvent.objects.filter(event="applications.document_issued_directly").count() == 1
    # a new key is a new document
    assert system.post("/issued", _body(), headers={"Idempotency-Key": "salter-7:000124"}).status_code == 201


def test_an_idempotency_key_reused_for_another_recipient_is_refused(demo: None) -> None:
    from govdoc.accounts import services as accounts

    system = _system()
    key = {"Idempotency-Key": "k-1"}
    assert system.post("/issued", _body(), headers=key).status_code == 201
    other = accounts.person_create(username="drugi", password=None, is_citizen=True, actor="test")
    written = _written()

    response = system.post("/issued", _body(recipient_id=str(other.pk)), headers=key)

    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == PROBLEM_BASE + "idempotency-key-reused"
    assert _written() == written


@pytest.mark.parametrize("key", ["", "ključ", "a" * 101, "two words"])
def test_a_malformed_idempotency_key_is_refused_before_anything_is_written(demo: None, key: str) -> None:
    response = _system().post("/issued", _body(), headers={"Idempotency-Key": key})
    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"] == PROBLEM
    assert _written() == (0, 0)
