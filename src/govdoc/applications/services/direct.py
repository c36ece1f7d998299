"""Issuing a service's document without an online application: an agency's own system (a
counter clerk's, a back-office register's) sends the form data and the person it is for.

The data are checked against the service's form schema exactly as an application's are, the
template sees the same context as for an application (``output.output_context_for``, with no
receipt number and no decision fields), and the document is issued through the issuance domain
like ``decisions.application_issue`` does. Issuance checks that the actor holds a writing role in
the agency and records its own events; this module adds ``applications.document_issued_directly``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.applications import integration
from govdoc.applications.errors import (
    InvalidApplicationError,
    NotOfficialOfAgencyError,
    ServiceInactiveError,
)
from govdoc.applications.form_validation import data_errors
from govdoc.applications.models import Service
from govdoc.applications.output import output_context_for, service_valid_until, valid_until_moment
from govdoc.applications.specs import FieldErrors
from govdoc.audit.services import record
from govdoc.core import clock

# The script is checked with the same messages as a form field ("choose one of the offered values").
_SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"script": {"enum": list(Script.values)}},
}
_NOT_A_CITIZEN: dict[str, str] = {
    Script.LATIN: "Dokument se izdaje građaninu.",
    Script.CYRILLIC: "Документ се издаје грађанину.",
    Script.ENGLISH: "The document is issued to a citizen.",
}


def require_official_of_service_agency(*, actor: Person, service: Service) -> None:
    """A citizen (or an official of another agency) is refused before anything else is checked
    (an interface may call this before it looks up the recipient, so a refused caller learns
    nothing about who exists); which roles of the agency may issue is the issuance domain's rule."""
    in_agency = memberships_current(person=actor).filter(unit__agency_id=service.agency_id).exists()
    if not actor.is_active or not in_agency:
        raise NotOfficialOfAgencyError(
            f"only officials of {service.agency.code} issue documents of the service {service.code}",
            person_id=str(actor.pk),
            service=service.code,
        )


def _input_errors(*, service: Service, recipient: Person, data: dict[str, Any], script: str) -> FieldErrors:
    shown = script if script in Script.values else Script.LATIN
    errors: FieldErrors = dict(data_errors(_SCRIPT_SCHEMA, {"script": script}, script=shown))
    if not recipient.is_citizen or not recipient.is_active:
        errors["recipient_id"] = _NOT_A_CITIZEN[shown]
    errors.update(data_errors(service.form_schema, data, script=shown))
    return errors


def document_issue_for_service(
    *, service: Service, recipient: Person, data: dict[str, Any], script: str, actor: Person
) -> uuid.UUID:
    """Issue ``service``'s output document to ``recipient`` from ``data``; returns the issued
    document's id.

    Refuses with ``NotOfficialOfAgencyError`` anyone who is not an official of the service's
    agency, and with ``InvalidApplicationError`` (naming every field) data that break the
    service's form schema, an unknown script or a recipient who is not a citizen; in either
    case nothing is written. Runs outside a transaction: issuance commits in steps of its own
    (see ``issuance.services``), then the audit event of this path is written.
    """
    service = Service.objects.select_related("agency").get(pk=service.pk)
    require_official_of_service_agency(actor=actor, service=service)
    if not service.is_active:
        raise ServiceInactiveError("the service is no longer offered", service=service.code)
    errors = _input_errors(service=service, recipient=recipient, data=data, script=script)
    if errors:
        raise InvalidApplicationError(
            f"the data have {len(errors)} error(s): " + "; ".join(sorted(errors)),
            errors=errors,
            service=service.code,
        )
    context = output_context_for(
        service=service, agency=service.agency, person=recipient, data=data, decision={}, script=script
    )
    issued_id = integration.document_issue(
        agency=service.agency,
        recipient=recipient,
        title=service.output_title,
        # Written in Serbian Latin; issuance renders it in ``script``.
        template_html=service.output_template,
        context=context,
        data={"service": service.code, **context},
        script=script,
        valid_until=valid_until_moment(service_valid_until(service, issued_on=clock.today_local())),
        actor=actor,
        doc_type=service.output_doc_type,
        classification_code=service.classification_code,
    )
    with transaction.atomic():
        record(
            "applications.document_issued_directly",
            actor=actor,
            target=service,
            data={
                "issued_document_id": str(issued_id),
                "service": service.code,
                "recipient": str(recipient.pk),
                "script": script,
                # Field names only, and only those the form declares: the audit chain is
                # append-only and must not keep personal data (nor a key a schema let through).
                "fields": [*sorted(k for k in data if k in service.form_schema.get("properties", {}))],
            },
        )
    return issued_id
