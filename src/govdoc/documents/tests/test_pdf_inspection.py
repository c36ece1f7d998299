"""A PDF is checked in depth, not by its first bytes: real PDFs, crafted the way an attacker or a
broken download would make them, through the same ``check_upload`` every upload passes."""

from __future__ import annotations

import hashlib
import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from govdoc.accounts.models import Person, Unit
from govdoc.audit.models import AuditEvent
from govdoc.documents import content_types, pdf_inspection
from govdoc.documents.errors import UnsafePdfError
from govdoc.documents.models import Document
from govdoc.documents.tests.samples import (
    GO_TO_EMBEDDED,
    GO_TO_REMOTE,
    IMPORT_DATA,
    PDF,
    SUBMIT_FORM,
    action_pdf,
    create_document,
    embedded_file_pdf,
    file_attachment_pdf,
    one_page_pdf,
    rich_media_pdf,
    text_pdf,
    xfa_pdf,
)

MB = 1024 * 1024


def _check(data: bytes, name: str = "prilog.pdf") -> str:
    return content_types.check_upload(
        data, filename=name, allowed={content_types.PDF}, max_bytes=10 * MB, declared="application/pdf"
    )


def _refused(data: bytes) -> UnsafePdfError:
    with pytest.raises(UnsafePdfError) as caught:
        _check(data)
    assert caught.value.status == 422
    assert caught.value.code == "upload-pdf-refused"
    return caught.value


def _encrypted(user_password: str | None) -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(text_pdf("Tajno"))))
    writer.encrypt("owner-password", user_password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_sound_pdfs_are_taken() -> None:
    assert _check(PDF) == content_types.PDF
    assert _check(text_pdf("Uverenje")) == content_types.PDF
    # a link to a web address is not active content
    link = (
        b"/Annots [<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://x.rs) >> >>] "
    )
    assert _check(one_page_pdf(page_extra=link)) == content_types.PDF


def test_javascript_run_on_opening_is_refused() -> None:
    pdf = one_page_pdf(
        catalog_extra=b"/OpenAction 4 0 R ", more=(b"<< /S /JavaScript /JS (app.alert(1)) >>",)
    )
    error = _refused(pdf)
    assert error.details["reason"] == pdf_inspection.JAVASCRIPT
    assert error.message == (
        "the file prilog.pdf is a PDF document with JavaScript, which is not accepted; "
        "print it to a new PDF (or scan it) and send that"
    )


def test_javascript_in_the_document_name_tree_is_refused() -> None:
    script = b"app.alert('x')"
    pdf = one_page_pdf(
        catalog_extra=b"/Names << /JavaScript 4 0 R >> ",
        more=(
            b"<< /Names [(init) 5 0 R] >>",
            b"<< /S /JavaScript /JS 6 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(script) + script + b"\nendstream",
        ),
    )
    assert _refused(pdf).details["reason"] == pdf_inspection.JAVASCRIPT


def test_a_launch_action_on_a_page_is_refused() -> None:
    pdf = one_page_pdf(page_extra=b"/AA << /O << /S /Launch /F (cmd.exe) >> >> ")
    error = _refused(pdf)
    assert error.details["reason"] == pdf_inspection.LAUNCH
    assert "starts another program" in error.message


@pytest.mark.parametrize("user_password", [None, "korisnik"])
def test_an_encrypted_pdf_is_refused_with_or_without_an_opening_password(user_password: str | None) -> None:
    error = _refused(_encrypted(user_password))
    assert error.details["reason"] == pdf_inspection.ENCRYPTED
    assert "save it without protection" in error.message


@pytest.mark.parametrize("cut", [40, 200, 0.5])
def test_a_truncated_pdf_is_refused(cut: float) -> None:
    whole = text_pdf("Uverenje o prebivalistu")
    keep = int(len(whole) * cut) if cut < 1 else len(whole) - int(cut)
    error = _refused(whole[:keep])
    assert error.details["reason"] == pdf_inspection.DAMAGED
    assert "not a complete, readable PDF document" in error.message


def test_html_behind_a_pdf_header_is_refused() -> None:
    html = b"%PDF-1.7\n<!DOCTYPE html><html><body><script>fetch('/api/v1/me')</script></body></html>\n"
    assert content_types.sniff(html) == content_types.PDF  # the first bytes alone would pass it
    error = _refused(html)
    assert error.details["reason"] == pdf_inspection.HTML_INSIDE
    assert error.message == "the file prilog.pdf is an HTML page behind a PDF header, not a PDF document"


def test_a_header_with_garbage_after_it_is_refused() -> None:
    assert _refused(b"%PDF-1.4\n" + bytes(range(256)) * 10).details["reason"] == pdf_inspection.DAMAGED


def test_a_cycle_of_references_does_not_hang_the_check() -> None:
    pdf = one_page_pdf(catalog_extra=b"/Loop 4 0 R ", more=(b"<< /Next 5 0 R >>", b"<< /Next 4 0 R >>"))
    assert _check(pdf) == content_types.PDF


_AGAIN = "print it to a new PDF (or scan it) and send that"


@pytest.mark.parametrize(
    ("pdf", "reason", "message"),
    [
        pytest.param(
            xfa_pdf(),
            pdf_inspection.XFA,
            f"the file prilog.pdf is a PDF document with an XFA form, which is not accepted; {_AGAIN}",
            id="xfa-form",
        ),
        pytest.param(
            embedded_file_pdf(),
            pdf_inspection.EMBEDDED_FILE,
            "the file prilog.pdf is a PDF document with other files inside it, which is not accepted; "
            "send each document as a file of its own, or print it to a new PDF",
            id="embedded-files-name-tree",
        ),
        pytest.param(
            file_attachment_pdf(),
            pdf_inspection.EMBEDDED_FILE,
            "the file prilog.pdf is a PDF document with other files inside it, which is not accepted; "
            "send each document as a file of its own, or print it to a new PDF",
            id="file-attachment-annotation",
        ),
        pytest.param(
            action_pdf(SUBMIT_FORM),
            pdf_inspection.FORM_ACTION,
            "the file prilog.pdf is a PDF document with a form that sends or reads data elsewhere, "
            f"which is not accepted; {_AGAIN}",
            id="submit-form",
        ),
        pytest.param(
            action_pdf(IMPORT_DATA),
            pdf_inspection.FORM_ACTION,
            "the file prilog.pdf is a PDF document with a form that sends or reads data elsewhere, "
            f"which is not accepted; {_AGAIN}",
            id="import-data",
        ),
        pytest.param(
            action_pdf(GO_TO_REMOTE),
            pdf_inspection.REMOTE_ACTION,
            "the file prilog.pdf is a PDF document with a link that opens another file, which is not "
            f"accepted; {_AGAIN}",
            id="go-to-remote",
        ),
        pytest.param(
            action_pdf(GO_TO_EMBEDDED),
            pdf_inspection.REMOTE_ACTION,
            "the file prilog.pdf is a PDF document with a link that opens another file, which is not "
            f"accepted; {_AGAIN}",
            id="go-to-embedded",
        ),
        pytest.param(
            rich_media_pdf(),
            pdf_inspection.RICH_MEDIA,
            "the file prilog.pdf is a PDF document with embedded video, sound or other media, which is "
            f"not accepted; {_AGAIN}",
            id="rich-media",
        ),
    ],
)
def test_content_that_runs_sends_opens_or_hides_files_is_refused(
    pdf: bytes, reason: str, message: str
) -> None:
    error = _refused(pdf)
    assert error.details["reason"] == reason
    assert error.message == message


def test_an_officials_document_may_embed_files_but_nothing_active() -> None:
    """A PDF/A-3 with its data attached (as GovDoc's own drafts and issued documents are) is an
    official's document like any other; its scripts and actions are still refused."""
    taken = content_types.check_upload(
        embedded_file_pdf(),
        filename="racun.pdf",
        allowed={content_types.PDF},
        max_bytes=MB,
        pdf_embedded_files=True,
    )
    assert taken == content_types.PDF
    with pytest.raises(UnsafePdfError) as caught:
        content_types.check_upload(
            xfa_pdf(),
            filename="obrazac.pdf",
            allowed={content_types.PDF},
            max_bytes=MB,
            pdf_embedded_files=True,
        )
    assert caught.value.details["reason"] == pdf_inspection.XFA


@pytest.mark.django_db
def test_an_official_may_upload_a_document_with_its_data_embedded(unit: Unit, handler: Person) -> None:
    document = create_document(unit=unit, actor=handler, content=embedded_file_pdf(), filename="pdfa3.pdf")
    assert document.current_version is not None


@pytest.mark.django_db
def test_a_refused_upload_of_an_official_is_audited_and_nothing_is_written(
    unit: Unit, handler: Person
) -> None:
    encrypted = _encrypted(None)
    with pytest.raises(UnsafePdfError):
        create_document(unit=unit, actor=handler, content=encrypted, filename="tajno.pdf")
    assert not Document.objects.exists()
    event = AuditEvent.objects.get(event="documents.upload_refused")
    assert event.actor_id == str(handler.pk)
    assert event.data["reason"] == "encrypted"
    assert event.data["sha256"] == hashlib.sha256(encrypted).hexdigest()
    assert "tajno" not in str(event.data)
