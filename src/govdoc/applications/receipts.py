"""The receipt a citizen gets on submission: an HTML page kept in the content-addressed store.

HTML (not yet PDF): it renders in any browser and e-mail client and costs a millisecond; the
issued result, not the receipt, is the sealed PDF.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from govdoc.accounts.constants import Script
from govdoc.applications.models import Application
from govdoc.core.clock import DISPLAY_TZ

_LABELS: dict[str, dict[str, str]] = {
    Script.LATIN: {
        "title": "Potvrda o prijemu zahteva",
        "number": "Broj prijema",
        "received": "Primljeno",
        "service": "Usluga",
        "agency": "Organ",
        "applicant": "Podnosilac",
        "due": "Rok za rešavanje",
        "attachments": "Prilozi",
        "none": "nema",
        "keep": "Sačuvajte ili odštampajte ovu potvrdu: broj prijema je oznaka vašeg zahteva kod organa.",
    },
    Script.CYRILLIC: {
        "title": "Потврда о пријему захтева",
        "number": "Број пријема",
        "received": "Примљено",
        "service": "Услуга",
        "agency": "Орган",
        "applicant": "Подносилац",
        "due": "Рок за решавање",
        "attachments": "Прилози",
        "none": "нема",
        "keep": "Сачувајте или одштампајте ову потврду: број пријема је ознака вашег захтева код органа.",
    },
    Script.ENGLISH: {
        "title": "Receipt of application",
        "number": "Receipt number",
        "received": "Received",
        "service": "Service",
        "agency": "Agency",
        "applicant": "Applicant",
        "due": "Due by",
        "attachments": "Attachments",
        "none": "none",
        "keep": "Keep or print this receipt: the receipt number identifies your application at the agency.",
    },
}

_LANG: dict[str, str] = {Script.LATIN: "sr-Latn", Script.CYRILLIC: "sr-Cyrl", Script.ENGLISH: "en"}


def receipt_html(*, application: Application, attachment_names: list[str]) -> bytes:
    script = application.script
    agency = application.agency
    names: dict[str, str] = {Script.CYRILLIC: agency.name_cyrl, Script.ENGLISH: agency.name_en}
    agency_name = names.get(script) or agency.name
    return render_to_string(
        "applications/receipt.html",
        {
            "labels": _LABELS.get(script, _LABELS[Script.LATIN]),
            "lang": _LANG.get(script, "sr-Latn"),
            "number": application.receipt_number,
            "received": application.submitted_at.astimezone(DISPLAY_TZ).strftime("%d.%m.%Y. %H:%M"),
            "service": application.service.name_in(script),
            "agency": agency_name,
            "applicant": application.applicant.get_full_name() or application.applicant.get_username(),
            "due": application.due_date.strftime("%d.%m.%Y."),
            "attachments": attachment_names,
        },
    ).encode("utf-8")
