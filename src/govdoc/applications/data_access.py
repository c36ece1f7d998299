"""A citizen's right to know who in the administration opened their personal data, and when
(the Serbian Law on Personal Data Protection, art. 26, the same as the GDPR's art. 15): every
recorded reading of their applications, the documents of their cases, the documents issued to
them and their own account, newest first."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from govdoc.accounts.models import Person
from govdoc.applications.models import Application
from govdoc.audit.selectors import personal_data_views
from govdoc.issuance.models import IssuedDocument


@dataclass(frozen=True)
class DataAccess:
    """One reading: when, who (name; or the system that read it), why, which object and fields."""

    at: dt.datetime
    reader: str
    purpose: str
    subject: str
    fields: tuple[str, ...]


def data_access_log(*, citizen: Person, limit: int = 500) -> list[DataAccess]:
    applications = list(
        Application.objects.filter(applicant=citizen).values_list("pk", "receipt_number", "case_document_id")
    )
    issued = list(
        IssuedDocument.objects.filter(recipient=citizen).values_list("pk", "registry_number", "document_id")
    )
    subjects: dict[tuple[str, str], str] = {("accounts.person", str(citizen.pk)): "account"}
    for pk, receipt, case_document in applications:
        subjects[("applications.application", str(pk))] = f"application {receipt}"
        if case_document is not None:
            subjects[("documents.document", str(case_document))] = f"case documents of {receipt}"
    for pk, number, document in issued:
        subjects[("issuance.issueddocument", str(pk))] = f"document {number}"
        subjects[("documents.document", str(document))] = f"document {number}"
    targets: dict[str, list[str]] = {}
    for target_type, target_id in subjects:
        targets.setdefault(target_type, []).append(target_id)
    events = list(personal_data_views(targets=targets)[:limit])
    readers = {
        str(p.pk): p.get_full_name() or p.username
        for p in Person.objects.filter(pk__in=[_uuid(e.actor_id) for e in events if _uuid(e.actor_id)])
    }
    return [
        DataAccess(
            at=e.occurred_at,
            reader=readers.get(e.actor_id, e.actor_label),
            purpose=str(e.data.get("purpose", "")),
            subject=subjects.get((e.target_type, e.target_id), ""),
            fields=tuple(str(f) for f in e.data.get("fields", []) or [] if isinstance(f, str)),
        )
        for e in events
        if e.actor_id != str(citizen.pk)
    ]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
