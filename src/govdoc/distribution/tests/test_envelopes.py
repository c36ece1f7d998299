"""The envelope format between nodes: what a receiving node accepts and every way it refuses,
with real e-seals, timestamps and CRLs (this installation's PKI plays the sending node; a second
PKI made here plays a node nobody trusts)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from tests.support import tool

from govdoc.core.jsontypes import canonical_json
from govdoc.distribution import envelopes
from govdoc.distribution.envelopes import EnvelopeFile, EnvelopeProblem, PeerTrust
from govdoc.documents.tests.samples import text_pdf
from govdoc.signatures import keyring
from govdoc.signatures.pki import DevPki

MUP = "Ministarstvo unutrašnjih poslova"
PDF = text_pdf("Dopis broj MUP-2026-000012")


def _manifest(**changes: Any) -> bytes:
    fields: dict[str, Any] = {
        "consignment_id": uuid.UUID("8c0f8f3e-58a4-4a1b-9a55-3d1c2b7e9f10"),
        "created_at": "2026-11-29T10:00:00+00:00",
        "sender": {
            "node": "rs-a.example",
            "agency": "mup",
            "agency_name": MUP,
            "unit": "pu-beograd",
            "registry_number": "MUP-2026-000012",
            "registered_at": "2026-11-29T09:59:00+00:00",
        },
        "recipient": {"node": "rs-b.example", "agency": "beograd", "unit": None},
        "document": {
            "title": "Zahtev za dostavu podataka",
            "kind": "dopis",
            "classification_code": "02-05",
            "disclosure": "not_public",
            "legal_ground": "Zakon o zaštiti podataka o ličnosti, čl. 12",
            "retention_years": 10,
            "in_reply_to": None,
        },
        "files": [EnvelopeFile(name="MUP-2026-000012.pdf", content=PDF)],
    }
    fields.update(changes)
    return envelopes.manifest_build(**fields)


@pytest.fixture
def peer(db: None) -> PeerTrust:
    """This installation as the receiving node knows it: the sender's root CA, CRL, agencies."""
    store = keyring.ensure()
    return PeerTrust(
        node="rs-a.example", roots=(store.root_certificate(),), crls=(store.crl_der(),), agencies={"mup": MUP}
    )


def _sealed(manifest: bytes | None = None, *, code: str = "mup", name: str = MUP) -> envelopes.Envelope:
    return envelopes.envelope_seal(
        manifest or _manifest(),
        [EnvelopeFile(name="MUP-2026-000012.pdf", content=PDF)],
        key=keyring.eseal_key(code, name=name),
    )


def _refused(envelope: envelopes.Envelope, peer: PeerTrust, own_node: str = "rs-b.example") -> str:
    with pytest.raises(EnvelopeProblem) as refused:
        envelopes.envelope_check(envelope, peer=peer, own_node=own_node)
    return refused.value.type


def test_an_envelope_travels_as_json_and_passes_every_check(peer: PeerTrust) -> None:
    sent = _sealed()
    wire = json.loads(json.dumps(sent.to_json()))

    received = envelopes.envelope_from_json(wire)
    manifest = envelopes.envelope_check(received, peer=peer, own_node="rs-b.example")

    assert manifest["sender"]["registry_number"] == "MUP-2026-000012"
    assert manifest["files"][0]["sha256"] == envelopes.EnvelopeFile(name="x", content=PDF).sha256
    assert received.manifest == sent.manifest and received.files == sent.files


def test_the_receipt_answers_this_manifest_and_is_checked_by_the_sender(peer: PeerTrust) -> None:
    sent = _sealed()
    receipt = envelopes.receipt_seal(
        envelope=sent,
        consignment_id="8c0f8f3e-58a4-4a1b-9a55-3d1c2b7e9f10",
        sender_node="rs-a.example",
        receiver_node="rs-a.example",  # this installation plays both nodes here
        receiver_agency="mup",
        received_at="2026-11-29T10:00:01+00:00",
        problem=None,
        key=keyring.eseal_key("mup", name=MUP),
    )

    content = envelopes.receipt_check(receipt, envelope=sent, peer=peer)
    assert (content["status"], content["manifest_sha256"]) == ("delivered", sent.manifest_sha256)

    other = _sealed(_manifest(consignment_id=uuid.uuid4()))
    with pytest.raises(EnvelopeProblem, match="receipt-mismatch"):
        envelopes.receipt_check(receipt, envelope=other, peer=peer)
    forged = envelopes.Receipt(
        receipt=receipt.receipt.replace(b"delivered", b"refused!!"), signature=receipt.signature
    )
    with pytest.raises(EnvelopeProblem):
        envelopes.receipt_check(forged, envelope=sent, peer=peer)


def test_a_changed_byte_anywhere_is_refused(peer: PeerTrust) -> None:
    sent = _sealed()
    pdf_sha = next(iter(sent.files))
    changed_file = envelopes.Envelope(sent.manifest, sent.signature, {pdf_sha: PDF[:-2] + b"X\n"})
    assert _refused(changed_file, peer) == "file-hash-mismatch"

    # the manifest changed after signing (a bigger retention period): the signature breaks
    content = json.loads(sent.manifest)
    content["document"]["retention_years"] = 30
    assert (
        _refused(envelopes.Envelope(canonical_json(content), sent.signature, sent.files), peer)
        == "signature-invalid"
    )


def test_files_missing_or_smuggled_in_are_refused(peer: PeerTrust) -> None:
    sent = _sealed()
    assert _refused(envelopes.Envelope(sent.manifest, sent.signature, {}), peer) == "file-missing"
    smuggled = {**sent.files, "0" * 64: b"%PDF-1.4 something else"}
    assert _refused(envelopes.Envelope(sent.manifest, sent.signature, smuggled), peer) == "file-unexpected"


def test_an_envelope_for_another_node_or_from_another_node_is_refused(peer: PeerTrust) -> None:
    sent = _sealed()
    assert _refused(sent, peer, own_node="rs-c.example") == "wrong-recipient-node"
    pretender = PeerTrust(node="rs-c.example", roots=peer.roots, crls=peer.crls, agencies=peer.agencies)
    assert _refused(sent, pretender) == "sender-node-mismatch"


def test_a_signature_from_a_pki_the_trust_list_does_not_hold_is_refused(
    peer: PeerTrust, tmp_path: Path
) -> None:
    stranger = DevPki(tmp_path / "stranger", passphrase="x" * 20, public_url="http://stranger.example")
    stranger.ensure()
    trusting_the_stranger = PeerTrust(
        node=peer.node,
        roots=(stranger.root_certificate(),),
        crls=(stranger.crl_der(),),
        agencies=peer.agencies,
    )
    assert _refused(_sealed(), trusting_the_stranger) == "signature-not-trusted"


def test_one_agency_of_a_node_cannot_send_in_the_name_of_another(peer: PeerTrust) -> None:
    # the city administration's e-seal (same node, trusted PKI) on a manifest that names the ministry
    forged = _sealed(code="beograd", name="Gradska uprava grada Beograda")
    assert _refused(forged, peer) == "signer-not-sender"
    unknown = PeerTrust(node=peer.node, roots=peer.roots, crls=peer.crls, agencies={})
    assert _refused(_sealed(), unknown) == "unknown-sender-agency"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "envelope-malformed"),
        ({"manifest": "x", "signature": "", "files": []}, "envelope-malformed"),
        ({"manifest": "!!", "signature": "", "files": [], "extra": 1}, "envelope-malformed"),
        (
            {"manifest": base64.b64encode(b"{}").decode(), "signature": "", "files": [{"sha256": 1}]},
            "envelope-malformed",
        ),
    ],
)
def test_malformed_wire_bodies_are_refused_with_a_reason(body: object, problem: str) -> None:
    with pytest.raises(EnvelopeProblem) as refused:
        envelope = envelopes.envelope_from_json(body)
        envelopes.manifest_parse(envelope.manifest)
    assert refused.value.type in (problem, "manifest-invalid", "manifest-malformed")


def test_a_manifest_that_breaks_the_schema_or_is_not_canonical_is_refused() -> None:
    good = json.loads(_manifest())
    for broken, problem in [
        ({**good, "format": "govdoc.envelope/2"}, "manifest-invalid"),
        (
            {**good, "document": {**good["document"], "disclosure": "partial", "legal_ground": ""}},
            "manifest-invalid",
        ),
        ({**good, "files": []}, "manifest-invalid"),
        ({**good, "sender": {**good["sender"], "node": "Not A Node!"}}, "manifest-invalid"),
    ]:
        with pytest.raises(EnvelopeProblem) as refused:
            envelopes.manifest_parse(canonical_json(broken))
        assert refused.value.type == problem
    spaced = json.dumps(good, indent=1).encode()
    with pytest.raises(EnvelopeProblem, match="manifest-not-canonical"):
        envelopes.manifest_parse(spaced)
    with pytest.raises(ValueError, match="breaks its schema"):
        _manifest(document={**good["document"], "kind": "pismo"})


def test_the_published_schemas_are_valid_json_schemas() -> None:
    from jsonschema import Draft202012Validator

    for name in (envelopes.MANIFEST_SCHEMA, envelopes.RECEIPT_SCHEMA):
        Draft202012Validator.check_schema(envelopes.schema(name))


def test_another_system_verifies_the_envelope_with_openssl(peer: PeerTrust, tmp_path: Path) -> None:
    """The format is for other implementations too: a standard tool checks the signature over
    the manifest's bytes against the sending node's root CA (docs/federation.md)."""
    openssl = tool("openssl")
    sent = _sealed()
    (tmp_path / "manifest.json").write_bytes(sent.manifest)
    (tmp_path / "signature.der").write_bytes(sent.signature)
    (tmp_path / "root.pem").write_bytes(keyring.ensure().root_certificate().public_bytes(Encoding.PEM))

    def verify(content: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                openssl,
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                str(tmp_path / "signature.der"),
                "-content",
                str(tmp_path / content),
                "-CAfile",
                str(tmp_path / "root.pem"),
                "-purpose",
                "any",
                "-out",
                os.devnull,
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    assert verify("manifest.json").returncode == 0
    (tmp_path / "changed.json").write_bytes(
        sent.manifest.replace(b'"retention_years":10', b'"retention_years":30')
    )
    assert verify("changed.json").returncode != 0
