"""Checking an issued document by its code or by uploading the file, and what the holder sees
of those checks."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.accounts.models import Person
from govdoc.core import clock
from govdoc.core.errors import NotFoundError
from govdoc.documents.storage import file_read
from govdoc.issuance.constants import Channel, ShownStatus
from govdoc.issuance.errors import (
    InvalidVerificationCodeError,
    NotTheRecipientError,
)
from govdoc.issuance.models import IssuedDocument, VerificationEvent
from govdoc.issuance.selectors import (
    issued_get,
    issued_pdf,
    issued_to,
    verifications_of,
    verify_code,
    verify_upload,
)
from govdoc.issuance.services import issued_revoke, issued_supersede
from govdoc.issuance.tests.conftest import Issue
from govdoc.issuance.verification_log import client_address_hash
from govdoc.signatures.engine.model import Verdict

pytestmark = pytest.mark.django_db


def _pdf(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


def test_a_valid_document_verifies_by_its_code_with_the_fields_to_compare(issue: Issue) -> None:
    issued = issue()
    result = verify_code(issued.verification_code, verifier_label="Banca Intesa, filijala 12")
    assert result.status == ShownStatus.VALID
    assert result.registry_number == issued.registry_number
    assert result.key_fields["holder_name"] == "Љубица Ђорђевић"
    assert result.key_fields["document_number"] == issued.registry_number
    assert result.superseded_by_code is None


def test_a_code_typed_carelessly_still_finds_the_document(issue: Issue) -> None:
    issued = issue()
    typed = issued.verification_code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert verify_code(typed).verification_code == issued.verification_code


def test_an_unknown_code_is_not_found_and_a_malformed_one_is_refused(issue: Issue) -> None:
    issue()
    with pytest.raises(NotFoundError, match="no document was issued"):
        verify_code("ABCD-EFGH-JKMN-PQRS")
    with pytest.raises(InvalidVerificationCodeError):
        verify_code("ABCD-EFGH")
    with pytest.raises(InvalidVerificationCodeError):
        verify_code("ABCD-EFGH-JKMN-PQRU")  # U is not in the alphabet
    assert not VerificationEvent.objects.exists()


def test_a_revoked_document_is_reported_revoked(issue: Issue, head: Person) -> None:
    issued = issue()
    issued_revoke(issued=issued, reason="Izdato greškom", actor=head)
    assert verify_code(issued.verification_code).status == ShownStatus.REVOKED


def test_a_superseded_document_names_its_replacement(issue: Issue, head: Person) -> None:
    issued, replacement = issue(), issue()
    issued_supersede(issued=issued, replacement=replacement, reason="Ispravka adrese", actor=head)
    result = verify_code(issued.verification_code)
    assert result.status == ShownStatus.SUPERSEDED
    assert result.superseded_by_code == replacement.verification_code
    assert verify_code(replacement.verification_code).status == ShownStatus.VALID


def test_a_document_past_its_validity_is_expired(issue: Issue) -> None:
    issued = issue(valid_until=clock.now() + dt.timedelta(days=30))
    assert verify_code(issued.verification_code).status == ShownStatus.VALID
    with clock.frozen(clock.now() + dt.timedelta(days=31)):
        assert verify_code(issued.verification_code).status == ShownStatus.EXPIRED


def test_the_original_file_is_authentic_and_identical(issue: Issue) -> None:
    issued = issue()
    result = verify_upload(_pdf(issued), verifier_label="Opština Zemun")
    assert result.report.state is Verdict.AUTHENTIC, result.report.reasons
    assert result.identical
    assert result.issued is not None and result.issued.pk == issued.pk
    assert result.status == ShownStatus.VALID
    event = VerificationEvent.objects.get(issued=issued)
    assert (event.channel, event.verdict, event.identical) == (Channel.UPLOAD, "authentic", True)


def test_a_copy_with_one_changed_byte_is_altered_and_not_identical(issue: Issue) -> None:
    issued = issue()
    pdf = bytearray(_pdf(issued))
    pdf[pdf.index(b"/Type /Page") + 3] ^= 0x01  # one byte inside the signed range
    result = verify_upload(bytes(pdf))
    assert result.report.state is Verdict.ALTERED, result.report.reasons
    assert not result.identical
    assert result.issued is not None and result.issued.pk == issued.pk  # found by its embedded code
    event = VerificationEvent.objects.get(issued=issued)
    assert (event.verdict, event.identical) == ("altered", False)


def test_a_foreign_file_is_cannot_be_verified_and_names_no_document(issue: Issue) -> None:
    issue()
    result = verify_upload(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")
    assert result.report.state is Verdict.CANNOT_BE_VERIFIED
    assert result.issued is None and not result.identical
    assert not VerificationEvent.objects.exists()


def test_each_verification_is_recorded_and_only_the_recipient_sees_them(
    issue: Issue, holder: Person, head: Person, citizen: Person
) -> None:
    issued = issue()
    verify_code(
        issued.verification_code, verifier_label="Banca Intesa, filijala 12", client_address="203.0.113.7"
    )
    verify_code(issued.verification_code, channel=Channel.QR, client_address="198.51.100.1")
    verify_upload(_pdf(issued), channel=Channel.API, verifier_label="e-Uprava")

    seen = list(verifications_of(issued=issued, viewer=holder))
    assert [(e.channel, e.verifier_label) for e in seen] == [
        (Channel.API, "e-Uprava"),
        (Channel.QR, ""),
        (Channel.CODE, "Banca Intesa, filijala 12"),
    ]
    by_channel = {e.channel: e for e in seen}
    assert by_channel[Channel.CODE].client_hash == client_address_hash("203.0.113.7")
    assert "203.0.113.7" not in by_channel[Channel.CODE].client_hash
    assert by_channel[Channel.API].client_hash == ""
    for outsider in (head, citizen):
        with pytest.raises(NotTheRecipientError):
            verifications_of(issued=issued, viewer=outsider)


def test_the_recipient_and_the_agencys_officials_open_an_issued_document_nobody_else(
    issue: Issue, holder: Person, head: Person, citizen: Person, other_agency_head: Person
) -> None:
    issued = issue()
    for viewer in (holder, head):
        found = issued_get(viewer=viewer, issued_id=str(issued.pk))
        assert found.pk == issued.pk
        assert issued_pdf(viewer=viewer, issued=found) == _pdf(issued)
    for outsider in (citizen, other_agency_head):
        with pytest.raises(NotFoundError):
            issued_get(viewer=outsider, issued_id=str(issued.pk))
        with pytest.raises(NotFoundError):
            issued_pdf(viewer=outsider, issued=issued)
    with pytest.raises(NotFoundError):
        issued_get(viewer=holder, issued_id="not-a-uuid")
    assert [d.pk for d in issued_to(recipient=holder)] == [issued.pk]
    assert list(issued_to(recipient=citizen)) == []


def test_officials_of_another_unit_of_the_agency_do_not_open_an_issued_document(
    issue: Issue, agency: object, head: Person
) -> None:
    """Need to know: a handler in another unit of the same agency is told the document does not
    exist; the agency's registry opens it; every official's reading is recorded for the holder."""
    from govdoc.accounts.constants import Role
    from govdoc.accounts.tests.factories import PersonFactory, UnitFactory, grant
    from govdoc.audit.models import AuditEvent

    issued = issue()
    elsewhere = PersonFactory(username="drugi-odsek")
    grant(elsewhere, UnitFactory(agency=issued.agency, code="odsek-2"), Role.HANDLER)
    registry = PersonFactory(username="pisarnica")
    grant(registry, UnitFactory(agency=issued.agency, code="pisarnica"), Role.REGISTRY_CLERK)
    with pytest.raises(NotFoundError):
        issued_get(viewer=elsewhere, issued_id=str(issued.pk))
    for official in (registry, head):
        found = issued_get(viewer=official, issued_id=str(issued.pk))
        assert issued_pdf(viewer=official, issued=found) == _pdf(issued)
    reads = AuditEvent.objects.filter(event="audit.personal_data_viewed", target_id=str(issued.pk))
    assert sorted(e.actor_id for e in reads) == sorted([str(registry.pk), str(head.pk)])
    assert all(e.data["purpose"] == "reading an issued document" for e in reads)
