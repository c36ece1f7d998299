"""The output document of a service: the context its template sees, and the draft the approvers
read. Both the draft and the issued, sealed document are rendered by the one renderer of the
issuance domain (``issuance.rendering``), so the approvers sign the text the citizen receives,
in the citizen's script.

The context is built from a service, its agency, the person the document is for and the form
data (``output_context_for``): an application supplies them (``output_context``), and so does an
agency's system issuing a service's document directly (``services.direct``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.applications.models import Application, Service
from govdoc.core import clock
from govdoc.issuance import rendering


def agency_name_in(agency: Agency, script: str) -> str:
    names: dict[str, str] = {Script.CYRILLIC: agency.name_cyrl, Script.ENGLISH: agency.name_en}
    return names.get(script) or agency.name


def service_valid_until(service: Service, *, issued_on: dt.date) -> dt.date | None:
    days = service.validity_days
    return issued_on + dt.timedelta(days=days) if days else None


def valid_until(application: Application, *, issued_on: dt.date) -> dt.date | None:
    return service_valid_until(application.service, issued_on=issued_on)


def valid_until_moment(until: dt.date | None) -> dt.datetime | None:
    """The end of the last day of validity, local time: what issuance records and shows."""
    return dt.datetime.combine(until, dt.time(23, 59, 59), tzinfo=clock.DISPLAY_TZ) if until else None


def output_context_for(
    *,
    service: Service,
    agency: Agency,
    person: Person,
    data: dict[str, Any],
    decision: dict[str, Any],
    script: str,
    receipt_number: str = "",
    submitted_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """What ``Service.output_template`` may use: ``data`` (the form), ``decision`` (the handler's
    fields), the person it is for (``applicant_name``), the receipt number and the dates as a
    citizen reads them in ``script`` ("28. maja 2027."; empty when there was no application),
    all JSON-safe."""
    issued_on = clock.today_local()
    until = service_valid_until(service, issued_on=issued_on)
    return {
        "data": data,
        "decision": decision,
        "applicant_name": person.get_full_name() or person.get_username(),
        # The names issuance gives the issued document, so the draft shows the same text.
        "holder_name": person.get_full_name() or person.get_username(),
        "issue_date": rendering.date_text(issued_on, script),
        "receipt_number": receipt_number,
        "submitted_on": rendering.date_text(submitted_at, script),
        "issued_on": rendering.date_text(issued_on, script),
        "valid_until": rendering.date_text(until, script),
        "agency_name": agency_name_in(agency, script),
        "title": service.output_title_in(script),
    }


def output_context(application: Application) -> dict[str, Any]:
    """The output template's context for an application (see ``output_context_for``)."""
    return output_context_for(
        service=application.service,
        agency=application.agency,
        person=application.applicant,
        data=application.data,
        decision=application.decision_fields,
        script=application.script,
        receipt_number=application.receipt_number,
        submitted_at=application.submitted_at,
    )


def draft_pdf(application: Application) -> bytes:
    """The decision draft as a PDF (the case document's version the approval line works on):
    the document the applicant will receive, in the applicant's script, marked as a draft, with
    the receipt number where the registry number will be."""
    service = application.service
    return rendering.draft_pdf(
        template=service.output_template,
        context=output_context(application),
        script=application.script,
        reference=application.receipt_number,
        title=service.output_title,
    )
