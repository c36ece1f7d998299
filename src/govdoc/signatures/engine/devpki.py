"""A development PKI built with ``cryptography``: root CA, e-seal, personal, TSA and OCSP
certificates, CRLs, and passphrase-encrypted key files.

Used by the embedded default (a PKI made on first start) and by the tests (real keys, real
certificates, real CRLs: no mocks). Production certificates come from a real CA; nothing here
is meant to issue them.

Profiles follow RFC 5280 and ETSI EN 319 412: e-seal and personal signing certificates carry
digitalSignature + nonRepudiation (contentCommitment); a TSA certificate carries the critical
extended key usage timeStamping only (RFC 3161 §2.3).
"""

from __future__ import annotations

import base64
import os
import secrets
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from govdoc.signatures.engine.errors import KeyBackendError

CertKind = Literal["ca", "eseal", "person", "tsa", "ocsp"]
PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey: TypeAlias = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

_EC_KINDS: frozenset[str] = frozenset({"eseal", "person", "ocsp"})


@dataclass(frozen=True, slots=True)
class CertifiedKey:
    """A private key with its certificate.

    ``chain`` holds the issuer certificates up to and including the root, nearest first; it
    is empty for a root CA.
    """

    certificate: x509.Certificate
    private_key: PrivateKey
    chain: tuple[x509.Certificate, ...]

    @property
    def full_chain(self) -> tuple[x509.Certificate, ...]:
        """The certificate followed by its issuers (what a signer embeds)."""
        return (self.certificate, *self.chain)


def new_key(kind: CertKind) -> PrivateKey:
    """ECDSA P-256 for e-seals, persons and OCSP responders; RSA-2048 for CAs and TSAs."""
    if kind in _EC_KINDS:
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, organization: str, email: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "RS"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attributes)


def _random_serial() -> int:
    # RFC 5280 §4.1.2.2: positive, at most 20 octets; CA/B forum asks for 64 bits of entropy.
    return secrets.randbits(120) | (1 << 64)


def create_root_ca(
    common_name: str,
    *,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    key: PrivateKey | None = None,
) -> CertifiedKey:
    """A self-signed root CA (RSA-2048 unless a key is given)."""
    private_key = key if key is not None else new_key("ca")
    name = _name(common_name, organization)
    public_key = private_key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(_random_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    return CertifiedKey(certificate=certificate, private_key=private_key, chain=())


def _key_usage(kind: CertKind) -> x509.KeyUsage:
    signing = kind in ("eseal", "person")
    return x509.KeyUsage(
        digital_signature=kind != "ca",
        content_commitment=signing,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=kind == "ca",
        crl_sign=kind == "ca",
        encipher_only=False,
        decipher_only=False,
    )


def issue_certificate(
    ca: CertifiedKey,
    *,
    kind: CertKind,
    common_name: str,
    organization: str,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
    crl_url: str | None,
    email: str | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """A certificate of the given kind, signed by ``ca``.

    ``kind="ca"`` makes an intermediate CA. ``crl_url`` adds a CRL distribution point (the
    validator never fetches it: CRLs are handed to it, but the extension tells it that
    revocation must be checked).
    """
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization, email))
        .issuer_name(ca.certificate.subject)
        .public_key(public_key)
        .serial_number(serial if serial is not None else _random_serial())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(
            x509.BasicConstraints(ca=kind == "ca", path_length=None),
            critical=True,
        )
        .add_extension(_key_usage(kind), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    if kind == "tsa":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    elif kind == "ocsp":
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        ).add_extension(x509.OCSPNoCheck(), critical=False)
    if email and kind in ("person", "eseal"):
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    if crl_url:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(ca.private_key, hashes.SHA256())


def issue_certified_key(
    ca: CertifiedKey,
    *,
    kind: CertKind,
    common_name: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    crl_url: str | None,
    email: str | None = None,
    serial: int | None = None,
) -> CertifiedKey:
    """A new key of the right type for ``kind`` with its certificate issued by ``ca``."""
    private_key = new_key(kind)
    certificate = issue_certificate(
        ca,
        kind=kind,
        common_name=common_name,
        organization=organization,
        public_key=private_key.public_key(),
        not_before=not_before,
        not_after=not_after,
        crl_url=crl_url,
        email=email,
        serial=serial,
    )
    return CertifiedKey(certificate=certificate, private_key=private_key, chain=ca.full_chain)


def make_crl(
    ca: CertifiedKey,
    *,
    revoked: Sequence[tuple[int, datetime]],
    this_update: datetime,
    next_update: datetime,
    number: int,
    reasons: Mapping[int, x509.ReasonFlags] | None = None,
) -> x509.CertificateRevocationList:
    """A CRL signed by ``ca`` listing ``(serial, revocation_date)`` pairs; ``reasons`` maps a
    serial to its CRL reason code (RFC 5280 §5.3.1), e.g. ``keyCompromise``."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(this_update)
        .next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.private_key.public_key()),
            critical=False,
        )
    )
    for serial, when in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
        reason = (reasons or {}).get(serial)
        if reason is not None:
            entry = entry.add_extension(x509.CRLReason(reason), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    return builder.sign(ca.private_key, hashes.SHA256())


def encrypt_key(key: PrivateKey, passphrase: str) -> bytes:
    """The key as PKCS#8 PEM, encrypted under ``passphrase`` with the best available scheme."""
    if not passphrase:
        raise KeyBackendError("a key file needs a non-empty passphrase")
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )


# A PIN has few possibilities (a million for six digits), so a key under a PIN is wrapped with a
# memory-hard KDF: scrypt (RFC 7914) with N=2^15, r=8 (32 MiB, ~0.1 s per try here) and
# AES-256-GCM. PKCS#8's PBKDF2 with OpenSSL's default 2,048 iterations takes ~0.4 ms per try: a
# stolen key file with a six-digit PIN would fall in minutes. Production keeps officials' keys
# on a signature device or a remote signing service instead (DESIGN.md, "Who holds which key").
_PIN_PEM = "GOVDOC PIN-PROTECTED PRIVATE KEY"
_PIN_MAGIC = b"GDPK1"
_SCRYPT_LOG2_N = 15


def encrypt_key_under_pin(key: PrivateKey, pin: str) -> bytes:
    """The key as PKCS#8 DER wrapped with scrypt + AES-256-GCM under ``pin``, in a PEM block."""
    if not pin:
        raise KeyBackendError("a key file needs a non-empty PIN")
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    secret = Scrypt(salt=salt, length=32, n=2**_SCRYPT_LOG2_N, r=8, p=1).derive(pin.encode("utf-8"))
    header = _PIN_MAGIC + bytes([_SCRYPT_LOG2_N]) + salt + nonce
    body = header + AESGCM(secret).encrypt(nonce, der, header)
    lines = textwrap.wrap(base64.b64encode(body).decode("ascii"), 64)
    return "\n".join([f"-----BEGIN {_PIN_PEM}-----", *lines, f"-----END {_PIN_PEM}-----", ""]).encode()


def _decrypt_under_pin(pem: bytes, pin: str) -> PrivateKey:
    text = pem.decode("ascii", "replace")
    inner = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    try:
        body = base64.b64decode(inner, validate=True)
    except ValueError as exc:
        raise KeyBackendError("the key file is damaged") from exc
    size = len(_PIN_MAGIC) + 1 + 16 + 12
    if len(body) <= size or not body.startswith(_PIN_MAGIC):
        raise KeyBackendError("the key file is damaged")
    header, sealed = body[:size], body[size:]
    log2_n = header[len(_PIN_MAGIC)]
    salt = header[len(_PIN_MAGIC) + 1 : len(_PIN_MAGIC) + 17]
    nonce = header[len(_PIN_MAGIC) + 17 :]
    if not 10 <= log2_n <= 22:
        raise KeyBackendError("the key file is damaged")
    secret = Scrypt(salt=salt, length=32, n=2**log2_n, r=8, p=1).derive(pin.encode("utf-8"))
    try:
        der = AESGCM(secret).decrypt(nonce, sealed, header)
    except InvalidTag as exc:
        raise KeyBackendError("the key file cannot be opened: wrong PIN or damaged file") from exc
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyBackendError("the key file holds an unsupported key type (RSA or ECDSA expected)")
    return key


def decrypt_key(pem: bytes, passphrase: str) -> PrivateKey:
    """Load a key written by :func:`encrypt_key` or :func:`encrypt_key_under_pin`; a wrong
    passphrase or PIN raises KeyBackendError."""
    if pem.lstrip().startswith(f"-----BEGIN {_PIN_PEM}-----".encode()):
        return _decrypt_under_pin(pem, passphrase)
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase.encode("utf-8"))
    except (ValueError, TypeError) as exc:
        raise KeyBackendError("the key file cannot be opened: wrong passphrase or damaged file") from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyBackendError("the key file holds an unsupported key type (RSA or ECDSA expected)")
    return key
