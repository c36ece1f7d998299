"""The officials' workspace: the unit's inbox with deadlines, an application with its
attachments (opening it is audited as personal-data access), assignment, a completion request,
the draft decision and sending it into e-Approval; the approval queue with signed decisions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govdoc.accounts import sessions
from govdoc.accounts.constants import Script
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import officials_of_agency
from govdoc.applications import selectors as apps
from govdoc.applications.errors import InvalidApplicationError
from govdoc.applications.services import applications as app_services
from govdoc.applications.services import decisions
from govdoc.applications.specs import LineStep
from govdoc.approvals import selectors as approvals
from govdoc.approvals import services as approval_services
from govdoc.approvals.constants import StepKind
from govdoc.approvals.policy import holders_text
from govdoc.core.downloads import content_disposition
from govdoc.core.errors import GovDocError, InvalidInputError
from govdoc.core.transliteration import to_cyrillic
from govdoc.distribution import selectors as distribution
from govdoc.documents import selectors as documents
from govdoc.issuance import selectors as issuance
from govdoc.issuance import services as issuance_services
from govdoc.procedures import selectors as procedure_selectors
from govdoc.signatures import selectors as signatures
from govdoc.signatures import services as signature_services
from govdoc.signatures.errors import PinInvalidError
from govdoc.web.language import HTML_LANG, name_in_script, page_script, typed_in_script
from govdoc.web.schema_form import fields_for

View = Callable[..., HttpResponse]


def official_required(view: View) -> View:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not isinstance(user, Person) or user.is_citizen or user.is_system:
            return HttpResponseRedirect(reverse("web:my-applications"))
        return view(request, *args, **kwargs)

    return wrapper


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _script(request: HttpRequest) -> str:
    return page_script(request)


def _with_service_names(applications: Iterable[Any], script: str) -> list[Any]:
    """The applications, each with ``service_name`` in the page's script."""
    rows = list(applications)
    for row in rows:
        row.service_name = row.service.name_in(script)
    return rows


def _with_titles(rows: list[tuple[Any, Any]], script: str) -> list[Any]:
    """Each row with ``title``: its document's registered title (written in Serbian Latin) in
    Cyrillic letters on a Cyrillic page; on an English page it stays as registered (the page
    marks its language)."""
    out = []
    for row, document in rows:
        row.title = typed_in_script(str(document.title), script)
        out.append(row)
    return out


def _step_up(request: HttpRequest, back_to: str) -> HttpResponse | None:
    """Signing and revoking need a recent log-in: if it is older, confirm it first, then come
    back here and repeat the action (nothing of the form is kept: the PIN never is)."""
    if sessions.has_recent_authentication(request):
        return None
    messages.info(request, _("Please confirm it is you before signing or revoking."))
    return HttpResponseRedirect(f"{reverse('web:login-confirm')}?{urlencode({'next': back_to})}")


@official_required
@require_safe
def workspace(request: HttpRequest) -> HttpResponse:
    me, script = _me(request), _script(request)
    queue = _with_titles([(s, s.line.document) for s in approvals.queue_for(person=me)], script)
    outgoing = distribution.outgoing_on_lines([s.line_id for s in queue])
    for step in queue:
        # an official's own document (a letter, a request...): what it is and whom it goes to
        step.outgoing = outgoing.get(step.line_id)
        if step.outgoing is not None:
            step.recipients = ", ".join(
                name_in_script(d.agency, script) + (f" — {name_in_script(d.unit, script)}" if d.unit else "")
                for d in step.outgoing.deliveries.all()
            )
    return render(
        request,
        "web/staff/workspace.html",
        {
            "applications": _with_service_names(apps.unit_inbox(official=me), script),
            "queue": queue,
            "post_reports": _with_titles(
                [(r, r.step.line.document) for r in approvals.post_reports_for(person=me)], script
            ),
            "signing_pin": signatures.signing_pin_current(person=me),
            "has_signing_key": signatures.has_signing_key(person=me),
            "reads_registry": bool(documents.registry_agencies(viewer=me)),
        },
    )


@official_required
@require_safe
def cases(request: HttpRequest) -> HttpResponse:
    """All cases of my units, closed ones too, with a search and filters; 50 to a page."""
    me = _me(request)
    text = request.GET.get("q", "").strip()[:100]
    state = request.GET.get("state", "all")
    state = state if state in apps.CASE_FILTERS else "all"
    found = apps.unit_cases(official=me, text=text, state=state, service_code=request.GET.get("service", ""))
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    page.object_list = _with_service_names(page.object_list, _script(request))
    return render(
        request,
        "web/staff/cases.html",
        {"page": page, "q": text, "state": state, "states": apps.CASE_FILTERS},
    )


@official_required
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, application_id: str) -> HttpResponse:
    me = _me(request)
    try:
        app = apps.application_get(viewer=me, application_id=application_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    error, errors, status = "", {}, 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "revoke" and (confirm := _step_up(request, request.path)):
            return confirm
        try:
            _act(request, app, me, action)
            return HttpResponseRedirect(request.path)
        except InvalidApplicationError as exc:
            errors, status = exc.field_errors, 400
            error = exc.message
        except GovDocError as exc:
            error, status = exc.message, exc.status
            fields = exc.details.get("errors")
            if isinstance(fields, dict):  # e.g. {"steps": ...}: shown beside the field
                errors = {str(k): str(v) for k, v in fields.items()}
    script = _script(request)
    context = {
        "app": app,
        "service_name": app.service.name_in(script),
        "events": apps.timeline(application=app, viewer=me),
        # The timeline's texts are what the applicant read, in the script they applied in.
        "applicant_lang": HTML_LANG[Script(app.script) if app.script in Script.values else Script.LATIN],
        "data_fields": fields_for(
            app.service.form_schema,
            values=app.data,
            errors={},
            translate=to_cyrillic if script == Script.CYRILLIC else None,
            english=script == Script.ENGLISH,
        ),
        "decision_fields": app.decision_fields,
        "default_line": _default_line(app, me),
        "handlers": apps.handlers_of(application=app),
        "officials": officials_of_agency(agency_id=app.agency_id).exclude(pk=me.pk),
        "issued": _issued(app, me),
        "line": _line(app, me),
        "policy": [
            {
                "kind": STEP_KIND_LABELS.get(step["kind"], step["kind"]),
                "holders": holders_text(step["holders"]),
            }
            for step in app.service.approval_policy.get("steps", [])
        ],
        "handling": procedure_selectors.handling_of(application_id=app.pk),
        "error": error,
        "errors": errors,
    }
    return render(request, "web/staff/application.html", context, status=status)


# The kinds of step a line may have, as the approvals domain names them.
STEP_KIND_LABELS = {str(kind.value): kind.label for kind in StepKind}


def _default_line(app: Any, me: Person) -> list[dict[str, Any]]:
    steps = decisions.default_line_proposal(application=app, drafter=me)
    people = {
        str(p.pk): p for p in apps.people_named(ids=[s["assignee_id"] for s in steps if s["assignee_id"]])
    }
    return [
        {
            **s,
            "person": people.get(s["assignee_id"]),
            "kind_label": STEP_KIND_LABELS.get(s["kind"], s["kind"]),
        }
        for s in steps
    ]


def _line(app: Any, me: Person) -> Any:
    """The application's approval line with its steps (why a step was skipped shows beside it)."""
    if not app.approval_line_id:
        return None
    try:
        return approvals.line_get(user=me, line_id=app.approval_line_id)
    except GovDocError:
        return None


def _issued(app: Any, me: Person) -> Any:
    if not app.issued_document_id:
        return None
    try:
        return issuance.issued_get(viewer=me, issued_id=app.issued_document_id)
    except GovDocError:
        return None


def _line_from_post(request: HttpRequest) -> list[LineStep] | None:
    """The approval line as the handler changed it on the page (None: the service's default)."""
    kinds = request.POST.getlist("step_kind")
    assignees = request.POST.getlist("step_assignee")
    positions = request.POST.getlist("step_position")
    if not kinds:
        return None
    if not (len(kinds) == len(assignees) == len(positions)):
        raise InvalidInputError(
            _("The approval line on the page is incomplete."), errors={"line": "incomplete"}
        )
    try:
        return [
            LineStep(kind=kind, assignee_id=assignee, position=int(position))  # type: ignore[typeddict-item]
            for kind, assignee, position in zip(kinds, assignees, positions, strict=True)
        ]
    except ValueError as exc:
        raise InvalidInputError(_("A step position is not a number."), errors={"line": "position"}) from exc


def _act(request: HttpRequest, app: Any, me: Person, action: str) -> None:
    post = request.POST
    if action == "assign":
        handler = apps.handler_get(application=app, person_id=post.get("handler", ""))
        app_services.application_assign(application=app, handler=handler, actor=me)
        messages.success(request, _("The application is assigned."))
    elif action == "review":
        app_services.application_review(application=app, actor=me)
        messages.success(request, _("The application is found complete."))
    elif action == "request_completion":
        app_services.completion_request_create(
            application=app,
            message_text=post.get("message", ""),
            fields=post.getlist("fields"),
            attachment_keys=post.getlist("attachment_keys"),
            actor=me,
        )
        messages.success(request, _("The applicant is asked to complete the application."))
    elif action == "save_draft":
        fields = {k.removeprefix("decision_"): v for k, v in post.items() if k.startswith("decision_")}
        decisions.decision_draft_save(application=app, fields=fields, actor=me)
        messages.success(request, _("The draft is saved."))
    elif action == "send":
        decisions.decision_send_to_approval(application=app, steps=_line_from_post(request), actor=me)
        messages.success(request, _("The decision is sent for approval."))
    elif action == "withdraw_line":
        line = approvals.line_get(user=me, line_id=app.approval_line_id)
        approval_services.line_withdraw(line=line, actor=me, reason=post.get("reason", ""))
        messages.success(request, _("The approval line was withdrawn."))
    elif action == "revoke":
        document = issuance.issued_get(viewer=me, issued_id=app.issued_document_id)
        issuance_services.issued_revoke(issued=document, reason=post.get("reason", ""), actor=me)
        messages.success(request, _("The document was revoked."))
    else:
        raise Http404("unknown action")


@official_required
@require_POST
def decide(request: HttpRequest, step_id: str) -> HttpResponse:
    me = _me(request)
    if confirm := _step_up(request, reverse("web:work") + f"#step-{step_id}"):
        return confirm
    try:
        step = approvals.step_for_decision(person=me, step_id=step_id)
        approval_services.step_decide(
            step=step,
            actor=me,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            pin=request.POST.get("pin", ""),
        )
    except GovDocError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("web:work") + f"#step-{step_id}")
    messages.success(request, _("Your decision is signed and recorded."))
    return HttpResponseRedirect(reverse("web:work"))


@official_required
@require_safe
def attachment(request: HttpRequest, application_id: str, attachment_id: str) -> HttpResponse:
    """An attachment, as the citizen uploaded it (its type was checked by content on upload)."""
    try:
        found, content = apps.attachment_content(
            viewer=_me(request), application_id=application_id, attachment_id=attachment_id
        )
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    response = HttpResponse(content, content_type=found.media_type)
    response["Content-Disposition"] = content_disposition(found.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@official_required
@require_http_methods(["GET", "POST"])
def signing_pin(request: HttpRequest) -> HttpResponse:
    """The official changes their signing PIN: the current one, the new one twice. The key
    file is encrypted again under the new PIN; the PIN is never stored."""
    me = _me(request)
    if not signatures.has_signing_key(person=me):
        raise Http404("no signing key")
    context: dict[str, Any] = {"errors": {}, "signing_pin": signatures.signing_pin_current(person=me)}
    if request.method == "POST":
        try:
            signature_services.signing_pin_change(
                person=me,
                old_pin=request.POST.get("old_pin", ""),
                new_pin=request.POST.get("new_pin", ""),
                new_pin_again=request.POST.get("new_pin_again", ""),
            )
        except PinInvalidError as exc:
            context["errors"] = exc.details.get("errors", {})
            return render(request, "web/staff/signing_pin.html", context, status=400)
        except GovDocError as exc:  # the key is blocked
            context["error"] = exc.message
            return render(request, "web/staff/signing_pin.html", context, status=403)
        messages.success(request, _("Your signing PIN is changed."))
        return HttpResponseRedirect(reverse("web:work"))
    return render(request, "web/staff/signing_pin.html", context)
