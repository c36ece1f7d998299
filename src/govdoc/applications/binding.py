"""What the approvers of an application's decision approve, as one SHA-256.

The approval line's decisions sign it (``approvals`` stores it on the line as
``content_sha256``); before the output document is issued it is computed again from the
application as it is now, and anything other than what was approved is not issued: the
application goes back to its handler and a new line must approve the new content.

Bound: the service and the exact template text (its SHA-256: an edited template is new
content), the renderer that turns it into text (``issuance.rendering.renderer_sha256``: Typst's
version, the layout files, the wording), the script the document renders in, the receipt
number, the applicant's name, the form data and the handler's decision fields. Not bound: what
issuing itself fixes (the registry number, the verification code, the issue date and the
validity that follows from it).
"""

from __future__ import annotations

import hashlib

from govdoc.applications.models import Application
from govdoc.core.jsontypes import JSONObject, canonical_json
from govdoc.issuance import rendering

CONTENT_FORMAT = "govdoc.approved-content/1"


def template_sha256(template: str) -> str:
    return hashlib.sha256(template.encode("utf-8")).hexdigest()


def approved_content_of(application: Application) -> JSONObject:
    service = application.service
    applicant = application.applicant
    return {
        "format": CONTENT_FORMAT,
        "service": service.code,
        "template_sha256": template_sha256(service.output_template),
        "renderer_sha256": rendering.renderer_sha256(),
        "script": application.script,
        "receipt_number": application.receipt_number,
        "applicant": applicant.get_full_name() or applicant.get_username(),
        "data": application.data,
        "decision": application.decision_fields,
    }


def content_sha256_of(application: Application) -> str:
    return hashlib.sha256(canonical_json(approved_content_of(application))).hexdigest()
