"""Why a certificate or a timestamp is not trusted, in sentences a person reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

REASON_REVOCATION_UNKNOWN = "The revocation status of the signer's certificate could not be established."


def when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment.utcoffset() is not None else str(moment)


def _valid_at(cert: asn1_x509.Certificate, moment: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return bool(validity["not_before"].native <= moment <= validity["not_after"].native)


def certificate_reasons(status: Any, signing_time: datetime) -> tuple[list[str], bool, bool]:
    """Reasons why a signer certificate is not trusted; returns (reasons, revoked, expired)."""
    cert: asn1_x509.Certificate = status.signing_cert
    indication = status.trust_problem_indic
    not_after: datetime = cert["tbs_certificate"]["validity"]["not_after"].native
    not_before: datetime = cert["tbs_certificate"]["validity"]["not_before"].native
    reasons: list[str] = []
    revoked = bool(status.revoked) or indication in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE)
    expired = signing_time > not_after or indication in (
        AdESIndeterminate.EXPIRED,
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
        AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
    )
    if revoked:
        details = status.revocation_details
        if details is not None and details.ca_revoked:
            reasons.append("A certificate authority in the signer's certificate chain was revoked.")
        elif details is not None:
            reasons.append(f"The signer's certificate was revoked on {when(details.revocation_date)}.")
        else:
            reasons.append("The signer's certificate was revoked.")
    elif indication is AdESIndeterminate.REVOKED_CA_NO_POE:
        revoked = True
        reasons.append("A certificate authority in the signer's certificate chain was revoked.")
    if expired:
        if signing_time > not_after:
            reasons.append(
                f"The signer's certificate had expired on {when(not_after)}, before the document was signed."
            )
        else:
            reasons.append(
                f"The signer's certificate expired on {when(not_after)}; that it was valid when the "
                "document was signed cannot be confirmed."
            )
    if signing_time < not_before or indication in (
        AdESFailure.NOT_YET_VALID,
        AdESIndeterminate.NOT_YET_VALID,
    ):
        reasons.append(f"The signer's certificate was not yet valid (valid from {when(not_before)}).")
    if indication is AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        reasons.append("The signer's certificate was not issued by a trusted certificate authority.")
    elif indication in (AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOCATION_OUT_OF_BOUNDS_NO_POE):
        reasons.append(REASON_REVOCATION_UNKNOWN)
    elif indication is AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        reasons.append(
            "The signer's certificate is not allowed to sign documents (key usage or chain rules)."
        )
    elif indication in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        reasons.append("The signer's certificate uses an algorithm that is no longer considered secure.")
    if not reasons and indication is AdESIndeterminate.CERTIFICATE_CHAIN_GENERAL_FAILURE:
        path = status.validation_path
        if path is None:
            reasons.append("The signer's certificate was not issued by a trusted certificate authority.")
        elif not all(_valid_at(ca_cert, signing_time) for ca_cert in path.iter_certs(include_root=True)):
            reasons.append("A certificate authority in the signer's chain was expired or not yet valid.")
        else:
            # The path reaches a trusted root and every certificate in it is in its validity
            # period: what failed is the revocation check (no CRL covers a certificate).
            reasons.append(REASON_REVOCATION_UNKNOWN)
    if not reasons:
        name = getattr(indication, "name", "unknown problem")
        reasons.append(f"The signer's certificate could not be validated ({name.lower().replace('_', ' ')}).")
    return reasons, revoked, expired


def timestamp_problems(status: Any) -> tuple[list[str], list[str]]:
    """(altered reasons, certificate reasons) for the signature timestamp token."""
    ts = getattr(status, "timestamp_validity", None)
    if ts is None:
        return [], []
    if not (ts.intact and ts.valid):
        return ["The signature timestamp token has been altered."], []
    if not ts.trusted:
        if ts.revoked:
            return [], ["The timestamp authority's certificate was revoked."]
        return [], ["The timestamp authority is not trusted or its certificate could not be validated."]
    return [], []
