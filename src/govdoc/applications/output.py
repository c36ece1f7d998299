"""The output document of a service: the context its template sees, and the draft the approvers
read (rendered here as a PDF; the issued, sealed document is rendered by the issuance domain)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.template import Context, Template

from govdoc.accounts.constants import Script
from govdoc.applications.models import Application
from govdoc.applications.transliteration import to_cyrillic
from govdoc.core import clock


def agency_name_in(application: Application, script: str) -> str:
    agency = application.agency
    names: dict[str, str] = {Script.CYRILLIC: agency.name_cyrl, Script.ENGLISH: agency.name_en}
    return names.get(script) or agency.name


def valid_until(application: Application, *, issued_on: dt.date) -> dt.date | None:
    days = application.service.validity_days
    return issued_on + dt.timedelta(days=days) if days else None


def output_context(application: Application) -> dict[str, Any]:
    """What ``Service.output_template`` may use: ``data`` (the form), ``decision`` (the handler's
    fields), the applicant, the receipt number and the dates, all JSON-safe."""
    issued_on = clock.today_local()
    until = valid_until(application, issued_on=issued_on)
    applicant = application.applicant
    return {
        "data": application.data,
        "decision": application.decision_fields,
        "applicant_name": applicant.get_full_name() or applicant.get_username(),
        "receipt_number": application.receipt_number,
        "submitted_on": application.submitted_at.astimezone(clock.DISPLAY_TZ).strftime("%d.%m.%Y."),
        "issued_on": issued_on.strftime("%d.%m.%Y."),
        "valid_until": until.strftime("%d.%m.%Y.") if until else "",
        "agency_name": agency_name_in(application, application.script),
        "title": application.service.output_title_in(application.script),
    }


def output_template_in(application: Application) -> str:
    """The service's template in the applicant's script: a Latin template is transliterated for
    Cyrillic (its tags and markup untouched); English readers get the agency's own text."""
    template = application.service.output_template
    return to_cyrillic(template) if application.script == Script.CYRILLIC else template


def output_html(application: Application) -> str:
    return Template(output_template_in(application)).render(Context(output_context(application)))


def draft_pdf(application: Application) -> bytes:
    """The decision draft as a PDF (the case document's version the approval line works on)."""
    import weasyprint  # imported here: 0.5-1 s, and only sending a decision needs it

    html = output_html(application)
    return bytes(weasyprint.HTML(string=html).write_pdf())
