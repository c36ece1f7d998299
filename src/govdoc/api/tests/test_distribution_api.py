"""e-Doc distribution through the API alone, as an integrator sees it: the Ministry of Interior's
handler drafts a letter to the City of Belgrade, the head of unit approves it with her PIN, the
worker numbers, seals and delivers it, the city's registry clerk registers and assigns it, the
city's handler reads it and answers; and what is refused on the way (problem+json, nothing
written). Real keys, real timestamps, the real task queue."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from tests.support import PIN, ApiClient, person

from govdoc.audit.models import AuditEvent
from govdoc.distribution.models import Delivery, OutgoingDocument, Reading
from govdoc.documents.models import Document, RegistryEntry
from govdoc.documents.tests.samples import text_pdf
from govdoc.jobs.tests.worker import run_queued_tasks
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

pytestmark = [pytest.mark.slow]

PROBLEMS = "https://govdoc.example/problems/"


class Api(ApiClient):
    """The journey's client, reading problems in English (``Accept-Language: en``)."""

    def __init__(self, username: str) -> None:
        super().__init__(username)
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def put_form(self, path: str, data: dict[str, Any]) -> Any:
        """A multipart form by PUT (the test client encodes multipart for POST only)."""
        return self.client.put(
            f"/api/v1{path}",
            encode_multipart(BOUNDARY, data),
            content_type=MULTIPART_CONTENT,
            **self._headers(),
        )


def _pdf(text: str, name: str = "dopis.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text_pdf(text), content_type="application/pdf")


def _letter(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "Zahtev za dostavu izvoda iz matične knjige rođenih",
        "kind": "zahtev",
        "classification_code": "02-05",
        "retention_years": "10",
        "disclosure": "not_public",
        "legal_ground": "Zakon o zaštiti podataka o ličnosti, čl. 12",
        "recipients": ["beograd/maticna"],
        "file": _pdf("Molimo da nam dostavite izvod."),
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == PROBLEMS + code
    return body


def _approve(api: Api, outgoing_id: str, approver: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """Send the draft on ``steps``, the approver decides with the PIN, the worker finishes it."""
    sent = api.post(f"/outgoing/{outgoing_id}/send", {"steps": steps})
    assert sent.status_code == 200, sent.content
    assert sent.json()["status"] == "in_approval"
    official = Api(approver)
    queue = official.get("/approvals/queue").json()
    assert [s["document_title"] for s in queue] == [sent.json()["title"]]
    decided = official.post(
        f"/approvals/steps/{queue[0]['id']}/decision", {"decision": "approve", "pin": PIN}
    )
    assert decided.status_code == 200, decided.content
    run_queued_tasks()
    detail: dict[str, Any] = api.get(f"/outgoing/{outgoing_id}").json()
    return detail


def test_a_letter_travels_from_draft_to_the_recipients_registry_and_is_answered(demo: None) -> None:
    handler = Api("handler")

    # the address book names the recipients; the kinds say what the line must hold
    book = {a["code"]: [u["code"] for u in a["units"]] for a in handler.get("/agencies").json()}
    assert book["beograd"] == ["maticna"] and book["mup"] == ["pu-beograd"]
    kinds = handler.get("/outgoing/kinds").json()
    assert kinds["unit"] == "mup/pu-beograd"
    assert kinds["retention_years"] == [1, 2, 3, 5, 10, 30]
    names = {o["id"]: o["username"] for o in kinds["officials"]}
    request_kind = next(k for k in kinds["kinds"] if k["code"] == "zahtev")
    assert [(p["kind"], [names[i] for i in p["may_hold"]]) for p in request_kind["policy"]] == [
        ("approval", ["head-unit"])
    ]
    head_unit_id = next(i for i, n in names.items() if n == "head-unit")

    # 1. the handler drafts the letter: a PDF and its fields
    created = handler.post_form("/outgoing", _letter())
    assert created.status_code == 201, created.content
    letter = created.json()
    assert (letter["status"], letter["registry_number"], letter["sealed"]) == ("draft", None, False)
    assert (letter["agency"], letter["unit"], letter["drafter"]) == ("mup", "pu-beograd", "handler")
    assert letter["retention_years"] == 10
    assert [(r["agency"], r["unit"], r["status"]) for r in letter["recipients"]] == [
        ("beograd", "maticna", "planned")
    ]
    letter_id = letter["id"]
    assert [o["id"] for o in handler.get("/outgoing").json()] == [letter_id]

    # a corrected PDF replaces the draft's content (a new version)
    corrected = handler.put_form(f"/outgoing/{letter_id}/file", {"file": _pdf("Molimo izvod, ispravljeno.")})
    assert corrected.status_code == 200, corrected.content
    assert corrected.json()["version"] == 2
    draft_pdf = handler.get(f"/outgoing/{letter_id}/pdf")
    assert draft_pdf.status_code == 200 and draft_pdf.content == text_pdf("Molimo izvod, ispravljeno.")

    # 2. sent on the line the policy asks for, approved with the PIN; the worker sends it
    sent = _approve(
        handler, letter_id, "head-unit", [{"kind": "approval", "assignee_id": head_unit_id, "position": 1}]
    )
    assert sent["status"] == "sent" and sent["sealed"] is True
    assert sent["registry_number"].startswith("MUP-")
    [copy] = sent["recipients"]
    assert copy["status"] == "delivered" and copy["delivered_at"] is not None
    # what was sent is not corrected any more
    late = handler.put_form(f"/outgoing/{letter_id}/file", {"file": _pdf("Prekasno.")})
    _problem(late, 409, "outgoing-document-state")
    sealed = handler.get(f"/outgoing/{letter_id}/pdf")
    assert sealed["Content-Disposition"] == f'attachment; filename="{sent["registry_number"]}.pdf"'
    report = pdf_verify(sealed.content)
    assert report.state is Verdict.AUTHENTIC, report.reasons
    line = handler.get(f"/approvals/lines/{sent['approval_line_id']}").json()
    assert [(s["assignee"], s["status"]) for s in line["steps"]] == [("head-unit", "approved")]

    # 3. it arrives at the city: its registry clerk sees it, the city's handler not yet
    registry = Api("registry-bg")
    arrived = registry.get("/incoming").json()
    assert [(d["id"], d["status"], d["sender_registry_number"]) for d in arrived] == [
        (copy["delivery_id"], "delivered", sent["registry_number"])
    ]
    delivery_id = copy["delivery_id"]
    city_handler = Api("handler-bg")
    assert city_handler.get("/incoming").json() == []
    _problem(city_handler.get(f"/incoming/{delivery_id}"), 404, "delivery-not-found")

    registered = registry.post(
        f"/incoming/{delivery_id}/register", {"unit": "maticna", "handler_id": str(person("handler-bg").pk)}
    )
    assert registered.status_code == 200, registered.content
    entry = registered.json()
    assert (entry["status"], entry["assigned_unit"], entry["handler"]) == (
        "registered",
        "maticna",
        "handler-bg",
    )
    assert entry["registry_number"].startswith("BEOGRAD-")
    assert RegistryEntry.objects.get(document_id=entry["document_id"]).direction == "incoming"

    # the sender sees its copy registered
    seen = handler.get(f"/outgoing/{letter_id}").json()["recipients"][0]
    assert seen["status"] == "registered" and seen["registered_at"] is not None

    # 4. the assigned handler reads it: the same sealed bytes; the reading is recorded
    assert [d["id"] for d in city_handler.get("/incoming").json()] == [delivery_id]
    read = city_handler.get(f"/incoming/{delivery_id}/pdf")
    assert read.status_code == 200 and read.content == sealed.content
    assert read["Content-Disposition"] == f'attachment; filename="{sent["registry_number"]}.pdf"'
    detail = city_handler.get(f"/incoming/{delivery_id}").json()
    assert [r["username"] for r in detail["readings"]] == ["handler-bg"]
    assert (
        AuditEvent.objects.filter(event="distribution.delivery_read", actor_label="handler-bg").count() == 1
    )

    # 5. the handler answers it; approved by the head of the city's unit, it goes back
    answer = city_handler.post_form(
        "/outgoing",
        _letter(
            title="Odgovor: izvod iz matične knjige rođenih",
            kind="dopis",
            recipients=["mup/pu-beograd"],
            in_reply_to=delivery_id,
            file=_pdf("Dostavljamo izvod."),
        ),
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["in_reply_to"] == delivery_id
    answer_id = answer.json()["id"]
    city_kinds = city_handler.get("/outgoing/kinds").json()
    head_bg = next(o["id"] for o in city_kinds["officials"] if o["username"] == "head-unit-bg")
    # the letter's sender does not see the city's answer while it is a draft
    assert [t["id"] for t in handler.get(f"/outgoing/{letter_id}").json()["thread"]] == [letter_id]
    answered = _approve(
        city_handler, answer_id, "head-unit-bg", [{"kind": "approval", "assignee_id": head_bg, "position": 1}]
    )
    assert answered["status"] == "sent"

    thread = [(t["id"], t["relation"]) for t in handler.get(f"/outgoing/{letter_id}").json()["thread"]]
    assert thread == [(letter_id, "this"), (answer_id, "answer")]
    assert [(t["id"], t["relation"]) for t in answered["thread"]] == [
        (letter_id, "answered"),
        (answer_id, "this"),
    ]
    assert [a["id"] for a in city_handler.get(f"/incoming/{delivery_id}").json()["answers"]] == [answer_id]
    # ... and arrives at the ministry's registry
    assert [d["title"] for d in Api("registry").get("/incoming").json()] == [answered["title"]]


def _sent_letter(handler: Api) -> tuple[str, str]:
    """A letter from the ministry to the city, approved and delivered: (outgoing id, delivery id)."""
    head_unit_id = str(person("head-unit").pk)
    created = handler.post_form("/outgoing", _letter())
    assert created.status_code == 201, created.content
    sent = _approve(
        handler,
        created.json()["id"],
        "head-unit",
        [{"kind": "approval", "assignee_id": head_unit_id, "position": 1}],
    )
    return sent["id"], sent["recipients"][0]["delivery_id"]


def test_bad_drafts_are_refused_naming_the_field_and_nothing_is_written(demo: None) -> None:
    handler = Api("handler")

    not_pdf = handler.post_form(
        "/outgoing", _letter(file=SimpleUploadedFile("dopis.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 64))
    )
    assert "not a PDF" in _problem(not_pdf, 415, "upload-rejected")["title"]

    bad = handler.post_form("/outgoing", _letter(retention_years="7", disclosure="partial", legal_ground=""))
    body = _problem(bad, 400, "invalid-outgoing-document")
    assert {e["field"] for e in body["errors"]} == {"retention_years", "legal_ground"}

    unknown = handler.post_form("/outgoing", _letter(recipients=["beograd", "nema/nista", "beograd/nema"]))
    body = _problem(unknown, 400, "invalid-outgoing-document")
    assert [(e["field"], e["message"]) for e in body["errors"]] == [
        ("recipients.1", "No agency has the code nema."),
        ("recipients.2", "Gradska uprava grada Beograda has no unit with the code nema."),
    ]
    # without Accept-Language, in the API's default language, Serbian Latin
    serbian = ApiClient("handler").post_form("/outgoing", _letter(recipients=["nema"]))
    assert _problem(serbian, 400, "invalid-outgoing-document")["errors"] == [
        {"field": "recipients.0", "message": "Nijedan organ nema oznaku nema."}
    ]
    no_one = handler.post_form("/outgoing", _letter(recipients=None))
    assert [e["field"] for e in _problem(no_one, 400, "invalid-outgoing-document")["errors"]] == [
        "recipients"
    ]
    # a citizen drafts nothing
    _problem(Api("citizen").post_form("/outgoing", _letter()), 403, "drafting-not-allowed")
    _problem(Api("citizen").get("/outgoing/kinds"), 403, "drafting-not-allowed")

    assert not OutgoingDocument.objects.exists() and not Document.objects.exists()
    assert handler.get("/outgoing").json() == []


def test_a_line_without_the_head_of_unit_is_refused_and_the_draft_stays_a_draft(demo: None) -> None:
    handler = Api("handler")
    letter_id = handler.post_form("/outgoing", _letter()).json()["id"]

    refused = handler.post(
        f"/outgoing/{letter_id}/send",
        {"steps": [{"kind": "approval", "assignee_id": str(person("head-agency").pk), "position": 1}]},
    )

    body = _problem(refused, 400, "approval-line-policy")
    assert [e["field"] for e in body["errors"]] == ["steps"]
    assert "head of unit of the handling unit" in body["errors"][0]["message"]
    after = handler.get(f"/outgoing/{letter_id}").json()
    assert (after["status"], after["approval_line_id"]) == ("draft", None)
    # the head of unit sees the draft but only its drafter changes or sends it
    head_unit = Api("head-unit")
    assert head_unit.get(f"/outgoing/{letter_id}").status_code == 200
    _problem(
        head_unit.put_form(f"/outgoing/{letter_id}/file", {"file": _pdf("Moje.")}), 403, "not-the-drafter"
    )
    assert head_unit.get(f"/outgoing/{letter_id}").json()["version"] == 1
    assert Api("head-agency").get("/approvals/queue").json() == []


def test_another_agencys_official_sees_nothing_of_it(demo: None) -> None:
    letter_id, delivery_id = _sent_letter(Api("handler"))
    stranger = Api("handler-pr")

    _problem(stranger.get(f"/outgoing/{letter_id}"), 404, "outgoing-document-not-found")
    _problem(stranger.get(f"/outgoing/{letter_id}/pdf"), 404, "outgoing-document-not-found")
    _problem(stranger.get(f"/incoming/{delivery_id}"), 404, "delivery-not-found")
    _problem(stranger.get(f"/incoming/{delivery_id}/pdf"), 404, "delivery-not-found")
    _problem(
        stranger.post(f"/incoming/{delivery_id}/register", {"unit": "kaznena"}), 404, "delivery-not-found"
    )
    assert stranger.get("/incoming").json() == [] and stranger.get("/outgoing").json() == []
    assert not Reading.objects.exists()


def test_only_the_registry_clerk_registers_and_only_once(demo: None) -> None:
    _letter_id, delivery_id = _sent_letter(Api("handler"))
    registry, city_handler = Api("registry-bg"), Api("handler-bg")

    unknown = registry.post(f"/incoming/{delivery_id}/register", {"unit": "nema"})
    assert [e["field"] for e in _problem(unknown, 400, "invalid-outgoing-document")["errors"]] == ["unit"]
    first = registry.post(
        f"/incoming/{delivery_id}/register", {"unit": "maticna", "handler_id": str(person("handler-bg").pk)}
    )
    assert first.status_code == 200, first.content

    # the assigned handler sees it, but registering is the registry's
    _problem(
        city_handler.post(f"/incoming/{delivery_id}/register", {"unit": "maticna"}),
        403,
        "registry-clerk-only",
    )
    _problem(
        city_handler.post(f"/incoming/{delivery_id}/return", {"reason": "Nije naše."}),
        403,
        "registry-clerk-only",
    )
    twice = registry.post(f"/incoming/{delivery_id}/register", {"unit": "maticna"})
    _problem(twice, 409, "delivery-state")
    assert RegistryEntry.objects.filter(direction="incoming").count() == 1
    assert Delivery.objects.get(pk=delivery_id).handler == person("handler-bg")


def test_a_misaddressed_letter_is_returned_with_the_reason_the_sender_sees(demo: None) -> None:
    handler = Api("handler")
    letter_id, delivery_id = _sent_letter(handler)
    registry = Api("registry-bg")

    blank = registry.post(f"/incoming/{delivery_id}/return", {"reason": "  "})
    assert [e["field"] for e in _problem(blank, 400, "invalid-outgoing-document")["errors"]] == ["reason"]
    returned = registry.post(f"/incoming/{delivery_id}/return", {"reason": "Nismo nadležni."})
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"

    [copy] = handler.get(f"/outgoing/{letter_id}").json()["recipients"]
    assert (copy["status"], copy["return_reason"]) == ("returned", "Nismo nadležni.")
    assert copy["returned_at"] is not None
    _problem(registry.post(f"/incoming/{delivery_id}/register", {"unit": "maticna"}), 409, "delivery-state")


def test_the_list_of_outgoing_documents_does_not_grow_queries_with_its_length(demo: None) -> None:
    handler = Api("handler")

    def queries_of_the_list() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert handler.get("/outgoing").status_code == 200
        return len(seen)

    handler.post_form("/outgoing", _letter())
    one = queries_of_the_list()
    for _ in range(3):
        handler.post_form("/outgoing", _letter(recipients=["beograd", "pravda/kaznena"]))

    assert len(handler.get("/outgoing").json()) == 4
    assert queries_of_the_list() == one


def test_an_internal_report_is_drafted_without_recipients_only_when_said_so_and_is_filed(demo: None) -> None:
    handler = Api("handler")

    def report() -> dict[str, Any]:
        return _letter(kind="izvestaj", recipients=None, title="Izveštaj o inspekciji isporuka")

    no_one = handler.post_form("/outgoing", report())
    assert [e["field"] for e in _problem(no_one, 400, "invalid-outgoing-document")["errors"]] == [
        "recipients"
    ]
    both = handler.post_form("/outgoing", {**_letter(kind="izvestaj"), "internal": "true"})
    assert [e["field"] for e in _problem(both, 400, "invalid-outgoing-document")["errors"]] == ["recipients"]
    assert not OutgoingDocument.objects.exists()

    created = handler.post_form("/outgoing", {**report(), "internal": "true"})
    assert created.status_code == 201, created.content
    draft = created.json()
    assert (draft["internal"], draft["recipients"], draft["consignments"]) == (True, [], [])
    names = {o["id"]: o["username"] for o in handler.get("/outgoing/kinds").json()["officials"]}
    head_unit_id = next(i for i, n in names.items() if n == "head-unit")
    filed = _approve(
        handler, draft["id"], "head-unit", [{"kind": "approval", "assignee_id": head_unit_id, "position": 1}]
    )
    assert (filed["status"], filed["sealed"], filed["sent_at"]) == ("filed", True, None)
    assert filed["filed_at"] is not None and filed["registry_number"].startswith("MUP-")
    assert filed["recipients"] == []
