"""The officials' pages of procedures (BPMN processes): my tasks and completing one, the running
procedures of my agency and starting one, a procedure's page with its diagram (bpmn-js, served
by GovDoc) and history, and the diagram's BPMN file.

Every write is one call of ``procedures.services``; lookups are ``procedures.selectors``. An
instance of another agency is answered 404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from govdoc.accounts.constants import Role, Script, role_in_sentence
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import agencies_all, has_role, memberships_current
from govdoc.core.errors import GovDocError
from govdoc.core.jsontypes import JSONObject, JSONValue
from govdoc.distribution.selectors import drafting_units, remote_recipients_offered
from govdoc.procedures import letters, selectors, services
from govdoc.procedures.bpmn_facts import DataField, DocumentSpec
from govdoc.procedures.constants import InstanceStatus
from govdoc.procedures.drawn_names import name_shown
from govdoc.procedures.errors import PartiesInvalidError
from govdoc.procedures.lanes import role_read
from govdoc.procedures.models import ProcessDefinition, ProcessInstance, ProcessTask
from govdoc.web.staff import official_required

COMMENT_MAX = 2000
TASKS_PER_PAGE = 50
PENDING = ("draft", "in_approval")  # an outgoing document neither sent nor rejected
LINES_MAX, TITLE_LINE_MAX = 20, 200  # a list of titles: each starts a procedure
NUMBER_MAX_LENGTH = 30  # digits enough for any amount; a longer text is no number a person means
YES, NO = "yes", "no"


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _agencies(me: Person) -> list[Agency]:
    """The agencies the official works in today (a current unit membership)."""
    seen: dict[object, Agency] = {}
    for membership in memberships_current(person=me):
        seen.setdefault(membership.unit.agency_id, membership.unit.agency)
    return sorted(seen.values(), key=lambda agency: agency.name)


def _instance_of_mine(request: HttpRequest, instance_id: uuid.UUID) -> ProcessInstance:
    """The instance, if an agency the official works in runs it or is one of its parties; 404
    otherwise."""
    try:
        return selectors.instance_for(person=_me(request), instance_id=instance_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc


def may_manage_definitions(person: Person) -> bool:
    """Who sees the definitions page: the people ``definition_load`` accepts (administrators)."""
    return bool(person.is_superuser) or has_role(person=person, role=Role.ADMINISTRATOR)


def page(request: HttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """A procedures page: the context plus what the pages' navigation needs."""
    context["may_manage_definitions"] = may_manage_definitions(_me(request))
    return render(request, template, context, status=status)


@dataclass(frozen=True)
class TaskRow:
    """An open task as a page lists it: with its deadline and whether it is the viewer's."""

    task: ProcessTask
    deadline: dt.datetime | None
    mine: bool = True


def _row(task: ProcessTask, mine: bool = True) -> TaskRow:
    return TaskRow(task, selectors.task_deadline(task=task), mine)


# ---------------------------------------------------------------------------- my tasks


@official_required
@require_safe
def tasks(request: HttpRequest) -> HttpResponse:
    listed = Paginator(selectors.tasks_for(person=_me(request)), TASKS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [_row(t) for t in listed]
    remote = list(selectors.remote_tasks_for(person=_me(request))[:TASKS_PER_PAGE])
    return page(
        request,
        "web/procedures/tasks.html",
        {"tasks": rows, "page": listed, "query": "", "remote_tasks": remote},
    )


@official_required
@require_http_methods(["GET", "HEAD", "POST"])
def remote_task(request: HttpRequest, task_id: int) -> HttpResponse:
    """A task that a procedure on another node asks of the official's agency: done here, its
    result goes back to that node."""
    me = _me(request)
    try:
        task = selectors.remote_task_for(person=me, task_id=task_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    fields = services.remote_fields(task.fields)
    error, status = "", 200
    errors: dict[str, str] = {}
    post = request.POST if request.method == "POST" else None
    if post is not None:
        data, errors = _task_data(fields, post)
        if errors:
            error, status = _("Please correct the marked fields."), 400
        else:
            try:
                services.remote_task_complete(task=task, actor=me, data=data)
            except GovDocError as exc:
                error, status = exc.message, exc.status
            else:
                messages.success(
                    request,
                    _("The task “%(task)s” is done; its result goes back to %(origin)s.")
                    % {"task": name_shown(task.title)[0], "origin": task.origin},
                )
                return HttpResponseRedirect(reverse("web:procedure-tasks"))
    context = {
        "task": task,
        "fields": _field_rows(fields, post, errors),
        "comment": post.get("comment", "") if post is not None else "",
        "comment_error": errors.get("comment", ""),
        "comment_max": COMMENT_MAX,
        "error": error,
    }
    return page(request, "web/procedures/remote_task.html", context, status=status)


def _field_rows(fields: tuple[DataField, ...], post: Any, errors: dict[str, str]) -> list[dict[str, Any]]:
    """The form's decision fields with what was chosen (kept after a refusal)."""
    rows = []
    for field in fields:
        key = f"data_{field.name}"
        chosen = post.getlist(key) if post is not None else []
        rows.append(
            {
                "field": field,
                "key": key,
                "choices": [(str(i), label) for i, (_value, label) in enumerate(field.choices)],
                "chosen": chosen,
                "value": chosen[0] if chosen else "",
                "hint": _("One per line; each starts a new procedure.") if field.kind == "lines" else "",
                "error": errors.get(field.name, ""),
            }
        )
    return rows


def _read_field(field: DataField, post: Any) -> tuple[JSONValue, str]:
    """The value of one decision field as process data, or an error for the person."""
    key = f"data_{field.name}"
    raw = post.get(key, "").strip()
    if field.kind == "flag":
        if raw not in (YES, NO):
            return None, _("Choose yes or no.")
        return raw == YES, ""
    if field.kind == "choice":
        if not raw.isdigit() or int(raw) >= len(field.choices):
            return None, _("Choose one of the offered answers.")
        return field.choices[int(raw)][0], ""
    if field.kind == "items":
        picked = [v for v in post.getlist(key) if v.isdigit() and int(v) < len(field.choices)]
        return [field.choices[int(v)][0] for v in sorted(set(picked), key=int)], ""
    if field.kind == "lines":
        lines = [" ".join(line.split()) for line in str(post.get(key, "")).splitlines()]
        given: list[JSONValue] = [line for line in lines if line]
        if len(given) > LINES_MAX or any(len(str(line)) > TITLE_LINE_MAX for line in given):
            return None, _("At most %(n)d lines of at most %(m)d characters.") % {
                "n": LINES_MAX,
                "m": TITLE_LINE_MAX,
            }
        return given, ""
    if len(raw) > NUMBER_MAX_LENGTH:
        return None, _("Enter a number.")
    try:
        number = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        return None, _("Enter a number.")
    if not number.is_finite():
        return None, _("Enter a number.")
    return (int(number) if number == number.to_integral_value() else float(number)), ""


def _task_data(fields: tuple[DataField, ...], post: Any) -> tuple[JSONObject, dict[str, str]]:
    data: JSONObject = {}
    errors: dict[str, str] = {}
    for field in fields:
        value, error = _read_field(field, post)
        if error:
            errors[field.name] = error
        else:
            data[field.name] = value
    comment = post.get("comment", "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = _("At most %(n)d characters.") % {"n": COMMENT_MAX}
    elif comment:
        data["comment"] = comment
    return data, errors


@official_required
@require_http_methods(["GET", "HEAD", "POST"])
def task(request: HttpRequest, instance_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    me = _me(request)
    instance = _instance_of_mine(request, instance_id)
    open_task = selectors.task_open(instance=instance, task_id=task_id)
    spec = selectors.task_document_spec(task=open_task) if open_task is not None else None
    if open_task is not None and spec is not None:
        return _document_task(request, me, instance, open_task, spec)
    if open_task is not None and instance.application_id and selectors.task_application_steps(task=open_task):
        # A step of the application the procedure handles: taken on the application's page.
        return HttpResponseRedirect(reverse("web:work-application", args=[instance.application_id]))
    fields = selectors.task_fields(task=open_task) if open_task is not None else ()
    error, status = "", 200
    errors: dict[str, str] = {}
    post = request.POST if request.method == "POST" else None
    if open_task is None:
        error, status = (
            _("This task is not waiting for anyone any more (it may have just been completed)."),
            409,
        )
    if post is not None and open_task is not None:
        data, errors = _task_data(fields, post)
        if errors:
            error, status = _("Please correct the marked fields."), 400
        else:
            try:
                services.task_complete(instance=instance, task_id=str(task_id), actor=me, data=data)
            except GovDocError as exc:
                error, status = exc.message, exc.status
            else:
                done = name_shown(open_task.title)[0]
                messages.success(request, _("The task “%(task)s” is done.") % {"task": done})
                return HttpResponseRedirect(reverse("web:procedure-tasks"))
    context = {
        "instance": instance,
        "row": _row(open_task) if open_task is not None else None,
        "fields": _field_rows(fields, post, errors),
        "comment": post.get("comment", "") if post is not None else "",
        "comment_error": errors.get("comment", ""),
        "comment_max": COMMENT_MAX,
        "error": error,
    }
    return page(request, "web/procedures/task.html", context, status=status)


# A task that produces a document: it is drafted (or countersigned) here, approved and sent from
# the outgoing document's page, and the task completes when the document is sent.


def _final_approver(spec: DocumentSpec, open_task: ProcessTask) -> str:
    """Who gives the document's final approval, as a sentence says it: the role ``approved-by``
    names (else the lane's, the role the procedure's people hold there)."""
    role = role_read(spec.approved_by) if spec.approved_by else None
    if role is None and open_task.role:
        role = Role(open_task.role)
    return role_in_sentence(role) if role is not None else ""


def _document_task(
    request: HttpRequest, me: Person, instance: ProcessInstance, open_task: ProcessTask, spec: DocumentSpec
) -> HttpResponse:
    units = [u for u in drafting_units(me) if u.agency_id == open_task.agency_id]
    post = request.POST if request.method == "POST" else None
    error, status = "", 200
    errors: dict[str, str] = {}
    # a document task that leads into a gateway gives its decision with the draft
    fields = selectors.task_fields(task=open_task) if spec.mode == "draft" else ()
    data: JSONObject = {}
    values = {
        "unit": str(units[0].pk) if units else "",
        "title": name_shown(open_task.title)[0],  # the drafted document's title, to be changed
        "text": "",
        "script": str(me.preferred_script),
        "classification_code": spec.classification,
    }
    if post is not None:
        values.update({key: str(post.get(key, "")).strip() for key in values if key != "text"})
        values["text"] = str(post.get("text", ""))
        unit = next((u for u in units if str(u.pk) == values["unit"]), None)
        if unit is None:
            errors["unit"] = _("Choose one of the offered units.")
        if spec.mode == "draft" and values["script"] not in Script.values:
            errors["script"] = _("Choose one of the offered scripts.")
        if fields:
            data, field_errors = _task_data(fields, post)
            errors |= field_errors
        if errors:
            error, status = _("Please correct the marked fields."), 400
        else:
            assert unit is not None
            try:
                if spec.mode == "draft":
                    made = services.task_document_draft(
                        instance=instance,
                        task_id=str(open_task.task_id),
                        actor=me,
                        unit=unit,
                        title=values["title"],
                        text=values["text"],
                        script=values["script"],
                        classification_code=values["classification_code"],
                        data=data,
                    )
                else:
                    made = services.task_document_countersign(
                        instance=instance, task_id=str(open_task.task_id), actor=me, unit=unit
                    )
            except GovDocError as exc:
                error, status = exc.message, exc.status
                found = exc.details.get("errors")
                errors = {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}
            else:
                messages.success(
                    request,
                    _("Drafted. Propose its approval line here; the task is done once it is sent."),
                )
                return HttpResponseRedirect(reverse("web:outgoing", args=[made.outgoing_id]))
    delivery = (
        selectors.countersign_delivery(instance, spec, open_task.agency_id)
        if spec.mode == "countersign" and open_task.agency_id is not None
        else None
    )
    documents = list(selectors.task_documents(instance=instance, task_id=open_task.task_id))
    context = {
        "instance": instance,
        "row": _row(open_task),
        "spec": spec,
        "documents": documents,
        "pending": any(
            d.outgoing is not None and d.outgoing.status in ("draft", "in_approval") for d in documents
        ),
        "units": units,
        "values": values,
        "errors": errors,
        "error": error,
        "scripts": Script.choices,
        "recipients": selectors.document_recipients(instance=instance, spec=spec),
        "template_name": letters.TEMPLATES.get(spec.template, ""),
        "final_approver": _final_approver(spec, open_task),
        "delivery": delivery,
        "fields": _field_rows(fields, post, errors),
    }
    return page(request, "web/procedures/task_document.html", context, status=status)


# ---------------------------------------------------------------- running procedures


@official_required
@require_safe
def instances(request: HttpRequest) -> HttpResponse:
    me = _me(request)
    agencies = _agencies(me)
    ids: set[object] = {agency.pk for agency in agencies}
    key = request.GET.get("procedure", "")
    status = request.GET.get("status", "")
    if status not in InstanceStatus.values:
        status = ""
    found = selectors.instances_of_agencies(agency_ids=ids, key=key, status=status)
    listed = Paginator(found, 50).get_page(request.GET.get("page"))
    keys = sorted(set(selectors.definitions_all().values_list("key", "name")))
    query = "&".join(f"{k}={v}" for k, v in (("procedure", key), ("status", status)) if v)
    return page(
        request,
        "web/procedures/instances.html",
        {
            "page": listed,
            "procedures": keys,
            "statuses": InstanceStatus.choices,
            "chosen_procedure": key,
            "chosen_status": status,
            "query": query,
            "startable": selectors.definitions_startable(person=me, agency_ids=ids),
            "agencies": agencies,
        },
    )


def _party_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The organizations a party may be, grouped: this node's agencies (by code) and, node by
    node, the agencies of the trust list (``code@node``)."""
    here = [(a.code, a.name) for a in agencies_all().order_by("name")]
    groups = [(_("On this node"), here)]
    for node, agencies in remote_recipients_offered():
        named = [(f"{code}@{node.node_id}", f"{name} ({node.node_id})") for code, name in agencies]
        groups.append((_("On the node %(node)s") % {"node": node.name}, named))
    return groups


def _start_page(
    request: HttpRequest,
    *,
    definition: ProcessDefinition,
    agency: Agency,
    parties: list[tuple[str, str, str]],
    errors: dict[str, str] | None = None,
) -> HttpResponse:
    """The start form of one procedure that works with parties: each party's organization
    (``parties``: field name, party, value given), with a message beside each that is wrong."""
    return page(
        request,
        "web/procedures/start.html",
        {
            "definition": definition,
            "agency": agency,
            "title": request.POST.get("title", "").strip(),
            "business_key": request.POST.get("business_key", "").strip(),
            "parties": [
                {"field": field, "name": name, "value": value, "error": (errors or {}).get(name, "")}
                for field, name, value in parties
            ],
            "choices": _party_choices(),
        },
        status=400 if errors else 200,
    )


@official_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start the active version of a process in one of the official's agencies. A process
    whose lanes name parties is started from a second form that asks for their organizations."""
    me = _me(request)
    agencies = {str(agency.pk): agency for agency in _agencies(me)}
    agency = agencies.get(request.POST.get("agency", "")) or (
        next(iter(agencies.values())) if len(agencies) == 1 else None
    )
    try:
        definition = selectors.definition_active(key=request.POST.get("procedure", ""))
    except GovDocError:
        definition = None
    if agency is None or definition is None:
        messages.error(request, _("Choose a procedure and an agency to start it in."))
        return HttpResponseRedirect(reverse("web:procedures"))
    title = request.POST.get("title", "").strip()
    business_key = request.POST.get("business_key", "").strip()
    named = selectors.definition_parties(definition=definition)
    parties = [(f"party-{i}", n, request.POST.get(f"party-{i}", "").strip()) for i, n in enumerate(named)]
    if parties and "parties" not in request.POST:  # first the organizations that take part
        return _start_page(request, definition=definition, agency=agency, parties=parties)
    try:
        instance = services.instance_start(
            definition=definition,
            agency=agency,
            actor=me,
            title=title,
            business_key=business_key,
            parties={name: value for _field, name, value in parties if value} if parties else None,
        )
    except PartiesInvalidError as exc:
        found = exc.details.get("errors")
        listed = found.items() if isinstance(found, dict) else ()
        by_party = {str(k).removeprefix("parties."): str(v) for k, v in listed}
        return _start_page(request, definition=definition, agency=agency, parties=parties, errors=by_party)
    except GovDocError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("web:procedures"))
    started = name_shown(definition.name)[0]
    messages.success(request, _("The procedure “%(name)s” has started.") % {"name": started})
    return HttpResponseRedirect(reverse("web:procedure", args=[instance.pk]))


# ------------------------------------------------------------------ one procedure


@official_required
@require_safe
def instance(request: HttpRequest, instance_id: uuid.UUID) -> HttpResponse:
    return _instance_page(request, _instance_of_mine(request, instance_id))


def _instance_page(
    request: HttpRequest, found: ProcessInstance, *, cancel_error: str = "", status: int = 200
) -> HttpResponse:
    steps = list(selectors.instance_steps(instance=found))
    mine = {t.pk for t in selectors.tasks_for(person=_me(request)).filter(instance=found)}
    open_tasks = [_row(t, t.pk in mine) for t in selectors.instance_open_tasks(instance=found)]
    done = sorted({s.spec_name for s in steps})
    ids: set[object] = {agency.pk for agency in _agencies(_me(request))}
    related = [
        p
        for p in selectors.instances_related(instance=found)
        if selectors.instance_visible_to(instance=p, agency_ids=ids)
    ]
    return page(
        request,
        "web/procedures/instance.html",
        {
            "instance": found,
            "documents": list(selectors.task_documents(instance=found)),
            "may_cancel": may_cancel(_me(request), found),
            "cancel_error": cancel_error,
            "cancel_reason": request.POST.get("reason", "") if request.method == "POST" else "",
            "related": related,
            "steps": steps,
            "open_tasks": open_tasks,
            "data": sorted(selectors.instance_data(instance=found).items()),
            "current_ids": " ".join(sorted({r.task.spec_name for r in open_tasks})),
            "done_ids": " ".join(done),
        },
        status=status,
    )


def may_cancel(person: Person, instance: ProcessInstance) -> bool:
    return instance.status == InstanceStatus.RUNNING and any(
        has_role(person=person, role=role, agency=instance.agency) for role in services.CANCEL_ROLES
    )


@official_required
@require_POST
def cancel(request: HttpRequest, instance_id: uuid.UUID) -> HttpResponse:
    """The head of the agency or an administrator stops a running procedure, with the reason."""
    found = _instance_of_mine(request, instance_id)
    try:
        services.instance_cancel(instance=found, actor=_me(request), reason=request.POST.get("reason", ""))
    except GovDocError as exc:
        found = _instance_of_mine(request, instance_id)
        return _instance_page(request, found, cancel_error=exc.message, status=exc.status)
    messages.success(request, _("The procedure is cancelled."))
    return HttpResponseRedirect(reverse("web:procedure", args=[found.pk]))


@official_required
@require_safe
def diagram(request: HttpRequest, instance_id: uuid.UUID) -> HttpResponse:
    """The BPMN file the instance runs, for the page's bpmn-js viewer."""
    found = _instance_of_mine(request, instance_id)
    response = HttpResponse(found.definition.bpmn_xml, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
