"""Proofs of existence from timestamps: what a chain of document timestamps proves.

ETSI EN 319 102-1 §5.6.3: for PAdES B-LTA the chain of document timestamps is the evidence
record. A document timestamp found trustworthy proves that its revision, and every revision
before it, existed at the time it states; a signature timestamp inside such a revision then
proves the earlier time the signature was made. The validator uses these times as the moment
at which certificates are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pyhanko.sign.validation.generic_cms import extract_tst_data_iter


def token_time(signed_data: Any) -> datetime | None:
    """The genTime of an RFC 3161 token (a CMS SignedData over a TSTInfo), unverified."""
    try:
        tst_info = signed_data["encap_content_info"]["content"].parsed
        moment = tst_info["gen_time"].native
    except Exception:
        return None
    return moment if isinstance(moment, datetime) else None


def signature_token_time(embedded_sig: Any) -> datetime | None:
    for token in extract_tst_data_iter(embedded_sig.signer_info, signed=False):
        return token_time(token)
    return None


@dataclass
class Proof:
    """A document timestamp found trustworthy: it proves that revision ``revision`` and all
    before it existed at ``time`` (ETSI EN 319 102-1 §5.6.3: the chain of document timestamps
    is the evidence record of a PAdES B-LTA document)."""

    revision: int
    time: datetime


def earliest_proof_after(proofs: Sequence[Proof], revision: int) -> Proof | None:
    later = [proof for proof in proofs if proof.revision > revision]
    return min(later, key=lambda proof: proof.revision) if later else None
