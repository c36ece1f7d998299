"""The PDF/A checker and the version the signer keeps (ADR 0009).

The inputs are made here by hand (a PDF that claims PDF/A-3b in its XMP, with an output intent),
so the checks do not depend on any renderer; the issued documents themselves are checked in
``issuance/tests/test_pdfa_conformance.py``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps import TimeStamper

from govdoc.documents.tests.samples import build_pdf
from govdoc.signatures.engine.keys import SoftwareKey
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.engine.pades import sign_pdf
from govdoc.signatures.engine.pdfa import pdfa_check
from govdoc.signatures.engine.validation import TrustConfig, validate_pdf

XMP = b"""<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>%d</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""


def build(objects: list[bytes], version: bytes = b"1.7") -> bytes:
    """A PDF file of ``objects`` (numbered from 1; object 1 is the catalogue), by hand."""
    return build_pdf(*objects, header=b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


def claiming(
    *, part: int = 3, javascript: bool = False, attachment: bool = False, version: bytes = b"1.7"
) -> bytes:
    """A one-page PDF whose XMP claims PDF/A-``part``b, with a PDF/A output intent (and, on
    request, a JavaScript open action or an embedded file without AFRelationship)."""
    content = b"BT /F1 18 Tf 72 720 Td (GovDoc sample document) Tj ET"
    extra = b""
    if javascript:
        extra += b" /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"
    if attachment:
        extra += b" /AF [8 0 R]"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R /OutputIntents [<< /Type /OutputIntent "
        b"/S /GTS_PDFA1 /DestOutputProfile 7 0 R >>]" + extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        stream(b"/Type /Metadata /Subtype /XML", XMP % part),
        stream(b"/N 3", b"icc profile"),
        b"<< /Type /Filespec /F (data.json) /UF (data.json) /EF << /F 9 0 R >> >>",
        stream(b"", b"{}"),
    ]
    return build(objects, version)


def test_a_plain_pdf_claims_nothing_and_its_fonts_are_not_embedded(sample_pdf: bytes) -> None:
    report = pdfa_check(sample_pdf)
    assert not report.conforms
    assert "The file has no XMP metadata." in report.problems
    assert "The font Helvetica is not embedded." in report.problems


def test_the_claim_the_version_and_the_output_intent_are_read(sample_pdf: bytes) -> None:
    report = pdfa_check(claiming())
    assert (report.part, report.conformance, report.version) == (3, "B", "1.7")
    assert report.problems == ("The font Helvetica is not embedded.",)


def test_javascript_and_an_attachment_without_relationship_are_named(sample_pdf: bytes) -> None:
    report = pdfa_check(claiming(javascript=True, attachment=True))
    assert "The file contains JavaScript." in report.problems
    assert "The embedded file data.json has no AFRelationship." in report.problems
    assert "The embedded file data.json has no MIME type." in report.problems


def test_pdfa_4_must_be_pdf_2_0(sample_pdf: bytes) -> None:
    report = pdfa_check(claiming(part=4))
    assert "PDF/A-4 is built on PDF 2.0, but the file declares PDF 1.7." in report.problems


def test_pyhanko_alone_turns_a_pdfa_3_file_into_pdf_2_0_with_ecdsa(
    sample_pdf: bytes, eseal_key: SoftwareKey
) -> None:
    """What the issue found: plain pyHanko adds the ISO/TS 32002 extension and /Version /2.0."""
    writer = IncrementalPdfFileWriter(io.BytesIO(claiming()))
    meta = signers.PdfSignatureMetadata(field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES)
    out = signers.PdfSigner(meta, signer=eseal_key.signer()).sign_pdf(writer)
    problems = pdfa_check(out.getvalue()).problems
    assert "PDF/A-3 is built on PDF 1.7, but the file declares PDF 2.0." in problems
    assert any("PDF 2.0 extension (ISO_ 32002)" in p for p in problems)


@pytest.mark.parametrize("lta", [False, True], ids=["B-T", "B-LTA"])
def test_govdoc_signing_keeps_a_pdfa_3_file_on_pdf_1_7(
    sample_pdf: bytes, eseal_key: SoftwareKey, timestamper: TimeStamper, trust_config: TrustConfig, lta: bool
) -> None:
    signed = sign_pdf(
        claiming(),
        key=eseal_key,
        timestamper=timestamper,
        certify=True,
        embed_validation_info=trust_config if lta else None,
        archive_timestamp=lta,
    )
    report = pdfa_check(signed)
    assert report.version == "1.7"
    assert report.problems == ("The font Helvetica is not embedded.",)


def test_a_pdfa_4_file_on_pdf_2_0_is_signed_as_pdf_2_0(
    eseal_key: SoftwareKey, timestamper: TimeStamper
) -> None:
    """The other format ADR 0009 allows: a renderer that writes PDF/A-4 gets a PDF 2.0 seal."""
    source = claiming(part=4, version=b"2.0")
    assert pdfa_check(source).problems == ("The font Helvetica is not embedded.",)
    signed = sign_pdf(source, key=eseal_key, timestamper=timestamper, certify=True)
    report = pdfa_check(signed)
    assert (report.part, report.version) == (4, "2.0")
    assert report.problems == ("The font Helvetica is not embedded.",)


TYPST_SOURCE = """#set page(paper: "a4")
#set text(font: "DejaVu Sans")
= Uverenje o prebivalištu
Ljubica Đorđević — Љубица Ђорђевић
#pdf.attach("data.json", relationship: "data", mime-type: "application/json", description: "Data")
"""


@pytest.mark.parametrize(("standard", "part", "version"), [("a-3b", 3, "1.7"), ("a-4f", 4, "2.0")])
def test_a_typst_pdfa_file_checks_and_keeps_its_format_when_sealed_b_lta(
    tmp_path: Path,
    eseal_key: SoftwareKey,
    timestamper: TimeStamper,
    trust_config: TrustConfig,
    standard: str,
    part: int,
    version: str,
) -> None:
    """The renderer planned for speed (Typst) writes PDF/A-3b on 1.7 or PDF/A-4f on 2.0; the
    checker reads both and the B-LTA seal keeps each on its version."""
    typst = pytest.importorskip("typst")
    fonts = Path("/usr/share/fonts/truetype/dejavu")
    if not fonts.is_dir():
        pytest.skip("DejaVu fonts are not installed")
    (tmp_path / "doc.typ").write_text(TYPST_SOURCE)
    (tmp_path / "data.json").write_text('{"jmbg": "0101990710123"}')
    compiler = typst.Compiler(root=str(tmp_path), font_paths=[str(fonts)], ignore_system_fonts=True)
    pdf = compiler.compile(input=str(tmp_path / "doc.typ"), format="pdf", pdf_standards=[standard])
    assert pdfa_check(pdf).conforms

    sealed = sign_pdf(
        pdf,
        key=eseal_key,
        timestamper=timestamper,
        certify=True,
        embed_validation_info=trust_config,
        archive_timestamp=True,
    )
    report = pdfa_check(sealed)
    assert (report.part, report.version, report.problems) == (part, version, ())
    assert validate_pdf(sealed, trust=trust_config).state is Verdict.AUTHENTIC
