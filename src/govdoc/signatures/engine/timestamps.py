"""RFC 3161 timestamps: a local timestamp authority for the embedded default and the tests,
and a client for an external TSA in production.

The local authority issues real tokens (a CMS SignedData over a TSTInfo, signed by the TSA
key, RFC 3161 §2.4.2) that any RFC 3161 verifier accepts. It keeps its key loaded, and one
``TimeStamper`` object is reused for every signature: pyHanko sizes a signature with a dummy
token per timestamper object, so a fresh object per document costs an extra timestamp.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.sign import general
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper

from govdoc.signatures.engine.devpki import CertifiedKey, PrivateKey
from govdoc.signatures.engine.errors import SigningError
from govdoc.signatures.engine.keys import hash_for, to_asn1_certificate

# A UUID-derived OID (ITU-T X.667, arc 2.25) naming the development TSA policy: it needs no
# registration and claims no one else's policy.
DEV_TSA_POLICY_OID = "2.25.203394485917004338120930858611312377361"

_DIGEST_LENGTHS: dict[str, int] = {"sha256": 32, "sha384": 48, "sha512": 64}


_INTEGER_1 = core.Integer(1).dump()
_INTEGER_3 = core.Integer(3).dump()
_TST_INFO_OID = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()  # id-ct-TSTInfo
_SIGNED_DATA_OID = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()  # id-signedData


def _der(tag: int, content: bytes) -> bytes:
    """A DER TLV with a one-byte tag (X.690 §8.1): definite length, short or long form."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _LocalTimeStamper(TimeStamper):
    """An in-process RFC 3161 timestamper with a kept key (RSA or ECDSA).

    Every part of a token that does not change between requests (the TSA's name, its
    signing-certificate-v2 attribute, the certificates, the signer identifier) is encoded
    once: asn1crypto spends far longer re-encoding certificates than the signature takes.
    """

    def __init__(
        self,
        *,
        certificate: asn1_x509.Certificate,
        private_key: PrivateKey,
        chain: list[asn1_x509.Certificate],
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(include_nonce=True)  # type: ignore[no-untyped-call]
        self._private_key = private_key
        self._clock = clock
        self._tsa_name_der = asn1_x509.GeneralName(name="directory_name", value=certificate.subject).dump()
        self._signing_certificate_der = general.simple_cms_attribute(  # type: ignore[no-untyped-call]
            "signing_certificate_v2", general.as_signing_certificate_v2(certificate)
        ).dump()
        self._certificates_der = [cert.dump() for cert in (certificate, *chain)]
        self._content_type_attribute_der = cms.CMSAttribute(
            {"type": "content_type", "values": ["tst_info"]}
        ).dump()
        self._sid_der = cms.SignerIdentifier(
            {
                "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                    {"issuer": certificate.issuer, "serial_number": certificate.serial_number}
                )
            }
        ).dump()

    def _tst_info(self, req: tsp.TimeStampReq, moment: datetime) -> bytes:
        args: dict[str, Any] = {
            "version": "v1",
            "policy": DEV_TSA_POLICY_OID,
            "message_imprint": req["message_imprint"],
            "serial_number": secrets.randbits(127),
            "gen_time": moment,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName.load(self._tsa_name_der),
        }
        if req["nonce"].native is not None:
            args["nonce"] = req["nonce"].native
        return bytes(tsp.TSTInfo(args).dump())

    def _signature_algorithm(self, md_algorithm: str) -> algos.SignedDigestAlgorithm:
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pkcs1v15"})
        return algos.SignedDigestAlgorithm({"algorithm": f"{md_algorithm}_ecdsa"})

    def token(self, req: tsp.TimeStampReq) -> cms.ContentInfo:
        """A TimeStampToken (RFC 3161 §2.4.2) answering ``req``, stating the clock's time.

        The CMS structure (RFC 5652 §5) is assembled from DER pieces rather than as an
        asn1crypto object tree: asn1crypto re-encodes a freshly built tree, attribute by
        attribute, each time it is dumped or copied, which cost 30-150 ms per token.
        """
        md_algorithm = req["message_imprint"]["hash_algorithm"]["algorithm"].native
        algorithm = hash_for(md_algorithm)
        moment = self._clock()
        tst_info = self._tst_info(req, moment)
        digest = hashes.Hash(algorithm)
        digest.update(tst_info)
        attributes = [
            self._content_type_attribute_der,
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time({"utc_time": core.UTCTime(moment)})]}
            ).dump(),
            self._signing_certificate_der,
            cms.CMSAttribute({"type": "message_digest", "values": [digest.finalize()]}).dump(),
        ]
        attributes_content = b"".join(sorted(attributes))  # DER orders SET OF by encoding
        key = self._private_key
        to_sign = _der(0x31, attributes_content)  # signed as a SET (RFC 5652 §5.4)
        if isinstance(key, rsa.RSAPrivateKey):
            signature = key.sign(to_sign, padding.PKCS1v15(), algorithm)
        else:
            signature = key.sign(to_sign, ec.ECDSA(algorithm))
        digest_algorithm = algos.DigestAlgorithm({"algorithm": md_algorithm}).dump()
        signer_info = _der(
            0x30,
            _INTEGER_1
            + self._sid_der
            + digest_algorithm
            + _der(0xA0, attributes_content)  # [0] IMPLICIT SignedAttributes
            + self._signature_algorithm(md_algorithm).dump()
            + core.OctetString(signature).dump(),
        )
        encap_content_info = _der(0x30, _TST_INFO_OID + _der(0xA0, core.OctetString(tst_info).dump()))
        signed_data = _der(
            0x30,
            _INTEGER_3
            + _der(0x31, digest_algorithm)
            + encap_content_info
            + _der(0xA0, b"".join(sorted(self._certificates_der)))  # [0] IMPLICIT CertificateSet
            + _der(0x31, signer_info),
        )
        content_info = _der(0x30, _SIGNED_DATA_OID + _der(0xA0, signed_data))
        return cms.ContentInfo.load(content_info)

    def request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        status = tsp.PKIStatusInfo({"status": tsp.PKIStatus("granted")})
        response = tsp.TimeStampResp({"status": status, "time_stamp_token": self.token(req)})
        # Hand out a response parsed from its encoding, not the object tree just built:
        # pyHanko copies the token into the signature's unsigned attributes, and asn1crypto
        # copies a built tree by re-encoding every node (tens of ms), a parsed one as bytes.
        return tsp.TimeStampResp.load(response.dump())

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.request_tsa_response(req)


class TimeStampResponse(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped for mypy here
    """RFC 3161 ``TimeStampResp`` with the token OPTIONAL, as the RFC has it.

    asn1crypto's ``tsp.TimeStampResp`` makes the token mandatory, so it can neither write
    nor read a rejection; parse responses with this class.
    """

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _rejection(fail_info: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {
            "status": tsp.PKIStatus("rejection"),
            "status_string": [text],
            "fail_info": tsp.PKIFailureInfo({fail_info}),
        }
    )
    return bytes(TimeStampResponse({"status": status}).dump())


class LocalTimestampAuthority:
    """A timestamp authority running in this process (the embedded default, the tests).

    ``clock`` returns the time the tokens state (UTC now unless given, so tests can pin it).
    """

    def __init__(self, certified: CertifiedKey, *, clock: Callable[[], datetime] | None = None) -> None:
        if not isinstance(certified.private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise SigningError("the TSA key must be RSA or ECDSA")
        self._certified = certified
        self._clock = clock or _utc_now
        self._local = threading.local()

    @property
    def certified(self) -> CertifiedKey:
        return self._certified

    def timestamper(self) -> TimeStamper:
        """The pyHanko timestamper: the same object on every call in one thread (a timestamper
        caches lazily built asn1crypto objects, which threads must not share)."""
        return self._stamper()

    def _stamper(self) -> _LocalTimeStamper:
        stamper: _LocalTimeStamper | None = getattr(self._local, "stamper", None)
        if stamper is None:
            stamper = _LocalTimeStamper(
                certificate=to_asn1_certificate(self._certified.certificate),
                private_key=self._certified.private_key,
                chain=[to_asn1_certificate(cert) for cert in self._certified.chain],
                clock=self._clock,
            )
            self._local.stamper = stamper
        return stamper

    def respond(self, request_der: bytes) -> bytes:
        """Answer a DER ``TimeStampReq`` with a DER ``TimeStampResp`` (RFC 3161 §2.4.2).

        Malformed requests and unsupported hash algorithms get a ``rejection`` response with
        the matching failure info, never an exception: this is what an HTTP endpoint serves.
        """
        try:
            request = tsp.TimeStampReq.load(request_der)
            request["version"].native  # noqa: B018  (asn1crypto is lazy: parse now)
            request["nonce"].native  # noqa: B018
            imprint = request["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            hashed = imprint["hashed_message"].native
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "the request is not a DER TimeStampReq")
        if request["version"].native != "v1":
            return _rejection("bad_request", "only TimeStampReq version 1 is supported")
        if algorithm not in _DIGEST_LENGTHS:
            return _rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
        if len(hashed) != _DIGEST_LENGTHS[algorithm]:
            return _rejection("bad_data_format", "the message imprint has the wrong length")
        if request["req_policy"].native not in (None, DEV_TSA_POLICY_OID):
            return _rejection("unaccepted_policy", "the requested policy is not offered")
        response = self._stamper().request_tsa_response(request)
        return bytes(response.dump())


def http_timestamper(url: str, *, timeout: int = 10) -> TimeStamper:
    """A client for an external RFC 3161 TSA over HTTP(S); keep and reuse the returned object."""
    return HTTPTimeStamper(url, timeout=timeout)
