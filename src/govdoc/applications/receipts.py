"""The receipt a citizen gets on submission: an HTML page kept in the content-addressed store.

HTML (not yet PDF): it renders in any browser and e-mail client and costs a millisecond; the
issued result, not the receipt, is the sealed PDF.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from govdoc.accounts.constants import Script
from govdoc.applications.constants import LANGUAGE_OF_SCRIPT
from govdoc.applications.models import Application
from govdoc.core.clock import DISPLAY_TZ
from govdoc.core.transliteration import to_cyrillic

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# Written in English; the receipt is in the applicant's script, from the catalogues.
_LABELS: dict[str, StrPromise] = {
    "title": _("Receipt of application"),
    "number": _("Receipt number"),
    "received": _("Received"),
    "service": _("Service"),
    "agency": _("Agency"),
    "applicant": _("Applicant"),
    "due": _("Due by"),
    "attachments": _("Attachments"),
    "none": _("none"),
    "keep": _("Keep or print this receipt: the receipt number identifies your application at the agency."),
}

_LANG: dict[str, str] = {Script.LATIN: "sr-Latn", Script.CYRILLIC: "sr-Cyrl", Script.ENGLISH: "en"}


def receipt_html(*, application: Application, attachment_names: list[str]) -> bytes:
    script = application.script
    agency = application.agency
    names: dict[str, str] = {Script.CYRILLIC: agency.name_cyrl, Script.ENGLISH: agency.name_en}
    agency_name = names.get(script) or (
        to_cyrillic(agency.name) if script == Script.CYRILLIC else agency.name
    )
    with translation.override(LANGUAGE_OF_SCRIPT.get(script, "sr-latn")):
        labels = {key: str(text) for key, text in _LABELS.items()}
    return render_to_string(
        "applications/receipt.html",
        {
            "labels": labels,
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
