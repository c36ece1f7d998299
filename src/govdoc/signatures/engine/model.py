"""What the engine returns: frozen dataclasses with plain values.

The verdict is one of the four states of DESIGN.md ("Verification result"), for a person and
for a machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from govdoc.core.jsontypes import JSONObject, JSONValue


class Verdict(StrEnum):
    AUTHENTIC = "authentic"
    ALTERED = "altered"
    CERTIFICATE_PROBLEM = "certificate_problem"
    CANNOT_BE_VERIFIED = "cannot_be_verified"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """One signature as the validator saw it.

    ``intact``: the signed bytes hash to the signed digest and the signature value verifies.
    ``trusted``: a certification path to one of the configured roots was found and validated
    (revocation included). ``modification_level`` is pyHanko's ``ModificationLevel`` name in
    lower case (``none``, ``lta_updates``, ``form_filling``, ``annotations``, ``other``), None
    for detached signatures.
    """

    field_name: str | None
    signer_subject: str
    signer_serial: str
    signer_fingerprint_sha256: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    intact: bool
    trusted: bool
    revoked: bool
    expired: bool
    covers_whole_file: bool
    modification_level: str | None
    docmdp_ok: bool | None
    certified: bool
    reasons: tuple[str, ...]
    # "signature", or "document_timestamp" for a PAdES document (archive) timestamp, whose
    # "signer" is the timestamp authority.
    kind: str = "signature"
    # The organization (O) the signer's certificate names: whose e-seal it is.
    signer_organization: str = ""

    def to_json(self) -> JSONObject:
        return {
            "field_name": self.field_name,
            "signer_subject": self.signer_subject,
            "signer_serial": self.signer_serial,
            "signer_fingerprint_sha256": self.signer_fingerprint_sha256,
            "signing_time": _iso(self.signing_time),
            "timestamp_time": _iso(self.timestamp_time),
            "intact": self.intact,
            "trusted": self.trusted,
            "revoked": self.revoked,
            "expired": self.expired,
            "covers_whole_file": self.covers_whole_file,
            "modification_level": self.modification_level,
            "docmdp_ok": self.docmdp_ok,
            "certified": self.certified,
            "reasons": list(self.reasons),
            "kind": self.kind,
        }


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The verdict on a whole file, with the reasons a person reads and every signature."""

    state: Verdict
    reasons: tuple[str, ...]
    signatures: tuple[SignatureReport, ...]

    @property
    def is_authentic(self) -> bool:
        return self.state is Verdict.AUTHENTIC

    def to_json(self) -> JSONObject:
        signatures: list[JSONValue] = [sig.to_json() for sig in self.signatures]
        return {
            "state": self.state.value,
            "reasons": list(self.reasons),
            "signatures": signatures,
        }
