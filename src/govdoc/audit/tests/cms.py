"""A real detached CMS signer and verifier for checkpoint tests (ECDSA P-256, self-made certificate).

The signatures domain will provide the production ones (with a timestamp); audit tests must not
import it, so this is a small, complete stand-in built on ``cryptography`` and ``asn1crypto``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from govdoc.audit.verification import CheckpointCheck


@dataclasses.dataclass(frozen=True)
class Signer:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def label(self) -> str:
        return self.cert.subject.rfc4514_string()

    def sign(self, statement: bytes) -> bytes:
        return (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(statement)
            .add_signer(self.cert, self.key, hashes.SHA256())
            .sign(
                serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
            )
        )


def make_signer(common_name: str) -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "RS"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GovDoc test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return Signer(key=key, cert=cert)


def verifier_trusting(trusted: x509.Certificate) -> Callable[[bytes, bytes], CheckpointCheck]:
    """``verify_signature(statement, signature)`` that accepts only ``trusted``'s signatures."""
    trusted_der = trusted.public_bytes(serialization.Encoding.DER)
    public_key = trusted.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)

    def verify(statement: bytes, signature: bytes) -> CheckpointCheck:
        try:
            signed_data = cms.ContentInfo.load(signature)["content"]
            signer_info = signed_data["signer_infos"][0]
            attrs = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
            certs = [c.chosen for c in signed_data["certificates"]]
            signed_attrs_der = signer_info["signed_attrs"].dump()
            signature_value = signer_info["signature"].native
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return CheckpointCheck(ok=False, reason=f"not a CMS signature ({exc})")
        sid = signer_info["sid"].chosen
        signer_cert = next(
            (
                c
                for c in certs
                if c.issuer == sid["issuer"] and c.serial_number == sid["serial_number"].native
            ),
            None,
        )
        if signer_cert is None or signer_cert.dump() != trusted_der:
            return CheckpointCheck(ok=False, reason="signed with a certificate that is not trusted")
        if attrs["message_digest"].native != hashlib.sha256(statement).digest():
            return CheckpointCheck(ok=False, reason="the signature covers other content than this statement")
        # RFC 5652 §5.4: the signature covers the signed attributes DER-encoded as a SET OF.
        try:
            public_key.verify(signature_value, b"\x31" + signed_attrs_der[1:], ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return CheckpointCheck(ok=False, reason="the signature value does not verify")
        return CheckpointCheck(ok=True, reason="valid signature", signed_at=attrs["signing_time"].native)

    return verify
