"""The citizen's journey through the API alone: apply → assign → draft → three signed approvals
→ issued e-Document (sealed PDF/A) → public verification; a copy with one changed byte is
altered. Real keys, real timestamps, the real task queue and worker."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.signatures.tests.conftest import make_sample_pdf
from tests.support import PIN, ApiClient, pdf_text, person, run_worker

pytestmark = [pytest.mark.slow]

SERVICE = "uverenje-o-prebivalistu"
FORM = {
    "ime_prezime": "Ana Petrović",
    "jmbg": "0101990710006",
    "adresa": "Bulevar kralja Aleksandra 73",
    "opstina": "Zvezdara",
    "svrha": "radi zaposlenja",
}


def test_whole_journey_through_the_api(demo: None) -> None:
    citizen = ApiClient("citizen")
    services = citizen.get("/services").json()
    assert SERVICE in {s["code"] for s in services}

    # 1. the citizen applies, with a scanned ID card (a PDF, checked by content)
    response = citizen.post_form(
        "/applications",
        {
            "service": SERVICE,
            "data": json.dumps(FORM),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", make_sample_pdf("Licna karta"), "application/pdf")],
        },
    )
    assert response.status_code == 201, response.content
    application = response.json()
    assert application["receipt_number"].startswith("P-MUP-")
    assert application["status"] == "submitted"
    app_id = application["id"]

    # invalid data: problem+json with the field named, nothing written
    bad = citizen.post_form("/applications", {"service": SERVICE, "data": json.dumps({**FORM, "jmbg": "12"})})
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/problem+json"
    assert "jmbg" in {e["field"] for e in bad.json()["errors"]}
    assert len(citizen.get("/applications").json()) == 1

    # 2. the head of unit assigns it to the handler
    head_unit = ApiClient("head-unit")
    assigned = head_unit.post(f"/applications/{app_id}/assign", {"handler_id": str(person("handler").pk)})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["status"] == "assigned"

    # 3. the handler (who am I?) reads the attachments, as the web page lets them (recorded as
    # personal-data access), and drafts the decision
    handler = ApiClient("handler")
    me = handler.get("/me").json()
    assert (me["username"], me["account_kind"], me["agencies"]) == ("handler", "person", ["mup"])
    assert [(m["unit"], m["role"]) for m in me["memberships"]] == [("pu-beograd", "handler")]
    files = handler.get(f"/applications/{app_id}/attachments").json()
    assert [(f["rule_key"], f["media_type"]) for f in files] == [("licna_karta", "application/pdf")]
    scan = handler.get(f"/applications/{app_id}/attachments/{files[0]['id']}")
    assert scan.status_code == 200 and scan.content.startswith(b"%PDF")
    from govdoc.audit.models import AuditEvent

    reads = AuditEvent.objects.filter(event="audit.personal_data_viewed", actor_label="handler")
    assert {e.data.get("purpose") for e in reads} >= {"list the attachments", "open an attachment"}
    assert citizen.get(f"/applications/{app_id}/attachments").status_code == 200  # the applicant's own
    assert ApiClient("handler-bg").get(f"/applications/{app_id}/attachments").status_code == 404
    assert handler.put(f"/applications/{app_id}/decision", {"fields": {"napomena": ""}}).status_code == 200

    # who may be on the line, and who may hold each step of the service's approval policy
    who = handler.get(f"/people/assignees?application={app_id}").json()
    ids = {o["username"]: o["id"] for o in who["officials"]}
    assert [(p["kind"], sorted(k for k, v in ids.items() if v in p["may_hold"])) for p in who["policy"]] == [
        ("review", ["head-unit"]),
        ("consent", ["registry"]),
        ("approval", ["head-agency"]),
    ]
    assert "handler" not in ids  # never the drafter
    assert ApiClient("citizen").get(f"/people/assignees?application={app_id}").status_code == 404

    # the attack found: the line shrunk to one approval held by a registry clerk is refused
    shrunk = handler.post(
        f"/applications/{app_id}/decision/send",
        {"steps": [{"kind": "approval", "assignee_id": ids["registry"], "position": 1}]},
    )
    assert shrunk.status_code == 400
    assert shrunk["Content-Type"] == "application/problem+json"
    assert shrunk.json()["type"] == "https://govdoc.example/problems/approval-line-policy"
    assert [e["field"] for e in shrunk.json()["errors"]] == ["steps"]
    # in the API's default language, Serbian Latin (an integrator may ask for another)
    said = shrunk.json()["errors"][0]["message"]
    assert "Milica Milić (službenik pisarnice), kome ne može biti dodeljen" in said
    assert handler.get(f"/applications/{app_id}").json()["status"] == "assigned"

    # ... the default line (three officials) keeps the policy and goes
    sent = handler.post(f"/applications/{app_id}/decision/send", {})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "in_approval"
    line_id = sent.json()["approval_line_id"]

    # 4. three officials approve in turn, each signing with their own key and PIN
    for username in ("head-unit", "registry", "head-agency"):
        official = ApiClient(username)
        queue = official.get("/approvals/queue").json()
        assert len(queue) == 1, (username, queue)
        wrong = official.post(
            f"/approvals/steps/{queue[0]['id']}/decision", {"decision": "approve", "pin": "000000"}
        )
        assert wrong.status_code == 403
        decided = official.post(
            f"/approvals/steps/{queue[0]['id']}/decision", {"decision": "approve", "pin": PIN}
        )
        assert decided.status_code == 200, decided.content
        assert decided.json()["status"] == "approved"
        # nobody can decide the same step twice
        again = official.post(
            f"/approvals/steps/{queue[0]['id']}/decision", {"decision": "approve", "pin": PIN}
        )
        assert again.status_code in (404, 409)

    line = handler.get(f"/approvals/lines/{line_id}").json()
    assert line["status"] == "approved"
    assert [s["status"] for s in line["steps"]] == ["approved", "approved", "approved"]

    # 5. the worker issues the certificate and delivers it to the citizen's e-inbox
    run_worker()
    detail = citizen.get(f"/applications/{app_id}").json()
    assert detail["status"] == "issued"
    issued_id = detail["issued_document_id"]
    inbox = citizen.get("/inbox").json()
    assert any(m["issued_document_id"] == issued_id for m in inbox)

    issued = citizen.get(f"/issued/{issued_id}").json()
    assert issued["status"] == "valid"
    pdf = citizen.get(f"/issued/{issued_id}/pdf").content
    text = pdf_text(pdf)
    assert "UVERENJE O PREBIVALIŠTU" in text
    assert "Ana Petrović, JMBG 0101990710006" in text
    assert "Bulevar kralja Aleksandra 73" in text
    assert issued["registry_number"] in text
    assert issued["verification_code"] in text.replace(" ", "") or issued["verification_code"] in text

    # 6. anyone verifies it: by code, and by uploading the file
    public = Client()
    by_code = public.get(f"/api/v1/verify/{issued['verification_code']}").json()
    assert by_code["status"] == "valid"
    assert by_code["key_fields"]["holder_name"] == "Ana Petrović"
    upload = public.post(
        "/api/v1/verify/file", {"file": SimpleUploadedFile("c.pdf", pdf, "application/pdf")}
    ).json()
    assert upload["state"] == "authentic"
    assert upload["identical_to_registered_original"] is True

    changed = bytearray(pdf)
    changed[len(changed) // 4] ^= 0x01  # inside the embedded fonts: signed bytes, not structure
    altered = public.post(
        "/api/v1/verify/file", {"file": SimpleUploadedFile("c.pdf", bytes(changed), "application/pdf")}
    ).json()
    assert altered["state"] == "altered"
    assert altered["identical_to_registered_original"] is False

    glued = public.post(
        "/api/v1/verify/file",
        {"file": SimpleUploadedFile("c.pdf", pdf + b"PK\x03\x04zip", "application/pdf")},
    ).json()
    assert glued["state"] == "altered"
    assert glued["document_status"] == "valid"  # the registered document; this file is not it
    assert glued["signature"]["reasons"][0].startswith("7 bytes after the end of the signed document")

    # 7. the citizen sees who verified the document and when
    seen = citizen.get(f"/issued/{issued_id}/verifications").json()
    assert {v["channel"] for v in seen} >= {"api"}
    assert len(seen) == 4

    # the exported approval manifest is signed and verifies offline
    from govdoc.approvals.manifest import manifest_verify
    from govdoc.signatures import keyring

    manifest = handler.get(f"/approvals/lines/{line_id}/manifest").content
    report = manifest_verify(manifest, trust=keyring.trust())
    assert report.ok, report.problems
    assert [d.decided_by for d in report.decisions] == ["Jelena Jovanović", "Milica Milić", "Nikola Nikolić"]


def test_withdrawal_during_approval_stops_the_line_and_the_approvers_see_why(demo: None) -> None:
    citizen = ApiClient("citizen")
    response = citizen.post_form(
        "/applications",
        {
            "service": SERVICE,
            "data": json.dumps(FORM),
            "attachment_keys": ["licna_karta"],
            "files": [SimpleUploadedFile("lk.pdf", make_sample_pdf("Licna karta"), "application/pdf")],
        },
    )
    app_id = response.json()["id"]
    ApiClient("head-unit").post(f"/applications/{app_id}/assign", {"handler_id": str(person("handler").pk)})
    handler = ApiClient("handler")
    line_id = handler.post(f"/applications/{app_id}/decision/send", {}).json()["approval_line_id"]
    head_unit = ApiClient("head-unit")
    [step] = head_unit.get("/approvals/queue").json()
    assert (
        head_unit.post(
            f"/approvals/steps/{step['id']}/decision", {"decision": "approve", "pin": PIN}
        ).status_code
        == 200
    )
    assert len(ApiClient("registry").get("/approvals/queue").json()) == 1

    withdrawn = citizen.post(f"/applications/{app_id}/withdraw")

    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "withdrawn"
    assert ApiClient("registry").get("/approvals/queue").json() == []
    line = handler.get(f"/approvals/lines/{line_id}").json()
    assert line["status"] == "withdrawn"
    assert line["end_reason"] == "the applicant withdrew the application"
    assert [(s["status"], s["skip_reason"]) for s in line["steps"]] == [
        ("approved", ""),
        ("skipped", "the applicant withdrew the application"),
        ("skipped", "the applicant withdrew the application"),
    ]
    run_worker()
    assert citizen.get(f"/applications/{app_id}").json()["status"] == "withdrawn"
