"""The public file check tells the registered document's status and the verdict on *this file*
apart, in words and colours: a green "valid" never sits beside an "altered" file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.documents.storage import file_read
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.services import document_issue
from govdoc.issuance.tests.conftest import CERTIFICATE_TEMPLATE

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(agency: Agency, handler: Person, citizen: Person, files_dir: Path) -> IssuedDocument:
    return document_issue(
        agency=agency,
        recipient=citizen,
        title="Uverenje o prebivalištu",
        template_html=CERTIFICATE_TEMPLATE,
        context={"notes": []},
        data={"jmbg": "0101990710123", "address": "Njegoševa 7, Beograd"},
        script=Script.LATIN,
        valid_until=None,
        actor=handler,
        doc_type="uverenje",
        classification_code="02-05",
    )


def upload(client: Client, data: bytes) -> str:
    response = client.post(
        "/verify/file/?lang=en", {"file": SimpleUploadedFile("uverenje.pdf", data, "application/pdf")}
    )
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert match is not None, element_id
    return match.group(0)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def pdf_of(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


def test_the_original_file_is_authentic_beside_a_green_valid_registry_status(
    client: Client, issued: IssuedDocument
) -> None:
    html = upload(client, pdf_of(issued))
    verdict = text(section(html, "file-verdict"))
    registry = section(html, "registered-document")
    assert "This file" in verdict and "Authentic — This file is intact" in verdict
    assert 'class="check verdict-authentic"' in html
    assert 'class="status status-valid" id="doc-status"' in registry
    assert "Registered document" in text(registry) and "Valid" in text(registry)
    assert 'id="registry-note"' not in html
    assert "Document timestamp: Common Name: GovDoc Development Timestamp Authority" in verdict


def test_a_file_with_appended_bytes_is_altered_and_valid_is_not_green(
    client: Client, issued: IssuedDocument
) -> None:
    html = upload(client, pdf_of(issued) + b"PK\x03\x04 glued archive")
    verdict = text(section(html, "file-verdict"))
    registry = section(html, "registered-document")
    assert "Altered — do not rely on this file" in verdict
    assert "after the end of the signed document are not covered by any signature" in verdict
    assert "The file is NOT identical with the registered original." in verdict
    assert 'class="check verdict-altered"' in html
    # The registry still says valid (the original is), in a neutral colour, with a warning.
    assert 'class="status status-neutral" id="doc-status" data-status="valid"' in registry
    assert "status-valid" not in html
    assert "The registry status is about the original document, not about this file." in text(registry)


def test_a_changed_byte_shows_altered_and_no_green_status(client: Client, issued: IssuedDocument) -> None:
    pdf = bytearray(pdf_of(issued))
    pdf[pdf.index(b"/Type /Page") + 3] ^= 0x01
    html = upload(client, bytes(pdf))
    assert 'data-state="altered"' in html
    assert "status-valid" not in html
    assert "Registered document" in html


def test_the_code_page_names_what_it_shows_the_registered_document(
    client: Client, issued: IssuedDocument
) -> None:
    html = client.get(f"/verify/{issued.verification_code}?lang=en").content.decode()
    assert "Registered document: Valid" in text(html)
    serbian = client.get(f"/verify/{issued.verification_code}?lang=sr-latn").content.decode()
    assert "Registrovani dokument: Važeći" in text(serbian)
    cyrillic = client.get(f"/verify/{issued.verification_code}?lang=sr-cyrl").content.decode()
    assert "Регистровани документ: Важећи" in text(cyrillic)


@pytest.mark.parametrize("script", ["sr-latn", "sr-cyrl", "en"])
def test_the_file_check_speaks_the_language_of_the_page(
    client: Client, issued: IssuedDocument, script: str
) -> None:
    """The verdict, its reasons (the signature engine's English sentences, translated on the
    page) and the registry status, for an authentic and for an altered file."""
    from tests.language_check import problems

    for data in (pdf_of(issued), pdf_of(issued) + b"PK\x03\x04 glued archive"):
        response = client.post(
            f"/verify/file/?lang={script}",
            {"file": SimpleUploadedFile("uverenje.pdf", data, "application/pdf")},
        )
        html = response.content.decode()
        assert problems(html, script, names=frozenset({"Uverenje o prebivalištu"})) == []
        assert 'lang="en"' not in section(html, "file-verdict").split('id="signatures"')[0]


def test_a_govdoc_issued_pdf_with_its_embedded_data_still_verifies(
    client: Client, issued: IssuedDocument
) -> None:
    """GovDoc's own PDF embeds the application and decision as data (PDF/A-3): a citizen could
    not attach it to an application, but an official may store it and anyone may verify it."""
    from govdoc.documents import pdf_inspection

    pdf = pdf_of(issued)
    assert pdf_inspection.problem(pdf) == pdf_inspection.EMBEDDED_FILE
    assert pdf_inspection.problem(pdf, embedded_files=True) is None
    html = upload(client, pdf)
    assert "Authentic — This file is intact" in text(section(html, "file-verdict"))
