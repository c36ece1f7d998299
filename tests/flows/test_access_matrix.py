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

PEOPLE = [
    "anonymous",
    "citizen",
    "other-citizen",
    "handler",
    "head-unit",
    "registry",
    "handler-bg",
    "admin",
    "mup-salter",  # the agency's counter system: a system account with a token scoped to issuing
]
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
    api = ApiClient(who, scopes=("issue:uverenje-o-prebivalistu",) if who == "mup-salter" else ())
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
    attachment_id = str(Application.objects.get(pk=app_id).attachments.get().pk)
    reads: dict[str, list[int]] = {
        f"/applications/{app_id}": [401, 200, 404, 200, 200, 200, 404, 404, 403],
        f"/applications/{app_id}/attachments": [401, 200, 404, 200, 200, 200, 404, 404, 403],
        f"/applications/{app_id}/attachments/{attachment_id}": [401, 200, 404, 200, 200, 200, 404, 404, 403],
        f"/people/assignees?application={app_id}": [401, 404, 404, 200, 200, 200, 404, 404, 403],
        "/me": [401, 200, 200, 200, 200, 200, 200, 200, 200],
        f"/approvals/lines/{line_id}": [401, 404, 404, 200, 200, 200, 404, 404, 403],
        f"/approvals/lines/{line_id}/manifest": [401, 404, 404, 200, 200, 200, 404, 404, 403],
        f"/documents/{case_document}": [401, 404, 404, 200, 200, 200, 404, 404, 403],
        # a system sees only the documents it issued itself
        f"/issued/{issued_id}": [401, 200, 404, 200, 200, 200, 404, 404, 404],
        f"/issued/{issued_id}/pdf": [401, 200, 404, 200, 200, 200, 404, 404, 404],
        f"/issued/{issued_id}/verifications": [401, 200, 404, 403, 403, 403, 404, 404, 404],
    }
    writes: dict[str, tuple[dict[str, object], list[int]]] = {
        f"/issued/{issued_id}/revoke": ({"reason": "test"}, [401, 403, 404, 403, 0, 403, 404, 404, 404]),
        f"/applications/{app_id}/withdraw": ({}, [401, 409, 404, 403, 403, 403, 404, 404, 403]),
        # direct issuance: only the system account with the service's scope
        "/issued": (
            {
                "service": "uverenje-o-prebivalistu",
                "recipient_id": str(Person.objects.get(username="citizen").pk),
                "data": FORM,
                "script": "sr-latn",
            },
            [401, 403, 403, 403, 403, 403, 403, 403, 0],
        ),
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
    assert IssuedDocument.objects.count() == 1  # no one but the system issued directly
    assert AuditEvent.objects.filter(event="applications.direct_issuance_refused").count() == 7

    # the system issues directly, and then sees that document (and only that one)
    system = ApiClient("mup-salter", scopes=("issue:uverenje-o-prebivalistu",))
    direct = system.post("/issued", writes["/issued"][0])
    assert direct.status_code == 201, direct.content
    assert system.get(f"/issued/{direct.json()['id']}").status_code == 200

    # the one allowed write: the head of unit revokes it
    assert _call("head-unit", "POST", f"/issued/{issued_id}/revoke", {"reason": "izdat greškom"}) == 200
    assert IssuedDocument.objects.get(pk=issued_id).status == "revoked"
