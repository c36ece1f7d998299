"""The verifier over 1,000 in-memory events: every single act of tampering, at every position,
is found and named (kind, position, event) the way a person reading the report needs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

import pytest

from govdoc.audit.tests.chains import (
    build_chain,
    head_of,
    new_event,
    rewrite_from,
    sealed,
    unsigned_checkpoint,
)
from govdoc.audit.verification import (
    ChainReport,
    EventRow,
    HeadRow,
    Problem,
    ProblemKind,
    verify_chain,
)

pytestmark = pytest.mark.slow  # 1,000-event chains, every position: a few seconds in all

N = 1000
EVERY = range(N)  # list indexes; event #i+1 sits at index i
SAMPLE = sorted({0, 1, 2, N // 2, N - 3, N - 2, N - 1, *range(0, N, 41)})


@pytest.fixture(scope="module")
def chain() -> list[EventRow]:
    rows = build_chain(N)
    for row in rows:
        assert row.content_hash == row.hash  # and the cached hash is now warm for every test
    return rows


@pytest.fixture(scope="module")
def head(chain: list[EventRow]) -> HeadRow:
    return head_of(chain)


def found(report: ChainReport) -> tuple[ProblemKind, int, str | None] | None:
    first = report.first
    return (first.kind, first.seq, first.event_id) if first is not None else None


def misnamed(
    positions: range | list[int],
    mutate: Callable[[int], list[EventRow]],
    expect: Callable[[int], tuple[ProblemKind, int, str | None]],
    *,
    head: HeadRow,
) -> list[tuple[int, object, list[Problem]]]:
    """Positions where the verifier did not report exactly one problem, named as expected."""
    wrong: list[tuple[int, object, list[Problem]]] = []
    for i in positions:
        report = verify_chain(mutate(i), head=head)
        if found(report) != expect(i) or len(report.problems) != 1:
            wrong.append((i, expect(i), list(report.problems)))
    return wrong


def test_an_untouched_chain_is_reported_intact(chain: list[EventRow], head: HeadRow) -> None:
    report = verify_chain(chain, head=head)
    assert report.ok
    assert (report.events_checked, report.last_seq, report.last_hash) == (N, N, chain[-1].hash)
    assert report.summary().startswith("The audit chain is intact: 1000 events up to #1000")


def test_an_empty_chain_with_an_empty_head_is_intact() -> None:
    assert verify_chain([], head=head_of([])).ok


# -- changed -------------------------------------------------------------------------------


def test_every_edited_event_is_reported_as_changed(chain: list[EventRow], head: HeadRow) -> None:
    def edit(i: int) -> list[EventRow]:
        rows = chain.copy()
        rows[i] = dataclasses.replace(chain[i], data={**chain[i].data, "amount": 999_999})
        return rows

    assert misnamed(EVERY, edit, lambda i: (ProblemKind.CHANGED, i + 1, chain[i].id), head=head) == []
    report = verify_chain(edit(411), head=head)
    assert report.first is not None
    assert (
        report.first.message
        == "event #412 was changed after it was written: its content no longer matches its hash"
    )


@pytest.mark.parametrize(
    "field",
    ["event", "actor_label", "actor_id", "target_id", "occurred_at", "prev_hash", "hash", "seq"],
)
def test_editing_any_field_is_reported_as_changed(chain: list[EventRow], head: HeadRow, field: str) -> None:
    def edit(i: int) -> list[EventRow]:
        row = chain[i]
        value: object = {
            "event": "documents.document_destroyed",
            "actor_label": "someone else",
            "actor_id": "999",
            "target_id": "another-document",
            "occurred_at": row.occurred_at + dt.timedelta(days=3),
            "prev_hash": "f" * 64,
            "hash": "e" * 64,
            "seq": row.seq + 500,
        }[field]
        rows = chain.copy()
        rows[i] = dataclasses.replace(row, **{field: value})  # type: ignore[arg-type]
        return rows

    assert misnamed(SAMPLE, edit, lambda i: (ProblemKind.CHANGED, i + 1, chain[i].id), head=head) == []


def test_an_edited_event_whose_hash_was_recomputed_is_reported_as_changed(
    chain: list[EventRow], head: HeadRow
) -> None:
    """The forger recomputes the edited event's own hash: the next event's link gives it away
    (for the last event, the head does)."""

    def edit(i: int) -> list[EventRow]:
        rows = chain.copy()
        rows[i] = sealed(chain[i], data={"amount": 1})
        return rows

    assert misnamed(EVERY, edit, lambda i: (ProblemKind.CHANGED, i + 1, chain[i].id), head=head) == []


def test_an_event_relinked_with_a_recomputed_hash_is_the_one_reported(
    chain: list[EventRow], head: HeadRow
) -> None:
    def relink(i: int) -> list[EventRow]:
        rows = chain.copy()
        rows[i] = sealed(chain[i], prev_hash="a" * 64)
        return rows

    assert misnamed(SAMPLE, relink, lambda i: (ProblemKind.CHANGED, i + 1, chain[i].id), head=head) == []


# -- deleted -------------------------------------------------------------------------------


def test_every_deleted_event_is_reported_missing_even_the_last(chain: list[EventRow], head: HeadRow) -> None:
    def delete(i: int) -> list[EventRow]:
        return chain[:i] + chain[i + 1 :]

    assert misnamed(EVERY, delete, lambda i: (ProblemKind.DELETED, i + 1, None), head=head) == []
    report = verify_chain(delete(411), head=head)
    assert report.first is not None
    assert report.first.message == "event #412 is missing (deleted)"
    last = verify_chain(delete(N - 1), head=head).first
    assert last is not None
    assert (
        last.message
        == "event #1000 is missing (deleted): the chain head records #1000, but the chain ends at #999"
    )


def test_a_deleted_event_whose_successors_were_renumbered_is_reported_missing(
    chain: list[EventRow], head: HeadRow
) -> None:
    def delete_and_close_gap(i: int) -> list[EventRow]:
        return chain[:i] + [dataclasses.replace(row, seq=row.seq - 1) for row in chain[i + 1 :]]

    assert (
        misnamed(SAMPLE, delete_and_close_gap, lambda i: (ProblemKind.DELETED, i + 1, None), head=head) == []
    )


def test_deleted_stretch_is_reported_as_one_range(chain: list[EventRow], head: HeadRow) -> None:
    report = verify_chain(chain[:99] + chain[104:], head=head)
    assert [(p.kind, p.seq, p.seq_to) for p in report.problems] == [(ProblemKind.DELETED, 100, 104)]
    assert report.problems[0].message == "events #100 to #104 are missing (deleted)"


def test_a_cut_tail_with_the_head_moved_back_is_caught_by_the_checkpoint(
    chain: list[EventRow],
) -> None:
    checkpoints = [unsigned_checkpoint(chain[499]), unsigned_checkpoint(chain[N - 1])]
    for cut in (N - 1, N - 10, 600):
        kept = chain[:cut]
        report = verify_chain(kept, head=head_of(kept), checkpoints=checkpoints)
        assert found(report) == (ProblemKind.TRUNCATED, cut + 1, None)
        assert report.problems[0].message.startswith(
            f"the chain does not reach checkpoint #1000: it ends at #{cut}"
        )
        assert [c.chain_matches for c in report.checkpoints] == [True, False]


# -- inserted ------------------------------------------------------------------------------


def forged(seq: int, prev_hash: str) -> EventRow:
    return new_event(seq, prev_hash, label="forged", data={"amount": 1, "note": "backdated approval"})


def test_a_forged_event_is_reported_as_inserted_at_every_position(
    chain: list[EventRow], head: HeadRow
) -> None:
    """The forged event takes the number of the event it is put before and links correctly to
    its predecessor, with a correct hash; nothing else is touched."""

    def insert(i: int) -> list[EventRow]:
        prev = chain[i - 1].hash if i else head_of([]).hash
        return [*chain[:i], forged(i + 1, prev), *chain[i:]]

    def expect(i: int) -> tuple[ProblemKind, int, str | None]:
        prev = chain[i - 1].hash if i else head_of([]).hash
        return (ProblemKind.INSERTED, i + 1, forged(i + 1, prev).id)

    assert misnamed(range(N + 1), insert, expect, head=head) == []
    report = verify_chain(insert(412), head=head)
    assert report.first is not None
    assert report.first.message.startswith("an event was inserted before #413:")
    appended = verify_chain(insert(N), head=head).first
    assert appended is not None
    assert appended.message == (
        "an event was inserted after the chain head: the head records #1000, but the chain goes on to #1001"
    )


def test_a_forged_event_that_shifts_the_later_numbers_is_reported_as_inserted(
    chain: list[EventRow], head: HeadRow
) -> None:
    def insert_and_renumber(i: int) -> list[EventRow]:
        prev = chain[i - 1].hash if i else head_of([]).hash
        shifted = [dataclasses.replace(row, seq=row.seq + 1) for row in chain[i:]]
        return [*chain[:i], forged(i + 1, prev), *shifted]

    def expect(i: int) -> tuple[ProblemKind, int, str | None]:
        prev = chain[i - 1].hash if i else head_of([]).hash
        return (ProblemKind.INSERTED, i + 1, forged(i + 1, prev).id)

    assert misnamed(SAMPLE, insert_and_renumber, expect, head=head) == []


def test_a_forged_event_listed_after_the_genuine_one_is_the_one_reported(
    chain: list[EventRow], head: HeadRow
) -> None:
    fake = forged(413, chain[411].hash)
    report = verify_chain([*chain[:413], fake, *chain[413:]], head=head)
    assert found(report) == (ProblemKind.INSERTED, 413, fake.id)


# -- reordered -----------------------------------------------------------------------------


def test_every_pair_of_neighbours_swapped_is_reported_as_reordered(
    chain: list[EventRow], head: HeadRow
) -> None:
    def swap(i: int) -> list[EventRow]:
        rows = chain.copy()
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
        return rows

    assert (
        misnamed(range(N - 1), swap, lambda i: (ProblemKind.REORDERED, i + 1, chain[i].id), head=head) == []
    )
    report = verify_chain(swap(411), head=head)
    assert report.first is not None
    assert report.first.other_seq == 413
    assert report.first.message == "events #412 and #413 were swapped (reordered): #413 comes before #412"


def test_every_pair_of_neighbours_with_exchanged_numbers_is_reported_as_reordered(
    chain: list[EventRow], head: HeadRow
) -> None:
    """In the database a swap exchanges the seq values (rows are read in seq order)."""

    def exchange(i: int) -> list[EventRow]:
        rows = chain.copy()
        a, b = chain[i], chain[i + 1]
        rows[i], rows[i + 1] = dataclasses.replace(b, seq=a.seq), dataclasses.replace(a, seq=b.seq)
        return rows

    assert (
        misnamed(range(N - 1), exchange, lambda i: (ProblemKind.REORDERED, i + 1, chain[i].id), head=head)
        == []
    )


def test_an_event_moved_far_away_is_reported_as_reordered(chain: list[EventRow], head: HeadRow) -> None:
    rows = chain[:99] + chain[100:300] + [chain[99]] + chain[300:]
    report = verify_chain(rows, head=head)
    assert found(report) == (ProblemKind.REORDERED, 100, chain[99].id)
    assert len(report.problems) == 1
    assert report.problems[0].message == "event #100 was moved (reordered): it appears after #300"


# -- rewritten, and several problems ---------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "caught_at", "still_matching"), [(0, 250, 0), (249, 250, 0), (250, 500, 250)]
)
def test_a_rewritten_history_with_recomputed_hashes_is_caught_by_a_checkpoint(
    chain: list[EventRow], start: int, caught_at: int, still_matching: int
) -> None:
    checkpoints = [unsigned_checkpoint(chain[s - 1]) for s in (250, 500, 750)]
    rows = rewrite_from(chain, start, data={"amount": 1})
    report = verify_chain(rows, head=head_of(rows), checkpoints=checkpoints)
    assert found(report) == (ProblemKind.REWRITTEN, caught_at, rows[caught_at - 1].id)
    first = report.problems[0]
    assert first.message.startswith(
        f"checkpoint #{caught_at} names head hash {chain[caught_at - 1].hash[:12]}… "
        f"but event #{caught_at} has hash {rows[caught_at - 1].hash[:12]}…"
    )
    assert (f"after checkpoint #{still_matching}" in first.message) == bool(still_matching)
    assert not verify_chain(rows, head=head_of(rows)).problems  # without checkpoints it cannot be seen


def test_every_problem_is_listed_and_the_first_comes_first(chain: list[EventRow], head: HeadRow) -> None:
    rows = chain.copy()
    rows[700] = dataclasses.replace(rows[700], data={"amount": 0})
    del rows[500]
    rows[10] = dataclasses.replace(rows[10], actor_label="mallory")
    report = verify_chain(rows, head=head)
    assert [(p.kind, p.seq) for p in report.problems] == [
        (ProblemKind.CHANGED, 11),
        (ProblemKind.DELETED, 501),
        (ProblemKind.CHANGED, 701),
    ]
    assert report.summary() == (
        "The audit chain has been tampered with: event #11 was changed after it was written: "
        "its content no longer matches its hash. (2 more problems listed)"
    )
