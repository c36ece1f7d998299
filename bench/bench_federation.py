"""Envelopes per second between two GovDoc nodes on loopback, beside the bare signing and
verification of the same envelopes, in the same run.

1. GovDoc: two real nodes (tests/federation/harness.py: each its own PostgreSQL database, PKI,
   ``govdoc serve`` and ``govdoc worker``, trusting each other as administrators make them).
   One letter is drafted, approved, sealed and sent for real; ``-n`` - 1 more are made from it
   by the node's own services (the same sealed PDF, each its own document, registry number and
   consignment) and left planned. With the sending node's worker running, all are queued in
   one transaction and the clock runs until every consignment is answered. What that covers,
   per envelope: the manifest built and kept, the batch's (or the envelope's) e-seal with a
   timestamp, the POST, the receiving node's checks (the signature against the trust list and
   CRL, every hash, the schema), the arrival and delivery kept with their audit events, the
   signed receipt, and on the sending node the receipt checked and kept with its audit event.
   ``--batch`` is ``GOVDOC_FEDERATION_BATCH`` (1: every envelope alone, signed and answered by
   itself).
2. The bare library: on the sending node, ``--bare`` of the same manifests (as the run kept
   them) are signed one by one with the agency's e-seal and a timestamp (pyHanko CAdES, the
   same call GovDoc makes for an envelope alone) and each signature is verified against the
   node's root CA and CRL: no database, no HTTP, nothing kept.

Printed: both rates and their ratio (GovDoc / bare); then, as the wall time depends on what
else the machine runs, the CPU time per envelope that each kind of process of each node spent
while the envelopes travelled (``govdoc serve``, the workers, the PostgreSQL backends of the
node's database; read from ``/proc``, Linux only). Both nodes share the cores with each other
and with PostgreSQL. The clock starts when the transaction that queues the consignments has
committed (queueing is the outbox's work when documents are approved; its time is printed
apart).

    GOVDOC_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432 \
        .venv/bin/python bench/bench_federation.py -n 1000
    .venv/bin/python bench/bench_federation.py -n 300 --batch 1
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.federation import harness  # noqa: E402
from tests.federation.letters import MUP, letter_send, letters_make, letters_queue, wait_answered  # noqa: E402

_BARE = """
import json, time
from govdoc.accounts.models import Agency
from govdoc.distribution.models import Consignment
from govdoc.signatures import keyring
from govdoc.signatures.selectors import detached_verify_trusting
from govdoc.signatures.services import detached_seal
from govdoc.signatures.engine.model import Verdict

kept = Consignment.objects.exclude(manifest=None).values_list("manifest", flat=True)
manifests = [bytes(m) for m in kept[:COUNT]]
key = keyring.eseal_key("mup", name=Agency.objects.get(code="mup").name)
store = keyring.ensure()
roots, crls = (store.root_certificate(),), (store.crl_der(),)
warm = detached_seal(data=manifests[0], key=key)
detached_verify_trusting(manifests[0], warm, roots=roots, crls=crls)
signed, sign_s, verify_s = [], 0.0, 0.0
for m in manifests:
    t = time.perf_counter()
    s = detached_seal(data=m, key=key)
    sign_s += time.perf_counter() - t
    signed.append(s)
for m, s in zip(manifests, signed):
    t = time.perf_counter()
    r = detached_verify_trusting(m, s, roots=roots, crls=crls)
    verify_s += time.perf_counter() - t
    assert r.state is Verdict.AUTHENTIC, r.reasons
print(json.dumps({"count": len(manifests), "sign_s": sign_s, "verify_s": verify_s}))
"""


def _delivered(a: harness.Node) -> tuple[int, int]:
    rows = a.query(
        "SELECT count(*) FILTER (WHERE status = 'sending'),"
        " count(*) FILTER (WHERE status IN ('delivered', 'refused', 'failed')) FROM distribution_consignment"
    )
    return int(rows[0][0]), int(rows[0][1])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_by_role(nodes: tuple[harness.Node, ...], pids: dict[tuple[str, int], str]) -> dict[str, float]:
    spent: dict[str, float] = {}
    for (node_id, pid), role in pids.items():
        key = f"{node_id} {role}"
        spent[key] = spent.get(key, 0.0) + _cpu_seconds(pid)
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=1000, help="envelopes (letters, one recipient each)")
    parser.add_argument("--batch", type=int, default=100, help="GOVDOC_FEDERATION_BATCH on the sending node")
    parser.add_argument("--bare", type=int, default=100, help="envelopes signed and verified bare")
    parser.add_argument("--workers", type=int, default=2, help="worker processes on the sending node")
    args = parser.parse_args()
    problem = harness.postgres_problem()
    if problem:
        print(f"bench_federation: {problem}", file=sys.stderr)
        return 2
    quiet = {"GOVDOC_LOG_LEVEL": "WARNING"}
    extra = {
        harness.NODE_A: {**quiet, "GOVDOC_FEDERATION_BATCH": str(args.batch)},
        harness.NODE_B: quiet,
    }
    with tempfile.TemporaryDirectory() as tmp, harness.two_nodes_running(Path(tmp), extra_env=extra) as nodes:
        a, b = nodes
        model = letter_send(
            a, office=MUP, to_node=harness.NODE_B, to_agency="beograd", title="Dopis", text="Molimo podatke."
        )
        state = wait_answered(a, model, timeout=180, others=(b,))
        assert state["status"] == "delivered", state
        print(f"making {args.n - 1} more letters on {a.node_id} ...", flush=True)
        letters_make(a, model=model, count=args.n - 1, queue=False)
        a.start_more_workers(args.workers - 1)
        time.sleep(1)  # past their first heartbeat: settled into polling for tasks
        queued, started, queueing = letters_queue(a)
        # read at once, not before the queueing: its inserts and the idle workers' polling in
        # the meantime are no part of sending (the first moments after the commit are lost)
        pids = {(n.node_id, pid): role for n in (a, b) for pid, role in n.processes().items()}
        before = _cpu_by_role((a, b), pids)
        print(f"queued {queued} in {queueing:.1f} s (one transaction, as the outbox writes them)", flush=True)
        while True:
            sending, _answered = _delivered(a)
            if sending == 0:
                break
            time.sleep(0.05)
        seconds = time.time() - started
        # backends opened meanwhile (a server thread's first connection) count from their start
        pids.update({(n.node_id, pid): role for n in (a, b) for pid, role in n.processes().items()})
        after = _cpu_by_role((a, b), pids)
        print(f"all answered in {seconds:.1f} s after the queue committed", flush=True)
        arrived = int(b.query("SELECT count(*) FROM distribution_arrival")[0][0])
        refused = int(
            a.query("SELECT count(*) FROM distribution_consignment WHERE status <> 'delivered'")[0][0]
        )
        rate = queued / seconds
        bare = a.run_json(
            f"COUNT = {min(args.bare, queued)}\n{_BARE}",
            timeout=1800,
        )
    per_envelope = (bare["sign_s"] + bare["verify_s"]) / bare["count"]
    bare_rate = 1 / per_envelope
    sign_ms, verify_ms = (1000 * bare[k] / bare["count"] for k in ("sign_s", "verify_s"))
    print()
    print(f"envelopes: {queued} (batch {args.batch}, {args.workers} sending workers)")
    print(f"arrived on {harness.NODE_B}: {arrived - 1}; not delivered: {refused}")
    print(f"GovDoc node to node (sign, send, verify, register, receipt): {rate:7.1f} envelopes/s")
    print(f"  ({seconds:.1f} s)")
    print(
        f"bare pyHanko, sign + verify each ({bare['count']} of the manifests): {bare_rate:7.1f} envelopes/s"
    )
    print(f"  (sign {sign_ms:.1f} ms, verify {verify_ms:.1f} ms)")
    print(f"ratio GovDoc / bare: x{rate / bare_rate:.2f}")
    if Path("/proc/self/stat").exists():
        print("CPU time per envelope while they travelled (queueing not included):")
        total = 0.0
        for key in sorted(after):
            spent = max(after[key] - before.get(key, 0.0), 0.0)
            total += spent
            print(f"  {key:<28} {1000 * spent / queued:6.2f} ms")
        per_core = queued / total if total else 0.0
        print(f"  {'all':<28} {1000 * total / queued:6.2f} ms (at most {per_core:.0f} envelopes/s per core)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
