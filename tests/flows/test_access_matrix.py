"""Who may see and do what: every person of the demo installation against the endpoints of one
issued application. Each cell is the HTTP status that person gets; a refused write changes
nothing. Officials of another agency and other citizens learn nothing (404, not 403)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.audit.models import AuditEvent
from govdoc.issuance.models import IssuedDocument
from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.support import PIN, ApiClient, run_worker

pytestmark = [pytest.mark.slow]

PEOPLE = ["anonymous", "citizen", "other-citizen", "handler", "head-unit", "registry", "handler-bg", "admin"]
FORM = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73",
    "opstina": "Zvezdara",
    "svrha": "radi zaposlenja",
}


def _issue_one() -> tuple[str, str, str]:
    citizen = ApiClient("citizen")
    created = citizen.post_form(
        "/applications",
        {
            "service": "uverenje-o-prebivalistu",
            "data": json.dumps(FORM),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", make_sample_pdf("LK"), "application/pdf")],
        },
    ).json()
    app_id = created["id"]
    ApiClient("head-unit").post(
        f"/applications/{app_id}/assign", {"handler_id": str(Person.objects.get(username="handler").pk)}
    )
    line_id = (
        ApiClient("handler").post(f"/applications/{app_id}/decision/send", {}).json()["approval_line_id"]
    )
    for username in ("head-unit", "registry", "head-agency"):
        official = ApiClient(username)
        step = official.get("/approvals/queue").json()[0]["id"]
        official.post(f"/approvals/steps/{step}/decision", {"decision": "approve", "pin": PIN})
    run_worker()
    issued_id = str(Application.objects.get(pk=app_id).issued_document_id)
    return app_id, line_id, issued_id


def _call(who: str, method: str, path: str, body: dict[str, object] | None = None) -> int:
    if who == "anonymous":
        client = Client()
        if method == "GET":
            return int(client.get(f"/api/v1{path}").status_code)
        return int(client.post(f"/api/v1{path}", body or {}, content_type="application/json").status_code)
    api = ApiClient(who)
    if method == "GET":
        return int(api.get(path).status_code)
    return int(api.post(path, body).status_code)


def test_each_person_sees_and_does_only_what_role_and_agency_allow(demo: None) -> None:
    from govdoc.accounts import services as accounts

    accounts.person_create(
        username="other-citizen", password="drugi-gradjanin-1", is_citizen=True, actor="test"
    )
    app_id, line_id, issued_id = _issue_one()
    case_document = str(Application.objects.get(pk=app_id).case_document_id)

    # expected status per person, in the order of PEOPLE (0: not tried here)
    reads: dict[str, list[int]] = {
        f"/applications/{app_id}": [401, 200, 404, 200, 200, 200, 404, 404],
        f"/approvals/lines/{line_id}": [401, 404, 404, 200, 200, 200, 404, 404],
        f"/approvals/lines/{line_id}/manifest": [401, 404, 404, 200, 200, 200, 404, 404],
        f"/documents/{case_document}": [401, 404, 404, 200, 200, 200, 404, 404],
        f"/issued/{issued_id}": [401, 200, 404, 200, 200, 200, 404, 404],
        f"/issued/{issued_id}/pdf": [401, 200, 404, 200, 200, 200, 404, 404],
        f"/issued/{issued_id}/verifications": [401, 200, 404, 403, 403, 403, 404, 404],
    }
    writes: dict[str, tuple[dict[str, object], list[int]]] = {
        f"/issued/{issued_id}/revoke": ({"reason": "test"}, [401, 403, 404, 403, 0, 403, 404, 404]),
        f"/applications/{app_id}/withdraw": ({}, [401, 409, 404, 403, 403, 403, 404, 404]),
    }

    got: dict[str, list[int]] = {}
    for path in reads:
        got[path] = [_call(who, "GET", path) for who in PEOPLE]
    for path, (body, expected) in writes.items():
        got[path] = [
            0 if code == 0 else _call(who, "POST", path, body)
            for who, code in zip(PEOPLE, expected, strict=True)
        ]
    expected_all = {**reads, **{path: codes for path, (_, codes) in writes.items()}}
    mismatches = {
        path: {
            who: (want, have)
            for who, want, have in zip(PEOPLE, expected_all[path], got[path], strict=True)
            if want != have
        }
        for path in expected_all
    }
    assert {p: m for p, m in mismatches.items() if m} == {}
    # the refused writes changed nothing
    assert IssuedDocument.objects.get(pk=issued_id).status == "valid"
    assert Application.objects.get(pk=app_id).status == "issued"
    assert not AuditEvent.objects.filter(
        event__in=["issuance.issued_revoked", "applications.application_withdrawn"]
    ).exists()

    # the one allowed write: the head of unit revokes it
    assert _call("head-unit", "POST", f"/issued/{issued_id}/revoke", {"reason": "izdat greškom"}) == 200
    assert IssuedDocument.objects.get(pk=issued_id).status == "revoked"
