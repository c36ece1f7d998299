"""The sealed export of a whole line with every signed decision."""

from __future__ import annotations

import base64

from django.db import transaction

from govdoc.approvals.manifest import (
    EXPORT_FORMAT,
    ExportDecision,
    ExportLine,
    ExportStep,
    LineExport,
    seal_payload,
    sha256_hex,
)
from govdoc.approvals.models import ApprovalLine, ApprovalStep
from govdoc.approvals.services._base import (
    Actor,
    _person_ref,
)
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import canonical_json
from govdoc.signatures import keyring
from govdoc.signatures.services import detached_seal

# ---------------------------------------------------------------------------- export


def line_manifest_export(*, line: ApprovalLine, actor: Actor = None) -> bytes:
    """The whole line with every signed decision, sealed by the agency e-seal (UTF-8 JSON).

    ``manifest.manifest_verify`` checks it offline. Sealing is slow and changes no row, so it
    runs outside any transaction; the export is recorded right after.
    """
    line = ApprovalLine.objects.select_related("agency", "document", "version", "drafter").get(pk=line.pk)
    steps = list(ApprovalStep.objects.filter(line=line).select_related("assignee").order_by("position", "id"))
    export_steps: list[ExportStep] = [
        {
            "id": str(step.pk),
            "position": step.position,
            "kind": str(step.kind),
            "assignee": _person_ref(step.assignee),
            "status": str(step.status),
            "skip_reason": step.skip_reason,
        }
        for step in steps
    ]
    certificates: list[str] = []
    decisions: list[ExportDecision] = []
    for step in sorted((s for s in steps if s.sequence is not None), key=lambda s: s.sequence or 0):
        cert = base64.b64encode(bytes(step.signer_certificate or b"")).decode("ascii")
        if cert not in certificates:
            certificates.append(cert)
        decisions.append(
            {
                "sequence": step.sequence or 0,
                "step": str(step.pk),
                "manifest": base64.b64encode(bytes(step.manifest or b"")).decode("ascii"),
                "manifest_sha256": step.manifest_sha256,
                "signature": base64.b64encode(bytes(step.signature or b"")).decode("ascii"),
                "certificate": certificates.index(cert),
            }
        )
    export_line: ExportLine = {
        "id": str(line.pk),
        "agency": {"id": str(line.agency.pk), "code": line.agency.code, "name": line.agency.name},
        "document": {"id": str(line.document.pk), "title": line.document.title},
        "doc_type": line.doc_type,
        "version": line.version.number,
        "version_sha256": line.version.file_id,
        "drafter": _person_ref(line.drafter),
        "status": str(line.status),
        "created_at": line.created_at.isoformat(),
        "submitted_at": line.submitted_at.isoformat() if line.submitted_at else None,
        "finished_at": line.finished_at.isoformat() if line.finished_at else None,
        "steps": export_steps,
    }
    if line.content_sha256:
        export_line["content_sha256"] = line.content_sha256
    export: LineExport = {
        "format": EXPORT_FORMAT,
        "line": export_line,
        "decisions": decisions,
        "certificates": certificates,
        "exported_at": clock.now().isoformat(),
        "seal": "",
    }
    key = keyring.eseal_key(line.agency.code, name=line.agency.name)
    seal = detached_seal(data=seal_payload(dict(export)), key=key)
    export["seal"] = base64.b64encode(seal).decode("ascii")
    data = canonical_json(export)
    with transaction.atomic():
        record(
            "approvals.manifest_exported",
            actor=actor,
            target=line,
            data={"sha256": sha256_hex(data), "decisions": len(decisions), "status": str(line.status)},
        )
    return data
