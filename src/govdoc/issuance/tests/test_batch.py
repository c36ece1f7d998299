"""Issuing many documents at once (issuance.batch): each exactly as one is issued, each key
at most once, a failure failing its own document only, an interrupted batch finished by a retry."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.audit.models import AuditEvent
from govdoc.audit.verification import verify_database
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance import batch
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.tests.conftest import CERTIFICATE_TEMPLATE
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

pytestmark = pytest.mark.django_db(transaction=True)


def _items(people: list[Person], prefix: str) -> list[batch.BatchItem]:
    return [
        batch.BatchItem(
            recipient=p,
            context={"notes": []},
            data={"jmbg": "0101990710123", "address": f"Njegoševa {i}, Beograd"},
            script=[Script.LATIN, Script.CYRILLIC, Script.ENGLISH][i % 3],
            issue_key=f"{prefix}:{i}",
        )
        for i, p in enumerate(people)
    ]


def _issue(agency: Agency, handler: Person, items: list[batch.BatchItem]) -> list[batch.BatchOutcome]:
    return batch.documents_issue(
        agency=agency,
        title="Uverenje o prebivalištu",
        template_html=CERTIFICATE_TEMPLATE,
        items=items,
        valid_until=None,
        actor=handler,
        doc_type="uverenje",
        classification_code="02-05",
    )


@pytest.fixture
def people(db: None) -> list[Person]:
    return [
        PersonFactory(username=f"holder{i}", first_name=f"Ime{i}", last_name=f"Prezime{i}") for i in range(4)
    ]


def test_one_failing_document_fails_alone_and_a_retry_with_the_same_keys_finishes_it(
    agency: Agency, handler: Person, people: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items(people, "day")
    original = batch._produce

    def failing_for_the_third(issued: IssuedDocument, **kwargs: Any) -> tuple[bytes, str]:
        if issued.issue_key == "day:2":
            raise OSError("the TSA did not answer")
        return original(issued, **kwargs)

    monkeypatch.setattr(batch, "_produce", failing_for_the_third)
    first = _issue(agency, handler, items)

    assert [o.issued.status if o.issued else None for o in first] == ["valid", "valid", "failed", "valid"]
    assert first[2].error is not None and "the TSA did not answer" in first[2].error.message
    failed = IssuedDocument.objects.get(issue_key="day:2")
    assert failed.reason.endswith("the TSA did not answer")
    assert AuditEvent.objects.filter(
        event="issuance.document_issue_failed", target_id=str(failed.pk)
    ).exists()

    monkeypatch.setattr(batch, "_produce", original)
    again = _issue(agency, handler, items)

    assert [(o.issued.status if o.issued else None, o.created) for o in again] == [
        ("valid", False),
        ("valid", False),
        ("valid", True),
        ("valid", False),
    ]
    assert again[2].issued is not None and again[2].issued.registry_number == failed.registry_number
    assert IssuedDocument.objects.count() == 4
    assert sorted(RegistryEntry.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
    for outcome in again:
        assert outcome.issued is not None and outcome.issued.version is not None
        assert pdf_verify(file_read(outcome.issued.version.file)).state is Verdict.AUTHENTIC
    assert verify_database(verify_signature=None).ok


def test_a_batch_interrupted_after_its_numbers_were_taken_is_finished_by_a_retry(
    agency: Agency, handler: Person, people: list[Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    items = _items(people[:2], "cut")

    def process_killed(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # as good as a killed process: nothing after step 1 runs

    monkeypatch.setattr(batch, "_produce_all", process_killed)
    with pytest.raises(KeyboardInterrupt):
        _issue(agency, handler, items)
    assert set(IssuedDocument.objects.values_list("status", flat=True)) == {IssuedStatus.PENDING}
    # the seals' events of an interrupted batch were never written; its pending documents are
    # not shown to verifiers
    assert not AuditEvent.objects.filter(event="signatures.pdf_sealed").exists()

    monkeypatch.undo()
    outcomes = _issue(agency, handler, items)

    assert [(o.issued.status if o.issued else None, o.created) for o in outcomes] == [("valid", True)] * 2
    assert IssuedDocument.objects.count() == 2
    assert AuditEvent.objects.filter(event="issuance.document_issue_resumed").count() == 2


def test_two_batches_at_once_with_overlapping_keys_issue_each_key_once_with_gap_free_numbers(
    agency: Agency, handler: Person, people: list[Person]
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises all writers, so there is no race to test")
    keyring.ensure()
    items = _items(people, "race")
    halves = [items[:3], items[1:]]  # keys race:1 and race:2 in both

    def one(part: list[batch.BatchItem]) -> list[batch.BatchOutcome]:
        try:
            return _issue(agency, handler, part)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(one, halves))

    by_key: dict[str, set[Any]] = {}
    for part, outcomes in zip(halves, results, strict=True):
        for item, outcome in zip(part, outcomes, strict=True):
            assert outcome.error is None and outcome.issued is not None
            by_key.setdefault(item.issue_key, set()).add(outcome.issued.pk)
    assert all(len(ids) == 1 for ids in by_key.values()), by_key
    assert IssuedDocument.objects.filter(status=IssuedStatus.VALID).count() == 4
    assert sorted(RegistryEntry.objects.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert verify_database(verify_signature=None).ok
