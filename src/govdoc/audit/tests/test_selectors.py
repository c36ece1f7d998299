from __future__ import annotations

import dataclasses

import pytest
from pytest_django import DjangoAssertNumQueries

from govdoc.audit import selectors, services
from govdoc.audit.chain import GENESIS_HASH
from govdoc.audit.verification import HeadRow

pytestmark = pytest.mark.django_db


@dataclasses.dataclass
class Document:
    pk: str


def test_the_history_of_one_target_comes_oldest_first_and_only_its_own() -> None:
    mine, other = Document(pk="d-1"), Document(pk="d-2")
    services.record("documents.document_registered", actor="clerk", target=mine)
    services.record("documents.document_registered", actor="clerk", target=other)
    services.record("approvals.step_approved", actor="head", target=mine)
    history = selectors.events_for_target(target_type="document", target_id="d-1")
    assert [(e.seq, e.event) for e in history] == [
        (1, "documents.document_registered"),
        (3, "approvals.step_approved"),
    ]


def test_recent_events_come_newest_first_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(5):
        services.record("documents.document_registered", actor="clerk", data={"n": n})
    with django_assert_num_queries(1):
        recent = [e.data["n"] for e in selectors.events_recent(3)]
    assert recent == [4, 3, 2]


def test_the_chain_head_starts_at_genesis_and_follows_the_last_event() -> None:
    assert selectors.chain_head() == HeadRow(seq=0, hash=GENESIS_HASH)
    services.record("documents.document_registered", actor="clerk")
    last = services.record("documents.document_registered", actor="clerk")
    assert selectors.chain_head() == HeadRow(seq=2, hash=last.hash)
