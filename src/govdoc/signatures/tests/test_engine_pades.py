"""PAdES signing and validation: the verdict a person sees for genuine and tampered PDFs."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.signers import PdfTimeStamper
from pyhanko.sign.timestamps import TimeStamper

from govdoc.signatures.engine.errors import CorruptPdfError, EngineError, NotAPdfError, SigningError
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import ValidationReport, Verdict
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.timestamps import http_timestamper
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf
from govdoc.signatures.tests.conftest import DevPki, make_sample_pdf

# ------------------------------------------------------------------ helpers


def flip_byte_in_page_content(pdf: bytes) -> bytes:
    """Change one letter of the page text: a byte inside the first signed range."""
    at = pdf.index(b"GovDoc sample")
    changed = bytearray(pdf)
    changed[at] ^= 0x01  # "G" -> "F"
    return bytes(changed)


def append_update(pdf: bytes, change: str) -> bytes:
    """Add an incremental update to ``pdf``: new page content, or a text annotation."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    if change == "content":
        stream = generic.StreamObject(stream_data=b"BT /F1 18 Tf 72 720 Td (Forged decision) Tj ET")
        page[generic.NameObject("/Contents")] = writer.add_object(stream)
    elif change == "annotation":
        annotation = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Text"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.NumberObject(v) for v in (10, 10, 40, 40)]
                ),
                generic.NameObject("/Contents"): generic.TextStringObject("added later"),
            }
        )
        page[generic.NameObject("/Annots")] = generic.ArrayObject([writer.add_object(annotation)])
    else:  # pragma: no cover
        raise AssertionError(change)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def assert_not_authentic(report: ValidationReport, state: Verdict) -> None:
    assert report.state is state, report.reasons
    assert not report.is_authentic
    assert report.reasons


# ------------------------------------------------------------------ signed documents (module scope)


@pytest.fixture(scope="module")
def bt_pdf(sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper) -> bytes:
    return sign_pdf(
        sample_pdf, key=eseal_key, timestamper=timestamper, reason="Issued e-Document", location="Beograd"
    )


@pytest.fixture(scope="module")
def lt_certified_pdf(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> bytes:
    return sign_pdf(
        sample_pdf, key=eseal_key, timestamper=timestamper, certify=True, embed_validation_info=trust_config
    )


# ------------------------------------------------------------------ genuine


def test_pades_bt_eseal_signature_is_authentic_with_a_timestamp(
    bt_pdf: bytes, trust_config: TrustConfig, dev_pki: DevPki
) -> None:
    report = validate_pdf(bt_pdf, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC
    assert report.is_authentic
    assert report.reasons == ("The signature is intact and made with trusted, valid certificates.",)
    (sig,) = report.signatures
    assert sig.field_name == "Signature1"
    assert sig.signer_subject == "Common Name: MUP e-seal, Organization: GovDoc Test PKI, Country: RS"
    assert sig.signer_serial == format(dev_pki.eseal.certificate.serial_number, "x")
    assert sig.intact and sig.trusted and sig.covers_whole_file
    assert not (sig.revoked or sig.expired or sig.certified)
    assert sig.modification_level == "none" and sig.docmdp_ok is True
    assert sig.timestamp_time is not None
    assert abs(sig.timestamp_time - dev_pki.now) < timedelta(hours=1)
    assert sig.signing_time is not None


def test_signed_pdf_keeps_the_original_bytes_as_its_first_revision(bt_pdf: bytes, sample_pdf: bytes) -> None:
    assert bt_pdf.startswith(sample_pdf)
    assert b"/ETSI.CAdES.detached" in bt_pdf
    sig_object = PdfFileReader(io.BytesIO(bt_pdf)).embedded_signatures[0].sig_object
    assert sig_object["/Reason"] == "Issued e-Document"
    assert sig_object["/Location"] == "Beograd"


def test_pades_blt_certified_is_authentic_and_carries_its_validation_data(
    lt_certified_pdf: bytes, trust_config: TrustConfig, dev_pki: DevPki
) -> None:
    report = validate_pdf(lt_certified_pdf, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    (sig,) = report.signatures
    assert sig.certified
    assert sig.timestamp_time is not None
    assert sig.modification_level in ("none", "lta_updates")
    assert b"/DSS" in lt_certified_pdf
    # B-LT: the CRL travels with the document, so a validator that has no CRL of its own
    # can still establish revocation status.
    without_crls = TrustConfig(roots=(dev_pki.root.certificate,))
    assert validate_pdf(lt_certified_pdf, trust=without_crls).state is Verdict.AUTHENTIC


def test_two_signatures_are_authentic_when_both_are(
    bt_pdf: bytes, person_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    countersigned = sign_pdf(bt_pdf, key=person_key, timestamper=timestamper, field_name="Approval")

    report = validate_pdf(countersigned, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC
    assert report.reasons == ("The 2 signatures are intact and made with trusted, valid certificates.",)
    assert [s.field_name for s in report.signatures] == ["Signature1", "Approval"]
    assert "Petar Petrović" in report.signatures[1].signer_subject


def test_a_bb_signature_without_timestamp_is_authentic_without_timestamp_time(
    sample_pdf: bytes, eseal_key: SoftwareKey, trust_config: TrustConfig
) -> None:
    report = validate_pdf(sign_pdf(sample_pdf, key=eseal_key, timestamper=None), trust=trust_config)

    assert report.state is Verdict.AUTHENTIC
    assert report.signatures[0].timestamp_time is None


def test_report_to_json_has_state_reasons_and_iso_datetimes(bt_pdf: bytes, trust_config: TrustConfig) -> None:
    data = validate_pdf(bt_pdf, trust=trust_config).to_json()

    assert data["state"] == "authentic"
    assert data["reasons"] == ["The signature is intact and made with trusted, valid certificates."]
    signatures = data["signatures"]
    assert isinstance(signatures, list)
    first = signatures[0]
    assert isinstance(first, dict)
    assert isinstance(first["timestamp_time"], str) and "T" in first["timestamp_time"]
    assert first["intact"] is True


# ------------------------------------------------------------------ tampered


def test_one_flipped_byte_in_the_signed_range_is_altered(bt_pdf: bytes, trust_config: TrustConfig) -> None:
    report = validate_pdf(flip_byte_in_page_content(bt_pdf), trust=trust_config)

    assert_not_authentic(report, Verdict.ALTERED)
    assert report.reasons == ("The signed content was changed after signing.",)
    assert report.signatures[0].intact is False


def test_one_flipped_byte_in_a_blt_document_is_altered(
    lt_certified_pdf: bytes, trust_config: TrustConfig
) -> None:
    assert_not_authentic(
        validate_pdf(flip_byte_in_page_content(lt_certified_pdf), trust=trust_config), Verdict.ALTERED
    )


def test_page_content_changed_in_an_incremental_update_is_altered(
    bt_pdf: bytes, trust_config: TrustConfig
) -> None:
    report = validate_pdf(append_update(bt_pdf, "content"), trust=trust_config)

    assert_not_authentic(report, Verdict.ALTERED)
    assert report.reasons == ("The document was changed after signing in a way that is not allowed.",)
    sig = report.signatures[0]
    assert sig.intact is True  # the signed revision itself is untouched...
    assert sig.covers_whole_file is False  # ...but something was appended
    assert sig.docmdp_ok is False


def test_annotation_added_to_a_document_certified_no_changes_is_altered(
    lt_certified_pdf: bytes, trust_config: TrustConfig
) -> None:
    report = validate_pdf(append_update(lt_certified_pdf, "annotation"), trust=trust_config)

    assert_not_authentic(report, Verdict.ALTERED)
    assert report.reasons == ("The document was changed after it was certified with no changes allowed.",)
    assert report.signatures[0].certified


def test_signed_with_a_revoked_certificate_is_a_certificate_problem(
    sample_pdf: bytes, revoked_eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    report = validate_pdf(
        sign_pdf(sample_pdf, key=revoked_eseal_key, timestamper=timestamper), trust=trust_config
    )

    assert_not_authentic(report, Verdict.CERTIFICATE_PROBLEM)
    assert report.reasons[0].startswith("The signer's certificate was revoked on ")
    assert report.signatures[0].revoked and not report.signatures[0].trusted
    assert report.signatures[0].intact


def test_signed_with_an_expired_certificate_is_a_certificate_problem(
    sample_pdf: bytes, expired_eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    report = validate_pdf(
        sign_pdf(sample_pdf, key=expired_eseal_key, timestamper=timestamper), trust=trust_config
    )

    assert_not_authentic(report, Verdict.CERTIFICATE_PROBLEM)
    assert "had expired" in report.reasons[0] and "before the document was signed" in report.reasons[0]
    assert report.signatures[0].expired


def test_signed_under_an_untrusted_root_is_a_certificate_problem(
    sample_pdf: bytes, untrusted_eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    report = validate_pdf(
        sign_pdf(sample_pdf, key=untrusted_eseal_key, timestamper=timestamper), trust=trust_config
    )

    assert_not_authentic(report, Verdict.CERTIFICATE_PROBLEM)
    assert report.reasons == ("The signer's certificate was not issued by a trusted certificate authority.",)
    assert not report.signatures[0].trusted


def test_revocation_status_that_cannot_be_established_is_a_certificate_problem(
    bt_pdf: bytes, dev_pki: DevPki
) -> None:
    no_crls = TrustConfig(roots=(dev_pki.root.certificate,), revocation_mode="hard-fail")

    report = validate_pdf(bt_pdf, trust=no_crls)

    assert_not_authentic(report, Verdict.CERTIFICATE_PROBLEM)
    assert "The revocation status of the signer's certificate could not be established." in report.reasons


def test_one_bad_signature_among_two_spoils_the_document(
    sample_pdf: bytes,
    revoked_eseal_key: SoftwareKey,
    person_key: SoftwareKey,
    timestamper: TimeStamper,
    trust_config: TrustConfig,
) -> None:
    first = sign_pdf(sample_pdf, key=person_key, timestamper=timestamper)
    both = sign_pdf(first, key=revoked_eseal_key, timestamper=timestamper, field_name="Signature2")

    report = validate_pdf(both, trust=trust_config)

    assert_not_authentic(report, Verdict.CERTIFICATE_PROBLEM)
    assert [s.trusted for s in report.signatures] == [True, False]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "The file is empty."),
        (b"Hello, this is plain text, not a PDF.\n" * 4, "The file is not a PDF."),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "The file is not a PDF."),
    ],
    ids=["empty", "text", "png"],
)
def test_validating_what_is_not_a_pdf_cannot_be_verified(
    payload: bytes, reason: str, trust_config: TrustConfig
) -> None:
    report = validate_pdf(payload, trust=trust_config)

    assert report.state is Verdict.CANNOT_BE_VERIFIED
    assert report.reasons == (reason,)
    assert report.signatures == ()


@pytest.mark.parametrize("keep", [0.5, 0.9], ids=["half", "tail-cut"])
def test_validating_a_truncated_signed_pdf_cannot_be_verified(
    bt_pdf: bytes, keep: float, trust_config: TrustConfig
) -> None:
    report = validate_pdf(bt_pdf[: int(len(bt_pdf) * keep)], trust=trust_config)

    assert report.state is Verdict.CANNOT_BE_VERIFIED
    assert report.reasons == ("The PDF is damaged or truncated and cannot be read.",)


def test_validating_a_pdf_without_signature_cannot_be_verified(
    sample_pdf: bytes, trust_config: TrustConfig
) -> None:
    report = validate_pdf(sample_pdf, trust=trust_config)

    assert report.state is Verdict.CANNOT_BE_VERIFIED
    assert report.reasons == ("The PDF carries no signature.",)


def test_validating_a_pdf_whose_signature_contents_are_garbage_cannot_be_verified(
    bt_pdf: bytes, trust_config: TrustConfig
) -> None:
    start = bt_pdf.index(b"/Contents <") + len(b"/Contents <")
    damaged = bt_pdf[:start] + b"00" * 64 + bt_pdf[start + 128 :]

    report = validate_pdf(damaged, trust=trust_config)

    assert report.state is not Verdict.AUTHENTIC
    assert report.reasons


@pytest.mark.parametrize(
    ("payload", "error", "message"),
    [
        (b"", NotAPdfError, "the file is empty"),
        (b"PK\x03\x04 a zip file, not a PDF", NotAPdfError, "the file is not a PDF"),
        (make_sample_pdf()[:120], CorruptPdfError, "damaged or truncated"),
    ],
    ids=["empty", "zip", "truncated"],
)
def test_signing_bad_input_raises_a_clear_error(
    payload: bytes, error: type[Exception], message: str, eseal_key: SoftwareKey
) -> None:
    with pytest.raises(error, match=message) as caught:
        sign_pdf(payload, key=eseal_key, timestamper=None)
    assert getattr(caught.value, "status", None) == 400


def test_signing_an_already_signed_field_raises_signing_error(bt_pdf: bytes, eseal_key: SoftwareKey) -> None:
    with pytest.raises(SigningError):
        sign_pdf(bt_pdf, key=eseal_key, timestamper=None, field_name="Signature1")


def test_too_few_reserved_bytes_raises_signing_error(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper
) -> None:
    with pytest.raises(SigningError):
        sign_pdf(sample_pdf, key=eseal_key, timestamper=timestamper, bytes_reserved=256)


def test_signing_without_reserved_bytes_also_works(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    signed = sign_pdf(sample_pdf, key=eseal_key, timestamper=timestamper, bytes_reserved=None)

    assert validate_pdf(signed, trust=trust_config).state is Verdict.AUTHENTIC


def test_a_document_timestamp_added_later_keeps_the_document_authentic(
    bt_pdf: bytes, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    writer = IncrementalPdfFileWriter(io.BytesIO(bt_pdf))
    archived = PdfTimeStamper(timestamper).timestamp_pdf(writer, md_algorithm="sha256").getvalue()

    report = validate_pdf(archived, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    signature, document_timestamp = report.signatures
    assert signature.modification_level == "lta_updates"
    assert "GovDoc Test TSA" in document_timestamp.signer_subject
    assert document_timestamp.timestamp_time is not None


def test_signing_a_truncated_signed_pdf_raises_corrupt_pdf_error(
    bt_pdf: bytes, eseal_key: SoftwareKey
) -> None:
    with pytest.raises(CorruptPdfError):
        sign_pdf(bt_pdf[: len(bt_pdf) // 2], key=eseal_key, timestamper=None)


def test_a_damaged_crl_in_the_trust_configuration_is_a_configuration_error(
    bt_pdf: bytes, dev_pki: DevPki
) -> None:
    broken = TrustConfig(roots=(dev_pki.root.certificate,), crls=(b"\x30\x03\x02\x01\x01",))

    with pytest.raises(EngineError, match="damaged CRL"):
        validate_pdf(bt_pdf, trust=broken)


def test_an_unreachable_timestamp_authority_raises_signing_error(
    sample_pdf: bytes, eseal_key: SoftwareKey
) -> None:
    unreachable = http_timestamper("http://127.0.0.1:9/tsa", timeout=2)  # discard port: refused

    with pytest.raises(SigningError, match="could not be signed"):
        sign_pdf(sample_pdf, key=eseal_key, timestamper=unreachable)


def test_a_pdf_that_came_signed_is_sealed_beside_its_signature(
    bt_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig
) -> None:
    """An official may draft from a PDF signed elsewhere: the seal takes the next free field."""
    sealed = sign_pdf(bt_pdf, key=eseal_key, timestamper=timestamper)

    report = validate_pdf(sealed, trust=trust_config)

    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert [s.field_name for s in report.signatures] == ["Signature1", "Signature2"]
