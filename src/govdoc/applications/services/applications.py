"""Writes of an application's life before the decision: submit, assign, ask for completion,
complete, withdraw. Each runs in one transaction with its audit event and timeline entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from govdoc.accounts.constants import Role, Script
from govdoc.accounts.models import Person
from govdoc.applications import integration
from govdoc.applications.access import require_handling_official, roles_in_unit
from govdoc.applications.constants import (
    ASSIGNER_ROLES,
    LANGUAGE_OF_SCRIPT,
    ApplicationStatus,
    EventKind,
    HandlingStep,
)
from govdoc.applications.errors import (
    CompletionRequestOpenError,
    HandlerOutsideUnitError,
    IllegalTransitionError,
    InvalidApplicationError,
    NotAllowedHereError,
    NotApplicantError,
    ServiceInactiveError,
)
from govdoc.applications.form_validation import ATTACHMENT_MESSAGES, data_errors, message, upload_message
from govdoc.applications.models import (
    Application,
    ApplicationAttachment,
    CompletionRequest,
    Receipt,
    Service,
)
from govdoc.applications.numbering import receipt_number_format, receipt_number_take
from govdoc.applications.receipts import receipt_html
from govdoc.applications.services.inbox import inbox_deliver
from govdoc.applications.services.transitions import event_add, locked, move, step_taken
from govdoc.applications.specs import AttachmentRule, FieldErrors, UploadedFileData
from govdoc.applications.working_days import add_working_days
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject
from govdoc.documents import content_types
from govdoc.documents.errors import UploadRejectedError
from govdoc.documents.models import StoredFile
from govdoc.documents.refusals import record_refusal, refusal_data
from govdoc.documents.storage import file_put

_SCRIPT_MESSAGE = gettext_lazy("Choose a script: sr-latn, sr-cyrl or en.")


@dataclass(frozen=True)
class _CheckedFile:
    rule_key: str
    content: bytes
    media_type: str
    filename: str


def _check_files(
    *,
    rules: list[AttachmentRule],
    files: Sequence[UploadedFileData],
    script: str,
    refusals: list[JSONObject],
) -> tuple[list[_CheckedFile], FieldErrors]:
    """Check every upload by its content against its rule; collect all errors, store nothing.
    Each file refused for its content adds its audit data to ``refusals``."""
    by_key = {rule["key"]: rule for rule in rules}
    errors: FieldErrors = {}
    checked: list[_CheckedFile] = []
    seen: set[str] = set()
    for upload in files:
        field = f"attachments.{upload.rule_key}"
        rule = by_key.get(upload.rule_key)
        if rule is None:
            errors.setdefault(field, message(ATTACHMENT_MESSAGES, "unknown", script))
            continue
        if upload.rule_key in seen:
            errors.setdefault(field, message(ATTACHMENT_MESSAGES, "duplicate", script))
            continue
        seen.add(upload.rule_key)
        try:
            media_type = content_types.check_upload(
                upload.content,
                filename=upload.filename,
                allowed=frozenset(rule["allowed"]),
                max_bytes=rule["max_bytes"],
                declared=upload.declared_media_type,
            )
        except UploadRejectedError as exc:
            errors.setdefault(field, upload_message(exc, script=script, allowed=rule["allowed"]))
            refusals.append({"attachment": upload.rule_key, **refusal_data(exc, upload.content)})
            continue
        checked.append(
            _CheckedFile(
                rule_key=upload.rule_key,
                content=upload.content,
                media_type=media_type,
                filename=content_types.safe_filename(upload.filename),
            )
        )
    return checked, errors


def _missing_required(
    *, rules: list[AttachmentRule], present: set[str], script: str, errors: FieldErrors
) -> None:
    for rule in rules:
        field = f"attachments.{rule['key']}"
        if rule["required"] and rule["key"] not in present:
            errors.setdefault(field, message(ATTACHMENT_MESSAGES, "required", script))


def _raise_if(errors: FieldErrors, *, what: str, refusals: list[JSONObject] | None = None) -> None:
    if errors:
        raise InvalidApplicationError(
            f"the {what} has {len(errors)} error(s): " + "; ".join(sorted(errors)),
            errors=errors,
            attachment_refusals=refusals or [],
        )


def _record_attachment_refusals(
    error: InvalidApplicationError, *, actor: Person, service: Service, target: object | None = None
) -> None:
    """Files refused for their content are audited (in a transaction of their own: the refused
    submission wrote nothing). Form-data mistakes are not: they are not a security matter."""
    refusals = error.details.get("attachment_refusals")
    if isinstance(refusals, list) and refusals:
        record_refusal(
            "applications.attachment_refused",
            actor=actor,
            target=target or service,
            data={"service": service.code, "attachments": refusals},
        )


def _store(
    application: Application, files: list[_CheckedFile], stored_files: list[StoredFile]
) -> list[ApplicationAttachment]:
    now = clock.now()
    return [
        ApplicationAttachment.objects.create(
            application=application,
            rule_key=f.rule_key,
            file=stored,
            filename=f.filename,
            media_type=f.media_type,
            uploaded_at=now,
        )
        for f, stored in zip(files, stored_files, strict=True)
    ]


def _put(files: list[_CheckedFile]) -> list[StoredFile]:
    """The files' bytes in the content-addressed store (a repeat upload costs nothing)."""
    return [file_put(f.content, media_type=f.media_type) for f in files]


def _attachment_data(attachments: list[ApplicationAttachment]) -> list[Any]:
    return [
        {"rule": a.rule_key, "sha256": a.file_id, "media_type": a.media_type, "filename": a.filename}
        for a in attachments
    ]


def _require_applicant(application: Application, actor: Person) -> None:
    if application.applicant_id != actor.pk:
        raise NotApplicantError(
            translation.gettext("only the applicant may do this"),
            application_id=str(application.pk),
            person_id=str(actor.pk),
        )


def application_submit(
    *,
    service: Service,
    applicant: Person,
    data: dict[str, Any],
    files: Sequence[UploadedFileData],
    script: str,
    actor: Person,
) -> Application:
    """Receive a citizen's application (``_application_submit``); attachments refused for their
    content are recorded as ``applications.attachment_refused``."""
    try:
        return _application_submit(
            service=service, applicant=applicant, data=data, files=files, script=script, actor=actor
        )
    except InvalidApplicationError as exc:
        _record_attachment_refusals(exc, actor=actor, service=service)
        raise


@transaction.atomic
def _application_submit(
    *,
    service: Service,
    applicant: Person,
    data: dict[str, Any],
    files: Sequence[UploadedFileData],
    script: str,
    actor: Person,
) -> Application:
    """Receive a citizen's application: all of it or nothing.

    Invalid form data, a bad attachment or a missing required one raise one
    ``InvalidApplicationError`` naming every field, and nothing is written. On success the
    application gets its receipt number and due date, a receipt document, a timeline entry and
    the audit event ``applications.application_submitted``.
    """
    if actor.pk != applicant.pk or not applicant.is_citizen:
        raise NotApplicantError(
            translation.gettext("an application is submitted by the citizen who applies"),
            person_id=str(actor.pk),
        )
    service = Service.objects.select_related("agency", "unit").get(pk=service.pk)
    if not service.is_active:
        raise ServiceInactiveError(
            translation.gettext("the service no longer accepts applications"), service=service.code
        )
    shown_script = script if script in Script.values else Script.LATIN
    errors: FieldErrors = {}
    if script not in Script.values:
        with translation.override(LANGUAGE_OF_SCRIPT[shown_script]):
            errors["script"] = str(_SCRIPT_MESSAGE)
    errors.update(data_errors(service.form_schema, data, script=shown_script))
    refusals: list[JSONObject] = []
    checked, file_errors = _check_files(
        rules=service.attachment_rules, files=files, script=shown_script, refusals=refusals
    )
    errors.update(file_errors)
    _missing_required(
        rules=service.attachment_rules,
        present={f.rule_key for f in checked},
        script=shown_script,
        errors=errors,
    )
    _raise_if(errors, what="application", refusals=refusals)

    now = clock.now()
    today = clock.today_local()
    # Files are stored before the receipt number is taken: the agency's counter row stays locked
    # until commit, so the work done under it is kept short.
    stored = _put(checked)
    seq = receipt_number_take(agency=service.agency, year=today.year)
    number = receipt_number_format(agency_code=service.agency.code, year=today.year, number=seq)
    application = Application.objects.create(
        receipt_number=number,
        receipt_year=today.year,
        receipt_seq=seq,
        service=service,
        agency=service.agency,
        unit=service.unit,
        applicant=applicant,
        data=data,
        script=script,
        status=ApplicationStatus.SUBMITTED,
        submitted_at=now,
        due_date=add_working_days(today, service.deadline_working_days),
        updated_at=now,
    )
    attachments = _store(application, checked, stored)
    html = receipt_html(application=application, attachment_names=[a.filename for a in attachments])
    receipt = Receipt.objects.create(
        application=application,
        number=number,
        issued_at=now,
        file=file_put(html, media_type=content_types.HTML),
        filename=f"potvrda-{number}.html",
        media_type=content_types.HTML,
    )
    event_add(
        application,
        kind=EventKind.SUBMITTED,
        status_to=ApplicationStatus.SUBMITTED,
        number=number,
        date=application.due_date.strftime("%d.%m.%Y."),
    )
    record(
        "applications.application_submitted",
        actor=actor,
        target=application,
        data={
            "receipt_number": number,
            "service": service.code,
            "agency": service.agency.code,
            "due_date": application.due_date.isoformat(),
            "script": script,
            # Field names only: the audit chain is append-only and must not keep personal data.
            "fields": [*sorted(data)],
            "attachments": _attachment_data(attachments),
            "receipt_sha256": receipt.file_id,
        },
    )
    step_taken(application, HandlingStep.RECEIVED, actor=actor)
    return application


@transaction.atomic
def application_withdraw(*, application: Application, actor: Person, reason: str = "") -> Application:
    """The applicant withdraws the application; possible until there is a decision."""
    application = locked(application)
    _require_applicant(application, actor)
    line_id = application.approval_line_id
    move(application, ApplicationStatus.WITHDRAWN, kind=EventKind.WITHDRAWN, action="be withdrawn")
    if line_id is not None and application.status == ApplicationStatus.WITHDRAWN:
        # Withdrawn during approval: the approvers stop, and see why (same transaction).
        integration.approval_line_stop_withdrawn(line_id=line_id, actor=actor)
    record(
        "applications.application_withdrawn",
        actor=actor,
        target=application,
        data={"receipt_number": application.receipt_number, "reason": reason.strip()[:1000]},
    )
    step_taken(application, HandlingStep.WITHDRAWN, actor=actor, reason=reason.strip()[:500])
    return application


@transaction.atomic
def application_assign(*, application: Application, handler: Person, actor: Person) -> Application:
    """A head of the handling unit or its registry clerk gives the application to a handler of the
    unit. A new application becomes assigned; an assigned one changes hands."""
    application = locked(application)
    if not roles_in_unit(person=actor, unit_id=application.unit_id) & ASSIGNER_ROLES:
        raise NotAllowedHereError(
            translation.gettext(
                "only a head of the handling unit or its registry clerk may assign applications"
            ),
            application_id=str(application.pk),
            person_id=str(actor.pk),
        )
    handler_roles = roles_in_unit(person=handler, unit_id=application.unit_id)
    if not handler_roles & {Role.HANDLER, Role.HEAD_OF_UNIT}:
        raise HandlerOutsideUnitError(
            translation.gettext("%(username)s is not a handler of the handling unit")
            % {"username": handler.get_username()},
            application_id=str(application.pk),
            handler_id=str(handler.pk),
            errors={"handler": translation.gettext("choose a handler of the handling unit")},
        )
    previous_handler = application.handler_id
    application.handler, application.assigned_at = handler, clock.now()
    fields = ("handler", "assigned_at")
    if application.status == ApplicationStatus.SUBMITTED:
        move(
            application,
            ApplicationStatus.ASSIGNED,
            kind=EventKind.ASSIGNED,
            action="be assigned",
            extra_fields=fields,
        )
        step_taken(application, HandlingStep.ASSIGNED, actor=actor, handler=handler.get_username())
    elif application.status in {ApplicationStatus.ASSIGNED, ApplicationStatus.AWAITING_COMPLETION}:
        application.updated_at = application.assigned_at
        application.save(update_fields=[*fields, "updated_at"])
    else:
        shown = ApplicationStatus(application.status).label.lower()
        raise IllegalTransitionError(
            translation.gettext("an application that is %(status)s cannot be assigned") % {"status": shown},
            application_id=str(application.pk),
            status=application.status,
            to=ApplicationStatus.ASSIGNED.value,
        )
    record(
        "applications.application_assigned",
        actor=actor,
        target=application,
        data={
            "handler": str(handler.pk),
            "previous_handler": str(previous_handler) if previous_handler else "",
        },
    )
    return application


@transaction.atomic
def application_review(*, application: Application, actor: Person) -> Application:
    """The handler finds the application complete: the step a procedure that handles the
    application may wait for before the decision is drafted (``HandlingStep.REVIEWED``). Not a
    move: the application stays with its handler."""
    application = locked(application)
    require_handling_official(application, actor, action="review the application")
    if application.status != ApplicationStatus.ASSIGNED:
        raise IllegalTransitionError(
            translation.gettext("only an application with its handler can be reviewed"),
            application_id=str(application.pk),
            status=application.status,
        )
    application.updated_at = clock.now()
    application.save(update_fields=["updated_at"])
    record(
        "applications.application_reviewed",
        actor=actor,
        target=application,
        data={"receipt_number": application.receipt_number},
    )
    step_taken(application, HandlingStep.REVIEWED, actor=actor)
    return application


_COMPLETION_SUBJECT = gettext_lazy("Application {number} needs completing")


@transaction.atomic
def completion_request_create(
    *,
    application: Application,
    message_text: str,
    fields: Sequence[str] = (),
    attachment_keys: Sequence[str] = (),
    actor: Person,
) -> CompletionRequest:
    """The handler asks the applicant to complete the application (fields and/or attachments).

    The applicant is told on the timeline and in the e-inbox; the deadline runs again from the
    day the application is complete (Law on General Administrative Procedure).
    """
    application = locked(application)
    require_handling_official(application, actor, action="ask for completion")
    text = message_text.strip()
    errors: FieldErrors = {}
    if not text:
        errors["message"] = "tell the applicant what to complete"
    properties = set(application.service.form_schema.get("properties", {}))
    if unknown := sorted(set(fields) - properties):
        errors["fields"] = f"not fields of the form: {', '.join(unknown)}"
    rule_keys = {rule["key"] for rule in application.service.attachment_rules}
    if unknown := sorted(set(attachment_keys) - rule_keys):
        errors["attachment_keys"] = f"not attachments of the service: {', '.join(unknown)}"
    _raise_if(errors, what="completion request")
    if CompletionRequest.objects.filter(application=application, answered_at__isnull=True).exists():
        raise CompletionRequestOpenError(
            translation.gettext("a completion request is already waiting for the applicant"),
            application_id=str(application.pk),
        )
    move(
        application,
        ApplicationStatus.AWAITING_COMPLETION,
        kind=EventKind.COMPLETION_REQUESTED,
        action="be sent for completion",
        message=text,
    )
    request = CompletionRequest.objects.create(
        application=application,
        message=text,
        fields=sorted(set(fields)),
        attachment_keys=sorted(set(attachment_keys)),
        requested_by=actor,
        requested_at=clock.now(),
    )
    with translation.override(LANGUAGE_OF_SCRIPT.get(application.script, "sr-latn")):
        subject = str(_COMPLETION_SUBJECT)
    inbox_deliver(
        recipient=application.applicant,
        application=application,
        subject=subject.format(number=application.receipt_number),
        body=text,
    )
    record(
        "applications.completion_requested",
        actor=actor,
        target=application,
        data={
            "request_id": str(request.pk),
            "fields": list(request.fields),
            "attachments": list(request.attachment_keys),
        },
    )
    step_taken(application, HandlingStep.COMPLETION_REQUESTED, actor=actor)
    return request


def application_complete(
    *,
    application: Application,
    data: dict[str, Any] | None,
    files: Sequence[UploadedFileData] = (),
    actor: Person,
) -> Application:
    """``_application_complete``; attachments refused for their content are audited."""
    try:
        return _application_complete(application=application, data=data, files=files, actor=actor)
    except InvalidApplicationError as exc:
        _record_attachment_refusals(exc, actor=actor, service=application.service, target=application)
        raise


@transaction.atomic
def _application_complete(
    *,
    application: Application,
    data: dict[str, Any] | None,
    files: Sequence[UploadedFileData] = (),
    actor: Person,
) -> Application:
    """The applicant answers a completion request with the whole form (``data``; None keeps it)
    and new files, each replacing the file given before for its rule. All or nothing."""
    application = locked(application)
    _require_applicant(application, actor)
    if application.status != ApplicationStatus.AWAITING_COMPLETION:
        raise IllegalTransitionError(
            translation.gettext("only an application awaiting completion can be completed"),
            application_id=str(application.pk),
            status=application.status,
            to=ApplicationStatus.ASSIGNED.value,
        )
    service, script = application.service, application.script
    new_data = application.data if data is None else data
    errors = data_errors(service.form_schema, new_data, script=script)
    refusals: list[JSONObject] = []
    checked, file_errors = _check_files(
        rules=service.attachment_rules, files=files, script=script, refusals=refusals
    )
    errors.update(file_errors)
    current = set(
        ApplicationAttachment.objects.filter(application=application, superseded_at__isnull=True).values_list(
            "rule_key", flat=True
        )
    )
    _missing_required(
        rules=service.attachment_rules,
        present=current | {f.rule_key for f in checked},
        script=script,
        errors=errors,
    )
    _raise_if(errors, what="completion", refusals=refusals)

    now = clock.now()
    ApplicationAttachment.objects.filter(
        application=application, superseded_at__isnull=True, rule_key__in=[f.rule_key for f in checked]
    ).update(superseded_at=now)
    attachments = _store(application, checked, _put(checked))
    changed = sorted(
        k for k in set(new_data) | set(application.data) if new_data.get(k) != application.data.get(k)
    )
    application.data = new_data
    application.due_date = add_working_days(clock.today_local(), service.deadline_working_days)
    move(
        application,
        ApplicationStatus.ASSIGNED,
        kind=EventKind.COMPLETED,
        action="be completed",
        extra_fields=("data", "due_date"),
    )
    CompletionRequest.objects.filter(application=application, answered_at__isnull=True).update(
        answered_at=now
    )
    record(
        "applications.application_completed",
        actor=actor,
        target=application,
        data={
            "fields": changed,
            "attachments": _attachment_data(attachments),
            "due_date": application.due_date.isoformat(),
        },
    )
    step_taken(application, HandlingStep.COMPLETED, actor=actor)
    return application
