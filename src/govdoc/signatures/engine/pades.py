"""PAdES signing of PDFs (ETSI EN 319 142-1).

Baseline levels: B-B without a timestamper, B-T with one (a signature timestamp, RFC 3161),
B-LT when ``embed_validation_info`` is given (the signer's and the TSA's chains and the CRLs
go into the document security store). ``certify=True`` makes a certification signature with
DocMDP "no changes allowed" (ISO 32000-1 §12.8.2.2), the right mode for issued e-Documents.

Speed (STACK-NOTES): the key backend's signer is kept, ``bytes_reserved`` avoids pyHanko's
dry-run signature, and the caller reuses one timestamper object.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.errors import CorruptPdfError, EngineError, NotAPdfError, SigningError
from govdoc.signatures.engine.validation import REASON_EMPTY, TrustConfig, context_for_signing, pdf_problem

if TYPE_CHECKING:
    from govdoc.signatures.engine.keys import KeyBackend

DIGEST_ALGORITHM = "sha256"


def _writer_for(pdf: bytes) -> IncrementalPdfFileWriter:
    problem = pdf_problem(pdf)
    if problem is not None:
        message = "the file is empty" if problem == REASON_EMPTY else "the file is not a PDF"
        raise NotAPdfError(message)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        writer.root  # noqa: B018  (reads the trailer and catalog now: a broken file fails here)
    except Exception as exc:  # pyHanko raises many kinds on broken files
        raise CorruptPdfError() from exc
    if writer.security_handler is not None:
        raise CorruptPdfError("the PDF is encrypted and cannot be signed")
    return writer


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
    bytes_reserved: int | None = 16384,
) -> bytes:
    """Sign ``pdf`` in an incremental update and return the signed file.

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
        validation_context=(
            context_for_signing(embed_validation_info) if embed_validation_info is not None else None
        ),
    )
    pdf_signer = signers.PdfSigner(meta, signer=key.signer(), timestamper=timestamper)
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
