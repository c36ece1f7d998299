"""Bad envelopes at ``POST /federation/v1/envelopes``: each is refused with a signed receipt
that names the problem (a problem+json answer), nothing is registered, and the refusal is
audited; and the same envelope sent five times at once is registered once. Then batches in
CBOR at ``POST /federation/v1/batches``: kept as a JSON batch is, and refused as it is."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from django.db import connection
from django.test import Client, override_settings

from govdoc.accounts.models import Agency
from govdoc.audit.models import AuditEvent
from govdoc.distribution import envelopes, nodes
from govdoc.distribution.envelopes import EnvelopeFile
from govdoc.distribution.models import Arrival, Delivery
from govdoc.documents.tests.samples import text_pdf
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import detached_verify_trusting
from govdoc.signatures.services import certificate_revoke

NODE = "rs-self.test"
SENDER = "rs-a.test"
MUP = "Ministarstvo unutrašnjih poslova"
PDF = text_pdf("Dopis broj MUP-2026-000012")
URL = "/federation/v1/envelopes"


@pytest.fixture
def trusted(db: None) -> Agency:
    """This node (``NODE``) with one agency, trusting the node ``SENDER`` whose PKI (here: the
    same root) seals for ``mup`` and ``stari``."""
    city = Agency.objects.create(code="gbg", name="Gradska uprava grada Beograda")
    root = keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode()
    nodes.node_add(
        node_id=SENDER,
        name="GovDoc A",
        endpoint="https://rs-a.test",
        root_certificate=root,
        agencies={"mup": MUP, "stari": "Stari organ"},
        crl=keyring.ensure().crl_der(),
        actor="admin",
    )
    return city


def _envelope(
    *, consignment: uuid.UUID | None = None, code: str = "mup", name: str = MUP, **changes: Any
) -> envelopes.Envelope:
    fields: dict[str, Any] = {
        "consignment_id": consignment or uuid.uuid4(),
        "created_at": "2026-11-29T10:00:00+00:00",
        "sender": {
            "node": SENDER,
            "agency": code,
            "agency_name": name,
            "unit": "uprava",
            "registry_number": "MUP-2026-000012",
            "registered_at": "2026-11-29T09:59:00+00:00",
        },
        "recipient": {"node": NODE, "agency": "gbg", "unit": None},
        "document": {
            "title": "Zahtev za dostavu podataka",
            "kind": "dopis",
            "classification_code": "02-05",
            "disclosure": "public",
            "retention_years": 10,
            "in_reply_to": None,
        },
        "files": [EnvelopeFile(name="MUP-2026-000012.pdf", content=PDF)],
    }
    fields.update(changes)
    manifest = envelopes.manifest_build(**fields)
    return envelopes.envelope_seal(
        manifest, [EnvelopeFile(name="x.pdf", content=PDF)], key=keyring.eseal_key(code, name=name)
    )


def _wire(envelope: envelopes.Envelope) -> bytes:
    return json.dumps(envelope.to_json()).encode()


def _refused(
    body: bytes, status: int, problem: str, *, url: str = URL, content_type: str = "application/json"
) -> dict[str, Any]:
    """Post ``body``; the answer is refused with ``problem``, signed; nothing was kept."""
    response = Client().post(url, data=body, content_type=content_type)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    answer = response.json()
    assert answer["type"].endswith("/" + problem) and answer["detail"]
    receipt = base64.b64decode(answer["receipt"])
    content = json.loads(receipt)
    assert content["status"] == "refused" and content["problem"]["type"] == problem
    report = detached_verify_trusting(
        receipt,
        base64.b64decode(answer["signature"]),
        roots=(keyring.ensure().root_certificate(),),
        crls=(keyring.ensure().crl_der(),),
    )
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert not Arrival.objects.exists() and not Delivery.objects.exists()
    event = AuditEvent.objects.filter(event="distribution.envelope_refused").latest("seq")
    assert event.data["problem"] == problem
    return content


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_body_that_is_no_envelope_is_refused(trusted: Agency) -> None:
    _refused(b"{not json", 400, "envelope-malformed")
    _refused(b'{"manifest": "x"}', 400, "envelope-malformed")


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_malformed_or_not_canonical_manifest_is_refused(trusted: Agency) -> None:
    envelope = _envelope()
    spaced = json.dumps(json.loads(envelope.manifest), indent=1).encode()
    _refused(
        _wire(envelopes.Envelope(spaced, envelope.signature, envelope.files)), 400, "manifest-not-canonical"
    )
    _refused(
        _wire(envelopes.Envelope(b"[1, 2]", envelope.signature, envelope.files)), 400, "manifest-malformed"
    )


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_tampered_manifest_or_a_changed_file_is_refused(trusted: Agency) -> None:
    envelope = _envelope()
    manifest = json.loads(envelope.manifest)
    manifest["document"]["title"] = "Drugi naslov"
    from govdoc.core.jsontypes import canonical_json

    tampered = envelopes.Envelope(canonical_json(manifest), envelope.signature, envelope.files)
    content = _refused(_wire(tampered), 422, "signature-invalid")
    assert content["receiver"] == {"node": NODE, "agency": "gbg"}  # sealed by the recipient agency

    (sha,) = envelope.files
    wrong = envelopes.Envelope(envelope.manifest, envelope.signature, {sha: PDF + b"%"})
    _refused(_wire(wrong), 422, "file-hash-mismatch")


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_unknown_or_no_longer_trusted_sender_node_is_refused(trusted: Agency) -> None:
    stranger = _envelope(
        sender={
            "node": "rs-x.test",
            "agency": "mup",
            "agency_name": MUP,
            "unit": None,
            "registry_number": "X-1",
            "registered_at": "2026-11-29T09:59:00+00:00",
        }
    )
    _refused(_wire(stranger), 403, "unknown-sender-node")

    nodes.node_deactivate(node_id=SENDER, actor="admin")
    _refused(_wire(_envelope()), 403, "unknown-sender-node")


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_envelope_sealed_with_a_revoked_certificate_is_refused(trusted: Agency) -> None:
    envelope = _envelope(code="stari", name="Stari organ")
    serial = format(keyring.eseal_key("stari", name="Stari organ").certificate.serial_number, "x")
    certificate_revoke(serial=serial, reason="key_compromise", actor="admin")
    # the administrator (or the periodic fetch) takes the sender node's new CRL
    root = keyring.ensure().root_certificate().public_bytes(Encoding.PEM).decode()
    nodes.node_add(
        node_id=SENDER,
        name="GovDoc A",
        endpoint="https://rs-a.test",
        root_certificate=root,
        agencies={"mup": MUP, "stari": "Stari organ"},
        crl=keyring.ensure().crl_der(),
        actor="admin",
    )
    _refused(_wire(envelope), 403, "signature-not-trusted")


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_envelope_for_an_agency_this_node_does_not_have_is_refused(trusted: Agency) -> None:
    envelope = _envelope(recipient={"node": NODE, "agency": "nepostojeci", "unit": None})
    content = _refused(_wire(envelope), 422, "unknown-recipient-agency")
    assert content["receiver"] == {"node": NODE, "agency": None}  # sealed by the node itself


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_oversize_envelope_is_refused_before_it_is_read(
    trusted: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(envelopes, "MAX_ENVELOPE_BYTES", 1000)
    _refused(_wire(_envelope()), 413, "envelope-too-large")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the live server shares the test's SQLite connection across threads: nothing runs at once",
)
@override_settings(GOVDOC_NODE_ID=NODE)
def test_the_same_envelope_sent_five_times_at_once_is_registered_once(
    trusted: Agency, live_server: Any
) -> None:
    body = _wire(_envelope())

    def send(_: int) -> tuple[int, bytes]:
        request = urllib.request.Request(
            live_server.url + URL, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, base64.b64decode(json.loads(answer.read())["receipt"])
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(send, range(5)))

    assert sorted(status for status, _ in answers) == [200, 200, 200, 200, 201]
    assert len({receipt for _, receipt in answers}) == 1  # every sender got the one receipt
    assert Arrival.objects.count() == 1 and Delivery.objects.count() == 1
    assert AuditEvent.objects.filter(event="distribution.envelope_received").count() == 1


# ---------------------------------------------------------------------------- CBOR batch bodies

BATCHES = "/federation/v1/batches"


def _batch(count: int = 2) -> envelopes.BatchEnvelope:
    """A batch of ``count`` envelopes from ``mup`` of ``SENDER`` to ``gbg`` of this node."""
    items = [(_envelope().manifest, {envelopes.sha256_hex(PDF): PDF}) for _ in range(count)]
    batch = envelopes.batch_build(
        batch_id=uuid.uuid4(),
        created_at="2026-11-29T10:00:00+00:00",
        sender={"node": SENDER, "agency": "mup"},
        recipient={"node": NODE, "agency": "gbg"},
        manifests=[manifest for manifest, _files in items],
    )
    return envelopes.batch_seal(batch, items, key=keyring.eseal_key("mup", name=MUP))


def _cbor_body(batch: envelopes.BatchEnvelope, **changes: Any) -> bytes:
    body = cbor2.loads(batch.to_cbor())
    body.update(changes)
    return bytes(cbor2.dumps(body))


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_batch_in_cbor_is_kept_and_answered_as_one_in_json(trusted: Agency) -> None:
    sealed = _batch(2)
    response = Client().post(BATCHES, data=sealed.to_cbor(), content_type=envelopes.CBOR_BODY)
    assert response.status_code == 200, response.content
    answer = response.json()
    receipt = base64.b64decode(answer["receipt"])
    report = detached_verify_trusting(
        receipt,
        base64.b64decode(answer["signature"]),
        roots=(keyring.ensure().root_certificate(),),
        crls=(keyring.ensure().crl_der(),),
    )
    assert report.state is Verdict.AUTHENTIC, report.reasons
    content = json.loads(receipt)
    assert content["batch_sha256"] == sealed.batch_sha256  # the signed batch is the same bytes
    assert [r["status"] for r in content["results"]] == ["delivered", "delivered"]
    assert Arrival.objects.count() == 2 and Delivery.objects.count() == 2
    kept = {bytes(m) for m in Arrival.objects.values_list("manifest", flat=True)}
    assert kept == {manifest for manifest, _files in sealed.items}

    # the same batch in JSON is the same batch: a repeat, with the first results
    again = Client().post(BATCHES, data=json.dumps(sealed.to_json()), content_type="application/json")
    assert again.status_code == 200
    results = json.loads(base64.b64decode(again.json()["receipt"]))["results"]
    assert [(r["status"], r["received_at"]) for r in results] == [
        (r["status"], r["received_at"]) for r in content["results"]
    ]
    assert Arrival.objects.count() == 2
    assert AuditEvent.objects.filter(event="distribution.envelope_received").count() == 2


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_cbor_body_that_is_no_batch_of_its_format_is_refused(trusted: Agency) -> None:
    sealed = _batch(1)
    cbor = envelopes.CBOR_BODY
    _refused(b"\xff\x00", 400, "envelope-malformed", url=BATCHES, content_type=cbor)  # not CBOR
    _refused(sealed.to_cbor() + b"\x00", 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    _refused(b"\x81" * 100_000 + b"\x00", 400, "envelope-malformed", url=BATCHES, content_type=cbor)  # nested
    _refused(b"\x5b" + (2**40).to_bytes(8, "big"), 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    _refused(json.dumps(sealed.to_json()).encode(), 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    # base64 text where the CBOR body carries bytes
    as_text = bytes(cbor2.dumps({"format": envelopes.BATCH_BODY_FORMAT, **sealed.to_json()}))
    _refused(as_text, 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    without_format = cbor2.loads(sealed.to_cbor())
    del without_format["format"]
    _refused(bytes(cbor2.dumps(without_format)), 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    _refused(_cbor_body(sealed, extra=1), 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    _refused(_cbor_body(sealed, envelopes=[]), 400, "envelope-malformed", url=BATCHES, content_type=cbor)
    item = cbor2.loads(sealed.to_cbor())["envelopes"][0]
    too_many = [item] * (envelopes.MAX_BATCH + 1)
    _refused(
        _cbor_body(sealed, envelopes=too_many), 400, "envelope-malformed", url=BATCHES, content_type=cbor
    )
    # a later version of the body: 415, so that its sender can send JSON instead
    later = _cbor_body(sealed, format="govdoc.batch-body/2")
    _refused(later, 415, "body-format-unsupported", url=BATCHES, content_type=cbor)


@override_settings(GOVDOC_NODE_ID=NODE)
def test_a_cbor_batch_goes_through_every_check_of_a_json_one(trusted: Agency) -> None:
    sealed = _batch(1)
    cbor = envelopes.CBOR_BODY
    other = _batch(1)  # another batch's signature over this batch's bytes
    _refused(
        _cbor_body(sealed, signature=other.signature),
        422,
        "signature-invalid",
        url=BATCHES,
        content_type=cbor,
    )
    listed_twice = _cbor_body(sealed, envelopes=cbor2.loads(sealed.to_cbor())["envelopes"] * 2)
    _refused(listed_twice, 422, "batch-mismatch", url=BATCHES, content_type=cbor)
    nodes.node_deactivate(node_id=SENDER, actor="admin")
    _refused(sealed.to_cbor(), 403, "unknown-sender-node", url=BATCHES, content_type=cbor)


@override_settings(GOVDOC_NODE_ID=NODE)
def test_an_oversize_cbor_batch_is_refused(trusted: Agency, monkeypatch: pytest.MonkeyPatch) -> None:
    sealed = _batch(2)
    monkeypatch.setattr(envelopes, "MAX_FILES_BYTES", len(PDF) + 1)
    _refused(sealed.to_cbor(), 413, "envelope-too-large", url=BATCHES, content_type=envelopes.CBOR_BODY)
