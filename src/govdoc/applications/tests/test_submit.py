"""Submitting an application: all of it, with a receipt, or nothing at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.support import stored_files

from govdoc.accounts.models import Person
from govdoc.applications import selectors, services
from govdoc.applications.errors import InvalidApplicationError, NotApplicantError, ServiceInactiveError
from govdoc.applications.models import (
    Application,
    ApplicationAttachment,
    ApplicationEvent,
    Receipt,
    ReceiptCounter,
    Service,
)
from govdoc.applications.tests.conftest import VALID_DATA, id_card, submit
from govdoc.audit.models import AuditEvent
from govdoc.core import clock
from govdoc.documents.storage import file_read
from govdoc.documents.tests.samples import PDF, PNG

# Thursday 2 April 2026, 10:00 in Belgrade. Eight working days later skips two weekends and
# Orthodox Easter (Good Friday 10 April to Easter Monday 13 April 2026).
SUBMITTED = dt.datetime(2026, 4, 2, 8, 0, tzinfo=dt.UTC)


def test_a_valid_application_gets_a_receipt_number_a_due_date_a_timeline_and_an_audit_event(
    service: Service, citizen: Person
) -> None:
    with clock.frozen(SUBMITTED):
        application = submit(service, citizen)

    application.refresh_from_db()
    assert application.receipt_number == "P-MUP-2026-000001"
    assert application.status == "submitted"
    assert application.data == VALID_DATA
    # 3, 6, 7, 8, 9 April, (10-13 Easter), 14, 15, 16 April
    assert application.due_date == dt.date(2026, 4, 16)
    assert application.submitted_at == SUBMITTED

    [attachment] = ApplicationAttachment.objects.filter(application=application)
    assert (attachment.rule_key, attachment.media_type, attachment.filename) == (
        "licna_karta",
        "application/pdf",
        "licna-karta.pdf",
    )
    assert file_read(attachment.file) == PDF

    [event] = selectors.timeline(application=application, viewer=citizen)
    assert event.message == "Zahtev je primljen pod brojem P-MUP-2026-000001. Rok za rešavanje je 16.04.2026."
    assert event.status_to == "submitted"

    audit = AuditEvent.objects.get(event="applications.application_submitted")
    assert audit.target_id == str(application.pk)
    assert audit.actor_id == str(citizen.pk)
    assert audit.data["receipt_number"] == "P-MUP-2026-000001"
    assert audit.data["fields"] == sorted(VALID_DATA)
    assert "0101990710006" not in str(audit.data), "the audit chain keeps no personal data"


def test_the_receipt_is_a_stored_html_page_with_the_number_and_time(
    service: Service, citizen: Person
) -> None:
    with clock.frozen(SUBMITTED):
        application = submit(service, citizen, script="sr-cyrl")

    receipt = Receipt.objects.get(application=application)
    assert (receipt.number, receipt.issued_at, receipt.media_type) == (
        "P-MUP-2026-000001",
        SUBMITTED,
        "text/html",
    )
    html = file_read(receipt.file).decode()
    assert "Потврда о пријему захтева" in html
    assert "P-MUP-2026-000001" in html
    assert "02.04.2026. 10:00" in html  # Belgrade time
    assert "licna-karta.pdf" in html
    [event] = ApplicationEvent.objects.filter(application=application)
    assert event.message.startswith("Захтев је примљен под бројем P-MUP-2026-000001")


def _nothing_written(files_dir: Path) -> None:
    assert not Application.objects.exists()
    assert not ApplicationAttachment.objects.exists()
    assert not Receipt.objects.exists()
    assert not ApplicationEvent.objects.exists()
    assert not AuditEvent.objects.filter(event="applications.application_submitted").exists()
    assert not ReceiptCounter.objects.filter(last_number__gt=0).exists()
    assert stored_files(files_dir) == []


def test_invalid_form_data_names_every_bad_field_and_writes_nothing(
    service: Service, citizen: Person, files_dir: Path
) -> None:
    data = {"ime_prezime": "Ana Petrović", "jmbg": "12345", "adresa": "X", "nadimak": "Anči"}

    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, data=data)

    assert caught.value.field_errors == {
        "jmbg": "Vrednost nije u ispravnom obliku.",
        "adresa": "Vrednost je prekratka (najmanje 5 znakova).",
        "svrha": "Ovo polje je obavezno.",
        "nadimak": "Ovo polje nije predviđeno obrascem.",
    }
    _nothing_written(files_dir)


def test_field_errors_come_in_the_script_the_citizen_chose(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, data={**VALID_DATA, "jmbg": "abc"}, script="en")
    assert caught.value.field_errors == {"jmbg": "This value is not in the expected format."}


def test_a_png_named_pdf_is_refused_by_its_content_and_nothing_is_written(
    service: Service, citizen: Person, files_dir: Path
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(PNG, "licna-karta.pdf")])

    assert caught.value.field_errors == {
        "attachments.licna_karta": "Datoteka licna-karta.pdf je PNG slika, a ne PDF dokument."
    }
    _nothing_written(files_dir)


def test_a_png_where_only_pdf_is_allowed_is_refused(
    service: Service, citizen: Person, files_dir: Path
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(PNG, "licna-karta.png")])

    assert caught.value.field_errors["attachments.licna_karta"] == (
        "Datoteka licna-karta.png je PNG slika; ovde se prihvata: PDF dokument."
    )
    _nothing_written(files_dir)


def test_an_oversize_attachment_is_refused(service: Service, citizen: Person, files_dir: Path) -> None:
    big = PDF + b"%" * (3072 - len(PDF))  # 3 KB; the rule allows 1 KB

    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(big)])

    assert caught.value.field_errors == {
        "attachments.licna_karta": "Datoteka licna-karta.pdf ima 3,0 KB, a dozvoljeno je najviše 1,0 KB."
    }
    _nothing_written(files_dir)


def test_upload_refusals_come_in_the_citizens_script(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError) as cyrillic:
        submit(service, citizen, files=[id_card(b"", "lk.pdf")], script="sr-cyrl")
    assert cyrillic.value.field_errors == {"attachments.licna_karta": "Датотека lk.pdf је празна."}
    with pytest.raises(InvalidApplicationError) as english:
        submit(service, citizen, files=[id_card(PNG, "lk.pdf")], script="en")
    assert english.value.field_errors == {
        "attachments.licna_karta": "The file lk.pdf is a PNG image, not a PDF document."
    }


def test_bad_data_and_a_missing_required_attachment_are_reported_together(
    service: Service, citizen: Person, files_dir: Path
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(
            service,
            citizen,
            data={**VALID_DATA, "jmbg": ""},
            files=[],
        )
    assert caught.value.field_errors == {
        "jmbg": "Vrednost nije u ispravnom obliku.",
        "attachments.licna_karta": "Ovaj prilog je obavezan.",
    }
    assert caught.value.details["errors"] == caught.value.field_errors
    _nothing_written(files_dir)


def test_a_file_for_an_attachment_the_service_does_not_ask_for_is_refused(
    service: Service, citizen: Person
) -> None:
    extra = id_card()
    stray = type(extra)(rule_key="pasos", filename="pasos.pdf", content=PDF)
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[extra, stray])
    assert caught.value.field_errors == {"attachments.pasos": "Ovaj prilog nije predviđen za uslugu."}


def test_an_unknown_script_is_a_field_error(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, script="de")
    assert caught.value.field_errors == {"script": "Izaberite pismo: sr-latn, sr-cyrl ili en."}


def test_only_the_citizen_themself_submits(service: Service, citizen: Person, handler: Person) -> None:
    with pytest.raises(NotApplicantError):
        submit(service, citizen, actor=handler)
    with pytest.raises(NotApplicantError):
        submit(service, handler, actor=handler)  # an official is not a citizen applicant
    assert not Application.objects.exists()


def test_an_inactive_service_takes_no_applications(
    service: Service, citizen: Person, administrator: Person
) -> None:
    services.service_update(service=service, changes={"is_active": False}, actor=administrator)
    with pytest.raises(ServiceInactiveError):
        submit(service, citizen)
    assert not Application.objects.exists()
