"""The signed decision manifests and the sealed export of a whole line, and their offline check.

Pure: bytes and a TrustConfig in, a report out; no Django, no database. ``govdoc
verify-approvals FILE`` and anyone holding an export and the root certificate can run it.

A decision manifest is the canonical JSON (``core.jsontypes.canonical_json``) of
:class:`DecisionManifest`; its ``previous`` is the SHA-256 of the previous decision's manifest
in the same line (``None`` for the first), so the decisions form a hash chain. The export is a
JSON object (:class:`LineExport`) whose ``seal`` is a detached CMS by the agency e-seal over
the canonical JSON of every other member.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from cryptography import x509
from cryptography.x509.oid import NameOID

from govdoc.core.jsontypes import canonical_json
from govdoc.signatures.engine.model import ValidationReport, Verdict
from govdoc.signatures.engine.validation import TrustConfig, validate_detached

EXPORT_FORMAT = "govdoc-approval-manifest/1"

_DECIDED = {"approve": "approved", "reject": "rejected", "return": "returned"}
_FINISHED = {"approved", "rejected", "returned", "withdrawn"}
_SEVERITY = (Verdict.ALTERED, Verdict.CERTIFICATE_PROBLEM, Verdict.CANNOT_BE_VERIFIED, Verdict.AUTHENTIC)


class PersonRef(TypedDict):
    id: str
    name: str


class DecisionManifest(TypedDict):
    line: str
    document: str
    version: int
    version_sha256: str
    step: str
    position: int
    kind: str
    decision: str
    comment: str
    decided_by: PersonRef
    acting_for: str | None
    delegated: bool
    decided_at: str
    previous: str | None
    # What will be issued if the line approves: the SHA-256 the drafter's domain computes over
    # the document's data, template and script (``ApprovalLine.content_sha256``); absent on
    # lines whose document is the version itself.
    content_sha256: NotRequired[str]


class ExportStep(TypedDict):
    id: str
    position: int
    kind: str
    assignee: PersonRef
    status: str
    skip_reason: str


class ExportLine(TypedDict):
    id: str
    agency: dict[str, str]
    document: dict[str, str]
    doc_type: str
    version: int
    version_sha256: str
    content_sha256: NotRequired[str]
    drafter: PersonRef
    status: str
    created_at: str
    submitted_at: str | None
    finished_at: str | None
    steps: list[ExportStep]


class ExportDecision(TypedDict):
    sequence: int
    step: str
    manifest: str  # base64 of the canonical JSON bytes that were signed
    manifest_sha256: str
    signature: str  # base64 of the DER detached CMS
    certificate: int  # index into LineExport.certificates


class LineExport(TypedDict):
    format: str
    line: ExportLine
    decisions: list[ExportDecision]
    certificates: list[str]  # base64 DER of the signers' certificates
    exported_at: str
    seal: str  # base64 DER detached CMS by the agency e-seal over seal_payload()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decision_manifest_bytes(manifest: DecisionManifest) -> bytes:
    return canonical_json(manifest)


def seal_payload(export: dict[str, Any]) -> bytes:
    """What the agency e-seal signs: the canonical JSON of the export without ``seal``."""
    return canonical_json({key: value for key, value in export.items() if key != "seal"})


# ---------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class DecisionCheck:
    """One decision as the verifier read it."""

    sequence: int
    step: str
    position: int
    kind: str
    decision: str
    comment: str
    decided_by: str
    acting_for: str | None
    delegated: bool
    decided_at: str
    signer_subject: str
    timestamp_time: str | None
    state: Verdict


@dataclass(frozen=True)
class ManifestReport:
    """``ok`` only when ``state`` is authentic and there is no problem at all.

    ``state`` judges integrity: a line still in progress keeps ``authentic`` (its signatures
    stand) but is not ``ok`` (an ``incomplete`` problem); any other problem makes it ``altered``
    unless a signature's own verdict is worse.

    Each problem starts with a stable tag a machine can match: ``format``, ``seal``,
    ``signature``, ``signer``, ``chain``, ``order``, ``line``, ``version``, ``step``,
    ``missing``, ``incomplete``, ``outcome``, ``content``.
    """

    ok: bool
    state: Verdict
    problems: list[str]
    decisions: list[DecisionCheck] = field(default_factory=list)


class _Malformed(Exception):
    pass


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise _Malformed(f"{what} is not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Malformed(f"{what} is not valid base64") from exc


def _common_name(certificate_der: bytes) -> str:
    try:
        names = x509.load_der_x509_certificate(certificate_der).subject.get_attributes_for_oid(
            NameOID.COMMON_NAME
        )
    except ValueError:
        return ""
    return str(names[0].value) if names else ""


def _worst(states: list[Verdict]) -> Verdict:
    return min(states, key=_SEVERITY.index) if states else Verdict.AUTHENTIC


def _reasons(report: ValidationReport) -> str:
    return "; ".join(report.reasons) or report.state.value


def manifest_verify(data: bytes, *, trust: TrustConfig) -> ManifestReport:
    """Check an exported approval manifest offline; never raises on bad input."""
    try:
        export = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ManifestReport(False, Verdict.CANNOT_BE_VERIFIED, ["format: the file is not UTF-8 JSON"])
    if not isinstance(export, dict) or export.get("format") != EXPORT_FORMAT:
        return ManifestReport(
            False, Verdict.CANNOT_BE_VERIFIED, [f"format: the file is not a {EXPORT_FORMAT} document"]
        )
    try:
        return _verify(export, trust=trust)
    except (_Malformed, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        detail = (
            str(exc) if isinstance(exc, _Malformed) else f"a required member is missing or wrong ({exc!r})"
        )
        return ManifestReport(False, Verdict.CANNOT_BE_VERIFIED, [f"format: {detail}"])


def _verify(export: dict[str, Any], *, trust: TrustConfig) -> ManifestReport:
    problems: list[str] = []
    verdicts: list[Verdict] = []

    seal = validate_detached(seal_payload(export), _b64(export["seal"], "the seal"), trust=trust)
    if seal.state is not Verdict.AUTHENTIC:
        verdicts.append(seal.state)
        problems.append(f"seal: the agency e-seal over the manifest is {seal.state.value}: {_reasons(seal)}")

    certificates = [_b64(cert, "a certificate") for cert in export["certificates"]]
    line = export["line"]
    steps: dict[str, dict[str, Any]] = {step["id"]: step for step in line["steps"]}
    checks: list[DecisionCheck] = []
    decided: set[str] = set()
    previous: str | None = None
    last_position = 0
    for number, entry in enumerate(export["decisions"], start=1):
        raw = _b64(entry["manifest"], f"decision {number}'s manifest")
        signature = _b64(entry["signature"], f"decision {number}'s signature")
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise _Malformed(f"decision {number}'s manifest is not JSON") from exc
        label = f"decision {number} (position {manifest['position']}, step {manifest['step']})"

        report = validate_detached(raw, signature, trust=trust)
        if report.state is not Verdict.AUTHENTIC:
            verdicts.append(report.state)
            problems.append(f"signature: {label} is {report.state.value}: {_reasons(report)}")
        signer = report.signatures[0] if report.signatures else None
        index = entry["certificate"]
        if signer is not None and (
            not 0 <= index < len(certificates)
            or sha256_hex(certificates[index]) != signer.signer_fingerprint_sha256
        ):
            problems.append(f"signer: {label} was not signed with the certificate listed for it")
        elif signer is not None and _common_name(certificates[index]) != manifest["decided_by"]["name"]:
            problems.append(
                f"signer: {label} names {manifest['decided_by']['name']!r} as decider, "
                f"but was signed by {_common_name(certificates[index])!r}"
            )
        if entry.get("manifest_sha256") != sha256_hex(raw):
            problems.append(f"chain: {label} does not match the hash listed for it")

        if manifest["previous"] != previous:
            problems.append(
                f"chain: {label} does not follow "
                + (f"decision {number - 1}" if number > 1 else "the start of the line")
                + " (its 'previous' hash does not match)"
            )
        previous = sha256_hex(raw)
        if manifest["line"] != line["id"]:
            problems.append(f"line: {label} belongs to another line ({manifest['line']})")
        if manifest["version_sha256"] != line["version_sha256"] or manifest["version"] != line["version"]:
            problems.append(
                f"version: {label} approves version {manifest['version']} ({manifest['version_sha256']}), "
                f"the line is about version {line['version']} ({line['version_sha256']})"
            )
        if manifest.get("content_sha256") != line.get("content_sha256"):
            problems.append(
                f"content: {label} approves content {manifest.get('content_sha256')}, "
                f"the line is about content {line.get('content_sha256')}"
            )
        if manifest["position"] < last_position:
            problems.append(f"order: {label} comes after a decision at position {last_position}")
        last_position = max(last_position, manifest["position"])

        step = steps.get(manifest["step"])
        if step is None:
            problems.append(f"step: {label} names a step that is not in the line")
        else:
            if manifest["step"] in decided:
                problems.append(f"step: {label} decides a step that was already decided")
            if step["position"] != manifest["position"] or step["kind"] != manifest["kind"]:
                problems.append(f"step: {label} does not match the step's position and kind in the line")
            if _DECIDED.get(manifest["decision"]) != step["status"]:
                listed = step["status"]
                problems.append(
                    f"step: {label} says {manifest['decision']!r}, the line lists the step as {listed}"
                )
        decided.add(manifest["step"])
        checks.append(
            DecisionCheck(
                sequence=number,
                step=manifest["step"],
                position=manifest["position"],
                kind=manifest["kind"],
                decision=manifest["decision"],
                comment=manifest["comment"],
                decided_by=manifest["decided_by"]["name"],
                acting_for=manifest["acting_for"],
                delegated=bool(manifest["delegated"]),
                decided_at=manifest["decided_at"],
                signer_subject=signer.signer_subject if signer else "",
                timestamp_time=signer.timestamp_time.isoformat()
                if signer and signer.timestamp_time
                else None,
                state=report.state,
            )
        )

    for step in sorted(steps.values(), key=lambda s: s["position"]):
        name = f"step at position {step['position']} ({step['kind']}, {step['assignee']['name']})"
        if step["status"] in _DECIDED.values() and step["id"] not in decided:
            problems.append(f"missing: the {name} is {step['status']} but its signed decision is missing")
        elif step["status"] == "skipped" and not str(step.get("skip_reason", "")).strip():
            problems.append(f"missing: the {name} was skipped without a reason")
        elif step["status"] in ("waiting", "pending"):
            problems.append(f"incomplete: the {name} is still {step['status']}")
    if line["status"] not in _FINISHED:
        problems.append(f"incomplete: the line is still {line['status']}")
    if line["status"] == "approved" and not any(
        c.decision == "approve" and (c.kind == "approval" or c.delegated) for c in checks
    ):
        problems.append("outcome: the line is approved but no final or delegated approval is signed")

    state = _worst(verdicts)
    # A line still under way is not altered: its signatures stand, it is just not finished.
    if state is Verdict.AUTHENTIC and any(not p.startswith("incomplete:") for p in problems):
        state = Verdict.ALTERED
    return ManifestReport(ok=not problems, state=state, problems=problems, decisions=checks)
