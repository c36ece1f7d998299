"""Validation of PAdES signatures in PDFs and of detached CMS signatures.

The verdict follows DESIGN.md ("Verification result") and is decided on pyHanko's
``bottom_line``, the signature's coverage and the modification analysis, never on ``valid``
alone: after a byte flip inside the signed range ``valid`` can stay True while ``intact`` is
False (STACK-NOTES).

Revocation is checked from the CRLs handed over in :class:`TrustConfig` (plus any embedded in
the PDF's document security store); nothing is fetched from the network. Bad input never
raises: it is answered with ``cannot_be_verified`` and a reason a person understands.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import (
    SignatureCoverageLevel,
    async_validate_detached_cms,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
    read_certification_data,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.archival import process_legacy_crl_input

from govdoc.signatures.engine import aio
from govdoc.signatures.engine.coverage import (
    UncoveredBytes,
    describe,
    describe_hidden,
    hidden_objects,
    last_complete_prefix,
    uncovered_bytes,
)
from govdoc.signatures.engine.errors import EngineError
from govdoc.signatures.engine.keys import to_asn1_certificate
from govdoc.signatures.engine.model import SignatureReport, ValidationReport, Verdict
from govdoc.signatures.engine.proofs import Proof, earliest_proof_after, signature_token_time, token_time
from govdoc.signatures.engine.reasons import (
    certificate_reasons,
    timestamp_problems,
    when,
)

logger = logging.getLogger(__name__)

REVOCATION_MODES = ("soft-fail", "hard-fail", "require")

# How far into a file a PDF header may start (ISO 32000-1 §7.5.2 tolerates leading bytes;
# readers accept up to 1024).
_HEADER_WINDOW = 1024

# Verdicts from the worst to the best: a file is as good as its worst signature.
_SEVERITY = (Verdict.ALTERED, Verdict.CERTIFICATE_PROBLEM, Verdict.CANNOT_BE_VERIFIED, Verdict.AUTHENTIC)

REASON_EMPTY = "The file is empty."
REASON_NOT_PDF = "The file is not a PDF."
REASON_CORRUPT = "The PDF is damaged or truncated and cannot be read."
REASON_NO_SIGNATURE = "The PDF carries no signature."
REASON_UNREADABLE_SIGNATURE = "A signature in the PDF is damaged and cannot be read."
REASON_NOT_CMS = "The signature is not a CMS (PKCS #7) signature."
REASON_NOT_DETACHED = "The signature is not a detached signature over the data."


@dataclass(frozen=True)
class TrustConfig:
    """What a validator trusts and knows.

    ``roots``: trust anchors. ``intermediates``: CA certificates that may complete a path.
    ``crls``: DER CRLs; the only revocation information used besides what a PDF embeds.
    ``moment``: validate as of this time (timezone-aware) instead of now.
    ``revocation_mode``: pyHanko's ``soft-fail`` / ``hard-fail`` / ``require``; with
    ``hard-fail`` a certificate that names a CRL distribution point must be covered by a CRL.
    """

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[bytes, ...] = ()
    moment: datetime | None = None
    revocation_mode: str = "hard-fail"

    def __post_init__(self) -> None:
        if self.revocation_mode not in REVOCATION_MODES:
            raise ValueError(f"revocation_mode must be one of {REVOCATION_MODES}")
        if self.moment is not None and self.moment.utcoffset() is None:
            raise ValueError("moment must be timezone-aware")


@dataclass
class _ContextFactory:
    """The parsed, reusable parts of a TrustConfig; builds a fresh ValidationContext per file.

    Parsing certificates and CRLs and building the trust manager is done once per
    TrustConfig; a ValidationContext itself holds per-validation caches and the certificates
    a file embeds, so each file gets its own.
    """

    trust: TrustConfig
    trust_manager: SimpleTrustManager = field(init=False)
    intermediates: list[asn1_x509.Certificate] = field(init=False)
    crls: list[Any] = field(init=False)

    def __post_init__(self) -> None:
        roots = [to_asn1_certificate(cert) for cert in self.trust.roots]
        self.trust_manager = SimpleTrustManager.build(trust_roots=roots)
        self.intermediates = [to_asn1_certificate(cert) for cert in self.trust.intermediates]
        try:
            self.crls = process_legacy_crl_input(self.trust.crls)
            for container in self.crls:  # asn1crypto is lazy: find a damaged CRL now
                container.crl_data["tbs_cert_list"]["this_update"].native  # noqa: B018
        except (ValueError, TypeError, KeyError) as exc:
            raise EngineError("the trust configuration holds a damaged CRL") from exc

    def new_context(
        self,
        *,
        extra_certs: Sequence[asn1_x509.Certificate] = (),
        extra_crls: Sequence[Any] = (),
        extra_ocsps: Sequence[Any] = (),
        moment: datetime | None = None,
    ) -> ValidationContext:
        """A context validating as of the configuration's moment (now unless set), or as of
        ``moment``: a time in the past proven by a trusted timestamp. Validating in the past
        accepts revocation data issued later (``retroactive_revinfo``): a CRL published today
        still tells whether a certificate had been revoked by then, with the date it names."""
        return ValidationContext(
            trust_manager=self.trust_manager,
            other_certs=[*self.intermediates, *extra_certs],
            crls=[*self.crls, *extra_crls],
            ocsps=list(extra_ocsps),
            allow_fetching=False,
            revocation_mode=self.trust.revocation_mode,
            moment=moment or self.trust.moment,
            retroactive_revinfo=moment is not None,
        )


@functools.lru_cache(maxsize=16)
def _parsed_factory(trust: TrustConfig) -> _ContextFactory:
    return _ContextFactory(trust)


def _factory_for(trust: TrustConfig) -> _ContextFactory:
    """The parsed configuration, cached apart from its moment (a verifier that passes the
    current time on every call still parses its roots and CRLs once)."""
    parsed = _parsed_factory(replace(trust, moment=None))
    if trust.moment is None:
        return parsed
    bound = copy.copy(parsed)
    bound.trust = trust
    return bound


def context_for_signing(trust: TrustConfig) -> ValidationContext:
    """A validation context for collecting the chains and CRLs a B-LT signature embeds."""
    return _factory_for(trust).new_context()


# ---------------------------------------------------------------------------- reports


def _fingerprint(cert: asn1_x509.Certificate) -> str:
    return str(cert.sha256.hex())


def _serial(cert: asn1_x509.Certificate) -> str:
    return format(cert.serial_number, "x")


def _trusted_timestamp(status: Any) -> datetime | None:
    ts = getattr(status, "timestamp_validity", None)
    if ts is None:
        return None
    return ts.timestamp if isinstance(ts.timestamp, datetime) else None


@dataclass
class _Judgement:
    verdict: Verdict
    report: SignatureReport


def _judge(
    status: Any,
    *,
    field_name: str | None,
    moment: datetime,
    covers_whole_file: bool,
    modification_level: str | None,
    docmdp_ok: bool | None,
    certified: bool,
    is_pdf: bool,
    document_timestamp: bool = False,
    validated_in_past: bool = False,
) -> _Judgement:
    cert: asn1_x509.Certificate = status.signing_cert
    signing_time: datetime | None = (
        status.timestamp if document_timestamp else getattr(status, "signer_reported_dt", None)
    )
    timestamp_time = status.timestamp if document_timestamp else _trusted_timestamp(status)
    altered: list[str] = []
    cert_problems: list[str] = []
    other: list[str] = []

    if not status.intact:
        altered.append("The signed content was changed after signing.")
    elif not status.valid:
        altered.append("The signature value does not match the signed content.")
    coverage = getattr(status, "coverage", None)
    if is_pdf:
        if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
            altered.append("The signature does not cover its revision of the document in the standard way.")
        elif docmdp_ok is False:
            if certified and modification_level not in (None, "none"):
                altered.append("The document was changed after it was certified with no changes allowed.")
            else:
                altered.append("The document was changed after signing in a way that is not allowed.")
    ts_altered, ts_cert = ([], []) if document_timestamp else timestamp_problems(status)
    altered.extend(ts_altered)

    revoked = expired = False
    trusted = bool(status.trusted)
    if not trusted and status.intact and status.valid:
        reference_time = timestamp_time or moment
        cert_problems, revoked, expired = certificate_reasons(status, reference_time)
    cert_problems.extend(ts_cert)
    if is_pdf and not document_timestamp and not getattr(status, "seed_value_ok", True):
        other.append("The signature does not meet the constraints set by its signature field.")

    if altered:
        verdict, reasons = Verdict.ALTERED, altered + cert_problems
    elif cert_problems:
        verdict, reasons = Verdict.CERTIFICATE_PROBLEM, cert_problems
    elif other or not trusted:
        verdict, reasons = Verdict.CANNOT_BE_VERIFIED, other or ["The signature could not be verified."]
    else:
        verdict = Verdict.AUTHENTIC
        what = "document timestamp" if document_timestamp else "signature"
        reasons = [f"The {what} is intact and was made with a trusted, valid certificate."]
        if timestamp_time is not None:
            reasons.append(f"A trusted timestamp proves it existed on {when(timestamp_time)}.")
        if validated_in_past:
            reasons.append(
                f"Its certificate was checked as of {when(moment)}, the time proven by the "
                "document's timestamps; a later expiry or revocation does not change that."
            )
        if is_pdf and not covers_whole_file:
            reasons.append(
                f"The document was extended after signing only with allowed changes ({modification_level})."
            )

    report = SignatureReport(
        field_name=field_name,
        signer_subject=str(cert.subject.human_friendly),
        signer_organization=str(cert.subject.native.get("organization_name", "") or ""),
        signer_serial=_serial(cert),
        signer_fingerprint_sha256=_fingerprint(cert),
        signing_time=signing_time,
        timestamp_time=timestamp_time,
        intact=bool(status.intact and status.valid),
        trusted=trusted,
        revoked=revoked,
        expired=expired,
        covers_whole_file=covers_whole_file,
        modification_level=modification_level,
        docmdp_ok=docmdp_ok,
        certified=certified,
        reasons=tuple(reasons),
        kind="document_timestamp" if document_timestamp else "signature",
    )
    return _Judgement(verdict, report)


def _combine(judgements: Sequence[_Judgement], *, uncovered: Sequence[str] = ()) -> ValidationReport:
    """The file's verdict: its worst signature's, and altered when bytes of the file belong
    to no revision (whatever the signatures say, those bytes are not what was signed)."""
    signatures = tuple(j.report for j in judgements)
    worst = min((j.verdict for j in judgements), key=_SEVERITY.index)
    if uncovered:
        rest = [r for j in judgements if j.verdict is not Verdict.AUTHENTIC for r in j.report.reasons]
        return ValidationReport(
            state=Verdict.ALTERED, reasons=tuple(dict.fromkeys([*uncovered, *rest])), signatures=signatures
        )
    if worst is Verdict.AUTHENTIC:
        count = sum(1 for sig in signatures if sig.kind == "signature")
        stamps = len(signatures) - count
        noun = "signature is" if count == 1 else f"{count} signatures are"
        reasons: tuple[str, ...] = (f"The {noun} intact and made with trusted, valid certificates.",)
        if stamps:
            what = "A document timestamp proves" if stamps == 1 else f"The {stamps} document timestamps prove"
            reasons += (f"{what} when the document existed, for long-term validation.",)
        return ValidationReport(state=worst, reasons=reasons, signatures=signatures)
    collected: list[str] = []
    for judgement in judgements:
        if judgement.verdict is Verdict.AUTHENTIC:
            continue
        for reason in judgement.report.reasons:
            if reason not in collected:
                collected.append(reason)
    return ValidationReport(state=worst, reasons=tuple(collected), signatures=signatures)


def _cannot(reason: str) -> ValidationReport:
    return ValidationReport(state=Verdict.CANNOT_BE_VERIFIED, reasons=(reason,), signatures=())


# ---------------------------------------------------------------------------- PDF


def pdf_problem(pdf: bytes) -> str | None:
    """A reason why ``pdf`` is plainly not a PDF, or None (the signer reuses this check)."""
    if not pdf:
        return REASON_EMPTY
    if b"%PDF-" not in pdf[:_HEADER_WINDOW]:
        return REASON_NOT_PDF
    return None


def open_pdf(pdf: bytes) -> PdfFileReader:
    """A pyHanko reader over ``pdf`` with the cross-reference data read (fails early if broken)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    reader.root  # noqa: B018  (forces the trailer and catalog to be read)
    return reader


def _modification_level(status: Any) -> str | None:
    level = status.modification_level
    return None if level is None else str(level.name).lower()


def _embedded_validation_data(reader: PdfFileReader) -> tuple[list[Any], list[Any], list[Any]]:
    """Certificates, CRLs and OCSP responses from the document security store (PAdES B-LT)."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return [], [], []
    certs = list(dss.load_certs())
    crls = [asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls]
    ocsps = [
        asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
        for ref in dss.ocsps
    ]
    return certs, crls, ocsps


async def _validate_reader(pdf: bytes, reader: PdfFileReader, factory: _ContextFactory) -> ValidationReport:
    embedded = reader.embedded_signatures
    if not embedded:
        return _cannot(REASON_NO_SIGNATURE)

    extra_certs, extra_crls, extra_ocsps = _embedded_validation_data(reader)
    certification = read_certification_data(reader)
    author_sig = certification.author_sig if certification is not None else None

    def context(moment: datetime | None = None) -> ValidationContext:
        return factory.new_context(
            extra_certs=extra_certs, extra_crls=extra_crls, extra_ocsps=extra_ocsps, moment=moment
        )

    # Document timestamps, newest first: the newest is validated now; an older one at its own
    # time once a newer trusted one proves that it existed then (archive timestamp renewal).
    judgements: dict[int, _Judgement] = {}
    proofs: list[Proof] = []
    stamps = sorted(
        (sig for sig in embedded if sig.sig_object_type == "/DocTimeStamp"),
        key=lambda sig: sig.signed_revision,
        reverse=True,
    )
    for stamp in stamps:
        own_time = token_time(stamp.signed_data)
        proven = own_time if earliest_proof_after(proofs, stamp.signed_revision) is not None else None
        ctx = context(proven)
        status: Any = await _status(stamp, ctx, document_timestamp=True)
        judgement = _judge_embedded(status, stamp, ctx, author_sig=author_sig, document_timestamp=True)
        judgements[id(stamp)] = judgement
        if judgement.verdict is Verdict.AUTHENTIC and own_time is not None:
            proofs.append(Proof(stamp.signed_revision, own_time))

    for embedded_sig in embedded:
        if embedded_sig.sig_object_type == "/DocTimeStamp":
            continue
        proof = earliest_proof_after(proofs, embedded_sig.signed_revision)
        proven = None
        if proof is not None:
            # The signature and its signature timestamp existed when the document timestamp was
            # made; the signature timestamp then proves the earlier time the signature was made.
            proven = signature_token_time(embedded_sig) or proof.time
        ctx = context(proven)
        status = await _status(embedded_sig, ctx, document_timestamp=False)
        judgements[id(embedded_sig)] = _judge_embedded(status, embedded_sig, ctx, author_sig=author_sig)

    ordered = [judgements[id(sig)] for sig in embedded]
    first_signed = min(sig.signed_revision for sig in embedded)
    uncovered = describe(uncovered_bytes(pdf, reader))
    uncovered += describe_hidden(hidden_objects(reader, after_revision=first_signed))
    return _combine(ordered, uncovered=uncovered)


async def _status(embedded_sig: Any, ctx: ValidationContext, *, document_timestamp: bool) -> Any:
    """pyHanko's status of one signature. When the modification analysis of later revisions
    fails (a changed byte can make a page-tree node unreadable), the signature is checked
    without it: if its own bytes no longer match, the file is altered, which is what a person
    needs to know; if they match, the file really is damaged and the error stands."""
    try:
        if document_timestamp:
            return await async_validate_pdf_timestamp(embedded_sig, validation_context=ctx)
        return await async_validate_pdf_signature(embedded_sig, signer_validation_context=ctx)
    except Exception:
        if document_timestamp:
            status: Any = await async_validate_pdf_timestamp(
                embedded_sig, validation_context=ctx, skip_diff=True
            )
        else:
            status = await async_validate_pdf_signature(
                embedded_sig, signer_validation_context=ctx, skip_diff=True
            )
        if status.intact and status.valid:
            raise
        return status


def _judge_embedded(
    status: Any,
    embedded_sig: Any,
    ctx: ValidationContext,
    *,
    author_sig: Any,
    document_timestamp: bool = False,
) -> _Judgement:
    certified = author_sig is not None and (
        embedded_sig.sig_object is author_sig or embedded_sig.sig_object == author_sig
    )
    return _judge(
        status,
        field_name=embedded_sig.field_name,
        moment=ctx.moment,
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        modification_level=_modification_level(status),
        docmdp_ok=status.docmdp_ok,
        certified=certified,
        is_pdf=True,
        document_timestamp=document_timestamp,
        validated_in_past=ctx.retroactive_revinfo,
    )


def validate_pdf(pdf: bytes, *, trust: TrustConfig) -> ValidationReport:
    """Validate every signature in ``pdf``; never raises on bad input."""
    problem = pdf_problem(pdf)
    if problem is not None:
        return _cannot(problem)
    try:
        reader = open_pdf(pdf)
    except Exception:  # pyHanko raises many kinds on broken files; all mean the same here
        logger.debug("unreadable PDF", exc_info=True)
        return _unreadable(pdf, _factory_for(trust))
    factory = _factory_for(trust)
    try:
        return aio.run(_validate_reader(pdf, reader, factory))
    except Exception:
        logger.info("a PDF signature could not be processed", exc_info=True)
        return _cannot(REASON_UNREADABLE_SIGNATURE)


def _unreadable(pdf: bytes, factory: _ContextFactory) -> ValidationReport:
    """A file a reader cannot open: altered if it is a signed PDF with data glued after its
    end (the data hides the end-of-file marker from readers), else damaged."""
    end = last_complete_prefix(pdf)
    if end is None or end >= len(pdf):
        return _cannot(REASON_CORRUPT)
    prefix = pdf[:end]
    try:
        reader = open_pdf(prefix)
        if not reader.embedded_signatures:
            return _cannot(REASON_CORRUPT)  # a truncated file, not a signed one with a tail
        inner = aio.run(_validate_reader(prefix, reader, factory))
    except Exception:
        logger.info("a PDF signature could not be processed", exc_info=True)
        return _cannot(REASON_CORRUPT)
    run = UncoveredBytes(offset=end, length=len(pdf) - end, after_revision=0, trailing=True)
    reasons = describe((run,)) + ([] if inner.is_authentic else list(inner.reasons))
    return ValidationReport(
        state=Verdict.ALTERED, reasons=tuple(dict.fromkeys(reasons)), signatures=inner.signatures
    )


# ---------------------------------------------------------------------------- detached CMS


def _load_signed_data(signature: bytes) -> cms.SignedData | None:
    try:
        content_info = cms.ContentInfo.load(signature)
        if content_info["content_type"].native != "signed_data":
            return None
        signed_data = content_info["content"]
        # asn1crypto parses lazily; touch what validation needs so damage shows here.
        # (Never ``.native`` on a SignedData: asn1crypto takes seconds over it.)
        signed_data["encap_content_info"]["content_type"].native  # noqa: B018
        signed_data["signer_infos"][0]["signed_attrs"]
    except Exception:
        return None
    return signed_data if isinstance(signed_data, cms.SignedData) else None


async def _validate_cms(
    data: bytes, signed_data: cms.SignedData, factory: _ContextFactory
) -> ValidationReport:
    context = factory.new_context()
    status = await async_validate_detached_cms(data, signed_data, signer_validation_context=context)
    judgement = _judge(
        status,
        field_name=None,
        moment=context.moment,
        covers_whole_file=True,
        modification_level=None,
        docmdp_ok=None,
        certified=False,
        is_pdf=False,
    )
    return _combine([judgement])


def validate_detached(data: bytes, signature: bytes, *, trust: TrustConfig) -> ValidationReport:
    """Validate a detached CMS SignedData (DER) over ``data``; never raises on bad input."""
    if not signature:
        return _cannot("The signature is empty.")
    signed_data = _load_signed_data(signature)
    if signed_data is None:
        return _cannot(REASON_NOT_CMS)
    if signed_data["encap_content_info"]["content"].native is not None:
        return _cannot(REASON_NOT_DETACHED)
    factory = _factory_for(trust)
    try:
        return aio.run(_validate_cms(data, signed_data, factory))
    except Exception:
        logger.info("a detached signature could not be processed", exc_info=True)
        return _cannot("The signature is damaged and cannot be read.")
