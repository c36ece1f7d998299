"""Verifying the audit chain: does it still hold what was written, and if not, what happened where.

Each event stores ``seq`` (its position, from 1, gap-free), ``prev_hash`` (the hash of event
``seq - 1``, or the genesis hash for #1) and ``hash`` (SHA-256 of its canonical content,
*including* ``seq`` and ``prev_hash``, see ``chain.event_hash``). The chain head row records the
last ``(seq, hash)``; signed checkpoints record ``(seq, head_hash)`` at moments in the past.

The verifier reads the events once, in ``seq`` order, with one event of look-ahead, and checks
three things per event against the last accepted one: the number follows (``seq``), the link
holds (``prev_hash``) and the content matches the stored hash. What a single act of tampering
does to these three, and how it is named:

====================================  ===============================================  ==============
tampering                             what the verifier sees                           reported as
====================================  ===============================================  ==============
a field of #k edited                  #k's content no longer gives its stored hash     changed #k
#k's stored ``prev_hash`` edited      as above; it gives the hash with the true link   changed #k
#k's stored ``hash`` edited           as above; #k+1 links to #k's *recomputed* hash   changed #k
#k's ``seq`` edited, order kept       its content gives its hash under #k              changed #k
#k's ``seq`` edited, row moves        a gap at #k; later a row that gives the missing  changed #k
                                      hash under #k
#k edited, its hash recomputed        #k+1 names a predecessor that is not #k, while   changed #k
                                      #k+2 still links to #k+1 (for the last event:
                                      the head names another hash)
#k deleted                            a gap in ``seq``; #k+1 links to a missing hash   deleted #k
#k..#m deleted                        a wider gap                                      deleted #k..#m
#k deleted, later events renumbered   #k+1 stored as #k: its content gives its hash    deleted #k
                                      only under the number one higher
the last events deleted               the chain ends before the head's ``seq``         deleted
  ... and the head moved back         the chain ends before a signed checkpoint        truncated
an event forged before #k, taking #k  two events claim #k, both linking to #k-1; the   inserted #k
                                      next event continues only one of them
  ... later events renumbered         #k stored as #k+1 gives its hash one lower and   inserted #k
                                      links to where the forged #k links
a forged event after the head         events beyond the head's ``seq``                 inserted
#k and #k+1 swapped in order          #k+1 arrives where #k was expected, then #k      reordered #k
#k and #k+1 swapped numbers           #k's content under #k+1 and vice versa           reordered #k
an event moved far away               a gap where it was, then it reappears            reordered #k
history rewritten with all hashes     no break inside; a signed checkpoint names       rewritten
  recomputed (and the head updated)   another hash than the event at its ``seq``
a checkpoint forged or altered        its signature or its statement does not verify   bad_checkpoint
====================================  ===============================================  ==============

A rewrite is placed at the checkpoint that reveals it: it began at or before that position and
after the last checkpoint that still matches, and the chain alone cannot say where in between.
After a problem the verifier resynchronises on the stored hashes (a changed event does not make
every later event look changed) and lists every problem it finds; ``ChainReport.first`` is the
one with the lowest position. Only what the chain, the head and the checkpoints can prove is
claimed: appending forged events *and* moving the head after the last checkpoint, or cutting
the tail and moving the head back when no checkpoint lies beyond the cut, cannot be seen here;
how often checkpoints are signed bounds that window. A checkpoint whose signature or statement
does not verify is reported and is not used to judge the chain.

``verify_chain`` is pure (plain frozen dataclasses in, a report out) so it can run over an
in-memory list or an export; ``verify_database`` streams the table into it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cached_property

from govdoc.audit.chain import GENESIS_HASH, checkpoint_statement, event_hash
from govdoc.core.jsontypes import JSONObject


@dataclasses.dataclass(frozen=True)
class EventRow:
    """One stored event, as read. ``data`` must not be mutated once the row exists."""

    seq: int
    id: str
    occurred_at: dt.datetime
    event: str
    actor_id: str
    actor_label: str
    target_type: str
    target_id: str
    data: JSONObject
    prev_hash: str
    hash: str
    client_address: str = ""
    user_agent: str = ""

    @cached_property
    def content_hash(self) -> str:
        """The hash the row's content gives (equal to ``hash`` if nothing was changed)."""
        return self.hash_with()

    def hash_with(self, *, seq: int | None = None, prev_hash: str | None = None) -> str:
        """The hash the content would give under another number or another link."""
        return event_hash(
            seq=self.seq if seq is None else seq,
            event_id=self.id,
            occurred_at=self.occurred_at,
            event=self.event,
            actor_id=self.actor_id,
            actor_label=self.actor_label,
            target_type=self.target_type,
            target_id=self.target_id,
            data=self.data,
            prev_hash=self.prev_hash if prev_hash is None else prev_hash,
            client_address=self.client_address,
            user_agent=self.user_agent,
        )


@dataclasses.dataclass(frozen=True)
class HeadRow:
    seq: int
    hash: str


@dataclasses.dataclass(frozen=True)
class CheckpointRow:
    id: str
    seq: int
    head_hash: str
    created_at: dt.datetime
    statement: bytes
    signature: bytes
    signer_label: str


@dataclasses.dataclass(frozen=True)
class CheckpointCheck:
    """What the signatures domain says about one checkpoint's detached signature."""

    ok: bool
    reason: str
    signed_at: dt.datetime | None = None


SignatureVerifier = Callable[[bytes, bytes], CheckpointCheck]
"""``(statement, signature) -> CheckpointCheck``, provided by the signatures domain."""


class ProblemKind(enum.StrEnum):
    CHANGED = "changed"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    REWRITTEN = "rewritten"
    BAD_CHECKPOINT = "bad_checkpoint"


@dataclasses.dataclass(frozen=True)
class Problem:
    """One finding. ``seq`` is where it is (in the chain's original numbering); ``seq_to`` ends a
    range (missing events); ``other_seq`` is the partner of a swap or the checkpoint involved."""

    kind: ProblemKind
    seq: int
    message: str
    event_id: str | None = None
    seq_to: int | None = None
    other_seq: int | None = None

    def covers(self, seq: int) -> bool:
        return self.seq <= seq <= (self.seq_to if self.seq_to is not None else self.seq)


@dataclasses.dataclass(frozen=True)
class CheckpointResult:
    checkpoint_id: str
    seq: int
    head_hash: str
    signer_label: str
    statement_ok: bool
    """The signed statement names this checkpoint's seq, head hash and time."""
    signature: CheckpointCheck | None
    """None when signatures were not checked."""
    chain_matches: bool | None
    """The chain passes through ``(seq, head_hash)``; None when the checkpoint was not usable."""


@dataclasses.dataclass(frozen=True)
class ChainReport:
    events_checked: int
    last_seq: int
    last_hash: str
    problems: tuple[Problem, ...]
    checkpoints: tuple[CheckpointResult, ...] = ()
    head_checked: bool = False
    signatures_checked: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def to_json(self) -> JSONObject:
        """The report for machines (the CLI's ``--json``, the API)."""
        return {
            "ok": self.ok,
            "summary": self.summary(),
            "events_checked": self.events_checked,
            "last_seq": self.last_seq,
            "last_hash": self.last_hash,
            "head_checked": self.head_checked,
            "signatures_checked": self.signatures_checked,
            "problems": [
                {
                    "kind": p.kind.value,
                    "seq": p.seq,
                    "seq_to": p.seq_to,
                    "other_seq": p.other_seq,
                    "event_id": p.event_id,
                    "message": p.message,
                }
                for p in self.problems
            ],
            "checkpoints": [
                {
                    "checkpoint_id": c.checkpoint_id,
                    "seq": c.seq,
                    "head_hash": c.head_hash,
                    "signer_label": c.signer_label,
                    "statement_ok": c.statement_ok,
                    "signature": None
                    if c.signature is None
                    else {
                        "ok": c.signature.ok,
                        "reason": c.signature.reason,
                        "signed_at": c.signature.signed_at.isoformat() if c.signature.signed_at else None,
                    },
                    "chain_matches": c.chain_matches,
                }
                for c in self.checkpoints
            ],
        }

    def summary(self) -> str:
        if self.first is None:
            anchored = sum(1 for c in self.checkpoints if c.chain_matches)
            signed = "signed " if self.signatures_checked else ""
            return (
                f"The audit chain is intact: {self.events_checked} events up to #{self.last_seq} "
                f"(hash {_short(self.last_hash)}); {anchored} {signed}checkpoint(s) match."
            )
        more = len(self.problems) - 1
        tail = f" ({more} more problem{'s' if more != 1 else ''} listed)" if more else ""
        return f"The audit chain has been tampered with: {self.first.message}.{tail}"


def _short(digest: str) -> str:
    return digest[:12] + "…"


def _beyond_head(head_seq: int, end: int, event_id: str | None) -> Problem:
    return Problem(
        ProblemKind.INSERTED,
        head_seq + 1,
        f"{'an event was' if end == head_seq + 1 else 'events were'} inserted after the chain head: "
        f"the head records #{head_seq}, but the chain goes on to #{end}",
        event_id=event_id,
        seq_to=end,
    )


def _events_word(lo: int, hi: int) -> str:
    return f"event #{lo} is" if lo == hi else f"events #{lo} to #{hi} are"


@dataclasses.dataclass
class _Anchor:
    """A point the chain must pass through (a checkpoint) or a position to watch (the head)."""

    seq: int
    hash: str
    role: str  # "checkpoint" | "head" | "watch"
    checkpoint_id: str = ""
    matched: bool | None = None
    row: EventRow | None = None


_NO_ANCHOR = 1 << 62


class _Walk:
    """One pass over the events. State: the last accepted event (not yet *settled*: a later
    event may still show it was forged or rewritten), the hash the next event must link to,
    and ``offset`` (stored seq + offset = original seq) while a renumbered stretch lasts."""

    def __init__(
        self,
        events: Iterable[EventRow],
        *,
        head: HeadRow | None,
        anchors: list[_Anchor],
        problems: list[Problem],
    ) -> None:
        self.events: Iterator[EventRow] = iter(events)
        self.pushed: list[EventRow] = []
        self.head = head
        self.anchors = sorted(anchors, key=lambda a: a.seq)
        self.next_anchor = 0
        self.next_anchor_seq = self.anchors[0].seq if self.anchors else _NO_ANCHOR
        self.last_matching_checkpoint = 0
        self.problems = problems
        self.missing: dict[int, tuple[str, int]] = {}  # single deleted seq -> (its hash, problem index)
        self.count = 0
        self.last: EventRow | None = None
        self.last_eff = 0
        self.last_hash = GENESIS_HASH
        self.alt_prev: str | None = None
        self.any_link = False
        self.offset = 0

    # -- reading ----------------------------------------------------------------------------

    def _take(self) -> EventRow | None:
        if self.pushed:
            return self.pushed.pop()
        row = next(self.events, None)
        if row is not None:
            self.count += 1
        return row

    def _peek(self) -> EventRow | None:
        row = self._take()
        if row is not None:
            self.pushed.append(row)
        return row

    # -- bookkeeping ------------------------------------------------------------------------

    def _report(self, problem: Problem) -> int:
        self.problems.append(problem)
        return len(self.problems) - 1

    def _covered(self, seq: int) -> bool:
        return any(p.covers(seq) for p in self.problems)

    def _accept(self, row: EventRow, eff: int, *, settle_previous: bool = True) -> None:
        if settle_previous and self.last is not None and self.last_eff >= self.next_anchor_seq:
            self._settle(self.last, self.last_eff)
        self.last, self.last_eff, self.last_hash = row, eff, row.hash
        self.alt_prev, self.any_link = None, False

    def _settle(self, row: EventRow, eff: int) -> None:
        """``row`` is final at position ``eff``: check the anchors up to it."""
        i = self.next_anchor
        while i < len(self.anchors) and self.anchors[i].seq <= eff:
            anchor = self.anchors[i]
            if anchor.role == "watch":
                if anchor.seq == eff:
                    anchor.row = row
            elif anchor.seq == eff:
                anchor.row = row
                self._check_checkpoint(anchor, row)
            else:
                anchor.matched = False
                if not self._covered(anchor.seq):
                    self._report(
                        Problem(
                            ProblemKind.REWRITTEN,
                            anchor.seq,
                            f"checkpoint #{anchor.seq} names an event #{anchor.seq} that the chain skips "
                            f"(it goes on from #{eff}): the chain was rewritten",
                            other_seq=anchor.seq,
                        )
                    )
            i += 1
        self.next_anchor = i
        self.next_anchor_seq = self.anchors[i].seq if i < len(self.anchors) else _NO_ANCHOR

    def _check_checkpoint(self, anchor: _Anchor, row: EventRow) -> None:
        if row.hash == anchor.hash:
            anchor.matched = True
            self.last_matching_checkpoint = max(self.last_matching_checkpoint, anchor.seq)
            return
        anchor.matched = False
        if self._covered(anchor.seq):
            return
        since = (
            f"after checkpoint #{self.last_matching_checkpoint}, which still matches"
            if self.last_matching_checkpoint
            else "no earlier checkpoint matches"
        )
        self._report(
            Problem(
                ProblemKind.REWRITTEN,
                anchor.seq,
                f"checkpoint #{anchor.seq} names head hash {_short(anchor.hash)} but event #{anchor.seq} "
                f"has hash {_short(row.hash)}: the chain was rewritten at or before #{anchor.seq} "
                f"({since})",
                event_id=row.id,
                other_seq=anchor.seq,
            )
        )

    # -- the pass ---------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            if self.pushed or self.offset or self.alt_prev is not None or self.any_link:
                row = self._take()
                if row is None:
                    break
                if (
                    not self.offset
                    and row.seq == self.last_eff + 1
                    and row.prev_hash == self.last_hash
                    and row.hash == row.content_hash
                ):
                    self._accept(row, row.seq)
                else:
                    self._irregular(row)
                continue
            irregular = self._run_regular()
            if irregular is None:
                break
            self._irregular(irregular)
        if self.last is not None:
            self._settle(self.last, self.last_eff)
        self._finish()

    def _run_regular(self) -> EventRow | None:
        """The hot loop: accept events while number, link and content all agree."""
        last, last_eff, last_hash = self.last, self.last_eff, self.last_hash
        next_anchor_seq = self.next_anchor_seq
        count = 0
        irregular: EventRow | None = None
        for row in self.events:
            count += 1
            if row.seq == last_eff + 1 and row.prev_hash == last_hash and row.hash == row.content_hash:
                if last_eff >= next_anchor_seq and last is not None:
                    self._settle(last, last_eff)
                    next_anchor_seq = self.next_anchor_seq
                last, last_eff, last_hash = row, row.seq, row.hash
            else:
                irregular = row
                break
        self.count += count
        self.last, self.last_eff, self.last_hash = last, last_eff, last_hash
        return irregular

    def _links(self, row: EventRow) -> bool:
        return self.any_link or row.prev_hash == self.last_hash or row.prev_hash == self.alt_prev

    def _irregular(self, row: EventRow) -> None:
        expected = self.last_eff + 1
        if self.offset:
            # Inside a renumbered stretch: the row keeps the shift, or the shift ends here.
            if (
                row.seq + self.offset == expected
                and self._links(row)
                and row.hash_with(seq=row.seq + self.offset) == row.hash
            ):
                self._accept(row, expected)
                return
            self.offset = 0
            if row.seq == expected and self._links(row) and row.hash == row.content_hash:
                self._accept(row, expected)
                return
        if row.hash == row.content_hash:
            self._intact_row(row, expected)
        else:
            self._altered_row(row, expected)

    def _intact_row(self, row: EventRow, expected: int) -> None:
        """The row's content gives its hash; its number or its link is wrong."""
        s = row.seq
        if s == expected:
            if self._links(row):
                self._accept(row, s)
            else:
                self._broken_link(row)
            return
        if s > expected:
            nxt = self._peek()
            if (
                nxt is not None
                and nxt.seq == expected
                and nxt.hash == nxt.content_hash
                and self._links(nxt)
                and row.prev_hash == nxt.hash
            ):
                self._take()
                self._report(
                    Problem(
                        ProblemKind.REORDERED,
                        expected,
                        f"events #{expected} and #{s} were swapped (reordered): "
                        f"#{s} comes before #{expected}",
                        event_id=nxt.id,
                        other_seq=s,
                    )
                )
                self._accept(nxt, expected)
                self._accept(row, s)
                return
            if self._links(row):
                self._report(
                    Problem(
                        ProblemKind.CHANGED,
                        expected,
                        f"event #{s} was changed after it was written: it follows #{expected - 1} "
                        f"but was renumbered to #{s} and its hash recomputed",
                        event_id=row.id,
                        seq_to=s,
                    )
                )
                self._accept(row, s)
                return
            index = self._report(
                Problem(
                    ProblemKind.DELETED,
                    expected,
                    f"{_events_word(expected, s - 1)} missing (deleted)",
                    seq_to=s - 1,
                )
            )
            if s == expected + 1:
                self.missing[expected] = (row.prev_hash, index)
            self._accept(row, s)
            return
        # s < expected: a number the chain has already passed.
        last = self.last
        if last is not None and s == self.last_eff and row.prev_hash == last.prev_hash:
            self._fork(row)
            return
        moved = self.missing.get(s)
        if moved is not None and moved[0] == row.hash:
            self.problems[moved[1]] = Problem(
                ProblemKind.REORDERED,
                s,
                f"event #{s} was moved (reordered): it appears after #{expected - 1}",
                event_id=row.id,
                other_seq=expected - 1,
            )
            return
        self._report(
            Problem(
                ProblemKind.INSERTED,
                s,
                f"an event was inserted after #{expected - 1}: event {row.id} claims #{s}, "
                f"a number the chain already holds",
                event_id=row.id,
            )
        )

    def _fork(self, row: EventRow) -> None:
        """Two events claim the same number and link to the same predecessor: one is forged.

        The genuine one is the one the chain goes on from (the next event's link), or, at the
        end, the one the head or a checkpoint names.
        """
        first = self.last
        assert first is not None
        s = row.seq
        nxt = self._peek()
        if nxt is not None:
            genuine = row if nxt.prev_hash == row.hash else first if nxt.prev_hash == first.hash else None
        else:
            named = {a.hash for a in self.anchors if a.seq == s and a.role == "checkpoint"}
            if self.head is not None and self.head.seq == s:
                named.add(self.head.hash)
            genuine = row if row.hash in named else first if first.hash in named else None
        forged = first if genuine is row else row
        kept = genuine.id if genuine is not None else first.id
        self._report(
            Problem(
                ProblemKind.INSERTED,
                s,
                f"an event was inserted before #{s}: event {forged.id} and event {kept} both claim #{s} "
                f"and link to #{s - 1}, but the chain goes on only from event {kept}"
                if genuine is not None
                else f"an event was inserted at #{s}: events {first.id} and {row.id} both claim #{s} "
                f"and link to #{s - 1}; nothing shows which one is genuine",
                event_id=forged.id,
            )
        )
        if genuine is row:
            self._accept(row, s, settle_previous=False)

    def _broken_link(self, row: EventRow) -> None:
        """Number and content agree, but the row names another predecessor."""
        last = self.last
        s = row.seq
        nxt = self._peek()
        if nxt is not None:
            row_is_intact = nxt.prev_hash == row.hash
        else:
            row_is_intact = self.head is None or self.head.hash == row.hash
        if last is not None and row_is_intact:
            self._report(
                Problem(
                    ProblemKind.CHANGED,
                    self.last_eff,
                    f"event #{self.last_eff} was changed after it was written: its hash was recomputed, "
                    f"but event #{s} still names its former hash",
                    event_id=last.id,
                )
            )
            self._accept(row, s)
            return
        where = f"it does not link to #{s - 1}" if s > 1 else "it does not start from the genesis hash"
        self._report(
            Problem(
                ProblemKind.CHANGED,
                s,
                f"event #{s} was changed after it was written: its hash was recomputed, and {where}",
                event_id=row.id,
            )
        )
        self._accept(row, s)
        self.any_link = True

    def _altered_row(self, row: EventRow, expected: int) -> None:
        """The row's content does not give its stored hash."""
        s = row.seq
        links = self._links(row)
        if s != expected and row.hash_with(seq=expected) == row.hash:
            self._changed(row, expected, f"its number was changed from #{expected} to #{s}")
            return
        for gone, (gone_hash, index) in self.missing.items():
            if row.hash == gone_hash and row.hash_with(seq=gone) == row.hash:
                # The event taken for deleted is here, renumbered (and so sorted elsewhere).
                self.problems[index] = Problem(
                    ProblemKind.CHANGED,
                    gone,
                    f"event #{gone} was changed after it was written: its number was changed to #{s}",
                    event_id=row.id,
                )
                del self.missing[gone]
                return
        if s == expected and not links:
            if row.hash_with(prev_hash=self.last_hash) == row.hash:
                self._changed(row, s, f"its link to #{s - 1} was altered")
                return
            if row.hash_with(seq=s + 1) == row.hash:
                self._renumbered_down(row)
                return
            last = self.last
            if last is not None and row.prev_hash == last.prev_hash and row.hash_with(seq=s - 1) == row.hash:
                # The previous row was forged in at #s-1 and the genuine events shifted up by one.
                self._report(
                    Problem(
                        ProblemKind.INSERTED,
                        self.last_eff,
                        f"an event was inserted before #{self.last_eff}: event {last.id} (now "
                        f"#{self.last_eff}) links to #{self.last_eff - 1}, and the events from the "
                        f"original #{self.last_eff} on were renumbered",
                        event_id=last.id,
                    )
                )
                self._accept(row, s - 1, settle_previous=False)
                self.offset = -1
                return
        if s > expected:
            self._report(
                Problem(
                    ProblemKind.DELETED,
                    expected,
                    f"{_events_word(expected, s - 1)} missing (deleted)",
                    seq_to=s - 1,
                )
            )
        if s < expected:
            self._report(
                Problem(
                    ProblemKind.CHANGED,
                    s,
                    f"event #{s} was changed after it was written and appears out of place "
                    f"(after #{expected - 1})",
                    event_id=row.id,
                )
            )
            return
        self._changed(row, s, "its content no longer matches its hash" if links else "")

    def _changed(self, row: EventRow, eff: int, how: str) -> None:
        detail = how or f"its content no longer matches its hash and it does not link to #{eff - 1}"
        self._report(
            Problem(
                ProblemKind.CHANGED,
                eff,
                f"event #{eff} was changed after it was written: {detail}",
                event_id=row.id,
            )
        )
        self._accept(row, eff)
        # The next event may link to the stored hash or, if only the stored hash was edited,
        # to the hash the content gives.
        self.alt_prev = row.content_hash

    def _renumbered_down(self, row: EventRow) -> None:
        """``row`` holds the content of #s+1 under number #s: a swap, or a deletion closed up."""
        s = row.seq
        nxt = self._peek()
        if (
            nxt is not None
            and nxt.seq == s + 1
            and nxt.hash_with(seq=s) == nxt.hash
            and self._links(nxt)
            and row.prev_hash == nxt.hash
        ):
            self._take()
            self._report(
                Problem(
                    ProblemKind.REORDERED,
                    s,
                    f"events #{s} and #{s + 1} were swapped (reordered): their numbers were exchanged",
                    event_id=nxt.id,
                    other_seq=s + 1,
                )
            )
            self._accept(nxt, s)
            self._accept(row, s + 1)
            return
        self._report(
            Problem(
                ProblemKind.DELETED,
                s,
                f"event #{s} is missing (deleted), and the events after it were renumbered to close the gap",
            )
        )
        self._accept(row, s + 1)
        self.offset = 1

    # -- the end ----------------------------------------------------------------------------

    def _finish(self) -> None:
        end = self.last_eff
        stored_end = self.last.seq if self.last is not None else 0
        head = self.head
        if head is not None:
            self._finish_head(head, end, stored_end)
        unreached = [a for a in self.anchors if a.role == "checkpoint" and a.seq > end]
        for anchor in unreached:
            anchor.matched = False
        if unreached and not self._covered(unreached[0].seq):
            first = unreached[0]
            more = f" (nor {len(unreached) - 1} later checkpoint(s))" if len(unreached) > 1 else ""
            self._report(
                Problem(
                    ProblemKind.TRUNCATED,
                    end + 1,
                    f"the chain does not reach checkpoint #{first.seq}{more}: it ends at #{end}, "
                    f"so the tail was cut off (and the head moved back)",
                    seq_to=first.seq,
                    other_seq=first.seq,
                )
            )

    def _finish_head(self, head: HeadRow, end: int, stored_end: int) -> None:
        if head.hash == self.last_hash and head.seq in (end, stored_end):
            return
        if head.seq > max(end, stored_end):
            if not self._covered(end + 1):
                lo, hi = end + 1, head.seq
                self._report(
                    Problem(
                        ProblemKind.DELETED,
                        lo,
                        f"{_events_word(lo, hi)} missing (deleted): the chain head records #{hi}, "
                        f"but the chain ends at #{end}",
                        seq_to=hi,
                    )
                )
            return
        if head.seq in (end, stored_end):
            if not self._covered(end) and self.last is not None:
                self._report(
                    Problem(
                        ProblemKind.CHANGED,
                        end,
                        f"event #{end} was changed after it was written: the chain head records hash "
                        f"{_short(head.hash)} for it, the event has {_short(self.last_hash)}",
                        event_id=self.last.id,
                    )
                )
            return
        # The chain goes on beyond the head.
        at_head = self._watched(head.seq)
        if at_head is not None and at_head.hash != head.hash:
            if not self._covered(head.seq):
                self._report(
                    Problem(
                        ProblemKind.CHANGED,
                        head.seq,
                        f"event #{head.seq} does not match the chain head (head hash {_short(head.hash)}, "
                        f"event hash {_short(at_head.hash)}): the event was rewritten or the head altered",
                        event_id=at_head.id,
                    )
                )
            return
        if not self._covered(head.seq + 1):
            beyond = self._watched(head.seq + 1)
            self._report(_beyond_head(head.seq, end, beyond.id if beyond is not None else None))

    def _watched(self, seq: int) -> EventRow | None:
        for anchor in self.anchors:
            if anchor.seq == seq and anchor.row is not None:
                return anchor.row
        return None


def verify_chain(
    events: Iterable[EventRow],
    *,
    checkpoints: Sequence[CheckpointRow] = (),
    head: HeadRow | None = None,
    verify_signature: SignatureVerifier | None = None,
) -> ChainReport:
    """Check the events (in ``seq`` order) against themselves, the head and the checkpoints.

    ``verify_signature`` checks each checkpoint's detached signature; a checkpoint that fails it
    (or whose statement does not match its columns) is reported and not trusted. Without it the
    checkpoints are trusted as stored (``ChainReport.signatures_checked`` is False).
    """
    problems: list[Problem] = []
    anchors: list[_Anchor] = []
    usable: dict[str, _Anchor] = {}
    verdicts: list[tuple[CheckpointRow, bool, CheckpointCheck | None]] = []
    for cp in checkpoints:
        statement_ok = cp.statement == checkpoint_statement(
            seq=cp.seq, head_hash=cp.head_hash, created_at=cp.created_at
        )
        check = _check_signature(verify_signature, cp) if verify_signature is not None else None
        verdicts.append((cp, statement_ok, check))
        if not statement_ok:
            problems.append(
                Problem(
                    ProblemKind.BAD_CHECKPOINT,
                    cp.seq,
                    f"checkpoint #{cp.seq} was altered: its signed statement does not name "
                    f"#{cp.seq}, hash {_short(cp.head_hash)} and its time",
                    other_seq=cp.seq,
                )
            )
        elif check is not None and not check.ok:
            problems.append(
                Problem(
                    ProblemKind.BAD_CHECKPOINT,
                    cp.seq,
                    f"the signature of checkpoint #{cp.seq} is not valid: {check.reason}",
                    other_seq=cp.seq,
                )
            )
        elif cp.seq == 0:
            if cp.head_hash != GENESIS_HASH:
                problems.append(
                    Problem(
                        ProblemKind.BAD_CHECKPOINT,
                        0,
                        "checkpoint #0 names a hash other than the genesis hash",
                        other_seq=0,
                    )
                )
        else:
            anchor = _Anchor(cp.seq, cp.head_hash, "checkpoint", checkpoint_id=cp.id)
            anchors.append(anchor)
            usable[cp.id] = anchor
    if head is not None:
        anchors += [_Anchor(head.seq, head.hash, "watch"), _Anchor(head.seq + 1, "", "watch")]

    walk = _Walk(events, head=head, anchors=anchors, problems=problems)
    walk.run()

    results = tuple(
        CheckpointResult(
            checkpoint_id=cp.id,
            seq=cp.seq,
            head_hash=cp.head_hash,
            signer_label=cp.signer_label,
            statement_ok=statement_ok,
            signature=check,
            chain_matches=(
                usable[cp.id].matched
                if cp.id in usable
                else (cp.head_hash == GENESIS_HASH if cp.seq == 0 and statement_ok else None)
            ),
        )
        for cp, statement_ok, check in verdicts
    )
    return ChainReport(
        events_checked=walk.count,
        last_seq=walk.last_eff,
        last_hash=walk.last_hash,
        problems=tuple(sorted(walk.problems, key=lambda p: p.seq)),
        checkpoints=results,
        head_checked=head is not None,
        signatures_checked=verify_signature is not None,
    )


def _check_signature(verify_signature: SignatureVerifier, cp: CheckpointRow) -> CheckpointCheck:
    try:
        return verify_signature(cp.statement, cp.signature)
    except Exception as exc:  # a verifier that chokes on garbage bytes must not hide the finding
        return CheckpointCheck(ok=False, reason=f"the signature cannot be read ({exc})")


def verify_database(*, verify_signature: SignatureVerifier | None, chunk_size: int = 2000) -> ChainReport:
    """Verify the stored chain, streaming the events table.

    The head is read before and after the events, so writers may go on recording meanwhile
    without the new events being taken for forged ones.
    """
    # Imported here so that verify_chain stays usable without a configured Django.
    from govdoc.audit.models import AuditCheckpoint, AuditEvent, AuditHead

    def read_head() -> HeadRow | None:
        row = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
        return HeadRow(seq=row[0], hash=row[1]) if row is not None else None

    head = read_head()
    checkpoints = [
        CheckpointRow(
            id=str(cp_id),
            seq=seq,
            head_hash=head_hash,
            created_at=created_at,
            statement=bytes(statement),
            signature=bytes(signature),
            signer_label=signer_label,
        )
        for cp_id, seq, head_hash, created_at, statement, signature, signer_label in (
            AuditCheckpoint.objects.order_by("seq", "created_at").values_list(
                "id", "seq", "head_hash", "created_at", "statement", "signature", "signer_label"
            )
        )
    ]
    # EventRow's fields are named after the model's columns, in the same order.
    columns = [field.name for field in dataclasses.fields(EventRow)]
    rows = AuditEvent.objects.order_by("seq").values_list(*columns).iterator(chunk_size=chunk_size)
    events = (EventRow(seq, str(event_id), *rest) for seq, event_id, *rest in rows)
    report = verify_chain(events, checkpoints=checkpoints, head=head, verify_signature=verify_signature)
    if head is None:
        return report
    beyond = next(
        (
            p
            for p in report.problems
            if p.kind is ProblemKind.INSERTED and p.seq == head.seq + 1 and p.seq_to == report.last_seq
        ),
        None,
    )
    later = read_head() if beyond is not None else None
    if beyond is None or later is None or later.seq <= head.seq:
        return report
    # Writers appended events while the chain was read: only events beyond the head as it is
    # now are unaccounted for.
    problems = [p for p in report.problems if p is not beyond]
    if report.last_seq > later.seq:
        first_id = AuditEvent.objects.filter(seq=later.seq + 1).values_list("id", flat=True).first()
        problems.append(
            _beyond_head(later.seq, report.last_seq, str(first_id) if first_id is not None else None)
        )
    return dataclasses.replace(report, problems=tuple(sorted(problems, key=lambda p: p.seq)))
