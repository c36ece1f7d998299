"""Two real GovDoc nodes, started the way an operator starts them, trust each other from what
each publishes: the ground every federation test stands on (harness.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.federation.harness import NODE_A, NODE_B, Node, TwoNodes

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _trust_list(node: Node) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(node.govdoc("node", "list", "--json").stdout)
    return entries


def test_nodes_trust_each_other(two_nodes: TwoNodes) -> None:
    a, b = two_nodes
    assert (a.node_id, b.node_id) == (NODE_A, NODE_B)
    for node, other in ((a, b), (b, a)):
        # each answers as itself, at its own address
        capabilities = node.get_json("/federation/v1/capabilities")
        assert (capabilities["node"], capabilities["public_url"]) == (node.node_id, node.url)

        # ... and keeps the other in its trust list with the agencies the other publishes
        published = other.get_json("/federation/v1/agencies")
        assert published["node"] == other.node_id
        codes = sorted(agency["code"] for agency in published["agencies"])
        assert {"mup", "beograd"} <= set(codes)  # the demo agencies
        [entry] = _trust_list(node)
        assert (entry["node_id"], entry["active"], entry["endpoint"]) == (other.node_id, True, other.url)
        assert entry["agencies"] == codes
        assert entry["crl_fetched_at"] is not None  # the CRL came with it

        # the root it trusts is the one the other node publishes, and no other node's
        status, root = other.get("/pki/root.pem")
        assert status == 200
        kept = node.run(
            "from govdoc.distribution.models import Node\n"
            f"print(Node.objects.get(node_id={other.node_id!r}).root_certificate, end='')"
        )
        assert kept.strip() == root.decode("ascii").strip()
    assert a.get("/pki/root.pem")[1] != b.get("/pki/root.pem")[1]  # each node made its own PKI


@pytest.mark.parametrize("node_extra_env", [{NODE_B: {"GOVDOC_TASK_MAX_ATTEMPTS": "2"}}], indirect=True)
def test_a_node_stopped_and_crashed_comes_back_at_the_same_address(two_nodes: TwoNodes) -> None:
    """What later federation tests do to a node (the other going away, a worker crashing) works
    as they expect, and settings given for one node reach that node only."""
    a, b = two_nodes
    setting = "from django.conf import settings; print(settings.GOVDOC_TASK_MAX_ATTEMPTS)"
    assert (a.run(setting).strip(), b.run(setting).strip()) == ("6", "2")

    a.stop_web()
    with pytest.raises(OSError):  # nothing listens at its address any more
        a.get("/federation/v1/capabilities", timeout=2)
    assert b.get("/federation/v1/capabilities")[0] == 200  # the other node goes on
    a.start_web()
    assert a.get_json("/federation/v1/capabilities")["node"] == NODE_A
    assert b.get_json("/federation/v1/agencies")["node"] == NODE_B

    assert a.worker is not None
    killed = a.worker.pid
    a.kill_worker()
    # killed, not stopped: its heartbeat just ends, never marked as a clean stop
    assert a.query("SELECT stopped_at FROM jobs_workerheartbeat WHERE pid = %s", (killed,)) == [(None,)]
    a.start_worker()
    assert a.worker is not None and a.worker.pid != killed
