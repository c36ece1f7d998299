"""A letter crosses from one real node to another and its answer comes back: each side
registers what it received, the sealed PDF arrives byte for byte, and the receipt the sender
keeps is a proof a third party can check with nothing but the receiving node's root CA."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.federation.harness import NODE_A, NODE_B, TwoNodes
from tests.federation.letters import (
    BEOGRAD,
    MUP,
    arrival_register,
    audit_verify,
    letter_send,
    sent_letter,
    wait_answered,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DELIVERY_TIMEOUT = 120.0
TITLE = "Zahtev za dostavu podataka o prebivalištu"


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        if os.environ.get("GOVDOC_REQUIRE_TOOLS") == "1":
            pytest.fail("openssl is required (GOVDOC_REQUIRE_TOOLS=1): it checks receipts as a third party")
        pytest.skip("openssl is not installed: it checks receipts as a third party")
    return found


def _cms_verifies(openssl: str, folder: Path, *, content: bytes, signature: bytes, root_pem: bytes) -> bool:
    """Does the detached CMS ``signature`` over ``content`` chain to ``root_pem``? Asked of
    openssl, which knows nothing of GovDoc: what anyone holding the receipt can check."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "content").write_bytes(content)
    (folder / "signature.der").write_bytes(signature)
    (folder / "root.pem").write_bytes(root_pem)
    result = subprocess.run(
        [
            openssl,
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(folder / "signature.der"),
            "-content",
            str(folder / "content"),
            "-CAfile",
            str(folder / "root.pem"),
            "-purpose",
            "any",
            "-out",
            os.devnull,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.returncode == 0


def test_documents_go_both_ways_are_registered_and_answered(two_nodes: TwoNodes, tmp_path: Path) -> None:
    openssl = _openssl()
    a, b = two_nodes

    # rs-a: the police department writes to the City of Belgrade, which is on rs-b
    letter = letter_send(
        a,
        office=MUP,
        to_node=NODE_B,
        to_agency="beograd",
        title=TITLE,
        text="Molimo da nam dostavite podatke.",
    )
    state = wait_answered(a, letter, timeout=DELIVERY_TIMEOUT, others=(b,))
    assert (state["outgoing"], state["status"], state["receipt"]) == ("sent", "delivered", True), state
    sent = sent_letter(a, letter)
    assert sent["to"] == [NODE_B, "beograd"]
    receipt, receipt_signature = (
        base64.b64decode(sent["receipt"]),
        base64.b64decode(sent["receipt_signature"]),
    )
    said = json.loads(receipt)
    assert said["status"] == "delivered"
    assert said["consignment_id"] == sent["consignment"]
    assert said["receiver"] == {"node": NODE_B, "agency": "beograd"}
    assert said["manifest_sha256"] == hashlib.sha256(base64.b64decode(sent["manifest"])).hexdigest()

    # rs-b: it arrived once, the very sealed bytes; the city's registry clerk registers it
    arrived = arrival_register(b, sender_node=NODE_A, consignment_id=sent["consignment"], office=BEOGRAD)
    assert (arrived["arrivals"], arrived["deliveries"]) == (1, 1)
    assert (arrived["agency"], arrived["status_before"], arrived["status"]) == (
        "beograd",
        "delivered",
        "registered",
    )
    assert arrived["pdf_sha256"] == arrived["registered_pdf_sha256"] == sent["pdf_sha256"]
    assert (arrived["title"], arrived["sender_registry_number"]) == (TITLE, sent["registry_number"])
    assert arrived["answers"] is None
    assert base64.b64decode(arrived["receipt"]) == receipt  # what rs-b answered is what rs-a keeps
    assert arrived["direction"] == "incoming" and arrived["incoming_number"]
    assert sent["registry_number"] in arrived["correspondent"]

    # rs-b: the city answers the police department, in reply to the letter it registered
    reply = letter_send(
        b,
        office=BEOGRAD,
        to_node=NODE_A,
        to_agency="mup",
        title=f"Odgovor: {TITLE}",
        text="Dostavljamo trazene podatke.",
        in_reply_to=arrived["delivery"],
    )
    reply_state = wait_answered(b, reply, timeout=DELIVERY_TIMEOUT, others=(a,))
    assert (reply_state["status"], reply_state["receipt"]) == ("delivered", True), reply_state
    reply_sent = sent_letter(b, reply)

    # rs-a: the answer joins the thread of the letter it answers; the registry clerk registers it
    answer = arrival_register(a, sender_node=NODE_B, consignment_id=reply_sent["consignment"], office=MUP)
    assert (answer["arrivals"], answer["deliveries"]) == (1, 1)
    assert answer["answers"] == letter
    assert answer["manifest"]["document"]["in_reply_to"] == {
        "node": NODE_A,
        "consignment_id": sent["consignment"],
    }
    assert answer["pdf_sha256"] == reply_sent["pdf_sha256"]
    assert (answer["agency"], answer["status"], answer["direction"]) == ("mup", "registered", "incoming")
    assert answer["incoming_number"] and reply_sent["registry_number"] in answer["correspondent"]

    # each node's audit chain is intact after all of it
    for node in (a, b):
        report = audit_verify(node)
        assert report["ok"] is True, (node.node_id, report["summary"], report["problems"][:5])

    # the receipt rs-a keeps proves, to anyone with rs-b's published root CA, that rs-b took it:
    # openssl accepts its signature against rs-b's root, and not against rs-a's own
    status, root_b = b.get("/pki/root.pem")
    assert status == 200
    proof = {"content": receipt, "signature": receipt_signature}
    assert _cms_verifies(openssl, tmp_path / "receipt-b", root_pem=root_b, **proof)
    assert not _cms_verifies(openssl, tmp_path / "receipt-a", root_pem=a.get("/pki/root.pem")[1], **proof)
    # ... and a receipt changed by one byte no longer verifies
    changed = {"content": receipt.replace(b"delivered", b"Delivered"), "signature": receipt_signature}
    assert not _cms_verifies(openssl, tmp_path / "receipt-changed", root_pem=root_b, **changed)
