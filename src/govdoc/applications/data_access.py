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
    """One reading: when, who (name; or the system that read it), why, which object and fields.
    ``subject`` is in English (the API's); ``subject_kind`` (account, application, case_documents,
    document) and ``subject_ref`` (its number) let a page say it in the reader's language."""

    at: dt.datetime
    reader: str
    purpose: str
    subject: str
    fields: tuple[str, ...]
    subject_kind: str = ""
    subject_ref: str = ""


_SUBJECT = {
    "account": "account",
    "application": "application {ref}",
    "case_documents": "case documents of {ref}",
    "document": "document {ref}",
}


def data_access_log(*, citizen: Person, limit: int = 500) -> list[DataAccess]:
    applications = list(
        Application.objects.filter(applicant=citizen).values_list("pk", "receipt_number", "case_document_id")
    )
    issued = list(
        IssuedDocument.objects.filter(recipient=citizen).values_list("pk", "registry_number", "document_id")
    )
    kinds: dict[tuple[str, str], tuple[str, str]] = {("accounts.person", str(citizen.pk)): ("account", "")}
    for pk, receipt, case_document in applications:
        kinds[("applications.application", str(pk))] = ("application", receipt)
        if case_document is not None:
            kinds[("documents.document", str(case_document))] = ("case_documents", receipt)
    for pk, number, document in issued:
        kinds[("issuance.issueddocument", str(pk))] = ("document", number)
        kinds[("documents.document", str(document))] = ("document", number)
    subjects = {key: _SUBJECT[kind].format(ref=ref) for key, (kind, ref) in kinds.items()}
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
            subject_kind=kinds.get((e.target_type, e.target_id), ("", ""))[0],
            subject_ref=kinds.get((e.target_type, e.target_id), ("", ""))[1],
        )
        for e in events
        if e.actor_id != str(citizen.pk)
    ]


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
