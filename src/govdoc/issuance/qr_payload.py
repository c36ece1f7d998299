"""The signed payload the QR code carries, so a document can be checked offline.

The format is the one of the EU Digital COVID Certificate (DCC), with GovDoc's own claims;
docs/offline-verification.md describes it byte by byte for third-party verifiers::

    "GD1:" + base45(zlib(COSE_Sign1(CWT claims)))

- COSE_Sign1 (RFC 9052 §4.2), tagged (CBOR tag 18); protected header ``{1: alg, 4: kid}``
  with alg ES256 (-7) for the agency's ECDSA P-256 e-seal (RS256, -257, RFC 8812, if an agency's
  production e-seal is RSA); ``kid`` is the first 8 bytes of the SHA-256 of the signer
  certificate (DER), as in the DCC. The payload is signed with the agency's e-seal key, the
  key that seals the PDF: no second key to hold in the HSM, and its certificate is already
  published and revoked through the same CRL.
- The payload is a CWT claims set (RFC 8392): 1 iss (agency code), 6 iat (issued at),
  4 exp (valid until, only when the document expires) and one private-use claim
  ``-65537`` holding the fields a person compares with the paper (``_FIELDS``).
- zlib (RFC 1950), base45 (RFC 9285) and the context prefix ``GD1:``.

Why not the PDF's own hash: the QR is drawn inside the PDF, so it cannot carry a hash of the
file it is part of. ``data_sha256`` binds the ``data.json`` embedded in the PDF instead.

The QR holds ``{PUBLIC URL, upper case}/V/{code}#{payload}`` (:func:`qr_text`). Every
character but ``#`` is in the QR alphanumeric set (base45 is that set), so the QR code is two
alphanumeric segments joined by a one-byte segment (:func:`qr_segments`). The payload sits
in the fragment, which browsers never send to a server; ``%`` and space, which a URL cannot
hold literally, are percent-escaped there (both escapes stay alphanumeric).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import re
import zlib
from collections.abc import Iterable
from typing import Any, Literal, TypedDict, cast
from urllib.parse import unquote, urlsplit

import base45
import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding

from govdoc.core import clock
from govdoc.issuance.errors import PayloadInvalidError
from govdoc.signatures.engine.keys import KeyBackend

PREFIX = "GD1:"
COSE_SIGN1_TAG = 18
ALG_ES256 = -7
ALG_RS256 = -257
HEADER_ALG, HEADER_KID = 1, 4
CLAIM_ISS, CLAIM_EXP, CLAIM_IAT = 1, 4, 6
CLAIM_DOCUMENT = -65537  # RFC 8392 §9.1: integer claim keys below -65536 are for private use
# Keys of the document map (claim -65537): small integers, one CBOR byte each.
_FIELDS: dict[str, int] = {"code": 1, "holder_name": 2, "document_number": 3, "subject": 4, "data_sha256": 5}
MAX_PAYLOAD_CHARS = 2000  # far more than any QR GovDoc draws; refuses zlib bombs early
_MAX_INFLATED = 4096

PayloadProblem = Literal[
    "prefix",
    "base45",
    "zlib",
    "cbor",
    "structure",
    "algorithm",
    "kid",
    "signature",
    "expired",
    "not-yet-valid",
]


class QrPayload(TypedDict):
    """What the payload states: the agency (CWT ``iss``), the times and the paper's fields."""

    agency: str
    code: str
    holder_name: str
    document_number: str
    subject: str
    issued_at: dt.datetime
    valid_until: dt.datetime | None
    data_sha256: str


class VerifiedPayload(QrPayload):
    """A payload whose signature verified, with the certificate that signed it."""

    kid: str
    signer: x509.Certificate


def _invalid(reason: PayloadProblem, message: str) -> PayloadInvalidError:
    return PayloadInvalidError(message, reason=reason)


def certificate_kid(certificate: x509.Certificate) -> bytes:
    """The key identifier of a signer certificate: SHA-256 of its DER, first 8 bytes (as the DCC)."""
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).digest()[:8]


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


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    # RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _cbor(data: bytes, what: str) -> Any:
    """One CBOR item that is all of ``data`` (trailing bytes are refused, as RFC 8949 §5.1 allows)."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream).decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
        raise _invalid("cbor", f"{what} is not CBOR") from None
    if stream.tell() != len(data):
        raise _invalid("cbor", f"{what} has bytes after its CBOR item")
    return item


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def payload_sign(payload: QrPayload, *, key: KeyBackend) -> str:
    """The ``GD1:`` text of ``payload``, signed with the agency e-seal ``key``."""
    certificate = key.certificate
    public_key = certificate.public_key()
    if isinstance(public_key, ec.EllipticCurvePublicKey) and isinstance(public_key.curve, ec.SECP256R1):
        alg = ALG_ES256
    elif isinstance(public_key, rsa.RSAPublicKey):
        alg = ALG_RS256
    else:
        raise ValueError("the e-seal key is neither ECDSA P-256 nor RSA")
    protected = cbor2.dumps({HEADER_ALG: alg, HEADER_KID: certificate_kid(certificate)})
    document = {
        _FIELDS["code"]: payload["code"],
        _FIELDS["holder_name"]: payload["holder_name"],
        _FIELDS["document_number"]: payload["document_number"],
        _FIELDS["subject"]: payload["subject"],
        _FIELDS["data_sha256"]: bytes.fromhex(payload["data_sha256"]),
    }
    claims: dict[int, Any] = {CLAIM_ISS: payload["agency"], CLAIM_IAT: _epoch(payload["issued_at"])}
    if payload["valid_until"] is not None:
        claims[CLAIM_EXP] = _epoch(payload["valid_until"])
    claims[CLAIM_DOCUMENT] = document
    body = cbor2.dumps(claims)
    signature = raw_signature(key, _sig_structure(protected, body))
    if alg == ALG_ES256:
        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # RFC 9053 §2.1: r || s
    cose = cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, body, signature]))
    encoded: bytes = base45.b45encode(zlib.compress(cose, 9))
    return PREFIX + encoded.decode("ascii")


def _decode(text: str) -> tuple[dict[Any, Any], bytes, bytes, bytes]:
    """The protected header (decoded), its bytes, the payload bytes and the signature."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise _invalid("prefix", f"the QR payload does not start with {PREFIX}")
    if len(text) > MAX_PAYLOAD_CHARS:
        raise _invalid("prefix", "the QR payload is too long")
    try:
        compressed = base45.b45decode(text[len(PREFIX) :])
    except (ValueError, TypeError):
        raise _invalid("base45", "the QR payload is not valid base45") from None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(compressed, _MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise zlib.error("truncated, oversized or trailing data")
    except zlib.error:
        raise _invalid("zlib", "the QR payload is not a complete zlib stream") from None
    cose = _cbor(raw, "the QR payload")
    if isinstance(cose, cbor2.CBORTag):
        if cose.tag != COSE_SIGN1_TAG:
            raise _invalid("structure", "the QR payload is not a COSE_Sign1 message")
        cose = cose.value
    if not (
        isinstance(cose, list)
        and len(cose) == 4
        and isinstance(cose[0], bytes)
        and isinstance(cose[1], dict)
        and isinstance(cose[2], bytes)
        and isinstance(cose[3], bytes)
    ):
        raise _invalid("structure", "the QR payload is not a COSE_Sign1 message")
    protected_bytes, _, body, signature = cose
    protected = _cbor(protected_bytes, "the QR payload's protected header") if protected_bytes else {}
    if not isinstance(protected, dict):
        raise _invalid("structure", "the QR payload's protected header is not a map")
    return protected, protected_bytes, body, signature


def _signature_ok(alg: int, data: bytes, signature: bytes, certificate: x509.Certificate) -> bool:
    public_key = certificate.public_key()
    try:
        if alg == ALG_ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
            if len(signature) != 64:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            public_key.verify(der, data, ec.ECDSA(hashes.SHA256()))
        elif alg == ALG_RS256 and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _time(value: object) -> dt.datetime:
    if type(value) is not int:
        raise _invalid("structure", "a time in the QR payload is not an integer")
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise _invalid("structure", "a time in the QR payload is out of range") from None


def _content(body: bytes) -> QrPayload:
    claims = _cbor(body, "the QR payload's claims")
    document = claims.get(CLAIM_DOCUMENT) if isinstance(claims, dict) else None
    if not isinstance(document, dict) or not isinstance(claims.get(CLAIM_ISS), str):
        raise _invalid("structure", "the QR payload does not have the expected claims")
    texts = {name: document.get(key) for name, key in _FIELDS.items() if name != "data_sha256"}
    digest = document.get(_FIELDS["data_sha256"])
    if not all(isinstance(value, str) for value in texts.values()):
        raise _invalid("structure", "the QR payload does not have the expected fields")
    if not isinstance(digest, bytes) or len(digest) != 32:
        raise _invalid("structure", "the QR payload's data hash is not 32 bytes")
    return {
        "agency": claims[CLAIM_ISS],
        "code": cast(str, texts["code"]),
        "holder_name": cast(str, texts["holder_name"]),
        "document_number": cast(str, texts["document_number"]),
        "subject": cast(str, texts["subject"]),
        "issued_at": _time(claims.get(CLAIM_IAT)),
        "valid_until": None if CLAIM_EXP not in claims else _time(claims[CLAIM_EXP]),
        "data_sha256": digest.hex(),
    }


def payload_verify(
    text: str,
    certificates: Iterable[x509.Certificate],
    *,
    at: dt.datetime | None = None,
    allow_expired: bool = False,
) -> VerifiedPayload:
    """The payload's content if one of ``certificates`` (the published signer certificates)
    signed it and it has not expired at ``at`` (now by default); works offline.

    Raises PayloadInvalidError with ``details["reason"]`` one of :data:`PayloadProblem`.
    Whether a certificate is trusted, current and not revoked is checked against the
    published PKI, not here; a certificate that was not valid at the payload's ``iat`` is
    refused.
    """
    protected, protected_bytes, body, signature = _decode(text)
    alg, kid = protected.get(HEADER_ALG), protected.get(HEADER_KID)
    if alg not in (ALG_ES256, ALG_RS256):
        raise _invalid("algorithm", f"the QR payload's algorithm {alg!r} is not ES256 or RS256")
    if not isinstance(kid, bytes):
        raise _invalid("kid", "the QR payload names no signer (kid)")
    signer = next((cert for cert in certificates if certificate_kid(cert) == kid), None)
    if signer is None:
        raise _invalid("kid", f"no published signer certificate has the kid {kid.hex()}")
    if not _signature_ok(alg, _sig_structure(protected_bytes, body), signature, signer):
        raise _invalid("signature", "the QR payload's signature does not verify: it was changed")
    content = _content(body)
    if not signer.not_valid_before_utc <= content["issued_at"] <= signer.not_valid_after_utc:
        raise _invalid(
            "signature", "the signer certificate was not valid when the payload says it was signed"
        )
    now = at if at is not None else clock.now()
    if content["issued_at"] > now + dt.timedelta(minutes=5):
        raise _invalid("not-yet-valid", "the QR payload says it was issued in the future")
    if not allow_expired and content["valid_until"] is not None and content["valid_until"] < now:
        raise _invalid("expired", f"the document expired on {content['valid_until']:%Y-%m-%d}")
    return {**content, "kid": kid.hex(), "signer": signer}


# -- the text in the QR code ---------------------------------------------------------------

QR_PATH = "V"  # the short, upper-case route of the verification page (web.urls)
_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")
_MIN_ALPHANUMERIC_RUN = 12


def qr_text(public_url: str, code: str, payload: str) -> str:
    """``{PUBLIC URL}/V/{code}#{payload}`` with the scheme and host in upper case (they are
    case-insensitive) and ``%`` and space of the base45 text percent-escaped."""
    parts = urlsplit(public_url)
    base = f"{parts.scheme.upper()}://{parts.netloc.upper()}{parts.path.rstrip('/')}"
    fragment = payload.replace("%", "%25").replace(" ", "%20")
    return f"{base}/{QR_PATH}/{code}#{fragment}"


def payload_from_url(url: str) -> str | None:
    """The ``GD1:`` payload in a scanned QR text: a verification URL's fragment, or the bare payload."""
    if url.startswith(PREFIX):
        return url
    _, hash_sign, fragment = url.partition("#")
    payload = unquote(fragment)
    return payload if hash_sign and payload.startswith(PREFIX) else None


def qr_segments(text: str) -> list[str]:
    """``text`` cut into QR segments: long alphanumeric runs, and the rest between them.

    segno encodes a plain string in one mode, the byte mode here because of ``#``; handed
    these pieces (``segno.make(qr_segments(text), ...)``) it picks the mode of each, which keeps
    nearly all the text in the alphanumeric mode (5.5 bits a character instead of 8).
    """
    segments: list[str] = []
    rest = ""  # characters (and short alphanumeric runs) waiting to go out as one byte segment
    position = 0
    for match in _ALPHANUMERIC.finditer(text):
        rest += text[position : match.start()]
        position = match.end()
        # a new segment costs ~20 bits of header: a short alphanumeric run stays in bytes
        if len(match.group()) < _MIN_ALPHANUMERIC_RUN:
            rest += match.group()
            continue
        if rest:
            segments.append(rest)
            rest = ""
        segments.append(match.group())
    rest += text[position:]
    if rest:
        segments.append(rest)
    return segments
