"""PAdES signing of PDFs (ETSI EN 319 142-1).

Baseline levels: B-B without a timestamper, B-T with one (a signature timestamp, RFC 3161),
B-LT when ``embed_validation_info`` is given (the signer's and the TSA's chains and the CRLs
go into the document security store). ``certify=True`` makes a certification signature with
DocMDP "no changes allowed" (ISO 32000-1 §12.8.2.2), the right mode for issued e-Documents.

Speed (STACK-NOTES): the key backend's signer is kept (with its signing-certificate attribute
encoded once, ``keys.KeptSigningCertificateMixin``), ``bytes_reserved`` avoids pyHanko's
dry-run signature, the caller reuses one timestamper object, and B-LTA takes three revisions,
not four (``_LTA_DSS``). The validation data of a B-LTA seal (the signer's and the TSA's
chains, the CRLs) is the same for every document sealed with one key under one trust
configuration: it is collected and checked by pyHanko once, then reused for a few minutes
(``_ValidationMaterial``), which halves the cost of a seal (docs/adr/0008).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import constants
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, PdfTimeStamper, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, RevokedError

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.coverage import last_complete_prefix, uncovered_bytes
from govdoc.signatures.engine.errors import (
    CorruptPdfError,
    EngineError,
    NotAPdfError,
    SigningError,
    UncoveredBytesError,
)
from govdoc.signatures.engine.keys import to_asn1_certificate
from govdoc.signatures.engine.validation import REASON_EMPTY, TrustConfig, context_for_signing, pdf_problem

if TYPE_CHECKING:
    from govdoc.signatures.engine.keys import KeyBackend

DIGEST_ALGORITHM = "sha256"
PDF_2_0 = (2, 0)

# B-LTA in three revisions (the file, the signature, then the validation data and the document
# timestamp over it): the document timestamp's own validation data (the TSA's chain and CRL,
# the same as the signature timestamp's) goes into the DSS before the timestamp, in its
# revision, so the timestamp covers it. pyHanko's default writes it after the timestamp, in a
# fourth revision that adds only a VRI entry (VRI is optional in PAdES, ETSI EN 319 142-1
# §5.4.2.2, and GovDoc's validation does not read it); that revision cost ~2 ms and 5 kB a seal.
_LTA_DSS = DSSContentSettings(
    next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True)
)


class _VersionKeepingSigner(signers.PdfSigner):
    """A PdfSigner that keeps a PDF 1.x file on its version (ADR 0009).

    pyHanko registers the ISO/TS 32002 developer extension, and with it raises the file to
    PDF 2.0, whenever it signs with ECDSA on a named curve. ISO/TS 32002 extends PDF 2.0; a
    PDF/A-3 file must stay on PDF 1.7 (ISO 19005-3 §6.1.2), and ECDSA in a PAdES signature
    needs no extension there (ETSI EN 319 142-1 §5.1, the ESIC extension level is enough).
    A PDF 2.0 input (PDF/A-4) is signed as pyHanko does, extension included.
    """

    def register_extensions(self, pdf_out: BasePdfFileWriter, *, md_algorithm: str) -> None:
        if pdf_out.output_version >= PDF_2_0:
            super().register_extensions(pdf_out, md_algorithm=md_algorithm)
            return
        pdf_out.ensure_output_version(version=(1, 7))  # type: ignore[no-untyped-call]
        pdf_out.register_extension(constants.ESIC_EXTENSION_1)


def _writer_for(pdf: bytes) -> IncrementalPdfFileWriter:
    problem = pdf_problem(pdf)
    if problem is not None:
        message = "the file is empty" if problem == REASON_EMPTY else "the file is not a PDF"
        raise NotAPdfError(message)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        writer.root  # noqa: B018  (reads the trailer and catalog now: a broken file fails here)
    except Exception as exc:  # pyHanko raises many kinds on broken files
        end = last_complete_prefix(pdf)
        if end is not None and end < len(pdf):
            raise _uncovered(len(pdf) - end) from exc
        raise CorruptPdfError() from exc
    if writer.security_handler is not None:
        raise CorruptPdfError("the PDF is encrypted and cannot be signed")
    runs = uncovered_bytes(pdf, writer.prev)
    if runs:
        raise _uncovered(sum(run.length for run in runs))
    return writer


def _uncovered(count: int) -> UncoveredBytesError:
    return UncoveredBytesError(
        f"the PDF cannot be sealed: {count} bytes in it belong to no revision of the document "
        "(data glued after its end or between its revisions); save it again without them",
        uncovered_bytes=count,
    )


# How long collected validation data is reused before pyHanko collects and checks it again (and
# never past the next update of a CRL in it or the end of a certificate in it). A revocation
# published meanwhile changes the trust configuration's CRLs and so the cache key at once.
VALIDATION_MATERIAL_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class _ValidationMaterial:
    """What a B-LTA seal's DSS holds, as collected by pyHanko for one key and trust configuration,
    checked as of ``collected_at``; good until ``good_until``."""

    certs: tuple[asn1_x509.Certificate, ...]
    crls: tuple[Any, ...]
    timestamp_bytes_reserved: int
    collected_at: datetime
    good_until: datetime

    def usable_at(self, moment: datetime) -> bool:
        return self.collected_at <= moment < self.good_until


_material: dict[tuple[str, TrustConfig], _ValidationMaterial] = {}
_material_lock = threading.Lock()


def _material_key(key: KeyBackend, trust: TrustConfig) -> tuple[str, TrustConfig]:
    return (key.certificate.fingerprint(hashes.SHA256()).hex(), replace(trust, moment=None))


def _collected(signed: bytes, moment: datetime) -> _ValidationMaterial | None:
    """The DSS and document timestamp of a B-LTA file pyHanko just wrote, as reusable material."""
    reader = PdfFileReader(io.BytesIO(signed))
    dss = reader.root.get("/DSS")
    if dss is None:
        return None
    dss = dss.get_object()
    certs = tuple(asn1_x509.Certificate.load(ref.get_object().data) for ref in dss.get("/Certs", ()))
    crls = tuple(asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.get("/CRLs", ()))
    if dss.get("/OCSPs"):
        return None  # OCSP responses are per certificate and moment: not reused
    timestamps = [s for s in reader.embedded_signatures if s.sig_object.get("/Type") == "/DocTimeStamp"]
    if len(timestamps) != 1:
        return None
    ends = [cert["tbs_certificate"]["validity"]["not_after"].native for cert in certs]
    ends += [
        crl["tbs_cert_list"]["next_update"].native
        for crl in crls
        if crl["tbs_cert_list"]["next_update"].native is not None
    ]
    return _ValidationMaterial(
        certs=certs,
        crls=crls,
        timestamp_bytes_reserved=len(timestamps[0].sig_object["/Contents"]) * 2,
        collected_at=moment,
        good_until=min([moment + VALIDATION_MATERIAL_TTL, *ends]),
    )


def _check_signer(key: KeyBackend, trust: TrustConfig) -> None:
    """Refuse to seal with a certificate that is revoked, expired or not trusted as of the trust
    configuration's moment: pyHanko collects its validation data but seals anyway."""
    validator = CertificateValidator(
        to_asn1_certificate(key.certificate),
        intermediate_certs=[to_asn1_certificate(cert) for cert in key.chain],
        validation_context=context_for_signing(trust),
    )
    try:
        aio.run(validator.async_validate_path())
    except RevokedError as exc:
        raise SigningError(
            "the e-seal certificate is revoked: it can no longer seal", label=key.label
        ) from exc
    except (PathValidationError, PathBuildingError) as exc:
        raise SigningError(f"the e-seal certificate cannot seal: {exc}", label=key.label) from exc


def _seal_with_material(
    writer: IncrementalPdfFileWriter,
    meta: signers.PdfSignatureMetadata,
    *,
    key: KeyBackend,
    timestamper: TimeStamper,
    material: _ValidationMaterial,
    bytes_reserved: int | None,
) -> bytes:
    """B-LTA with validation data collected earlier: the signature with its timestamp (B-T),
    then one revision with the DSS and a document timestamp over it, as pyHanko writes them."""
    fast = replace(meta, embed_validation_info=False, use_pades_lta=False, validation_context=None)
    pdf_signer = _VersionKeepingSigner(fast, signer=key.signer(), timestamper=timestamper)
    output = aio.run(pdf_signer.async_sign_pdf(writer, bytes_reserved=bytes_reserved))
    revision = IncrementalPdfFileWriter(output)
    DocumentSecurityStore.supply_dss_in_writer(
        revision, sig_contents=None, certs=material.certs, crls=material.crls
    )
    stamper = PdfTimeStamper(timestamper)  # a field named as pyHanko names it ("Timestamp-<uuid>")
    aio.run(
        stamper.async_timestamp_pdf(
            revision,
            DIGEST_ALGORITHM,
            bytes_reserved=material.timestamp_bytes_reserved,
            in_place=True,
        )
    )
    return bytes(output.getvalue())


def sign_pdf(
    pdf: bytes,
    *,
    key: KeyBackend,
    timestamper: TimeStamper | None,
    field_name: str | None = None,
    reason: str | None = None,
    location: str | None = None,
    certify: bool = False,
    embed_validation_info: TrustConfig | None = None,
    archive_timestamp: bool = False,
    bytes_reserved: int | None = 16384,
) -> bytes:
    """Sign ``pdf`` in an incremental update and return the signed file.

    ``field_name``: the signature field; by default the first of Signature1, Signature2 ...
    that is not signed yet (a PDF that came signed, e.g. from another agency, is sealed beside
    its signatures).

    ``archive_timestamp`` (with ``embed_validation_info`` and a timestamper) adds a document
    timestamp after the validation data: PAdES B-LTA (ETSI EN 319 142-1 §6.5).

    Raises NotAPdfError / CorruptPdfError for bad input, SigningError when the signature
    cannot be made (field already signed, reserved space too small, signer's certificate
    rejected while collecting validation info, timestamp authority failure).
    """
    writer = _writer_for(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name or _free_field_name(writer),
        md_algorithm=DIGEST_ALGORITHM,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=certify,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES if certify else fields.MDPPerm.FILL_FORMS,
        embed_validation_info=embed_validation_info is not None,
        use_pades_lta=archive_timestamp and embed_validation_info is not None and timestamper is not None,
        dss_settings=_LTA_DSS,
        validation_context=(
            context_for_signing(embed_validation_info) if embed_validation_info is not None else None
        ),
    )
    lta = meta.use_pades_lta and embed_validation_info is not None and timestamper is not None
    moment = (embed_validation_info.moment if embed_validation_info is not None else None) or _utcnow()
    cache_key = _material_key(key, embed_validation_info) if lta and embed_validation_info else None
    material = _material.get(cache_key) if cache_key is not None else None
    pdf_signer = _VersionKeepingSigner(meta, signer=key.signer(), timestamper=timestamper)
    try:
        if material is not None and material.usable_at(moment) and timestamper is not None:
            return _seal_with_material(
                writer,
                meta,
                key=key,
                timestamper=timestamper,
                material=material,
                bytes_reserved=bytes_reserved,
            )
        if cache_key is not None and embed_validation_info is not None:
            _check_signer(key, embed_validation_info)
        output = aio.run(pdf_signer.async_sign_pdf(writer, bytes_reserved=bytes_reserved))
    except EngineError:
        raise  # e.g. KeyBackendError from a key backend, already in our terms
    except PdfError as exc:
        raise CorruptPdfError() from exc
    except PyHankoSigningError as exc:
        raise SigningError(f"the PDF could not be signed: {exc}", label=key.label) from exc
    except Exception as exc:  # never let a pyHanko traceback reach a caller
        raise SigningError(f"the PDF could not be signed: {exc}", label=key.label) from exc
    signed = bytes(output.getvalue())
    if cache_key is not None:
        collected = _collected(signed, moment)
        with _material_lock:
            if collected is None:
                _material.pop(cache_key, None)
            else:
                _material[cache_key] = collected
    return signed


def _free_field_name(writer: IncrementalPdfFileWriter) -> str:
    """The first of Signature1, Signature2 ... that the PDF has not signed yet."""
    try:
        signed = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev, filled_status=True)}
    except Exception:  # a damaged form: let the signing itself say what is wrong
        signed = set()
    number = 1
    while f"Signature{number}" in signed:
        number += 1
    return f"Signature{number}"


def _utcnow() -> datetime:
    return datetime.now(UTC)
