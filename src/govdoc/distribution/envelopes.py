"""Envelopes between GovDoc installations (nodes): the published format, version 1.

An official document that goes to an agency on another node travels as an *envelope*:

- a **manifest**: canonical JSON (keys sorted, no spaces, UTF-8) that names the consignment, the
  sending agency and its outgoing registry number, the recipient, the document's metadata and
  every file by its SHA-256 and size (``schemas/envelope-manifest.schema.json``);
- the **signature**: a detached CMS (CAdES) signature over the manifest's exact bytes, made with
  the sending agency's e-seal, with an RFC 3161 timestamp;
- the **files**, each named by its SHA-256.

On the wire (``POST /federation/v1/envelopes``) it is one JSON object:
``{"manifest": base64, "signature": base64, "files": [{"sha256": hex, "content": base64}]}``.
The receiving node answers with a **receipt**, signed the same way by the receiving agency
(``schemas/receipt.schema.json``), which carries the digest of the manifest it answers: either
side can later prove what was delivered or refused, and when.

``envelope_check`` is what a receiving node does before it registers anything: the manifest is
well formed and canonical, follows the schema, comes from the node the request came from and is
for this node; every file is there, with the size and hash the manifest names, and nothing else;
the signature is intact and made with a certificate of the sender node's PKI (its root CA and
CRL from the trust list); and the certificate is the e-seal of the agency the manifest names (its
organization is that agency's name in the sender node's address book). Each refusal has a
stable problem type a person can read (``EnvelopeProblem``).

This module writes nothing and holds no Django model: the transport, the trust list and the
registration build on it. docs/federation.md has a worked example.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import io
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cbor2
import fastjsonschema
from cryptography import x509
from jsonschema import Draft202012Validator, FormatChecker

from govdoc.core.jsontypes import canonical_json
from govdoc.signatures.engine.keys import KeyBackend
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import detached_verify_trusting
from govdoc.signatures.services import detached_seal

ENVELOPE_FORMAT = "govdoc.envelope/1"
RECEIPT_FORMAT = "govdoc.receipt/1"
SCHEMAS = Path(__file__).resolve().parent / "schemas"
MANIFEST_SCHEMA = "envelope-manifest.schema.json"
RECEIPT_SCHEMA = "receipt.schema.json"
BATCH_FORMAT = "govdoc.batch/1"
BATCH_RECEIPT_FORMAT = "govdoc.batch-receipt/1"
BATCH_SCHEMA = "batch.schema.json"
BATCH_RECEIPT_SCHEMA = "batch-receipt.schema.json"
PUBLISHED_SCHEMAS = (MANIFEST_SCHEMA, RECEIPT_SCHEMA, BATCH_SCHEMA, BATCH_RECEIPT_SCHEMA)
# A batch on the wire: JSON with base64 (the first form, every node takes it), or CBOR
# (RFC 8949) carrying the same bytes as byte strings, ``BATCH_BODY_FORMAT``, described in CDDL
# (RFC 8610) by ``BATCH_BODY_CDDL``. A node lists the bodies it takes in its capabilities.
JSON_BODY = "application/json"
CBOR_BODY = "application/cbor"
BATCH_BODY_FORMAT = "govdoc.batch-body/1"
BATCH_BODY_CDDL = "batch-body.cddl"
# Envelopes in one batch, at most (the schema allows 200; a sender sends fewer).
MAX_BATCH = 200
# An envelope's files together, at most (the receiving node refuses a larger body before
# reading it: GOVDOC_MAX_REQUEST_BYTES).
MAX_FILES_BYTES = 50 * 1024 * 1024
# An envelope on the wire: its files in base64 and room for the manifest and signature.
MAX_ENVELOPE_BYTES = MAX_FILES_BYTES * 4 // 3 + 1024 * 1024
# A receiving node's answer (a receipt and its signature), at most.
MAX_ANSWER_BYTES = 1024 * 1024


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """One of the published schemas (``MANIFEST_SCHEMA``, ``RECEIPT_SCHEMA``), as served."""
    if name not in PUBLISHED_SCHEMAS:
        raise KeyError(name)
    loaded: dict[str, Any] = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def batch_body_cddl() -> str:
    """The CDDL of the CBOR batch body (``BATCH_BODY_FORMAT``), as served."""
    return (SCHEMAS / BATCH_BODY_CDDL).read_text(encoding="utf-8")


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), format_checker=FormatChecker())


@functools.cache
def _compiled(name: str) -> Callable[[object], object]:
    """The schema ``name`` compiled to Python code (fastjsonschema): at least as strict as the
    generic validator (``test_schema_checks`` shows it) and about twenty times sooner, which
    counts for a node that checks every envelope of a batch. It never fills in defaults: what
    is checked is what was sent."""
    check: Callable[[object], object] = fastjsonschema.compile(schema(name), use_default=False)
    return check


def schema_errors(name: str, value: object) -> list[str]:
    """Every way ``value`` breaks the schema ``name``, as "path: message" lines (empty: none).

    The compiled schema answers first; only a value it refuses is walked again by the generic
    validator, for every reason at once. (The compiled one also checks the formats, such as
    date-time, that the generic one leaves to optional packages: what it alone refuses is
    reported with its own message.)"""
    try:
        _compiled(name)(value)
    except fastjsonschema.JsonSchemaValueException as exc:
        found = sorted(_validator(name).iter_errors(value), key=lambda e: [str(p) for p in e.path])
        if not found:
            named = exc.name or ""
            where = "/".join(str(step) for step in exc.path[1:])
            return [f"{where or '(top)'}: {exc.message.removeprefix(named).strip()}"]
        return [f"{'/'.join(str(p) for p in e.path) or '(top)'}: {e.message}" for e in found]
    return []


@dataclass(frozen=True)
class EnvelopeFile:
    name: str
    content: bytes
    media_type: str = "application/pdf"
    role: str = "main"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """A manifest's exact bytes, the detached signature over them, and the files by SHA-256."""

    manifest: bytes
    signature: bytes
    files: Mapping[str, bytes] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "manifest": base64.b64encode(self.manifest).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "files": [
                {"sha256": sha, "content": base64.b64encode(content).decode("ascii")}
                for sha, content in sorted(self.files.items())
            ],
        }

    @property
    def manifest_sha256(self) -> str:
        return sha256_hex(self.manifest)


def problem_fields(type_: str, status: int, detail: str) -> dict[str, Any]:
    """The RFC 9457 fields of a refusal the federation endpoints answer with."""
    return {
        "type": "https://govdoc.example/problems/federation/" + type_,
        "title": type_.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }


class EnvelopeProblem(Exception):
    """Why an envelope is refused: ``type`` is stable (a problem type of the receipt and of the
    HTTP answer), ``detail`` is for a person."""

    def __init__(self, type_: str, detail: str) -> None:
        super().__init__(f"{type_}: {detail}")
        self.type = type_
        self.detail = detail


def manifest_build(
    *,
    consignment_id: uuid.UUID,
    created_at: str,
    sender: Mapping[str, Any],
    recipient: Mapping[str, Any],
    document: Mapping[str, Any],
    files: Sequence[EnvelopeFile],
    validate: bool = True,
) -> bytes:
    """The canonical bytes of a manifest. Raises ValueError if it would break its own schema
    (a sender never sends what a receiver must refuse). ``validate=False`` leaves that check to
    the tests of the caller: for a sender that builds many from fields it has checked."""
    manifest = {
        "format": ENVELOPE_FORMAT,
        "consignment_id": str(consignment_id),
        "created_at": created_at,
        "sender": dict(sender),
        "recipient": dict(recipient),
        "document": dict(document),
        "files": [
            {
                "name": f.name,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "size": len(f.content),
                "role": f.role,
            }
            for f in files
        ],
    }
    errors = schema_errors(MANIFEST_SCHEMA, manifest) if validate else []
    if errors:
        raise ValueError("the manifest breaks its schema: " + "; ".join(errors))
    return canonical_json(manifest)


def envelope_seal(manifest: bytes, files: Sequence[EnvelopeFile], *, key: KeyBackend) -> Envelope:
    """The envelope of ``manifest``: signed with ``key`` (the sending agency's e-seal)."""
    return Envelope(
        manifest=manifest,
        signature=detached_seal(data=manifest, key=key),
        files={f.sha256: f.content for f in files},
    )


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise EnvelopeProblem("envelope-malformed", f"{what} must be a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise EnvelopeProblem("envelope-malformed", f"{what} is not valid base64") from None


def _raw(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise EnvelopeProblem("envelope-malformed", f"{what} must be a byte string")
    return value


def _files_from(raw_files: object, as_bytes: Callable[[object, str], bytes], where: str) -> dict[str, bytes]:
    """The files of one envelope on the wire (``as_bytes``: how its contents are carried)."""
    if not isinstance(raw_files, list) or len(raw_files) > 20:
        raise EnvelopeProblem("envelope-malformed", f"{where}files must be a list of at most 20")
    files: dict[str, bytes] = {}
    for index, item in enumerate(raw_files):
        if (
            not isinstance(item, dict)
            or set(item) != {"sha256", "content"}
            or not isinstance(item["sha256"], str)
        ):
            raise EnvelopeProblem(
                "envelope-malformed", f"{where}files[{index}] holds exactly sha256 and content"
            )
        files[item["sha256"]] = as_bytes(item["content"], f"{where}files[{index}].content")
    return files


def envelope_from_json(body: object) -> Envelope:
    """An envelope as it came over the wire (a parsed JSON object); raises EnvelopeProblem."""
    if not isinstance(body, dict) or set(body) != {"manifest", "signature", "files"}:
        raise EnvelopeProblem(
            "envelope-malformed", "the envelope holds exactly manifest, signature and files"
        )
    files = _files_from(body["files"], _b64, "")
    if sum(len(c) for c in files.values()) > MAX_FILES_BYTES:
        raise EnvelopeProblem("envelope-too-large", f"the files exceed {MAX_FILES_BYTES} bytes")
    return Envelope(
        manifest=_b64(body["manifest"], "manifest"),
        signature=_b64(body["signature"], "signature"),
        files=files,
    )


@dataclass(frozen=True)
class PeerTrust:
    """What this node knows of a sending node, from its trust list: its identifier, its root
    CA, its current CRLs, and its agencies' names by code (its address book)."""

    node: str
    roots: tuple[x509.Certificate, ...]
    crls: tuple[bytes, ...]
    agencies: Mapping[str, str]


def manifest_parse(manifest: bytes) -> dict[str, Any]:
    """The manifest's content, if it is canonical JSON that keeps the schema; else raises."""
    try:
        parsed = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeProblem("manifest-malformed", "the manifest is not UTF-8 JSON") from None
    if not isinstance(parsed, dict):
        raise EnvelopeProblem("manifest-malformed", "the manifest is not a JSON object")
    errors = schema_errors(MANIFEST_SCHEMA, parsed)
    if errors:
        raise EnvelopeProblem("manifest-invalid", "; ".join(errors[:5]))
    if canonical_json(parsed) != manifest:
        raise EnvelopeProblem(
            "manifest-not-canonical", "the manifest is not in canonical form (sorted keys, no spaces)"
        )
    return parsed


def _content_check(
    manifest_bytes: bytes, files: Mapping[str, bytes], *, peer: PeerTrust, own_node: str
) -> dict[str, Any]:
    """The checks of one envelope that need no signature: the manifest, its nodes and files."""
    manifest = manifest_parse(manifest_bytes)
    sender, recipient = manifest["sender"], manifest["recipient"]
    if sender["node"] != peer.node:
        raise EnvelopeProblem(
            "sender-node-mismatch",
            f"the manifest names node {sender['node']!r}, the envelope came from {peer.node!r}",
        )
    if recipient["node"] != own_node:
        raise EnvelopeProblem(
            "wrong-recipient-node", f"the envelope is for node {recipient['node']!r}, not this one"
        )
    named = {f["sha256"]: f for f in manifest["files"]}
    if len(named) != len(manifest["files"]):
        raise EnvelopeProblem("manifest-invalid", "a file is named twice")
    missing = sorted(set(named) - set(files))
    if missing:
        raise EnvelopeProblem("file-missing", f"no content for the file with SHA-256 {missing[0]}")
    extra = sorted(set(files) - set(named))
    if extra:
        raise EnvelopeProblem("file-unexpected", f"a file the manifest does not name came along ({extra[0]})")
    for sha, content in files.items():
        if hashlib.sha256(content).hexdigest() != sha or len(content) != named[sha]["size"]:
            raise EnvelopeProblem(
                "file-hash-mismatch", f"the file {named[sha]['name']!r} is not the file the manifest names"
            )
    return manifest


def _sealed_by_agency(data: bytes, signature: bytes, *, peer: PeerTrust, agency: str) -> None:
    """``signature`` over ``data`` is intact, made within the peer's PKI, by the e-seal of the
    peer's agency ``agency`` (its organization is that agency's name in the address book)."""
    report = detached_verify_trusting(data, signature, roots=peer.roots, crls=peer.crls)
    if report.state is not Verdict.AUTHENTIC or not report.signatures:
        kind = "signature-invalid" if report.state is Verdict.ALTERED else "signature-not-trusted"
        raise EnvelopeProblem(kind, " ".join(report.reasons) or "the signature could not be verified")
    expected = peer.agencies.get(agency)
    if expected is None:
        raise EnvelopeProblem("unknown-sender-agency", f"node {peer.node!r} lists no agency {agency!r}")
    if report.signatures[0].signer_organization != expected:
        raise EnvelopeProblem(
            "signer-not-sender",
            f"the e-seal belongs to {report.signatures[0].signer_organization!r}, not to {expected!r}",
        )


# For the other signed things nodes exchange (``messages.py``): the same check of the e-seal.
def sealed_by_agency(data: bytes, signature: bytes, *, peer: PeerTrust, agency: str) -> None:
    _sealed_by_agency(data, signature, peer=peer, agency=agency)


def envelope_check(envelope: Envelope, *, peer: PeerTrust, own_node: str) -> dict[str, Any]:
    """Everything a receiving node checks before it registers anything (see the module
    docstring); returns the manifest's content, or raises EnvelopeProblem with the first
    problem found."""
    manifest = _content_check(envelope.manifest, envelope.files, peer=peer, own_node=own_node)
    _sealed_by_agency(envelope.manifest, envelope.signature, peer=peer, agency=manifest["sender"]["agency"])
    return manifest


# ---------------------------------------------------------------------------- batches


@dataclass(frozen=True)
class BatchEnvelope:
    """A batch's exact bytes, the one signature over them, and its envelopes (manifest bytes
    and files by SHA-256), in the order the batch lists them."""

    batch: bytes
    signature: bytes
    items: Sequence[tuple[bytes, Mapping[str, bytes]]]

    @property
    def batch_sha256(self) -> str:
        return sha256_hex(self.batch)

    def to_json(self) -> dict[str, Any]:
        return {
            "batch": base64.b64encode(self.batch).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "envelopes": [
                {
                    "manifest": base64.b64encode(manifest).decode("ascii"),
                    "files": [
                        {"sha256": sha, "content": base64.b64encode(content).decode("ascii")}
                        for sha, content in sorted(files.items())
                    ],
                }
                for manifest, files in self.items
            ],
        }

    def to_cbor(self) -> bytes:
        """The batch as a CBOR body (``BATCH_BODY_FORMAT``): the same bytes as ``to_json``
        without base64, so a node neither inflates the files by a third nor decodes them."""
        return cbor2.dumps(
            {
                "format": BATCH_BODY_FORMAT,
                "batch": self.batch,
                "signature": self.signature,
                "envelopes": [
                    {
                        "manifest": manifest,
                        "files": [
                            {"sha256": sha, "content": content} for sha, content in sorted(files.items())
                        ],
                    }
                    for manifest, files in self.items
                ],
            }
        )


def batch_build(
    *,
    batch_id: uuid.UUID,
    created_at: str,
    sender: Mapping[str, str],
    recipient: Mapping[str, str],
    manifests: Sequence[bytes],
) -> bytes:
    """The canonical bytes of a batch of ``manifests`` (exact bytes, in travel order)."""
    content = {
        "format": BATCH_FORMAT,
        "batch_id": str(batch_id),
        "created_at": created_at,
        "sender": dict(sender),
        "recipient": dict(recipient),
        "manifests": [sha256_hex(m) for m in manifests],
    }
    errors = schema_errors(BATCH_SCHEMA, content)
    if errors:
        raise ValueError("the batch breaks its schema: " + "; ".join(errors))
    return canonical_json(content)


def batch_seal(
    batch: bytes, items: Sequence[tuple[bytes, Mapping[str, bytes]]], *, key: KeyBackend
) -> BatchEnvelope:
    """The batch signed once with ``key`` (the sending agency's e-seal)."""
    return BatchEnvelope(batch=batch, signature=detached_seal(data=batch, key=key), items=list(items))


def _batch_from(body: object, as_bytes: Callable[[object, str], bytes], keys: set[str]) -> BatchEnvelope:
    if not isinstance(body, dict) or set(body) != keys:
        raise EnvelopeProblem("envelope-malformed", f"the batch holds exactly {', '.join(sorted(keys))}")
    raw = body["envelopes"]
    if not isinstance(raw, list) or not raw or len(raw) > MAX_BATCH:
        raise EnvelopeProblem("envelope-malformed", f"envelopes must be a list of 1 to {MAX_BATCH}")
    items: list[tuple[bytes, Mapping[str, bytes]]] = []
    total = 0
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or set(item) != {"manifest", "files"}:
            raise EnvelopeProblem(
                "envelope-malformed", f"envelopes[{index}] holds exactly manifest and files"
            )
        files = _files_from(item["files"], as_bytes, f"envelopes[{index}].")
        total += sum(len(c) for c in files.values())
        items.append((as_bytes(item["manifest"], f"envelopes[{index}].manifest"), files))
    if total > MAX_FILES_BYTES:
        raise EnvelopeProblem("envelope-too-large", f"the files exceed {MAX_FILES_BYTES} bytes")
    return BatchEnvelope(
        batch=as_bytes(body["batch"], "batch"),
        signature=as_bytes(body["signature"], "signature"),
        items=items,
    )


def batch_from_json(body: object) -> BatchEnvelope:
    """A batch as it came over the wire (a parsed JSON object); raises EnvelopeProblem."""
    return _batch_from(body, _b64, {"batch", "signature", "envelopes"})


def batch_from_cbor(body: bytes) -> BatchEnvelope:
    """A batch as it came over the wire in CBOR (``BATCH_BODY_FORMAT``, the request's bytes);
    raises EnvelopeProblem: ``envelope-malformed`` for what is not one CBOR item of that form,
    ``body-format-unsupported`` for a CBOR body of another format (a later version)."""
    stream = io.BytesIO(body)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except Exception:  # whatever the decoder makes of hostile bytes is a refusal
        raise EnvelopeProblem("envelope-malformed", "the body is not CBOR") from None
    if stream.tell() != len(body):
        raise EnvelopeProblem("envelope-malformed", "the body has bytes after its CBOR item")
    if isinstance(item, dict) and "format" in item and item["format"] != BATCH_BODY_FORMAT:
        raise EnvelopeProblem(
            "body-format-unsupported", f"this node takes CBOR batches of format {BATCH_BODY_FORMAT} only"
        )
    return _batch_from(item, _raw, {"format", "batch", "signature", "envelopes"})


def batch_parse(batch: bytes) -> dict[str, Any]:
    """The batch's content, if it is canonical JSON that keeps its schema; else raises."""
    try:
        parsed = json.loads(batch.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeProblem("batch-malformed", "the batch is not UTF-8 JSON") from None
    errors = schema_errors(BATCH_SCHEMA, parsed) if isinstance(parsed, dict) else ["not an object"]
    if errors:
        raise EnvelopeProblem("batch-invalid", "; ".join(errors[:5]))
    if canonical_json(parsed) != batch:
        raise EnvelopeProblem("batch-not-canonical", "the batch is not in canonical form")
    return dict(parsed)


def batch_check(batch: BatchEnvelope, *, peer: PeerTrust, own_node: str) -> dict[str, Any]:
    """What a receiving node checks of the batch as a whole before any of its envelopes: it
    keeps its schema, comes from the peer, is for this node, lists exactly the manifests that
    came, and is sealed by the sending agency it names. Returns its content."""
    content = batch_parse(batch.batch)
    if content["sender"]["node"] != peer.node:
        raise EnvelopeProblem("sender-node-mismatch", f"the batch names node {content['sender']['node']!r}")
    if content["recipient"]["node"] != own_node:
        raise EnvelopeProblem("wrong-recipient-node", "the batch is for another node")
    if [sha256_hex(m) for m, _files in batch.items] != content["manifests"]:
        raise EnvelopeProblem("batch-mismatch", "the envelopes are not those the batch lists, in its order")
    _sealed_by_agency(batch.batch, batch.signature, peer=peer, agency=content["sender"]["agency"])
    return content


def batch_item_check(
    manifest_bytes: bytes,
    files: Mapping[str, bytes],
    *,
    batch: Mapping[str, Any],
    peer: PeerTrust,
    own_node: str,
) -> dict[str, Any]:
    """One envelope of a batch that ``batch_check`` passed: its manifest and files (as
    ``envelope_check``, the batch's signature standing for its own), and it is from the agency
    and for the agency the batch names."""
    manifest = _content_check(manifest_bytes, files, peer=peer, own_node=own_node)
    if manifest["sender"]["agency"] != batch["sender"]["agency"]:
        raise EnvelopeProblem("signer-not-sender", "the envelope is from another agency than the batch")
    if manifest["recipient"]["agency"] != batch["recipient"]["agency"]:
        raise EnvelopeProblem("batch-mismatch", "the envelope is for another agency than the batch")
    return manifest


def batch_receipt_seal(
    *,
    batch: BatchEnvelope,
    content: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    receiver_node: str,
    received_at: str,
    key: KeyBackend,
) -> Receipt:
    """The receiving agency's one signed answer to a batch: a result for each envelope."""
    receipt_content = {
        "format": BATCH_RECEIPT_FORMAT,
        "batch_id": content["batch_id"],
        "batch_sha256": batch.batch_sha256,
        "sender_node": content["sender"]["node"],
        "receiver": {"node": receiver_node, "agency": content["recipient"]["agency"]},
        "received_at": received_at,
        "results": [dict(r) for r in results],
    }
    errors = schema_errors(BATCH_RECEIPT_SCHEMA, receipt_content)
    if errors:
        raise ValueError("the batch receipt breaks its schema: " + "; ".join(errors))
    receipt = canonical_json(receipt_content)
    return Receipt(receipt=receipt, signature=detached_seal(data=receipt, key=key))


def batch_receipt_check(receipt: Receipt, *, batch: BatchEnvelope, peer: PeerTrust) -> dict[str, Any]:
    """What the sending node checks of a batch's receipt before it keeps it as proof (as
    ``receipt_check``): it answers this very batch, within the receiving node's PKI."""
    return _receipt_checked(
        receipt, schema_name=BATCH_RECEIPT_SCHEMA, digest=("batch_sha256", batch.batch_sha256), peer=peer
    )


def _receipt_checked(
    receipt: Receipt, *, schema_name: str, digest: tuple[str, str], peer: PeerTrust
) -> dict[str, Any]:
    """A receipt (of one envelope or of a batch) that keeps ``schema_name``, whose field
    ``digest[0]`` is ``digest[1]`` (it answers what was sent), names the peer as receiver and
    is signed within the peer's PKI by one of its agencies or the node. Raises EnvelopeProblem."""
    try:
        content = json.loads(receipt.receipt.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeProblem("receipt-malformed", "the receipt is not UTF-8 JSON") from None
    errors = schema_errors(schema_name, content)
    if errors:
        raise EnvelopeProblem("receipt-invalid", "; ".join(errors[:5]))
    field_name, expected = digest
    if content[field_name] != expected:
        raise EnvelopeProblem("receipt-mismatch", "the receipt answers something else than was sent")
    if content["receiver"]["node"] != peer.node:
        raise EnvelopeProblem("receipt-mismatch", f"the receipt names node {content['receiver']['node']!r}")
    report = detached_verify_trusting(receipt.receipt, receipt.signature, roots=peer.roots, crls=peer.crls)
    if report.state is not Verdict.AUTHENTIC or not report.signatures:
        raise EnvelopeProblem("receipt-signature-invalid", " ".join(report.reasons))
    signer = report.signatures[0].signer_organization
    if signer not in set(peer.agencies.values()) | {peer.node}:
        raise EnvelopeProblem("receipt-signer-unknown", f"the receipt is sealed by {signer!r}")
    return dict(content)


@dataclass(frozen=True)
class Receipt:
    """A receipt's exact bytes and the detached signature over them."""

    receipt: bytes
    signature: bytes

    def to_json(self) -> dict[str, str]:
        return {
            "receipt": base64.b64encode(self.receipt).decode("ascii"),
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }


def receipt_seal(
    *,
    envelope: Envelope,
    consignment_id: str,
    sender_node: str,
    receiver_node: str,
    receiver_agency: str | None,
    received_at: str,
    problem: EnvelopeProblem | None,
    key: KeyBackend,
) -> Receipt:
    """The receiving node's signed answer to ``envelope``: delivered, or refused with the
    problem. ``key`` is the receiving agency's e-seal (the node's own when no agency of this
    node could be named)."""
    content: dict[str, Any] = {
        "format": RECEIPT_FORMAT,
        "consignment_id": consignment_id,
        "sender_node": sender_node,
        "receiver": {"node": receiver_node, "agency": receiver_agency},
        "manifest_sha256": envelope.manifest_sha256,
        "files": sorted(envelope.files),
        "received_at": received_at,
        "status": "refused" if problem is not None else "delivered",
        "problem": None if problem is None else {"type": problem.type, "detail": problem.detail},
    }
    errors = schema_errors(RECEIPT_SCHEMA, content)
    if errors:
        raise ValueError("the receipt breaks its schema: " + "; ".join(errors))
    receipt = canonical_json(content)
    return Receipt(receipt=receipt, signature=detached_seal(data=receipt, key=key))


def receipt_check(receipt: Receipt, *, envelope: Envelope, peer: PeerTrust) -> dict[str, Any]:
    """What the sending node checks of the answer before it keeps it as proof: the receipt
    keeps its schema, answers this very manifest, and is signed within the receiving node's PKI
    by one of its agencies (or the node). Returns its content; raises EnvelopeProblem."""
    return _receipt_checked(
        receipt, schema_name=RECEIPT_SCHEMA, digest=("manifest_sha256", envelope.manifest_sha256), peer=peer
    )
