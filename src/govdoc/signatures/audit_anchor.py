"""Anchoring the audit chain: checkpoints signed with the installation's e-seal.

The audit domain knows nothing of signatures; it takes a ``sign`` and a ``verify_signature``
callable. This module provides them: a detached CMS signature with an RFC 3161 timestamp, made
by the installation seal, and its verification against this installation's trust anchors.
"""

from __future__ import annotations

from govdoc.audit.models import AuditCheckpoint
from govdoc.audit.selectors import checkpoint_latest
from govdoc.audit.services import checkpoint_create
from govdoc.audit.verification import ChainReport, CheckpointCheck, verify_database
from govdoc.signatures import keyring
from govdoc.signatures.engine.cms import sign_detached
from govdoc.signatures.engine.keys import KeyBackend
from govdoc.signatures.engine.validation import validate_detached

INSTALLATION_NAME = "GovDoc installation"


def _installation_key() -> KeyBackend:
    return keyring.eseal_key(keyring.INSTALLATION_SEAL, name=INSTALLATION_NAME)


def audit_checkpoint(*, actor: str) -> AuditCheckpoint:
    """Sign and timestamp the current head of the audit chain."""
    key = _installation_key()
    timestamper = keyring.timestamper()
    return checkpoint_create(
        sign=lambda statement: sign_detached(statement, key=key, timestamper=timestamper),
        signer_label=f"{INSTALLATION_NAME} e-seal ({actor})",
    )


def checkpoint_signature_check(statement: bytes, signature: bytes) -> CheckpointCheck:
    report = validate_detached(statement, signature, trust=keyring.trust())
    if not report.is_authentic:
        reason = "; ".join(report.reasons) or report.state.value
        return CheckpointCheck(ok=False, reason=f"the checkpoint signature is {report.state.value}: {reason}")
    signer = report.signatures[0]
    if INSTALLATION_NAME not in signer.signer_subject:
        return CheckpointCheck(
            ok=False, reason=f"signed by {signer.signer_subject}, not by the installation seal"
        )
    return CheckpointCheck(ok=True, reason="signed by the installation seal", signed_at=signer.timestamp_time)


def audit_verify() -> ChainReport:
    return verify_database(verify_signature=checkpoint_signature_check)


def last_checkpoint_seq() -> int:
    latest = checkpoint_latest()
    return latest.seq if latest is not None else 0
