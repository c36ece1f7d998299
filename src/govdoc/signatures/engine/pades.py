"""PAdES signing of PDFs (ETSI EN 319 142-1).

Baseline levels: B-B without a timestamper, B-T with one (a signature timestamp, RFC 3161),
B-LT when ``embed_validation_info`` is given (the signer's and the TSA's chains and the CRLs
go into the document security store). ``certify=True`` makes a certification signature with
DocMDP "no changes allowed" (ISO 32000-1 §12.8.2.2), the right mode for issued e-Documents.

Speed (STACK-NOTES): the key backend's signer is kept (with its signing-certificate attribute
encoded once, ``keys.KeptSigningCertificateMixin``), ``bytes_reserved`` avoids pyHanko's
dry-run signature, the caller reuses one timestamper object, and B-LTA takes three revisions,
not four (``_LTA_DSS``).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers import constants
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.coverage import last_complete_prefix, uncovered_bytes
from govdoc.signatures.engine.errors import (
    CorruptPdfError,
    EngineError,
    NotAPdfError,
    SigningError,
    UncoveredBytesError,
)
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


def sign_pdf(
    pdf: bytes,
    *,
    key: KeyBackend,
    timestamper: TimeStamper | None,
    field_name: str = "Signature1",
    reason: str | None = None,
    location: str | None = None,
    certify: bool = False,
    embed_validation_info: TrustConfig | None = None,
    archive_timestamp: bool = False,
    bytes_reserved: int | None = 16384,
) -> bytes:
    """Sign ``pdf`` in an incremental update and return the signed file.

    ``archive_timestamp`` (with ``embed_validation_info`` and a timestamper) adds a document
    timestamp after the validation data: PAdES B-LTA (ETSI EN 319 142-1 §6.5).

    Raises NotAPdfError / CorruptPdfError for bad input, SigningError when the signature
    cannot be made (field already signed, reserved space too small, signer's certificate
    rejected while collecting validation info, timestamp authority failure).
    """
    writer = _writer_for(pdf)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
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
    pdf_signer = _VersionKeepingSigner(meta, signer=key.signer(), timestamper=timestamper)
    try:
        output = aio.run(pdf_signer.async_sign_pdf(writer, bytes_reserved=bytes_reserved))
    except EngineError:
        raise  # e.g. KeyBackendError from a key backend, already in our terms
    except PdfError as exc:
        raise CorruptPdfError() from exc
    except PyHankoSigningError as exc:
        raise SigningError(f"the PDF could not be signed: {exc}", label=key.label) from exc
    except Exception as exc:  # never let a pyHanko traceback reach a caller
        raise SigningError(f"the PDF could not be signed: {exc}", label=key.label) from exc
    return bytes(output.getvalue())
