"""The draft the approvers read: the issued document's text in the applicant's script, marked
as a draft, made by the one renderer of the issuance domain."""

from __future__ import annotations

import pytest
from tests.support import pdf_text

from govdoc.accounts.models import Person
from govdoc.applications.models import Service
from govdoc.applications.output import draft_pdf
from govdoc.applications.tests.conftest import submit

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
