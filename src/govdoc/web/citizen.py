"""The citizen portal: the service catalogue, applying online, "My applications" with the
timeline, answering a completion request, and the e-inbox with issued documents.

Views parse the request, call one service or selector and render; every rule is in
``govdoc.applications`` / ``govdoc.issuance``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govdoc.accounts.constants import Script
from govdoc.accounts.models import Agency, Person
from govdoc.applications import selectors as apps
from govdoc.applications.constants import TRANSITIONS, ApplicationStatus
from govdoc.applications.errors import IllegalTransitionError, InvalidApplicationError
from govdoc.applications.services import applications as app_services
from govdoc.applications.services import inbox as inbox_services
from govdoc.applications.specs import UploadedFileData
from govdoc.core import clock
from govdoc.core.downloads import content_disposition
from govdoc.core.errors import GovDocError
from govdoc.core.transliteration import to_cyrillic
from govdoc.web.language import HTML_LANG, name_in_script, page_script
from govdoc.web.schema_form import data_from_post, fields_for

View = Callable[..., HttpResponse]

# Why an official or a system read a citizen's data, as the audit log records it (in English).
PURPOSES = {
    "handling the application": gettext_lazy("handling the application"),
    "read the receipt": gettext_lazy("reading the receipt"),
    "open an attachment": gettext_lazy("opening an attachment"),
    "list the attachments": gettext_lazy("listing the attachments"),
    "choose the approval line": gettext_lazy("choosing the approval line"),
    "reading an issued document": gettext_lazy("reading an issued document"),
    "reading a document's content": gettext_lazy("reading a document's content"),
}


def citizen_required(view: View) -> View:
    """Logged-in citizens only; an official is sent to the workspace."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, Person) or not user.is_citizen:
            return HttpResponseRedirect(reverse("web:work"))
        return view(request, *args, **kwargs)

    return wrapper


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)  # citizen_required let only people in
    return request.user


def _script(request: HttpRequest) -> str:
    return page_script(request)


def _agency_name(agency: Agency, script: str) -> str:
    """The agency's name in the page's script (Cyrillic made from the Latin when not written)."""
    return name_in_script(agency, script)


def _translator(script: str) -> Callable[[str], str] | None:
    return to_cyrillic if script == Script.CYRILLIC else None


def _uploads(request: HttpRequest, rules: list[dict[str, Any]] | Any) -> list[UploadedFileData]:
    files = []
    for rule in rules:
        upload = request.FILES.get(f"file_{rule['key']}")
        if upload is not None:
            files.append(
                UploadedFileData(
                    rule_key=rule["key"],
                    filename=upload.name or "file",
                    content=upload.read(),
                    declared_media_type=upload.content_type or "",
                )
            )
    return files


def _rule_fields(rules: Any, script: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    label_key = {"sr-cyrl": "label_cyrl", "en": "label_en"}.get(script, "label")
    return [
        {
            "key": rule["key"],
            "label": rule.get(label_key) or rule["label"],
            "required": rule["required"],
            "accept": ",".join(rule["allowed"]),
            "max_mb": round(rule["max_bytes"] / 2**20, 1),
            "error": errors.get(f"attachments.{rule['key']}", ""),
        }
        for rule in rules
    ]


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    script = _script(request)
    services = [
        {
            "code": s.code,
            "name": s.name_in(script),
            "agency": _agency_name(s.agency, script),
            "days": s.deadline_working_days,
        }
        for s in apps.services_active().select_related("agency")
    ]
    return render(request, "web/citizen/catalogue.html", {"services": services})


@citizen_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    service = apps.service_by_code(code)
    if service is None or not service.is_active:
        raise Http404("no such service")
    script = _script(request)
    values: dict[str, Any] = apps.profile_prefill(form_schema=service.form_schema, person=_me(request))
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = data_from_post(service.form_schema, request.POST)
        try:
            application = app_services.application_submit(
                service=service,
                applicant=_me(request),
                data=values,
                files=_uploads(request, service.attachment_rules),
                script=script,
                actor=_me(request),
            )
        except InvalidApplicationError as exc:
            errors, status = exc.field_errors, 400
        else:
            messages.success(
                request,
                _("The application was submitted. Receipt number: %(number)s")
                % {"number": application.receipt_number},
            )
            return HttpResponseRedirect(reverse("web:my-application", args=[application.pk]))
    context = {
        "service": service,
        "service_name": service.name_in(script),
        "agency_name": _agency_name(service.agency, script),
        "fields": fields_for(
            service.form_schema,
            values=values,
            errors=errors,
            translate=_translator(script),
            english=script == Script.ENGLISH,
        ),
        "attachments": _rule_fields(service.attachment_rules, script, errors),
        "errors": errors,
        "form_error": next((m for k, m in errors.items() if k == "script"), ""),
    }
    return render(request, "web/citizen/apply.html", context, status=status)


@citizen_required
@require_safe
def my_applications(request: HttpRequest) -> HttpResponse:
    script = _script(request)
    rows = [
        {
            "id": a.pk,
            "number": a.receipt_number,
            "service": a.service.name_in(script),
            "status": a.get_status_display(),
            "status_code": a.status,
            "submitted_at": a.submitted_at,
            "due_date": a.due_date,
        }
        for a in apps.applications_of_citizen(citizen=_me(request))
    ]
    return render(request, "web/citizen/my_applications.html", {"rows": rows})


@citizen_required
@require_http_methods(["GET", "POST"])
def my_application(request: HttpRequest, application_id: str) -> HttpResponse:
    try:
        application = apps.application_get(viewer=_me(request), application_id=application_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    script = _script(request)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "withdraw":
                app_services.application_withdraw(application=application, actor=_me(request))
                messages.info(request, _("The application was withdrawn."))
            elif action == "complete":
                app_services.application_complete(
                    application=application,
                    data=data_from_post(application.service.form_schema, request.POST),
                    files=_uploads(request, application.service.attachment_rules),
                    actor=_me(request),
                )
                messages.success(request, _("The application was completed."))
            return HttpResponseRedirect(request.path)
        except InvalidApplicationError as exc:
            errors, status = exc.field_errors, 400
        except IllegalTransitionError as exc:
            now = str(exc.details.get("status", ""))
            label = ApplicationStatus(now).label if now in ApplicationStatus.values else now
            errors, status = (
                {
                    "__all__": _("The application is “%(status)s”: this can no longer be done.")
                    % {"status": label}
                },
                exc.status,
            )
        except GovDocError as exc:
            errors, status = {"__all__": exc.message}, exc.status
    open_request = apps.completion_request_open(application=application)
    context = {
        "application": application,
        "service_name": application.service.name_in(script),
        "events": [
            {"occurred_at": e.occurred_at, "text": apps.event_text(e, application=application)}
            for e in apps.timeline(application=application, viewer=_me(request))
        ],
        "completion": open_request,
        "fields": fields_for(
            application.service.form_schema,
            values=application.data,
            errors=errors,
            translate=_translator(script),
            english=script == Script.ENGLISH,
        )
        if open_request
        else [],
        "attachments": _rule_fields(application.service.attachment_rules, script, errors)
        if open_request
        else [],
        "error": errors.get("__all__", ""),
        # Until there is a decision, during approval too (the approvers' line stops).
        "can_withdraw": ApplicationStatus.WITHDRAWN in TRANSITIONS[ApplicationStatus(application.status)],
    }
    return render(request, "web/citizen/my_application.html", context, status=status)


@citizen_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    from govdoc.issuance.selectors import issued_to

    return render(
        request,
        "web/citizen/inbox.html",
        {
            "inbox": apps.inbox_of(citizen=_me(request)),
            "issued": [
                {
                    "pk": d.pk,
                    "title": d.title,
                    "html_lang": HTML_LANG.get(Script(d.script), "sr-Latn"),
                    "registry_number": d.registry_number,
                    "issued_at": d.issued_at,
                }
                for d in issued_to(recipient=_me(request))
            ],
        },
    )


@citizen_required
@require_safe
def data_access(request: HttpRequest) -> HttpResponse:
    """Who in the administration opened my data, and when."""
    from govdoc.applications.data_access import data_access_log

    subjects = {
        "account": _("your account"),
        "application": _("application %(ref)s"),
        "case_documents": _("case documents of %(ref)s"),
        "document": _("document %(ref)s"),
    }
    readings = [
        {
            "at": r.at,
            "reader": r.reader,
            "purpose": str(PURPOSES.get(r.purpose, r.purpose)),
            "subject": subjects[r.subject_kind] % {"ref": r.subject_ref} if r.subject_kind else r.subject,
            "fields": r.fields,
        }
        for r in data_access_log(citizen=_me(request))
    ]
    return render(request, "web/citizen/data_access.html", {"readings": readings})


@citizen_required
@require_POST
def inbox_read(request: HttpRequest, message_id: str) -> HttpResponse:
    try:
        message = apps.inbox_message_get(viewer=_me(request), message_id=message_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    inbox_services.inbox_message_read(message=message, actor=_me(request))
    return HttpResponseRedirect(reverse("web:inbox"))


@citizen_required
@require_safe
def inbox_message(request: HttpRequest, message_id: str) -> HttpResponse:
    """One message (the link in the notification e-mail); opening it marks it read."""
    try:
        message = apps.inbox_message_get(viewer=_me(request), message_id=message_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    if message.read_at is None:
        message = inbox_services.inbox_message_read(message=message, actor=_me(request))
    return render(request, "web/citizen/inbox_message.html", {"m": message})


@citizen_required
@require_safe
def issued(request: HttpRequest, issued_id: str) -> HttpResponse:
    """An issued document of mine: its status, the download, and who verified it when."""
    from govdoc.issuance import selectors as issuance

    try:
        document = issuance.issued_get(viewer=_me(request), issued_id=issued_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    return render(
        request,
        "web/citizen/issued.html",
        {
            "d": document,
            "agency_name": _agency_name(document.agency, _script(request)),
            "document_lang": HTML_LANG.get(Script(document.script), "sr-Latn"),
            "status": document.status_at(clock.now()),
            "verifications": issuance.verifications_of(issued=document, viewer=_me(request)),
        },
    )


@citizen_required
@require_safe
def issued_pdf(request: HttpRequest, issued_id: str) -> HttpResponse:
    from govdoc.issuance import selectors as issuance

    try:
        document = issuance.issued_get(viewer=_me(request), issued_id=issued_id)
        pdf = issuance.issued_pdf(viewer=_me(request), issued=document)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(f"{document.registry_number}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@citizen_required
@require_safe
def receipt(request: HttpRequest, application_id: str) -> HttpResponse:
    try:
        found, content = apps.receipt_content(viewer=_me(request), application_id=application_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(content, content_type=f"{found.media_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition(found.filename, inline=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
