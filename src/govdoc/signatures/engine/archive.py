"""Archive timestamps: keeping a PAdES B-LTA document verifiable for decades.

A B-LTA document ends with a document timestamp over everything before it (the signature,
its signature timestamp and the validation data in the document security store). The proof
lasts as long as that timestamp can be trusted: until its TSA certificate expires or is
revoked, or its hash algorithm is no longer considered strong. Before that happens, a new
document timestamp is added, with the validation data of the previous one stored first
(ETSI EN 319 142-1 §6.5 and §5.5; ETSI TS 119 102-1 long-term validation).

:func:`archive_status` says when the newest timestamp ages out; :func:`archive_timestamp_add`
adds the next one. Both take bytes and plain values and never touch a database.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.errors import CorruptPdfError, EngineError, NotAPdfError, SigningError
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.validation import (
    REASON_EMPTY,
    TrustConfig,
    context_for_signing,
    open_pdf,
    pdf_problem,
    validate_pdf,
)

# Hash algorithms still fit to protect an archive timestamp (ETSI TS 119 312, 2023: SHA-2 with
# at least 256 bits). A token made with anything else is renewed at once.
STRONG_DIGESTS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"})

# Renew this long before the newest timestamp's TSA certificate expires.
DEFAULT_MARGIN = timedelta(days=365)


class ArchiveRenewalError(EngineError):
    """A new archive timestamp could not be added (the previous one no longer validates, the
    timestamp authority failed)."""

    code = "archive-renewal-failed"
    status = 500


@dataclass(frozen=True, slots=True)
class ArchiveStatus:
    """The newest document timestamp of a PDF, if any: when it was made, by which TSA
    certificate (and until when that certificate is valid), with which hash algorithm."""

    document_timestamps: int
    latest_time: datetime | None
    tsa_subject: str | None
    tsa_not_after: datetime | None
    digest_algorithm: str | None

    def renewal_due(self, *, at: datetime, margin: timedelta = DEFAULT_MARGIN) -> bool:
        """True when the document needs a new archive timestamp at ``at``: it has none, the
        newest one's TSA certificate expires within ``margin``, or its hash is weak."""
        if self.document_timestamps == 0 or self.tsa_not_after is None:
            return True
        if self.digest_algorithm not in STRONG_DIGESTS:
            return True
        return self.tsa_not_after - margin <= at


def _reader(pdf: bytes) -> PdfFileReader:
    problem = pdf_problem(pdf)
    if problem is not None:
        raise NotAPdfError("the file is empty" if problem == REASON_EMPTY else "the file is not a PDF")
    try:
        return open_pdf(pdf)
    except Exception as exc:  # pyHanko raises many kinds on broken files
        raise CorruptPdfError() from exc


def _tsa_certificate(signed_data: Any) -> Any | None:
    signer_id = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"]:
        cert = choice.chosen
        if signer_id.name == "issuer_and_serial_number":
            wanted = signer_id.chosen
            if cert.issuer == wanted["issuer"] and cert.serial_number == wanted["serial_number"].native:
                return cert
        elif cert.key_identifier == signer_id.chosen.native:
            return cert
    return None


def archive_status(pdf: bytes) -> ArchiveStatus:
    """What the newest document timestamp of ``pdf`` is (read, not validated)."""
    reader = _reader(pdf)
    stamps = reader.embedded_timestamp_signatures
    if not stamps:
        return ArchiveStatus(0, None, None, None, None)
    newest = max(stamps, key=lambda sig: sig.signed_revision)
    signed_data = newest.signed_data
    tst_info = signed_data["encap_content_info"]["content"].parsed
    cert = _tsa_certificate(signed_data)
    return ArchiveStatus(
        document_timestamps=len(stamps),
        latest_time=tst_info["gen_time"].native,
        tsa_subject=str(cert.subject.human_friendly) if cert is not None else None,
        tsa_not_after=cert["tbs_certificate"]["validity"]["not_after"].native if cert is not None else None,
        digest_algorithm=str(tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native),
    )


def archive_timestamp_add(pdf: bytes, *, timestamper: TimeStamper, trust: TrustConfig) -> bytes:
    """``pdf`` with the validation data of its newest document timestamp stored and a new
    document timestamp over everything (an incremental update; the earlier bytes are kept).

    The newest timestamp is validated first (as of ``trust.moment``, now unless set): a
    timestamp that no longer validates cannot be protected any more, and renewing it would
    only hide that. Raises NotAPdfError / CorruptPdfError for bad input, ArchiveRenewalError
    otherwise.
    """
    reader = _reader(pdf)
    if not reader.embedded_signatures:
        raise ArchiveRenewalError("the PDF carries no signature to protect")
    report = validate_pdf(pdf, trust=trust)
    if report.state is not Verdict.AUTHENTIC:
        raise ArchiveRenewalError(
            "the document no longer verifies as authentic, so a new archive timestamp would prove "
            "nothing: " + " ".join(report.reasons),
            state=report.state.value,
        )
    stamper = PdfTimeStamper(timestamper, field_name=f"ArchiveTimestamp{len(reader.embedded_signatures)}")
    context = context_for_signing(trust)
    output = io.BytesIO()
    try:
        aio.run(stamper.async_update_archival_timestamp_chain(reader, context, in_place=False, output=output))
    except EngineError:
        raise
    except Exception as exc:  # pyHanko raises many kinds; never let its traceback reach a caller
        raise ArchiveRenewalError(f"the archive timestamp could not be added: {exc}") from exc
    if not output.getvalue():
        raise SigningError("the archive timestamp could not be added")
    return output.getvalue()
