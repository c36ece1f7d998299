"""POST /api/v1/issued/batch: an agency's register issues many documents of one service at once.

Each document is issued as one would be (registered, sealed, QR, audited, exactly once per key);
the batch is checked as a whole before anything is written."""

from __future__ import annotations

from typing import Any

import pytest
from tests.support import ApiClient, pdf_text, person

from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance.models import IssuedDocument
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

RESIDENCE = "uverenje-o-prebivalistu"
PEOPLE = [
    ("Ana Petrović", "0101990710006", "sr-latn"),
    ("Ljubica Đorđević", "0101990710006", "sr-cyrl"),
    ("Marko Jovanović", "0101990710006", "en"),
]


def _document(name: str, jmbg: str, script: str, key: str) -> dict[str, Any]:
    return {
        "recipient_id": str(person("citizen").pk),
        "data": {
            "ime_prezime": name,
            "jmbg": jmbg,
            "adresa": "Njegoševa 12, Beograd",
            "opstina": "Vračar",
            "svrha": "radi zaposlenja",
        },
        "script": script,
        "idempotency_key": key,
    }


def _batch(*documents: dict[str, Any]) -> dict[str, Any]:
    return {"service": RESIDENCE, "documents": list(documents)}


def _system(*scopes: str) -> ApiClient:
    return ApiClient("mup-salter", scopes=scopes or (f"issue:{RESIDENCE}",))


def _three() -> dict[str, Any]:
    return _batch(*(_document(n, j, s, f"day-1:{i}") for i, (n, j, s) in enumerate(PEOPLE)))


def test_a_register_issues_three_certificates_in_one_call_each_sealed_numbered_and_audited(
    demo: None,
) -> None:
    system = _system()

    response = system.post("/issued/batch", _three())

    assert response.status_code == 200, response.content
    answered = response.json()["documents"]
    assert [d["outcome"] for d in answered] == ["issued"] * 3
    assert [d["idempotency_key"] for d in answered] == ["day-1:0", "day-1:1", "day-1:2"]
    numbers = [d["document"]["registry_number"] for d in answered]
    assert len(set(numbers)) == 3
    # consecutive numbers of the agency's registry
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == [1, 2, 3]
    citizen = ApiClient("citizen")
    texts = [pdf_text(citizen.get(f"/issued/{d['document']['id']}/pdf").content) for d in answered]
    assert "Ana Petrović, JMBG 0101990710006" in texts[0]
    assert "Љубица Ђорђевић" in texts[1]
    assert "Marko Jovanović" in texts[2]
    for d, text in zip(answered, texts, strict=True):
        assert d["document"]["registry_number"] in text
        assert d["document"]["status"] == "valid"
        issued = IssuedDocument.objects.get(pk=d["document"]["id"])
        assert issued.version is not None and issued.version.sealed
        assert issued.document.current_version_id == issued.version_id
        report = pdf_verify(file_read(issued.version.file))
        assert report.state is Verdict.AUTHENTIC, report.reasons
        events = set(AuditEvent.objects.filter(target_id=str(issued.pk)).values_list("event", flat=True))
        assert events == {"issuance.document_issue_started", "issuance.document_issued"}
    assert AuditEvent.objects.filter(event="applications.document_issued_directly").count() == 3
    assert AuditEvent.objects.filter(event="signatures.pdf_sealed").count() == 3
    assert AuditEvent.objects.filter(event="documents.version_sealed").count() == 3
    chain = verify_database(verify_signature=None)
    assert chain.ok, chain.problems


def test_the_same_batch_sent_again_returns_the_same_documents_and_issues_none(demo: None) -> None:
    system = _system()
    first = system.post("/issued/batch", _three()).json()["documents"]
    written = IssuedDocument.objects.count(), RegistryEntry.objects.count()

    again = system.post("/issued/batch", _three())

    assert again.status_code == 200
    assert [d["outcome"] for d in again.json()["documents"]] == ["already-issued"] * 3
    assert [d["document"]["id"] for d in again.json()["documents"]] == [d["document"]["id"] for d in first]
    assert (IssuedDocument.objects.count(), RegistryEntry.objects.count()) == written
    assert AuditEvent.objects.filter(event="applications.document_issued_directly").count() == 3


def test_a_batch_with_one_new_and_one_known_key_issues_only_the_new_one(demo: None) -> None:
    system = _system()
    system.post("/issued/batch", _batch(_document("Ana Petrović", "0101990710006", "sr-latn", "k-1")))

    response = system.post(
        "/issued/batch",
        _batch(
            _document("Ana Petrović", "0101990710006", "sr-latn", "k-1"),
            _document("Ana Petrović", "0101990710006", "sr-latn", "k-2"),
        ),
    )

    assert [d["outcome"] for d in response.json()["documents"]] == ["already-issued", "issued"]
    assert IssuedDocument.objects.count() == 2


def test_one_bad_document_refuses_the_whole_batch_naming_it_and_nothing_is_written(demo: None) -> None:
    bad = _document("Ana Petrović", "123", "sr-latn", "b-2")
    unknown = {
        **_document("Ana Petrović", "0101990710006", "sr-latn", "b-3"),
        "recipient_id": str(person("citizen").pk)[:-4] + "0000",
    }
    before = AuditEvent.objects.count()  # seq of the last event

    response = _system().post(
        "/issued/batch", _batch(_document("Ana Petrović", "0101990710006", "sr-latn", "b-1"), bad, unknown)
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/invalid-application")
    assert {e["field"] for e in problem["errors"]} == {"documents.1.jmbg", "documents.2.recipient_id"}
    assert not IssuedDocument.objects.exists() and not RegistryEntry.objects.exists()
    written = set(AuditEvent.objects.filter(seq__gt=before).values_list("event", flat=True))
    assert not {e for e in written if e.startswith(("issuance.", "documents.", "signatures."))}, written


def test_a_key_given_twice_in_one_batch_is_refused(demo: None) -> None:
    doc = _document("Ana Petrović", "0101990710006", "sr-latn", "same")

    response = _system().post("/issued/batch", _batch(doc, doc))

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["documents.1.idempotency_key"]
    assert not IssuedDocument.objects.exists()


@pytest.mark.parametrize("count", [0, 101])
def test_an_empty_or_oversized_batch_is_a_4xx_problem(demo: None, count: int) -> None:
    documents = [_document("Ana Petrović", "0101990710006", "sr-latn", f"n-{i}") for i in range(count)]

    response = _system().post("/issued/batch", _batch(*documents))

    assert 400 <= response.status_code < 500
    assert response["Content-Type"] == "application/problem+json"
    assert not IssuedDocument.objects.exists()


@pytest.mark.parametrize("who", ["handler", "head-unit"])
def test_people_are_refused_as_for_one_document(demo: None, who: str) -> None:
    response = ApiClient(who).post("/issued/batch", _three())

    assert response.status_code == 403
    assert response.json()["type"].endswith("/direct-issuance-systems-only")
    assert not IssuedDocument.objects.exists()


def test_a_token_without_the_scope_is_refused(demo: None) -> None:
    response = _system("issue:izvod-iz-maticne-knjige-rodjenih").post("/issued/batch", _three())

    assert response.status_code == 403
    assert response.json()["type"].endswith("/api-token-scope-missing")
    assert not IssuedDocument.objects.exists()
