"""The trust list: an administrator trusts another node with what its operators published, and
the node's published face (capabilities, address book, schemas)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import Client

from govdoc.accounts.models import Agency
from govdoc.audit.models import AuditEvent
from govdoc.distribution import nodes
from govdoc.distribution.errors import InvalidOutgoingError
from govdoc.distribution.models import Node, TrustList
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.pki import DevPki
from govdoc.signatures.selectors import detached_verify_trusting

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_pki(tmp_path: Path) -> DevPki:
    pki = DevPki(tmp_path / "other", passphrase="x" * 20, public_url="https://rs-b.example")
    pki.ensure()
    return pki


def test_an_administrator_trusts_a_node_and_later_stops_trusting_it(other_pki: DevPki) -> None:
    root = other_pki.root_certificate().public_bytes(Encoding.PEM).decode()

    node = nodes.node_add(
        node_id="rs-b.example",
        name="Gradska uprava grada Beograda (GovDoc)",
        endpoint="https://rs-b.example",
        root_certificate=root,
        agencies={"beograd": "Gradska uprava grada Beograda"},
        crl=other_pki.crl_der(),
        actor="admin",
    )

    trust = nodes.peer_trust("rs-b.example")
    assert trust is not None and trust.roots == (other_pki.root_certificate(),)
    assert trust.crls == (other_pki.crl_der(),) and trust.agencies == {
        "beograd": "Gradska uprava grada Beograda"
    }
    event = AuditEvent.objects.get(event="distribution.node_trusted")
    root_sha256 = other_pki.root_certificate().fingerprint(hashes.SHA256()).hex()
    assert event.data["root_sha256"] == root_sha256

    nodes.node_deactivate(node_id=node.node_id, actor="admin")
    assert nodes.peer_trust("rs-b.example") is None
    assert nodes.peer_trust("rs-unknown.example") is None


def test_a_node_given_wrongly_is_refused_naming_every_field(other_pki: DevPki) -> None:
    leaf_like = other_pki.tsa_certificate().public_bytes(Encoding.PEM).decode()
    with pytest.raises(InvalidOutgoingError) as refused:
        nodes.node_add(
            node_id="Not A Node",
            name=" ",
            endpoint="http://rs-b.example",
            root_certificate=leaf_like,
            agencies={"Bad Code": "x"},
            actor="admin",
        )
    assert set(refused.value.field_errors) == {"node_id", "name", "endpoint", "root_certificate", "agencies"}
    with pytest.raises(InvalidOutgoingError) as not_pem:
        nodes.node_add(
            node_id="rs-b.example",
            name="B",
            endpoint="http://127.0.0.1:8001",  # plain http only on this machine (development)
            root_certificate="not a certificate",
            agencies={"beograd": "Gradska uprava"},
            actor="admin",
        )
    assert set(not_pem.value.field_errors) == {"root_certificate"}
    assert not AuditEvent.objects.filter(event="distribution.node_trusted").exists()


def test_the_node_publishes_what_it_receives_its_agencies_and_the_schemas(agency: Agency) -> None:
    client = Client()

    capabilities = client.get("/federation/v1/capabilities").json()
    assert capabilities["formats"] == ["govdoc.envelope/1"]
    assert capabilities["node"]
    book = client.get(capabilities["agencies"]).json()
    assert [a["code"] for a in book["agencies"]] == ["mup"]
    manifest = client.get(capabilities["schemas"]["manifest"])
    assert manifest["Content-Type"] == "application/schema+json"
    assert manifest.json()["title"] == "GovDoc envelope manifest, version 1"
    # batches in JSON and in CBOR, whose body is published in CDDL
    assert capabilities["batch_bodies"] == ["application/json", "application/cbor"]
    assert capabilities["batch_body_cbor_format"] == "govdoc.batch-body/1"
    cddl = client.get(capabilities["schemas"]["batch_body"])
    assert cddl["Content-Type"] == "application/cddl; charset=utf-8"
    assert 'format: "govdoc.batch-body/1"' in cddl.content.decode()
    assert client.get("/federation/v1/schemas/../settings.py").status_code == 404
    assert client.get("/federation/v1/schemas/nothing.json").status_code == 404
    assert client.get(capabilities["trust_list"]).status_code == 404  # it trusts nobody yet


def _own_root() -> str:
    return keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode()


def test_every_change_signs_the_trust_list_again_and_an_entry_changed_behind_its_back_is_not_trusted(
    other_pki: DevPki,
) -> None:
    root = other_pki.root_certificate().public_bytes(Encoding.PEM).decode()
    fields = {
        "name": "GovDoc B",
        "endpoint": "https://rs-b.example",
        "root_certificate": root,
        "agencies": {"beograd": "Gradska uprava grada Beograda"},
    }
    nodes.node_add(node_id="rs-b.example", **fields, actor="admin")
    nodes.node_add(node_id="rs-c.example", **fields, actor="admin")
    nodes.node_deactivate(node_id="rs-c.example", actor="admin")

    versions = list(TrustList.objects.order_by("version"))
    assert [v.version for v in versions] == [1, 2, 3]
    newest = versions[-1]
    report = detached_verify_trusting(
        bytes(newest.content),
        bytes(newest.signature),
        roots=(keyring.ensure().root_certificate(),),
        crls=(keyring.ensure().crl_der(),),
    )
    assert report.state is Verdict.AUTHENTIC, report.reasons
    listed = {e["node_id"]: e for e in json.loads(bytes(newest.content))["nodes"]}
    assert listed["rs-b.example"]["active"] and not listed["rs-c.example"]["active"]
    assert nodes.peer_trust("rs-b.example") is not None

    # someone with database access points the entry at a PKI of their own: not trusted
    Node.objects.filter(node_id="rs-b.example").update(root_certificate=_own_root())
    assert nodes.peer_trust("rs-b.example") is None
    Node.objects.filter(node_id="rs-b.example").update(root_certificate=root, agencies={"mup": "MUP"})
    assert nodes.peer_trust("rs-b.example") is None
    # ... or edits the signed list itself: nothing is trusted
    Node.objects.filter(node_id="rs-b.example").update(agencies=fields["agencies"])
    assert nodes.peer_trust("rs-b.example") is not None
    forged = bytes(newest.content).replace(b'"name":"GovDoc B"', b'"name":"GovDoc X"')
    TrustList.objects.filter(pk=newest.pk).update(content=forged)
    assert nodes.peer_trust("rs-b.example") is None


@pytest.mark.django_db(transaction=True)
def test_a_nodes_crl_is_fetched_again_checked_against_its_root_and_kept_when_newer(
    other_pki: DevPki, live_server: Any
) -> None:
    nodes.node_add(
        node_id="rs-self.example",
        name="This node, as a peer",
        endpoint=live_server.url,
        root_certificate=_own_root(),
        agencies={"mup": "MUP"},
        actor="admin",
    )
    node = Node.objects.get(node_id="rs-self.example")
    assert node.crl is None

    assert nodes.node_crl_refresh(node) is True
    node.refresh_from_db()
    assert node.crl is not None and bytes(node.crl) == keyring.ensure().crl_der()
    assert AuditEvent.objects.filter(event="distribution.node_crl_refreshed").count() == 1
    assert nodes.node_crl_refresh(node) is False  # the same CRL: nothing to keep

    # a node whose root did not sign what its address serves: the CRL is not taken
    nodes.node_add(
        node_id="rs-b.example",
        name="GovDoc B",
        endpoint=live_server.url,
        root_certificate=other_pki.root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={"beograd": "Gradska uprava grada Beograda"},
        actor="admin",
    )
    assert nodes.node_crls_refresh() == {"refreshed": 0, "unchanged": 2}
    assert Node.objects.get(node_id="rs-b.example").crl is None


def test_a_trust_list_kept_before_it_was_signed_is_signed_once_on_first_use(other_pki: DevPki) -> None:
    nodes.node_add(
        node_id="rs-b.example",
        name="GovDoc B",
        endpoint="https://rs-b.example",
        root_certificate=other_pki.root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={"beograd": "Gradska uprava grada Beograda"},
        actor="admin",
    )
    TrustList.objects.all().delete()  # as a database from before the list was signed

    assert nodes.peer_trust("rs-b.example") is not None
    assert TrustList.objects.count() == 1
    assert AuditEvent.objects.filter(event="distribution.trust_list_signed").count() == 1
    assert nodes.peer_trust("rs-b.example") is not None
    assert TrustList.objects.count() == 1  # once


def test_the_node_publishes_its_signed_trust_list(other_pki: DevPki) -> None:
    nodes.node_add(
        node_id="rs-b.example",
        name="GovDoc B",
        endpoint="https://rs-b.example",
        root_certificate=other_pki.root_certificate().public_bytes(Encoding.PEM).decode(),
        agencies={"beograd": "Gradska uprava grada Beograda"},
        actor="admin",
    )

    published = Client().get("/federation/v1/trust-list").json()

    content = base64.b64decode(published["trust_list"])
    assert published["version"] == 1
    assert [n["node_id"] for n in json.loads(content)["nodes"]] == ["rs-b.example"]
    report = detached_verify_trusting(
        content,
        base64.b64decode(published["signature"]),
        roots=(keyring.ensure().root_certificate(),),
        crls=(keyring.ensure().crl_der(),),
    )
    assert report.state is Verdict.AUTHENTIC, report.reasons
