"""A thousand letters go from one real node to another while things break: the receiving node's
web server is stopped for a while, and the sending node's worker is killed (SIGKILL) mid-flow
more than once. Every letter arrives exactly once, with a signed receipt, and each side's audit
says so once per letter.

Only one letter is approved and sealed for real (as an official does it); the others are made
from it by the sending node's own services, as ``outgoing_finish`` makes a sent letter, without
sealing the PDF again (the seal is not what this test is about, and 1,000 seals would take
most of its time): each is a document of its own with its own outgoing number, the sealed PDF
as its sealed version, and its own consignment, queued through the outbox exactly as
``outgoing_finish`` queues it. ``GOVDOC_FAULTS_N`` sets how many letters (default 1,000; below
about 200 the flow may end before the faults come, and the test says so), ``GOVDOC_FAULTS_BATCH``
how many the sender puts in one batch (default: the node's own default).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any

import pytest

from tests.federation.harness import NODE_A, NODE_B, Node, TwoNodes
from tests.federation.letters import MUP, audit_verify, letter_send, letters_make, wait_answered

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

N = int(os.environ.get("GOVDOC_FAULTS_N", "1000"))
FLOW_TIMEOUT = 15 * 60.0
OUTAGE_SECONDS = 15.0
PROGRESS_EVERY = 10.0
# a consignment another attempt had claimed is looked at again when that claim runs out
# (2 x GOVDOC_FEDERATION_TIMEOUT + 30 s): its task may still be waiting when all are delivered
TASKS_TIMEOUT = 120.0
SEND_TASK = "govdoc.distribution.tasks.consignment_send_run"


# How many consignments rs-a sends together (GOVDOC_FEDERATION_BATCH; unset: the node's
# default). GOVDOC_FAULTS_BATCH=1 sends every envelope alone, the way to a node without batches.
BATCH = os.environ.get("GOVDOC_FAULTS_BATCH", "")


@pytest.fixture
def node_extra_env() -> Mapping[str, Mapping[str, str]]:
    """rs-a tries again after 1 s (doubling), for an hour, and waits 5 s for an answer: the
    stopped receiver costs seconds of back-off, not the default half minute."""
    sender = {
        "GOVDOC_FEDERATION_RETRY_SECONDS": "1",
        "GOVDOC_FEDERATION_SEND_SECONDS": "3600",
        "GOVDOC_FEDERATION_TIMEOUT": "5",
    }
    if BATCH:
        sender["GOVDOC_FEDERATION_BATCH"] = BATCH
    return {NODE_A: sender}


def _by_status(a: Node) -> dict[str, int]:
    return {
        str(status): int(count)
        for status, count in a.query("SELECT status, count(*) FROM distribution_consignment GROUP BY status")
    }


def _count(node: Node, sql: str, params: tuple[Any, ...] = ()) -> int:
    [(value,)] = node.query(sql, params)
    return int(value)


def _events(node: Node, name: str) -> int:
    return _count(node, "SELECT count(*) FROM audit_auditevent WHERE event = %s", (name,))


def _event_targets(node: Node, name: str, *, key: str | None = None) -> set[str]:
    """The targets of the node's ``name`` events (or the ``key`` of their data)."""
    what = "target_id" if key is None else "data ->> %s::text"
    params: tuple[Any, ...] = (name,) if key is None else (key, name)
    rows = node.query(f"SELECT {what} FROM audit_auditevent WHERE event = %s", params)
    return {str(row[0]) for row in rows}


class Faults:
    """What is done to the nodes, and when: each fault once the flow has delivered its share of
    the letters (so it hits mid-flow), noted with how many were delivered at that moment."""

    def __init__(self, a: Node, b: Node) -> None:
        self.a, self.b = a, b
        # (share of the letters delivered, what): a crash early, the receiver gone for a while
        # (and a crash while it is), another crash late
        self.plan: list[tuple[float, str]] = [(0.10, "kill"), (0.30, "outage"), (0.60, "kill")]
        self.done: list[tuple[str, int, int]] = []  # (what, delivered then, still sending then)

    def due(self, delivered: int, sending: int) -> None:
        while self.plan and delivered >= self.plan[0][0] * N and sending:
            _share, what = self.plan.pop(0)
            self.done.append((what, delivered, sending))
            if what == "kill":
                self._kill()
            else:
                self._outage()

    def _kill(self) -> None:
        worker = self.a.worker
        assert worker is not None
        print(f"SIGKILL {self.a.node_id}'s worker (pid {worker.pid})")
        self.a.kill_worker()
        time.sleep(1)
        self.a.start_worker()

    def _outage(self) -> None:
        print(f"stopping {self.b.node_id}'s web server for {OUTAGE_SECONDS:.0f} s")
        self.b.stop_web()
        time.sleep(OUTAGE_SECONDS / 2)
        self.done.append(("kill during the outage", -1, -1))
        self._kill()
        time.sleep(OUTAGE_SECONDS / 2)
        self.b.start_web()
        print(f"{self.b.node_id}'s web server answers again")


def test_a_thousand_dispatches_survive_a_stopped_receiver_and_a_killed_sender_worker(
    two_nodes: TwoNodes,
) -> None:
    a, b = two_nodes
    assert N >= 2, "GOVDOC_FAULTS_N: at least 2 (one letter approved for real, the others made from it)"

    # one letter approved, sealed and delivered for real: the model of the others
    model = letter_send(
        a,
        office=MUP,
        to_node=NODE_B,
        to_agency="beograd",
        title="Dopis",
        text="Molimo da nam dostavite podatke.",
    )
    state = wait_answered(a, model, timeout=120, others=(b,))
    assert state["status"] == "delivered", state

    # the others are made while rs-a's worker is stopped, so that they all wait in the outbox
    # and the flow (and its clock) starts at once when it starts again
    a.stop_worker()
    made_in = letters_make(a, model=model, count=N - 1)
    assert _by_status(a) == {"delivered": 1, "sending": N - 1}

    faults = Faults(a, b)
    started = time.monotonic()
    a.start_worker()
    deadline, last_print = started + FLOW_TIMEOUT, 0.0
    while True:
        counts = _by_status(a)
        delivered, sending = counts.get("delivered", 0), counts.get("sending", 0)
        now = time.monotonic()
        if now - last_print >= PROGRESS_EVERY or not sending:
            last_print = now
            print(f"{now - started:6.1f} s: {counts}")
        if not sending:
            break
        assert now < deadline, f"still sending after {FLOW_TIMEOUT:.0f} s: {counts}"
        faults.due(delivered, sending)
        time.sleep(0.5)
    flow_seconds = time.monotonic() - started
    rate = (N - 1) / flow_seconds
    print(
        f"{N - 1} dispatches in {flow_seconds:.1f} s ({rate:.1f}/s) under faults {faults.done}; "
        f"{N - 1} letters made in {made_in:.1f} s"
    )
    assert not faults.plan, f"the flow ended before every fault came (N={N} is too few): {faults.done}"
    assert all(sending > 0 for what, _d, sending in faults.done if what != "kill during the outage")

    # rs-a: every consignment delivered, with a signed receipt: its own, or the one of the
    # batch that answered it (when the node sends them together)
    assert _by_status(a) == {"delivered": N}
    answered = _count(
        a,
        "SELECT count(*) FROM distribution_consignment c"
        " LEFT JOIN distribution_batch b ON b.id = c.batch_id"
        " WHERE (c.receipt IS NOT NULL OR b.receipt IS NOT NULL) AND c.answered_at IS NOT NULL",
    )
    assert answered == N
    attempts = a.query(
        "SELECT sum(attempts), max(attempts), count(*) FILTER (WHERE attempts > 1)"
        " FROM distribution_consignment"
    )
    print(f"attempts on {a.node_id}: total, most for one, consignments tried more than once = {attempts[0]}")

    # rs-b: exactly one arrival and one delivery per consignment, and no other
    sent_ids = {str(row[0]) for row in a.query("SELECT id FROM distribution_consignment")}
    arrived = [
        str(row[0])
        for row in b.query(
            "SELECT consignment_id FROM distribution_arrival r JOIN distribution_node n ON n.id = r.node_id"
            " WHERE n.node_id = %s",
            (NODE_A,),
        )
    ]
    assert len(arrived) == len(set(arrived)) == N
    assert set(arrived) == sent_ids
    assert _count(b, "SELECT count(*) FROM distribution_arrival") == N
    assert _count(b, "SELECT count(*) FROM distribution_delivery") == N
    assert (
        _count(b, "SELECT count(DISTINCT arrival_id) FROM distribution_delivery WHERE status = 'delivered'")
        == N
    )

    # each side's audit says it once per letter, and nothing was refused or given up
    assert _events(a, "distribution.consignment_delivered") == N
    assert _event_targets(a, "distribution.consignment_delivered") == sent_ids
    assert (
        _events(a, "distribution.consignment_failed") == _events(a, "distribution.consignment_refused") == 0
    )
    assert _events(b, "distribution.envelope_received") == N
    assert _event_targets(b, "distribution.envelope_received", key="consignment_id") == sent_ids
    assert _events(b, "distribution.envelope_refused") == 0

    # rs-a's killed work was taken again: in the end no sending task is left running (by a
    # dead worker), waiting or failed, and none was given up
    def unfinished_tasks() -> dict[str, int]:
        return {
            f"{queue}/{status}": int(count)
            for queue, status, count in a.query(
                "SELECT queue_name, status, count(*) FROM django_tasks_database_dbtaskresult"
                " WHERE task_path = %s AND (status <> 'SUCCESSFUL' OR queue_name <> 'default')"
                " GROUP BY queue_name, status",
                (SEND_TASK,),
            )
        }

    until = time.monotonic() + TASKS_TIMEOUT
    while (left := unfinished_tasks()) and time.monotonic() < until:
        time.sleep(1)
    assert not left, f"sending tasks of {a.node_id} not finished {TASKS_TIMEOUT:.0f} s after the flow: {left}"
    runs = a.query(
        "SELECT count(*), count(*) FILTER (WHERE jsonb_array_length(worker_ids) > 1)"
        " FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
        (SEND_TASK,),
    )
    print(f"sending tasks on {a.node_id}: all, run by more than one worker = {runs[0]}")

    for node in (a, b):
        report = audit_verify(node)
        assert report["ok"] is True, (node.node_id, report["summary"], report["problems"][:5])
