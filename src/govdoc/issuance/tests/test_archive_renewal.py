"""Issued documents keep their proof: archive timestamps renewed as new sealed versions, and a
file with bytes glued to it is not the registered original and not authentic."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.models import Agency, Person
from govdoc.audit.models import AuditEvent
from govdoc.documents.storage import file_read
from govdoc.issuance.archive_renewal import issued_archive_renew_due
from govdoc.issuance.constants import ShownStatus
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.selectors import verify_upload
from govdoc.issuance.tests.conftest import Issue
from govdoc.signatures.engine.archive import archive_status
from govdoc.signatures.engine.model import Verdict

pytestmark = pytest.mark.django_db
DECADE = dt.timedelta(days=3650)


def _pdf(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


def test_an_issued_document_is_sealed_b_lta_on_pdf_1_7(issue: Issue) -> None:
    pdf = _pdf(issue())
    assert archive_status(pdf).document_timestamps == 1
    assert pdf.startswith(b"%PDF-1.7")
    assert b"/Version /2.0" not in pdf


def test_renewal_adds_a_sealed_version_and_both_copies_verify_as_registered(
    issue: Issue, agency: Agency, handler: Person
) -> None:
    issued = issue()
    before = _pdf(issued)

    run = issued_archive_renew_due(agency=agency, actor=handler, margin=DECADE)

    assert run.renewed == [str(issued.pk)] and not run.failed
    issued.refresh_from_db()
    after = _pdf(issued)
    assert after.startswith(before) and len(after) > len(before)
    assert archive_status(after).document_timestamps == 2
    for copy in (before, after):
        result = verify_upload(copy)
        assert result.report.state is Verdict.AUTHENTIC, result.report.reasons
        assert result.identical and result.status == ShownStatus.VALID
    event = AuditEvent.objects.get(event="issuance.archive_timestamp_renewed")
    assert event.data["pdf_sha256"] == issued.pdf_sha256


def test_nothing_is_renewed_before_it_is_due(issue: Issue, agency: Agency, handler: Person) -> None:
    issue()
    run = issued_archive_renew_due(agency=agency, actor=handler, margin=dt.timedelta(days=1))
    assert run.checked == 1 and run.renewed == []
    assert not AuditEvent.objects.filter(event="issuance.archive_timestamp_renewed").exists()


def test_a_registered_document_with_bytes_glued_on_is_altered_not_the_original(issue: Issue) -> None:
    issued = issue()
    result = verify_upload(_pdf(issued) + b"PK\x03\x04 a zip glued to the end")
    assert result.report.state is Verdict.ALTERED
    assert "after the end of the signed document are not covered by any signature" in result.report.reasons[0]
    assert not result.identical
    assert result.status == ShownStatus.VALID  # the registered document is still valid; this file is not it


def test_a_renewal_that_fails_is_reported_and_writes_nothing(
    issue: Issue, agency: Agency, citizen: Person
) -> None:
    issued = issue()
    before = issued.pdf_sha256

    run = issued_archive_renew_due(agency=agency, actor=citizen, margin=DECADE)

    assert run.renewed == []
    assert "holds no role in this agency" in run.failed[str(issued.pk)]
    issued.refresh_from_db()
    assert issued.pdf_sha256 == before
    assert not AuditEvent.objects.filter(event="issuance.archive_timestamp_renewed").exists()


def test_the_periodic_job_renews_what_is_due_in_every_agency_by_its_archive_keeper(
    issue: Issue, agency: Agency
) -> None:
    from govdoc.accounts.constants import AccountKind
    from govdoc.issuance import archive_renewal

    issued = issue()
    runs = archive_renewal.archive_renew_all(margin=DECADE)

    assert runs[agency.code].renewed == [str(issued.pk)]
    keeper = archive_renewal.archive_keeper(agency)
    assert (keeper.username, keeper.account_kind) == (f"{agency.code}-archive", AccountKind.SYSTEM)
    assert not keeper.has_usable_password()
    event = AuditEvent.objects.get(event="issuance.archive_timestamp_renewed")
    assert event.actor_id == str(keeper.pk)
    # a second run finds nothing due within a day, and makes no second keeper
    assert archive_renewal.archive_renew_all(margin=dt.timedelta(days=1))[agency.code].renewed == []
    assert AuditEvent.objects.filter(event="accounts.system_account_created").count() == 1
