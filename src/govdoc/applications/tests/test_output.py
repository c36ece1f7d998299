"""The draft the approvers read: the issued document's text in the applicant's script, marked
as a draft, made by the one renderer of the issuance domain."""

from __future__ import annotations

import pytest
from tests.support import pdf_text

from govdoc.accounts.models import Person
from govdoc.applications.models import Service
from govdoc.applications.output import draft_pdf, output_context
from govdoc.applications.tests.conftest import submit
from govdoc.documents.storage import file_read
from govdoc.issuance.services import document_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("sr-latn", "Uverava se da Ana Petrović ima prebivalište na adresi Bulevar kralja Aleksandra 73"),
        ("sr-cyrl", "Уверава се да Ана Петровић има пребивалиште на адреси Булевар краља Александра 73"),
    ],
)
def test_the_draft_reads_in_the_applicants_script_names_and_addresses_included(
    service: Service, citizen: Person, script: str, expected: str
) -> None:
    application = submit(service, citizen, script=script)
    text = pdf_text(draft_pdf(application))
    assert expected in text
    assert ("НАЦРТ" if script == "sr-cyrl" else "NACRT") in text
    assert application.receipt_number in text  # where the registry number will be
    assert ("у сврху запослења" if script == "sr-cyrl" else "u svrhu zaposlenja") in text


@pytest.mark.parametrize("script", ["sr-latn", "sr-cyrl", "en"])
def test_the_issued_document_says_what_the_draft_said(
    service: Service, citizen: Person, handler: Person, script: str
) -> None:
    application = submit(service, citizen, script=script)
    draft = pdf_text(draft_pdf(application))
    issued = document_issue(
        agency=application.agency,
        recipient=citizen,
        title=service.output_title,
        template_html=service.output_template,
        context=output_context(application),
        data=dict(application.data),
        script=script,
        valid_until=None,
        actor=handler,
        doc_type=service.output_doc_type,
        classification_code=service.classification_code,
    )
    assert issued.version is not None
    final = pdf_text(file_read(issued.version.file))
    start = "Уверава се" if script == "sr-cyrl" else "Uverava se"
    end = "запослења." if script == "sr-cyrl" else "zaposlenja."

    def body(text: str) -> str:
        return text[text.index(start) : text.index(end) + len(end)]

    assert body(draft) == body(final)
    assert ("Ана Петровић" if script == "sr-cyrl" else "Ana Petrović") in body(final)
