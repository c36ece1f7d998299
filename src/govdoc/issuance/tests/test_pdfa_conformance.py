"""Every issued document is PDF/A-3b on PDF 1.7 as ADR 0009 decides, whatever renders it:
the checks of ``signatures.engine.pdfa`` on the sealed file, before and after an archive
timestamp renewal."""

from __future__ import annotations

import pytest

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.documents.storage import file_read
from govdoc.issuance.archive_renewal import issued_archive_renew
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.tests.conftest import Issue
from govdoc.signatures.engine.pdfa import pdfa_check

pytestmark = pytest.mark.django_db


def _pdf(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


@pytest.mark.parametrize("script", [Script.LATIN, Script.CYRILLIC])
def test_an_issued_document_is_pdfa_3b_on_pdf_1_7(issue: Issue, script: str) -> None:
    report = pdfa_check(_pdf(issue(script=script)))
    assert (report.part, report.conformance, report.version) == (3, "B", "1.7")
    assert report.problems == ()


def test_an_issued_document_stays_pdfa_after_archive_renewal(
    issue: Issue, agency: Agency, handler: Person
) -> None:
    issued = issued_archive_renew(issued=issue(), actor=handler)
    report = pdfa_check(_pdf(issued))
    assert report.conforms, report.problems
    assert report.version == "1.7"
