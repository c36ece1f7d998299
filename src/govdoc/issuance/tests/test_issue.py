"""An issued certificate as its holder and anyone who checks it see it: a certified, sealed
PDF/A with the registry number on every page, the holder's script, embedded data and a QR
code whose signed payload verifies offline."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.tests.factories import PersonFactory
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.core.transliteration import latin_to_cyrillic
from govdoc.documents.models import RegistryEntry
from govdoc.documents.storage import file_read
from govdoc.issuance.constants import IssuedStatus
from govdoc.issuance.errors import (
    IssuanceFailedError,
    IssuedDocumentNotFoundError,
    NotAllowedToIssueError,
    PayloadInvalidError,
    TemplateRenderError,
)
from govdoc.issuance.models import IssuedDocument
from govdoc.issuance.qr_payload import payload_from_url, payload_verify
from govdoc.issuance.selectors import verify_code
from govdoc.issuance.tests.conftest import LONG_NOTES, Issue, tool
from govdoc.signatures import keyring
from govdoc.signatures.engine.model import Verdict
from govdoc.signatures.selectors import pdf_verify

pytestmark = pytest.mark.django_db


def _pdf_of(issued: IssuedDocument) -> bytes:
    assert issued.version is not None
    return file_read(issued.version.file)


def _write(tmp_path: Path, pdf: bytes) -> Path:
    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def two_page_certificate(issue: Issue) -> IssuedDocument:
    return issue(context={"notes": LONG_NOTES})


def test_issued_certificate_is_registered_sealed_and_valid(
    two_page_certificate: IssuedDocument, agency: Agency, holder: Person
) -> None:
    issued = two_page_certificate
    pdf = _pdf_of(issued)
    assert issued.status == IssuedStatus.VALID
    assert issued.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert issued.version is not None and issued.version.sealed
    entry = RegistryEntry.objects.get(document=issued.document)
    assert issued.registry_number == entry.registry_number
    assert issued.key_fields == {
        "holder_name": "Љубица Ђорђевић",
        "document_number": entry.registry_number,
        "issue_date": issued.issued_at.astimezone(clock.DISPLAY_TZ).date().isoformat(),
        "subject": "Уверење о пребивалишту",
        "valid_until": None,
    }
    report = pdf_verify(pdf)
    assert report.state is Verdict.AUTHENTIC, report.reasons
    assert report.signatures[0].certified
    assert agency.name in report.signatures[0].signer_subject
    assert report.signatures[0].timestamp_time is not None
    events = set(AuditEvent.objects.filter(target_id=str(issued.pk)).values_list("event", flat=True))
    assert events == {"issuance.document_issue_started", "issuance.document_issued"}


def test_pdfsig_finds_the_seal_intact_and_qpdf_finds_no_error(
    two_page_certificate: IssuedDocument, tmp_path: Path
) -> None:
    path = _write(tmp_path, _pdf_of(two_page_certificate))
    pdfsig = _run(tool("pdfsig"), str(path))
    assert "Signature is Valid." in pdfsig.stdout, pdfsig.stdout
    qpdf = _run(tool("qpdf"), "--check", str(path))
    assert qpdf.returncode == 0, qpdf.stdout + qpdf.stderr
    assert "No syntax or stream encoding errors found" in qpdf.stdout


def test_every_page_shows_the_registry_number_and_the_holder_in_cyrillic(
    two_page_certificate: IssuedDocument, tmp_path: Path
) -> None:
    path = _write(tmp_path, _pdf_of(two_page_certificate))
    pages = int(
        next(
            line.split()[-1]
            for line in _run(tool("pdfinfo"), str(path)).stdout.splitlines()
            if line.startswith("Pages:")
        )
    )
    assert pages >= 2
    for page in range(1, pages + 1):
        text = _run(tool("pdftotext"), "-f", str(page), "-l", str(page), str(path), "-").stdout
        assert two_page_certificate.registry_number in text, f"page {page}: {text[:200]}"
    text = " ".join(_run(tool("pdftotext"), str(path), "-").stdout.split())
    assert "Љубица Ђорђевић" in text
    assert "Ljubica" not in text
    assert "Уверење о пребивалишту" in text
    # identifiers stay as registered: the body's "Broj: {{ registry_number }}" is not transliterated
    assert text.count(f"Број: {two_page_certificate.registry_number}") >= 2
    assert latin_to_cyrillic(two_page_certificate.registry_number) not in text
    assert "Овај документ је електронски потписан" in text
    assert "This document is signed electronically" in text  # the English half stays English
    assert two_page_certificate.verification_code in text


def test_the_embedded_data_json_is_the_data_with_the_code(
    two_page_certificate: IssuedDocument, tmp_path: Path
) -> None:
    path = _write(tmp_path, _pdf_of(two_page_certificate))
    listing = _run(tool("pdfdetach"), "-list", str(path)).stdout
    assert "data.json" in listing
    out = tmp_path / "data.json"
    _run(tool("pdfdetach"), "-savefile", "data.json", "-o", str(out), str(path))
    raw = out.read_bytes()
    embedded = json.loads(raw)
    assert embedded["data"] == {"jmbg": "0101990710123", "address": "Njegoševa 7, Beograd"}
    assert embedded["verification_code"] == two_page_certificate.verification_code
    assert embedded["registry_number"] == two_page_certificate.registry_number
    assert hashlib.sha256(raw).hexdigest() == two_page_certificate.data_sha256


def test_the_qr_code_holds_the_verification_url_and_a_payload_that_verifies_offline(
    two_page_certificate: IssuedDocument, agency: Agency, tmp_path: Path
) -> None:
    issued = two_page_certificate
    path = _write(tmp_path, _pdf_of(issued))
    _run(tool("pdftoppm"), "-r", "200", "-png", str(path), str(tmp_path / "page"))
    scanned = _run(
        tool("zbarimg"),
        "--raw",
        "-q",
        "-Sdisable",
        "-Sqrcode.enable",
        *sorted(str(p) for p in tmp_path.glob("page*.png")),
    )
    urls = [line for line in scanned.stdout.splitlines() if line.strip()]
    assert len(urls) == 1, scanned.stdout + scanned.stderr
    url = urls[0]
    public = settings.PUBLIC_URL.upper()  # scheme and host are case-insensitive: QR alphanumeric mode
    assert url.startswith(f"{public}/V/{issued.verification_code}#GD1:")

    payload = payload_from_url(url)
    assert payload is not None
    certificate = keyring.eseal_key(agency.code, name=agency.name).certificate  # the published one
    content = payload_verify(payload, [certificate])
    assert content["agency"] == agency.code
    assert content["code"] == issued.verification_code
    assert content["holder_name"] == "Љубица Ђорђевић"
    assert content["document_number"] == issued.registry_number
    assert content["issued_at"] == issued.issued_at.replace(microsecond=0)
    assert content["data_sha256"] == issued.data_sha256

    for position in (10, len(payload) - 3):
        changed = payload[:position] + ("A" if payload[position] != "A" else "B") + payload[position + 1 :]
        with pytest.raises(PayloadInvalidError):
            payload_verify(changed, [certificate])


def test_latin_document_for_a_holder_whose_name_is_in_cyrillic(issue: Issue, tmp_path: Path) -> None:
    recipient = PersonFactory(
        username="nikola", first_name="Никола", last_name="Јовановић", preferred_script=Script.LATIN
    )
    issued = issue(recipient=recipient)
    assert issued.key_fields["holder_name"] == "Nikola Jovanović"
    text = _run(tool("pdftotext"), str(_write(tmp_path, _pdf_of(issued))), "-").stdout
    assert "Nikola Jovanović" in text
    assert "Uverenje o prebivalištu" in text


def test_english_document_shows_the_english_blocks(issue: Issue, tmp_path: Path) -> None:
    issued = issue(script=Script.ENGLISH)
    text = _run(tool("pdftotext"), str(_write(tmp_path, _pdf_of(issued))), "-").stdout
    assert "This certificate is issued on request of the holder." in text
    assert "Uverenje se izdaje" not in text
    assert "Verification code" in text


def test_a_broken_template_is_refused_before_a_registry_number_is_taken(issue: Issue) -> None:
    with pytest.raises(TemplateRenderError):
        issue(template_html="#if data.x [unclosed")
    assert not RegistryEntry.objects.exists()
    assert not IssuedDocument.objects.exists()


def test_a_failed_rendering_leaves_a_failed_record_that_no_verifier_finds(issue: Issue) -> None:
    with pytest.raises(IssuanceFailedError) as failure:
        issue(template_html="Vrednost: #broken.missing", context={"broken": {}})
    issued = IssuedDocument.objects.get(pk=failure.value.details["issued_id"])
    assert issued.status == IssuedStatus.FAILED
    assert "does not contain key" in issued.reason
    assert issued.version is None and issued.pdf_sha256 == ""
    # the registry number stays accounted for: gap-free, not reused
    assert RegistryEntry.objects.filter(document=issued.document).exists()
    assert issued.document.versions.count() == 0
    assert AuditEvent.objects.filter(
        event="issuance.document_issue_failed", target_id=str(issued.pk)
    ).exists()
    with pytest.raises(IssuedDocumentNotFoundError):
        verify_code(issued.verification_code)
    following = issue()
    assert following.registry_entry.number == issued.registry_entry.number + 1


def test_a_person_without_a_writing_role_in_the_agency_cannot_issue(
    issue: Issue, other_agency_head: Person, citizen: Person
) -> None:
    for actor in (other_agency_head, citizen):
        with pytest.raises(NotAllowedToIssueError):
            issue(actor=actor)
    assert not IssuedDocument.objects.exists()
    assert not RegistryEntry.objects.exists()


def test_a_document_for_a_company_takes_the_holder_from_the_context(issue: Issue) -> None:
    issued = issue(recipient=None, script=Script.LATIN, context={"notes": [], "holder_name": "Јадран ДОО"})
    assert issued.recipient is None
    assert issued.key_fields["holder_name"] == "Jadran DOO"
    assert verify_code(issued.verification_code).key_fields["holder_name"] == "Jadran DOO"
