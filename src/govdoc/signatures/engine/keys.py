"""Key backends: who holds the signing key.

A :class:`KeyBackend` gives the engine a pyHanko ``Signer`` that is built once and reused for
every signature: loading and checking a private key (RSA especially) costs far more than the
signature itself (STACK-NOTES: ~40 ms per load), so no backend reloads its key per document.

``SoftwareKey`` (here) holds a passphrase-encrypted key file, decrypted once; ``Pkcs11Key``
(``pkcs11.py``) talks to an HSM.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Protocol

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign import attributes, general
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from govdoc.signatures.engine.devpki import PrivateKey, decrypt_key
from govdoc.signatures.engine.errors import KeyBackendError, SigningError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class KeyBackend(Protocol):
    """Where a signing key lives, with the certificate that names its holder."""

    @property
    def certificate(self) -> x509.Certificate: ...

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """Issuer certificates up to and including the root, nearest first."""
        ...

    @property
    def label(self) -> str:
        """A short name for logs and audit events (never a secret)."""
        ...

    def signer(self) -> Signer:
        """The pyHanko signer; the same object on every call."""
        ...


def to_asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def certificate_store(certificates: tuple[x509.Certificate, ...]) -> SimpleCertificateStore:
    store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    store.register_multiple([to_asn1_certificate(cert) for cert in certificates])
    return store


def hash_for(digest_algorithm: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[digest_algorithm.lower()]()
    except KeyError:
        raise SigningError(f"unsupported digest algorithm {digest_algorithm!r}") from None


class _KeptSigningCertificate(attributes.CMSAttributeProvider):
    """The signing-certificate-v2 attribute (RFC 5035) from its encoding, made once per signer.

    pyHanko builds it anew for every signature from the certificate's issuer name, and
    asn1crypto re-encodes a freshly built tree node by node each time it is dumped or copied
    (three times per signature): a fifth of a seal's CPU time. A value parsed from its
    encoding dumps as the same bytes at once.
    """

    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes) -> None:
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class _KeptCertificateSpec(attributes.SignedAttributeProviderSpec):
    """pyHanko's signed-attribute choice, with the signing certificate attribute kept."""

    def __init__(self, inner: Any, der: bytes) -> None:
        self._inner = inner
        self._der = der

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str) -> Iterable[Any]:
        for provider in self._inner.signed_attr_providers(
            data_digest=data_digest, digest_algorithm=digest_algorithm
        ):
            if isinstance(provider, attributes.SigningCertificateV2Provider):
                yield _KeptSigningCertificate(self._der)
            else:
                yield provider


class KeptSigningCertificateMixin:
    """For a pyHanko ``Signer``: the signing-certificate-v2 attribute encoded once (see
    :class:`_KeptSigningCertificate`); everything else as pyHanko chooses per signature."""

    signing_cert: asn1_x509.Certificate
    _kept_signing_certificate: tuple[asn1_x509.Certificate, bytes] | None = None

    def _signed_attr_provider_spec(self, *args: Any, **kwargs: Any) -> Any:
        spec = super()._signed_attr_provider_spec(*args, **kwargs)  # type: ignore[misc]
        cert = self.signing_cert
        if cert is None:
            return spec
        kept = self._kept_signing_certificate
        if kept is None or kept[0] is not cert:  # made for this very certificate object
            kept = (cert, general.as_signing_certificate_v2(cert).dump())
            self._kept_signing_certificate = kept
        return _KeptCertificateSpec(spec, kept[1])


class KeptKeySigner(KeptSigningCertificateMixin, Signer):
    """A pyHanko signer over an in-memory ``cryptography`` key that stays loaded.

    pyHanko's own ``SimpleSigner`` re-parses the private key from DER at every signature.
    RSA keys sign with PKCS#1 v1.5, ECDSA keys with ECDSA over the requested digest.
    """

    def __init__(
        self,
        *,
        private_key: PrivateKey,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
    ) -> None:
        self._private_key = private_key
        super().__init__(
            signing_cert=to_asn1_certificate(certificate),
            cert_registry=certificate_store(chain),
            embed_roots=True,
        )

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        algorithm = hash_for(digest_algorithm)
        key = self._private_key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), algorithm)
        return key.sign(data, ec.ECDSA(algorithm))


def _public_numbers_match(private_key: PrivateKey, certificate: x509.Certificate) -> bool:
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(
        private_key.public_key().public_bytes(der, spki) == certificate.public_key().public_bytes(der, spki)
    )


class SoftwareKey:
    """A key held in a passphrase-encrypted PKCS#8 PEM file (the embedded default).

    The key is decrypted once, here; a wrong passphrase raises KeyBackendError, and so does a
    key that does not belong to the certificate.
    """

    def __init__(
        self,
        *,
        key_pem: bytes,
        passphrase: str,
        certificate: x509.Certificate,
        chain: tuple[x509.Certificate, ...],
        label: str,
    ) -> None:
        private_key = decrypt_key(key_pem, passphrase)
        if not _public_numbers_match(private_key, certificate):
            raise KeyBackendError("the key file does not belong to the certificate", label=label)
        self._certificate = certificate
        self._chain = chain
        self._label = label
        self._private_key = private_key
        # One signer per thread: a pyHanko signer holds asn1crypto objects that decode and
        # re-encode themselves lazily, and two threads sharing one were seen to produce corrupt
        # signatures (21 in 600 concurrent signatures). The key itself is shared.
        self._local = threading.local()

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self._chain

    @property
    def label(self) -> str:
        return self._label

    def signer(self) -> Signer:
        """This thread's signer over the kept key: the same object on every call in a thread."""
        signer: Signer | None = getattr(self._local, "signer", None)
        if signer is None:
            signer = KeptKeySigner(
                private_key=self._private_key, certificate=self._certificate, chain=self._chain
            )
            self._local.signer = signer
        return signer

    def __repr__(self) -> str:
        return f"SoftwareKey(label={self._label!r})"
