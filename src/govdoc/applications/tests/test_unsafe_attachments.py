"""A citizen's PDF refused after a look inside: the message in the citizen's script, nothing
written, and one audit event a security officer can read (never the file's name)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from tests.support import stored_files

from govdoc.accounts.models import Person
from govdoc.applications.errors import InvalidApplicationError
from govdoc.applications.models import Application, Service
from govdoc.applications.tests.conftest import VALID_DATA, id_card, submit
from govdoc.audit.models import AuditEvent
from govdoc.documents.tests.samples import (
    PNG,
    SUBMIT_FORM,
    action_pdf,
    embedded_file_pdf,
    file_attachment_pdf,
    one_page_pdf,
    rich_media_pdf,
    xfa_pdf,
)

JS_PDF = one_page_pdf(catalog_extra=b"/OpenAction 4 0 R ", more=(b"<< /S /JavaScript /JS (app.alert(1)) >>",))


def test_a_pdf_with_javascript_is_refused_in_latin_and_audited(
    service: Service, citizen: Person, files_dir: Path
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(JS_PDF, "Ana Petrović lk.pdf")])

    assert caught.value.field_errors == {
        "attachments.licna_karta": "Datoteka Ana Petrović lk.pdf je PDF dokument sa JavaScript kodom, "
        "koji se ne prihvata. Odštampajte je u novi PDF (ili je skenirajte) i pošaljite taj."
    }
    assert not Application.objects.exists()
    assert stored_files(files_dir) == []
    event = AuditEvent.objects.get(event="applications.attachment_refused")
    assert event.actor_id == str(citizen.pk)
    assert event.target_id == str(service.pk)
    assert event.data == {
        "service": service.code,
        "attachments": [
            {
                "attachment": "licna_karta",
                "code": "upload-pdf-refused",
                "reason": "javascript",
                "detected": "application/pdf",
                "size": len(JS_PDF),
                "sha256": hashlib.sha256(JS_PDF).hexdigest(),
            }
        ],
    }
    assert "Petrović" not in str(event.data)


def test_a_truncated_pdf_is_refused_in_cyrillic(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(one_page_pdf()[:-60], "lk.pdf")], script="sr-cyrl")
    assert caught.value.field_errors["attachments.licna_karta"].startswith(
        "Датотека lk.pdf није потпун и читљив PDF документ"
    )
    assert AuditEvent.objects.get(event="applications.attachment_refused").data["attachments"][0][
        "reason"
    ] == ("damaged")


def test_a_form_mistake_alone_is_not_an_attachment_refusal(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError):
        submit(service, citizen, data={**VALID_DATA, "jmbg": "12"})
    assert not AuditEvent.objects.filter(event="applications.attachment_refused").exists()


def test_a_wrong_kind_of_file_is_audited_too(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError):
        submit(service, citizen, files=[id_card(PNG, "lk.pdf")])
    [refusal] = AuditEvent.objects.get(event="applications.attachment_refused").data["attachments"]
    assert (refusal["code"], refusal["detected"], refusal["declared"]) == (
        "upload-rejected",
        "image/png",
        "application/pdf",
    )


_AGAIN = "Odštampajte je u novi PDF (ili je skenirajte) i pošaljite taj."


@pytest.mark.parametrize(
    ("pdf", "reason", "message"),
    [
        (xfa_pdf(), "xfa", f"Datoteka lk.pdf je PDF dokument sa XFA obrascem, što se ne prihvata. {_AGAIN}"),
        (
            embedded_file_pdf(),
            "embedded-file",
            "Datoteka lk.pdf je PDF dokument u kome se nalaze druge datoteke, što se ne prihvata. Pošaljite "
            "svaki dokument kao posebnu datoteku ili je odštampajte u novi PDF i pošaljite taj.",
        ),
        (
            file_attachment_pdf(),
            "embedded-file",
            "Datoteka lk.pdf je PDF dokument u kome se nalaze druge datoteke, što se ne prihvata. Pošaljite "
            "svaki dokument kao posebnu datoteku ili je odštampajte u novi PDF i pošaljite taj.",
        ),
        (
            action_pdf(SUBMIT_FORM),
            "form-action",
            "Datoteka lk.pdf je PDF dokument sa obrascem koji šalje ili učitava podatke sa drugog mesta, "
            f"što se ne prihvata. {_AGAIN}",
        ),
        (
            action_pdf(b"/S /GoToR /F (drugi.pdf) /D [0 /Fit]"),
            "remote-action",
            "Datoteka lk.pdf je PDF dokument sa vezom koja otvara drugu datoteku, što se ne "
            f"prihvata. {_AGAIN}",
        ),
        (
            rich_media_pdf(),
            "rich-media",
            "Datoteka lk.pdf je PDF dokument sa ugrađenim videom, zvukom ili drugim medijima, što se ne "
            f"prihvata. {_AGAIN}",
        ),
    ],
    ids=["xfa", "embedded-files", "file-attachment", "submit-form", "go-to-remote", "rich-media"],
)
def test_a_citizens_pdf_that_hides_files_or_sends_data_is_refused_in_latin(
    service: Service, citizen: Person, pdf: bytes, reason: str, message: str
) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(pdf, "lk.pdf")])
    assert caught.value.field_errors == {"attachments.licna_karta": message}
    assert not Application.objects.exists()
    [refusal] = AuditEvent.objects.get(event="applications.attachment_refused").data["attachments"]
    assert refusal["reason"] == reason


def test_an_embedded_file_is_refused_in_cyrillic_too(service: Service, citizen: Person) -> None:
    with pytest.raises(InvalidApplicationError) as caught:
        submit(service, citizen, files=[id_card(embedded_file_pdf(), "lk.pdf")], script="sr-cyrl")
    assert caught.value.field_errors["attachments.licna_karta"].startswith(
        "Датотека lk.pdf је PDF документ у коме се налазе друге датотеке"
    )
