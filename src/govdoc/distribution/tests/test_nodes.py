"""The trust list: an administrator trusts another node with what its operators published, and
the node's published face (capabilities, address book, schemas)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from django.test import Client

from govdoc.accounts.models import Agency
from govdoc.audit.models import AuditEvent
from govdoc.distribution import nodes
from govdoc.distribution.errors import InvalidOutgoingError
from govdoc.signatures.pki import DevPki

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
    assert client.get("/federation/v1/schemas/../settings.py").status_code == 404
    assert client.get("/federation/v1/schemas/nothing.json").status_code == 404
