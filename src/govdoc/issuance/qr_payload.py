"""The signed payload the QR code carries, so a document can be checked offline.

Format (like a compact JWS, without a header): ``base64url(canonical JSON) "." base64url(sig)``
where ``sig`` is the agency e-seal's signature over the ASCII bytes of the first part
(ECDSA P-256 / SHA-256 as the 64-byte ``r || s``, as in JWS ES256; PKCS#1 v1.5 for an RSA
e-seal). The JSON holds the key fields a person compares with the paper, the verification
code, the issue time, ``data_sha256`` (SHA-256 of the ``data.json`` embedded in the PDF) and
``kid`` (the serial of the e-seal certificate that signed it, so a verifier picks the right
published certificate after a key rollover). On the wire the names are one letter
(``_WIRE_NAMES``: v, c code, n holder name, r document number, d issue date, s subject,
u valid until, t issued at, h data SHA-256 as base64url, k kid); :func:`payload_verify`
returns the long names.

Why not the PDF's own hash: the QR is drawn inside the PDF, so it cannot carry a hash of the
file it is part of. The registered PDF hash is checked online by uploading the file; offline,
the payload proves what the agency issued and ``data_sha256`` binds the embedded data.

The URL the QR encodes is ``{PUBLIC_URL}/verify/{code}#p={payload}``: the payload sits in the
fragment, which browsers never send to a server, so the personal data in it does not end up
in web server or proxy logs; the verification page gets the code from the path.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, TypedDict, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from govdoc.core.jsontypes import canonical_json
from govdoc.issuance.errors import PayloadInvalidError
from govdoc.signatures.engine.keys import KeyBackend

FORMAT_VERSION = 1
FRAGMENT_KEY = "p"


class QrPayload(TypedDict):
    v: int
    code: str
    holder_name: str
    document_number: str
    issue_date: str
    subject: str
    valid_until: str | None
    issued_at: str
    data_sha256: str
    kid: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_signature(key: KeyBackend, data: bytes) -> bytes:
    """Sign ``data`` (SHA-256) with the key of ``key`` and return the DER/PKCS#1 signature.

    Seam: signatures offers no "sign these bytes with the e-seal" call yet, so this asks the
    backend's pyHanko signer directly (``sign_raw`` of the kept software key; the async
    ``async_sign_raw`` every pyHanko signer has, the PKCS#11 one included). When signatures
    grows ``KeyBackend.sign_raw``, replace this body with it.
    """
    signer: Any = key.signer()
    sign_raw = getattr(signer, "sign_raw", None)
    if sign_raw is not None:
        return cast(bytes, sign_raw(data, "sha256"))
    return cast(bytes, asyncio.run(signer.async_sign_raw(data, "sha256")))


# On the wire the fields have one-letter names and the data hash is base64url, to keep the QR
# code small enough to scan reliably from paper (version 18 instead of 20 at level M).
_WIRE_NAMES: dict[str, str] = {
    "v": "v",
    "code": "c",
    "holder_name": "n",
    "document_number": "r",
    "issue_date": "d",
    "subject": "s",
    "valid_until": "u",
    "issued_at": "t",
    "data_sha256": "h",
    "kid": "k",
}
_FROM_WIRE = {wire: name for name, wire in _WIRE_NAMES.items()}


def _to_wire(payload: QrPayload) -> dict[str, Any]:
    wire: dict[str, Any] = {_WIRE_NAMES[name]: value for name, value in payload.items()}
    wire["h"] = _b64(bytes.fromhex(payload["data_sha256"]))
    return wire


def _from_wire(wire: dict[str, Any]) -> QrPayload | None:
    if set(wire) != set(_FROM_WIRE) or wire.get("v") != FORMAT_VERSION or not isinstance(wire.get("h"), str):
        return None
    try:
        digest = _unb64(wire["h"])
    except (binascii.Error, ValueError):
        return None
    if len(digest) != 32:
        return None
    content = {_FROM_WIRE[key]: value for key, value in wire.items()}
    content["data_sha256"] = digest.hex()
    return cast(QrPayload, content)


def payload_sign(payload: QrPayload, *, key: KeyBackend) -> str:
    body = _b64(canonical_json(_to_wire(payload))).encode("ascii")
    signature = raw_signature(key, body)
    public_key = key.certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        r, s = decode_dss_signature(signature)
        size = (public_key.curve.key_size + 7) // 8
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return f"{body.decode('ascii')}.{_b64(signature)}"


def _signature_ok(body: bytes, signature: bytes, certificate: x509.Certificate) -> bool:
    public_key = certificate.public_key()
    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            size = (public_key.curve.key_size + 7) // 8
            if len(signature) != 2 * size:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
            public_key.verify(der, body, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def payload_verify(payload: str, certificate: x509.Certificate) -> QrPayload:
    """The payload's content if the agency certificate's key signed it; works offline.

    Raises PayloadInvalidError when the text is malformed or the signature does not verify
    (one changed character is enough). Whether the certificate itself is trusted, current and
    not revoked is checked against the published PKI, not here.
    """
    body, dot, signature_text = payload.strip().partition(".")
    if not dot or not body or not signature_text:
        raise PayloadInvalidError("the QR payload is not in the form <data>.<signature>")
    try:
        signature = _unb64(signature_text)
        raw = _unb64(body)
    except (binascii.Error, ValueError):
        raise PayloadInvalidError("the QR payload is not valid base64url") from None
    if _b64(signature) != signature_text or _b64(raw) != body:
        # base64 decoders ignore some changed bits at the end; a canonical re-encoding does not
        raise PayloadInvalidError("the QR payload is not in canonical base64url")
    if not _signature_ok(body.encode("ascii"), signature, certificate):
        raise PayloadInvalidError("the QR payload's signature does not verify with this certificate")
    try:
        wire = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadInvalidError("the QR payload's data is not JSON") from None
    content = _from_wire(wire) if isinstance(wire, dict) else None
    if content is None:
        raise PayloadInvalidError("the QR payload does not have the expected fields")
    return content


def payload_from_url(url: str) -> str | None:
    """The payload in a verification URL's fragment, if there is one."""
    _, _, fragment = url.partition("#")
    for part in fragment.split("&"):
        name, eq, value = part.partition("=")
        if eq and name == FRAGMENT_KEY:
            return value
    return None
