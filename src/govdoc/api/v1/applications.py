"""The citizen journey through the API: the service catalogue, applications, handling, the
citizen's e-inbox. Every operation calls one service or selector of ``govdoc.applications``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.api.auth import api_auth
from govdoc.api.errors import problems
from govdoc.api.parsing import NUL_MESSAGE, holds_nul
from govdoc.api.schemas import StrictSchema
from govdoc.applications import selectors as apps
from govdoc.applications.models import Application
from govdoc.applications.services import applications as app_services
from govdoc.applications.services import decisions
from govdoc.applications.services import inbox as inbox_services
from govdoc.applications.specs import LineStep, UploadedFileData
from govdoc.core.downloads import content_disposition
from govdoc.core.errors import InvalidInputError

router = Router(tags=["applications"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


class ServiceOut(Schema):
    code: str
    name: str
    name_cyrl: str
    name_en: str
    agency: str
    deadline_working_days: int
    form_schema: dict[str, Any]
    attachment_rules: list[dict[str, Any]]
    approval_policy: dict[str, Any] = Field(
        description="The steps every approval line must have and who may hold each (role and scope: "
        "unit, agency, or delegation while the delegation table allows it)"
    )
    direct_issuance: bool = Field(description="Agency systems may issue it without an application")
    direct_issuance_legal_basis: str


class EventOut(Schema):
    occurred_at: dt.datetime
    kind: str
    status_to: str
    message: str


class ApplicationOut(Schema):
    id: uuid.UUID
    receipt_number: str
    service: str
    status: str
    submitted_at: dt.datetime
    due_date: dt.date
    handler: str | None
    issued_document_id: uuid.UUID | None
    approval_line_id: uuid.UUID | None


class ApplicationDetailOut(ApplicationOut):
    data: dict[str, Any]
    timeline: list[EventOut]


class AssignIn(StrictSchema):
    handler_id: uuid.UUID = Field(strict=False)


class CompletionIn(StrictSchema):
    message: str
    fields: list[str] = []
    attachment_keys: list[str] = []


class DraftIn(StrictSchema):
    fields: dict[str, str]


class StepIn(StrictSchema):
    kind: str
    assignee_id: uuid.UUID = Field(strict=False)
    position: int


class SendIn(StrictSchema):
    steps: list[StepIn] | None = None


class InboxMessageOut(Schema):
    id: uuid.UUID
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    issued_document_id: uuid.UUID | None


def _out(a: Application) -> ApplicationOut:
    return ApplicationOut(
        id=a.pk,
        receipt_number=a.receipt_number,
        service=a.service.code,
        status=a.status,
        submitted_at=a.submitted_at,
        due_date=a.due_date,
        handler=a.handler.username if a.handler_id and a.handler else None,
        issued_document_id=a.issued_document_id,
        approval_line_id=a.approval_line_id,
    )


def _detail(a: Application, viewer: Person) -> ApplicationDetailOut:
    events = [
        EventOut(occurred_at=e.occurred_at, kind=e.kind, status_to=e.status_to, message=e.message)
        for e in apps.timeline(application=a, viewer=viewer)
    ]
    return ApplicationDetailOut(**_out(a).dict(), data=a.data, timeline=events)


def _files(files: list[UploadedFile], keys: list[str]) -> list[UploadedFileData]:
    if len(keys) != len(files):
        raise InvalidInputError(
            "give one attachment key per file (attachment_keys, in the order of the files)",
            errors={"attachment_keys": "one key per file"},
        )
    return [
        UploadedFileData(
            rule_key=key,
            filename=f.name or "file",
            content=f.read(),
            declared_media_type=f.content_type or "",
        )
        for key, f in zip(keys, files, strict=True)
    ]


def _data(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidInputError("data is not valid JSON", errors={"data": str(exc)}) from exc
    if not isinstance(value, dict):
        raise InvalidInputError("data must be a JSON object", errors={"data": "a JSON object"})
    if holds_nul(value):  # a JSON escape (\u0000) gets past the form parser's check
        raise InvalidInputError(f"data {NUL_MESSAGE}", errors={"data": NUL_MESSAGE})
    return value


@router.get("/services", response=list[ServiceOut], auth=None, summary="The service catalogue")
def services(request: HttpRequest) -> list[ServiceOut]:
    return [
        ServiceOut(
            code=s.code,
            name=s.name,
            name_cyrl=s.name_cyrl,
            name_en=s.name_en,
            agency=s.agency.code,
            deadline_working_days=s.deadline_working_days,
            form_schema=s.form_schema,
            attachment_rules=[dict(r) for r in s.attachment_rules],
            approval_policy=dict(s.approval_policy),
            direct_issuance=s.direct_issuance,
            direct_issuance_legal_basis=s.direct_issuance_legal_basis,
        )
        for s in apps.services_active().select_related("agency")
    ]


@router.post(
    "/applications",
    response={201: ApplicationDetailOut, **problems(400, 403, 404)},
    summary="Apply for a service (multipart: service, data as JSON, files with attachment_keys)",
)
def submit(
    request: HttpRequest,
    service: Form[str],
    data: Form[str] = "{}",
    script: Form[str] = "sr-latn",
    attachment_keys: Form[list[str]] = [],  # noqa: B006 -- ninja reads the default, never mutates it
    files: File[list[UploadedFile]] = [],  # noqa: B006
) -> Status[ApplicationDetailOut]:
    me = _me(request)
    found = apps.service_by_code(service)
    if found is None:
        from govdoc.applications.errors import ServiceNotFoundError

        raise ServiceNotFoundError(f"no service with code {service!r}", service=service)
    application = app_services.application_submit(
        service=found,
        applicant=me,
        data=_data(data),
        files=_files(files or [], attachment_keys or []),
        script=script,
        actor=me,
    )
    return Status(201, _detail(application, me))


@router.get(
    "/applications",
    response={200: list[ApplicationOut], **problems()},
    summary="My applications (citizen) or my units' inbox",
)
def listing(request: HttpRequest) -> list[ApplicationOut]:
    me = _me(request)
    rows = apps.applications_of_citizen(citizen=me) if me.is_citizen else apps.unit_inbox(official=me)
    return [_out(a) for a in rows]


@router.get("/applications/{application_id}", response={200: ApplicationDetailOut, **problems(404)})
def detail(request: HttpRequest, application_id: uuid.UUID) -> ApplicationDetailOut:
    me = _me(request)
    return _detail(apps.application_get(viewer=me, application_id=application_id), me)


class ApplicationAttachmentOut(Schema):
    id: uuid.UUID
    rule_key: str = Field(description="The service's attachment rule it answers, e.g. licna_karta")
    filename: str
    media_type: str = Field(description="Judged by content when it was received")
    size: int
    sha256: str
    uploaded_at: dt.datetime


@router.get(
    "/applications/{application_id}/attachments",
    response={200: list[ApplicationAttachmentOut], **problems(404)},
    summary="The application's current attachments (an official's read is recorded as personal-data access)",
)
def attachments(request: HttpRequest, application_id: uuid.UUID) -> list[ApplicationAttachmentOut]:
    app = apps.application_get(
        viewer=_me(request), application_id=application_id, purpose="list the attachments"
    )
    return [
        ApplicationAttachmentOut(
            id=a.pk,
            rule_key=a.rule_key,
            filename=a.filename,
            media_type=a.media_type,
            size=a.file.size,
            sha256=a.file.sha256,
            uploaded_at=a.uploaded_at,
        )
        for a in app.current_attachments  # type: ignore[attr-defined]
    ]


@router.get(
    "/applications/{application_id}/attachments/{attachment_id}",
    response={200: None, **problems(404, 409)},
    summary="Download one attachment as uploaded (integrity-checked; recorded as personal-data access)",
)
def attachment(request: HttpRequest, application_id: uuid.UUID, attachment_id: uuid.UUID) -> HttpResponse:
    found, content = apps.attachment_content(
        viewer=_me(request), application_id=application_id, attachment_id=attachment_id
    )
    response = HttpResponse(content, content_type=found.media_type)
    response["Content-Disposition"] = content_disposition(found.filename, default="attachment")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationDetailOut, **problems(403, 404, 409)},
)
def withdraw(request: HttpRequest, application_id: uuid.UUID) -> ApplicationDetailOut:
    me = _me(request)
    app = app_services.application_withdraw(
        application=apps.application_get(viewer=me, application_id=application_id), actor=me
    )
    return _detail(app, me)


@router.post(
    "/applications/{application_id}/assign",
    response={200: ApplicationDetailOut, **problems(400, 403, 404, 409)},
)
def assign(request: HttpRequest, application_id: uuid.UUID, body: AssignIn) -> ApplicationDetailOut:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    handler = apps.handler_get(application=app, person_id=str(body.handler_id))
    return _detail(app_services.application_assign(application=app, handler=handler, actor=me), me)


@router.post(
    "/applications/{application_id}/review",
    response={200: ApplicationDetailOut, **problems(403, 404, 409)},
    summary="The handler finds the application complete",
    description="The step a procedure that handles the application may wait for before the decision "
    "is drafted (409 handling-step-not-due when it waits for something else first).",
)
def review(request: HttpRequest, application_id: uuid.UUID) -> ApplicationDetailOut:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    return _detail(app_services.application_review(application=app, actor=me), me)


@router.post(
    "/applications/{application_id}/completion-requests",
    response={201: ApplicationDetailOut, **problems(400, 403, 404, 409)},
)
def completion_request(
    request: HttpRequest, application_id: uuid.UUID, body: CompletionIn
) -> Status[ApplicationDetailOut]:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    app_services.completion_request_create(
        application=app,
        message_text=body.message,
        fields=body.fields,
        attachment_keys=body.attachment_keys,
        actor=me,
    )
    return Status(201, _detail(apps.application_get(viewer=me, application_id=application_id), me))


@router.post(
    "/applications/{application_id}/complete",
    response={200: ApplicationDetailOut, **problems(400, 403, 404, 409)},
)
def complete(
    request: HttpRequest,
    application_id: uuid.UUID,
    data: Form[str] = "",
    attachment_keys: Form[list[str]] = [],  # noqa: B006
    files: File[list[UploadedFile]] = [],  # noqa: B006
) -> ApplicationDetailOut:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    app = app_services.application_complete(
        application=app,
        data=_data(data) if data else None,
        files=_files(files or [], attachment_keys or []),
        actor=me,
    )
    return _detail(app, me)


@router.put(
    "/applications/{application_id}/decision",
    response={200: ApplicationDetailOut, **problems(400, 403, 404, 409)},
)
def draft(request: HttpRequest, application_id: uuid.UUID, body: DraftIn) -> ApplicationDetailOut:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    return _detail(decisions.decision_draft_save(application=app, fields=body.fields, actor=me), me)


@router.post(
    "/applications/{application_id}/decision/send",
    response={200: ApplicationDetailOut, **problems(400, 403, 404, 409)},
)
def send(request: HttpRequest, application_id: uuid.UUID, body: SendIn) -> ApplicationDetailOut:
    me = _me(request)
    app = apps.application_get(viewer=me, application_id=application_id)
    steps = (
        [LineStep(kind=s.kind, assignee_id=str(s.assignee_id), position=s.position) for s in body.steps]  # type: ignore[typeddict-item]
        if body.steps is not None
        else None
    )
    return _detail(decisions.decision_send_to_approval(application=app, steps=steps, actor=me), me)


@router.get("/inbox", response={200: list[InboxMessageOut], **problems()}, summary="The citizen's e-inbox")
def inbox(request: HttpRequest) -> list[InboxMessageOut]:
    return [
        InboxMessageOut(
            id=m.pk,
            subject=m.subject,
            body=m.body,
            created_at=m.created_at,
            read_at=m.read_at,
            issued_document_id=m.issued_document_id,
        )
        for m in apps.inbox_of(citizen=_me(request))
    ]


@router.post("/inbox/{message_id}/read", response={200: InboxMessageOut, **problems(404)})
def inbox_read(request: HttpRequest, message_id: uuid.UUID) -> InboxMessageOut:
    me = _me(request)
    m = inbox_services.inbox_message_read(
        message=apps.inbox_message_get(viewer=me, message_id=message_id), actor=me
    )
    return InboxMessageOut(
        id=m.pk,
        subject=m.subject,
        body=m.body,
        created_at=m.created_at,
        read_at=m.read_at,
        issued_document_id=m.issued_document_id,
    )
