"""The officials' pages of e-Doc distribution: the documents their units send (drafting one from
a PDF, replacing the PDF, sending it on an approval line) and the documents their agency
receives (registering or returning them at the registry, reading them, answering them).

Every write is one call of ``distribution.services``; lookups are ``distribution.selectors``.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from govdoc.accounts.constants import Role, role_in_sentence
from govdoc.accounts.models import Person, Unit
from govdoc.accounts.selectors import officials_of_agency, units_of_agency
from govdoc.approvals import selectors as approvals
from govdoc.approvals.constants import StepKind
from govdoc.approvals.policy import holders_text
from govdoc.approvals.services import StepSpec
from govdoc.core.downloads import content_disposition
from govdoc.core.errors import GovDocError
from govdoc.distribution import selectors, services
from govdoc.distribution.consignments import consignment_resend
from govdoc.distribution.constants import RETENTION_YEARS, DeliveryStatus, DocumentKind, OutgoingStatus
from govdoc.distribution.errors import InvalidOutgoingError, NotAllowedToDraftError
from govdoc.distribution.models import Consignment, Delivery, OutgoingDocument
from govdoc.documents.constants import Disclosure
from govdoc.documents.errors import UploadRejectedError
from govdoc.web.language import name_in_script, page_script
from govdoc.web.staff import STEP_KIND_LABELS, official_required

# How many reviews and consents the drafter may add to the line on the page.
EXTRA_STEPS = 2
PERMANENT = "permanent"


def _me(request: HttpRequest) -> Person:
    assert isinstance(request.user, Person)
    return request.user


def _kinds() -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in DocumentKind.choices]


def _retention_choices() -> list[tuple[str, str]]:
    years = [(str(n), ngettext("%(n)s year", "%(n)s years", n) % {"n": n}) for n in RETENTION_YEARS]
    return [*years, (PERMANENT, _("Permanently"))]


def _disclosures() -> list[tuple[str, str]]:
    labels = {
        Disclosure.PUBLIC: _("Public"),
        Disclosure.PARTIAL: _("Partially public"),
        Disclosure.NOT_PUBLIC: _("Not public"),
    }
    return [(str(value), labels[Disclosure(value)]) for value in Disclosure.values]


def retention_text(years: int | None) -> str:
    if years is None:
        return _("Permanently")
    return ngettext("%(n)s year", "%(n)s years", years) % {"n": years}


def disclosure_text(code: str) -> str:
    return dict(_disclosures()).get(code, code)


def _field_errors(raw: dict[str, str]) -> dict[str, str]:
    """A service's field errors keyed by the page's fields (``recipients.2`` → ``recipients``)."""
    errors: dict[str, str] = {}
    for key, message in raw.items():
        errors.setdefault(key.split(".")[0], str(message))
    return errors


def _recipient_label(delivery: Delivery, script: str) -> str:
    name = name_in_script(delivery.agency, script)
    return f"{name} — {name_in_script(delivery.unit, script)}" if delivery.unit is not None else name


# ---------------------------------------------------------------------------- outgoing


@official_required
@require_safe
def outgoing_list(request: HttpRequest) -> HttpResponse:
    me, script = _me(request), page_script(request)
    page = Paginator(selectors.outgoing_visible(me), 50).get_page(request.GET.get("page"))
    for outgoing in page.object_list:
        outgoing.recipients = [
            {"label": _recipient_label(d, script), "delivery": d} for d in outgoing.deliveries.all()
        ]
    return render(
        request,
        "web/distribution/outgoing_list.html",
        {"page": page, "may_draft": bool(selectors.drafting_units(me))},
    )


def _form_values(post: Any) -> dict[str, Any]:
    return {
        "unit": post.get("unit", ""),
        "title": post.get("title", "").strip()[:500],
        "kind": post.get("kind", ""),
        "classification_code": post.get("classification_code", "").strip()[:32],
        "retention": post.get("retention", ""),
        "disclosure": post.get("disclosure", ""),
        "legal_ground": post.get("legal_ground", "").strip()[:500],
        "recipients": post.getlist("recipients"),
        "internal": post.get("internal", "") == "yes",
        "reply_to": post.get("reply_to", ""),
    }


def _retention_years(value: str) -> int | None:
    """The years chosen, None for permanently; a choice that is not offered is 0, which the
    service refuses as a period it does not offer."""
    if value == PERMANENT:
        return None
    return int(value) if value.isdigit() else 0


def _reply_values(delivery: Delivery) -> dict[str, Any]:
    """An answer to a registered document: back to the unit (or agency) that sent it."""
    title = delivery.title
    received = delivery.received_document
    if delivery.outgoing is not None:
        back = f"unit:{delivery.outgoing.unit_id}"
    else:
        assert delivery.arrival is not None
        back = f"remote:{delivery.arrival.node.node_id}:{delivery.arrival.sender_agency_code}"
    return {
        "title": title if title.startswith("Odgovor: ") else f"Odgovor: {title}",
        "kind": DocumentKind.LETTER,
        "classification_code": received.classification_code if received else "",
        "retention": PERMANENT if delivery.retention_years is None else str(delivery.retention_years),
        "disclosure": delivery.disclosure,
        "legal_ground": delivery.legal_ground,
        "recipients": [back],
        "reply_to": str(delivery.pk),
    }


def _reply_delivery(me: Person, reply_to: str) -> Delivery | None:
    if not reply_to:
        return None
    try:
        return selectors.delivery_get(viewer=me, delivery_id=uuid.UUID(reply_to))
    except (ValueError, GovDocError) as exc:
        raise Http404("no such received document") from exc


@official_required
@require_http_methods(["GET", "POST"])
def outgoing_new(request: HttpRequest) -> HttpResponse:
    """Draft an official document from a PDF; ``?reply_to=<delivery>`` drafts an answer."""
    me, script = _me(request), page_script(request)
    units = selectors.drafting_units(me)
    if not units:
        return render(request, "web/distribution/outgoing_new.html", {"no_unit": True}, status=403)
    values: dict[str, Any] = {"unit": str(units[0].pk), "recipients": [], "retention": "10"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _form_values(request.POST)
        reply_to = _reply_delivery(me, values["reply_to"])
        try:
            outgoing = _draft(request, me, units, values, reply_to)
        except InvalidOutgoingError as exc:
            errors, status = _field_errors(exc.field_errors), 400
        except UploadRejectedError as exc:
            errors, status = {"file": exc.message}, exc.status
        except NotAllowedToDraftError as exc:
            errors, status = {"unit": exc.message}, 403
        else:
            messages.success(request, _("The draft is saved. Send it for approval when it is ready."))
            return HttpResponseRedirect(reverse("web:outgoing", args=[outgoing.pk]))
    else:
        reply_to = _reply_delivery(me, request.GET.get("reply_to", ""))
        if reply_to is not None:
            values |= _reply_values(reply_to)
    chosen = set(values["recipients"])
    recipients = [
        {
            "key": f"agency:{agency.pk}",
            "name": name_in_script(agency, script),
            "checked": f"agency:{agency.pk}" in chosen,
            "units": [
                {
                    "key": f"unit:{unit.pk}",
                    "name": name_in_script(unit, script),
                    "checked": f"unit:{unit.pk}" in chosen,
                }
                for unit in agency_units
            ],
        }
        for agency, agency_units in selectors.recipients_offered()
    ]
    remote = [
        {
            "node": node.node_id,
            "name": node.name,
            "agencies": [
                {
                    "key": f"remote:{node.node_id}:{code}",
                    "name": name,
                    "checked": f"remote:{node.node_id}:{code}" in chosen,
                }
                for code, name in agencies
            ],
        }
        for node, agencies in selectors.remote_recipients_offered()
    ]
    context = {
        "values": values,
        "errors": errors,
        "units": [
            (str(u.pk), f"{name_in_script(u.agency, script)} — {name_in_script(u, script)}") for u in units
        ],
        "kinds": _kinds(),
        "retentions": _retention_choices(),
        "disclosures": _disclosures(),
        "recipients": recipients,
        "remote_recipients": remote,
        "reply_to": reply_to,
    }
    return render(request, "web/distribution/outgoing_new.html", context, status=status)


def _draft(
    request: HttpRequest, me: Person, units: list[Unit], values: dict[str, Any], reply_to: Delivery | None
) -> OutgoingDocument:
    """Every error of the form at once: the page's own (unit, file, a recipient that is not
    offered) with the service's; the service alone writes."""
    unit = next((u for u in units if str(u.pk) == values["unit"]), None)
    recipients, unknown = selectors.recipients_named(values["recipients"])
    upload = request.FILES.get("file")
    errors: dict[str, str] = {}
    if unit is None:
        errors["unit"] = _("Choose one of your units.")
    if unknown:
        errors["recipients"] = _("Choose the recipients among those offered.")
    if upload is None:
        errors["file"] = _("Choose the PDF of the document.")
    fields = {
        "title": values["title"],
        "kind": values["kind"],
        "retention_years": _retention_years(values["retention"]),
        "disclosure": values["disclosure"],
        "legal_ground": values["legal_ground"],
        "recipients": recipients,
        "internal": values["internal"],
    }
    if errors:
        found = services.outgoing_draft_refusals(
            **fields, classification_code=values["classification_code"], unit=unit or units[0]
        )
        raise InvalidOutgoingError(_("The draft has errors."), errors={**found, **errors})
    assert unit is not None and upload is not None
    return services.outgoing_draft(
        actor=me,
        unit=unit,
        classification_code=values["classification_code"],
        content=upload.read(),
        filename=upload.name or "document.pdf",
        in_reply_to=reply_to,
        **fields,
    )


def _line_steps(post: Any) -> list[StepSpec]:
    """The line as chosen on the page: reviews in order, then the consents together (they run
    in parallel), then the final approval."""
    steps: list[StepSpec] = []
    position = 1
    for assignee in post.getlist("reviewer"):
        if assignee:
            steps.append(StepSpec(StepKind.REVIEW, assignee, position))
            position += 1
    consents = [a for a in post.getlist("consent") if a]
    for assignee in consents:
        steps.append(StepSpec(StepKind.CONSENT, assignee, position))
    if consents:
        position += 1
    steps.append(StepSpec(StepKind.APPROVAL, post.get("approver", ""), position))
    return steps


def _valid_ids(steps: list[StepSpec]) -> bool:
    try:
        for step in steps:
            uuid.UUID(str(step.assignee_id))
    except ValueError:
        return False
    return True


@official_required
@require_http_methods(["GET", "POST"])
def outgoing_detail(request: HttpRequest, outgoing_id: uuid.UUID) -> HttpResponse:
    me, script = _me(request), page_script(request)
    try:
        outgoing = selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    errors: dict[str, str] = {}
    error, status = "", 200
    chosen: dict[str, Any] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "replace":
                upload = request.FILES.get("file")
                if upload is None:
                    raise InvalidOutgoingError(
                        _("Choose the PDF of the document."),
                        errors={"file": _("Choose the PDF of the document.")},
                    )
                services.outgoing_content_replace(
                    outgoing=outgoing, content=upload.read(), filename=upload.name or "document.pdf", actor=me
                )
                messages.success(request, _("The PDF is replaced."))
            elif action == "send":
                steps = _line_steps(request.POST)
                chosen = {
                    "approver": request.POST.get("approver", ""),
                    "reviewer": request.POST.getlist("reviewer"),
                    "consent": request.POST.getlist("consent"),
                }
                if not _valid_ids(steps):
                    raise InvalidOutgoingError(
                        _("Choose who approves."), errors={"steps": _("Choose who approves.")}
                    )
                services.outgoing_send_for_approval(outgoing=outgoing, steps=steps, actor=me)
                messages.success(request, _("The document is sent for approval."))
            elif action == "resend":
                consignment = _consignment(outgoing, request.POST.get("consignment", ""))
                consignment_resend(consignment=consignment, actor=me)
                messages.success(request, _("It is being sent again."))
            else:
                raise Http404("unknown action")
            return HttpResponseRedirect(request.path)
        except UploadRejectedError as exc:
            errors, status = {"file": exc.message}, exc.status
        except GovDocError as exc:
            error, status = exc.message, exc.status
            fields = exc.details.get("errors")
            if isinstance(fields, dict):
                errors = _field_errors({str(k): str(v) for k, v in fields.items()})
                error = ""
    context = _outgoing_context(outgoing, me, script)
    context |= {"errors": errors, "error": error, "chosen": chosen}
    return render(request, "web/distribution/outgoing_detail.html", context, status=status)


def _outgoing_context(outgoing: OutgoingDocument, me: Person, script: str) -> dict[str, Any]:
    document = outgoing.document
    may_send = outgoing.drafter_id == me.pk and outgoing.status == OutgoingStatus.DRAFT
    line = None
    if outgoing.approval_line_id is not None:
        try:
            line = approvals.line_get(user=me, line_id=outgoing.approval_line_id)
        except GovDocError:
            line = None
    policy = selectors.policy_of(agency_id=outgoing.agency_id, kind=outgoing.kind)
    required = outgoing.final_approver_role  # a procedure's document names who approves it
    finals = (
        officials_of_agency(agency_id=outgoing.agency_id, role=required).exclude(pk=me.pk)
        if may_send and required
        else None
    )
    heads = list(finals) if finals is not None else list(selectors.heads_of_unit(outgoing.unit))
    deliveries = [
        {"delivery": d, "label": _recipient_label(d, script)} for d in selectors.deliveries_of(outgoing)
    ]
    return {
        "outgoing": outgoing,
        "document": document,
        "unit_name": name_in_script(outgoing.unit, script),
        "agency_name": name_in_script(outgoing.agency, script),
        "retention": retention_text(outgoing.retention_years),
        "disclosure": disclosure_text(document.disclosure),
        "version": outgoing.sealed_version or document.current_version,
        "deliveries": deliveries,
        "consignments": [
            {"c": c, "may_resend": selectors.may_resend(me, c)} for c in selectors.consignments_of(outgoing)
        ],
        "answers_arrived": selectors.answers_arrived(outgoing),
        "thread": _thread(outgoing, me),
        "line": line,
        "may_send": may_send,
        "officials": officials_of_agency(agency_id=outgoing.agency_id).exclude(pk=me.pk) if may_send else [],
        "final_officials": finals,
        "final_role": role_in_sentence(Role(required)) if required else "",
        "default_approver": str(heads[0].pk) if heads else "",
        "extra_steps": range(EXTRA_STEPS),
        "policy": [
            {
                "kind": STEP_KIND_LABELS.get(step["kind"], step["kind"]),
                "holders": holders_text(step["holders"]),
            }
            for step in policy.get("steps", [])
        ],
    }


def _consignment(outgoing: OutgoingDocument, key: str) -> Consignment:
    try:
        return selectors.consignments_of(outgoing).get(pk=uuid.UUID(key))
    except (ValueError, Consignment.DoesNotExist) as exc:
        raise Http404("no such consignment") from exc


@official_required
@require_safe
def outgoing_receipt(request: HttpRequest, outgoing_id: uuid.UUID, consignment_id: uuid.UUID) -> HttpResponse:
    """The receiving node's signed receipt for one consignment, as it came (the proof of what
    was delivered, or refused, and when): the receipt's JSON and its detached CMS signature."""
    me = _me(request)
    try:
        outgoing = selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    consignment = _consignment(outgoing, str(consignment_id))
    if consignment.receipt is None or consignment.receipt_signature is None:
        raise Http404("no receipt yet")
    body = {
        "receipt": base64.b64encode(bytes(consignment.receipt)).decode("ascii"),
        "signature": base64.b64encode(bytes(consignment.receipt_signature)).decode("ascii"),
        "manifest": base64.b64encode(bytes(consignment.manifest or b"")).decode("ascii"),
        "envelope_signature": base64.b64encode(bytes(consignment.signature or b"")).decode("ascii"),
    }
    response = JsonResponse(body)
    response["Content-Disposition"] = f'attachment; filename="receipt-{consignment.pk}.json"'
    return response


def _thread(outgoing: OutgoingDocument, me: Person) -> list[OutgoingDocument]:
    """The correspondence, each document marked ``visible`` if ``me`` may open it here."""
    thread = selectors.thread_of(outgoing)
    visible = set(
        selectors.outgoing_visible(me).filter(pk__in=[o.pk for o in thread]).values_list("pk", flat=True)
    )
    for o in thread:
        o.visible = o.pk in visible  # type: ignore[attr-defined]
    return thread


@official_required
@require_safe
def outgoing_pdf(request: HttpRequest, outgoing_id: uuid.UUID) -> HttpResponse:
    """The document's PDF: the sealed one once sent, the current draft before."""
    me = _me(request)
    try:
        filename, content = selectors.outgoing_pdf(
            viewer=me, outgoing=selectors.outgoing_get(viewer=me, outgoing_id=outgoing_id)
        )
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    return _pdf_response(content, filename)


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(filename, inline=True, default="document.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


# ---------------------------------------------------------------------------- incoming


@official_required
@require_safe
def incoming_list(request: HttpRequest) -> HttpResponse:
    me, script = _me(request), page_script(request)
    awaiting, others = [], []
    clerk_of: dict[uuid.UUID, bool] = {}
    for delivery in selectors.incoming_visible(me)[:500]:
        if delivery.agency_id not in clerk_of:
            clerk_of[delivery.agency_id] = selectors.is_registry_clerk_of(me, delivery.agency_id)
        row = {
            "delivery": delivery,
            "sender": _sender(delivery, script),
            "to": _recipient_label(delivery, script),
            "assigned": name_in_script(delivery.assigned_unit, script) if delivery.assigned_unit else "",
        }
        if delivery.status == DeliveryStatus.DELIVERED and clerk_of[delivery.agency_id]:
            awaiting.append(row | _registration_choices(delivery, script))
        else:
            others.append(row)
    return render(
        request, "web/distribution/incoming_list.html", {"awaiting": awaiting, "others": others, "errors": {}}
    )


def _sender(delivery: Delivery, script: str) -> str:
    """Who sent what arrived, in the page's script: an agency of this installation, or the
    agency of another node as that node names it."""
    if delivery.outgoing is not None:
        return name_in_script(delivery.outgoing.agency, script)
    return selectors.sender_name(delivery)


def _registration_choices(delivery: Delivery, script: str) -> dict[str, Any]:
    """What a registry clerk chooses from: the units of the agency (the one it is addressed to
    first) and its officials by unit."""
    units = sorted(
        units_of_agency(agency=delivery.agency),
        key=lambda u: (u.pk != delivery.unit_id, u.name),
    )
    return {
        "units": [(str(u.pk), name_in_script(u, script)) for u in units],
        "handlers": [
            (str(p.pk), f"{p.get_full_name() or p.username} ({name_in_script(u, script)})")
            for u, p in selectors.assignable_officials(delivery.agency_id)
        ],
    }


@official_required
@require_http_methods(["GET", "POST"])
def incoming_detail(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    me, script = _me(request), page_script(request)
    try:
        delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    error, status = "", 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        values = {k: request.POST.get(k, "").strip() for k in ("unit", "handler", "classification", "reason")}
        try:
            if action == "register":
                unit, handler = _unit_and_handler(delivery, values)
                services.delivery_register(
                    delivery=delivery,
                    actor=me,
                    unit=unit,
                    handler=handler,
                    classification_code=values["classification"][:32],
                )
                messages.success(request, _("The document is registered and assigned."))
            elif action == "return":
                services.delivery_return(delivery=delivery, actor=me, reason=values["reason"])
                messages.success(request, _("The document is returned to the sender."))
            elif action == "countersign":
                units = [u for u in selectors.drafting_units(me) if u.agency_id == delivery.agency_id]
                if not units:
                    raise Http404("no drafting unit")
                answer = services.outgoing_countersign(delivery=delivery, actor=me, unit=units[0])
                messages.success(
                    request,
                    _("Countersignature drafted. Propose its approval line; once approved it goes back."),
                )
                return HttpResponseRedirect(reverse("web:outgoing", args=[answer.pk]))
            else:
                raise Http404("unknown action")
            return HttpResponseRedirect(request.path)
        except GovDocError as exc:
            error, status = exc.message, exc.status
            fields = exc.details.get("errors")
            if isinstance(fields, dict):
                errors = {str(k): str(v) for k, v in fields.items()}
                error = ""
        delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
    is_clerk = selectors.is_registry_clerk_of(me, delivery.agency_id)
    received = delivery.received_document
    context: dict[str, Any] = {
        "delivery": delivery,
        "outgoing": delivery.outgoing,
        "arrival": delivery.arrival,
        "sender": _sender(delivery, script),
        "sender_unit": name_in_script(delivery.outgoing.unit, script)
        if delivery.outgoing is not None
        else delivery.arrival.sender_unit_code
        if delivery.arrival is not None
        else "",
        "to": _recipient_label(delivery, script),
        "assigned": name_in_script(delivery.assigned_unit, script) if delivery.assigned_unit else "",
        "kind": DocumentKind(delivery.kind).label,
        "retention": retention_text(delivery.retention_years),
        "disclosure": disclosure_text(delivery.disclosure),
        "classification": received.classification_code if received else delivery.sender_classification_code,
        "incoming_number": received.registry_entry.registry_number
        if received is not None and hasattr(received, "registry_entry")
        else "",
        "readings": selectors.readings_of(delivery),
        "answers": selectors.answers_to(viewer=me, delivery=delivery),
        "may_register": is_clerk and delivery.status == DeliveryStatus.DELIVERED,
        "may_answer": delivery.status == DeliveryStatus.REGISTERED
        and any(u.agency_id == delivery.agency_id for u in selectors.drafting_units(me)),
        "errors": errors,
        "error": error,
        "values": values,
    }
    if context["may_register"]:
        context |= _registration_choices(delivery, script)
    return render(request, "web/distribution/incoming_detail.html", context, status=status)


def _unit_and_handler(delivery: Delivery, values: dict[str, str]) -> tuple[Unit, Person | None]:
    units = {str(u.pk): u for u in units_of_agency(agency=delivery.agency)}
    unit = units.get(values["unit"])
    if unit is None:
        raise InvalidOutgoingError(
            _("Assign it to a unit of your agency."),
            errors={"unit": _("Assign it to a unit of your agency.")},
        )
    handler = None
    if values["handler"]:
        officials = {str(p.pk): p for _u, p in selectors.assignable_officials(delivery.agency_id)}
        handler = officials.get(values["handler"])
        if handler is None:
            raise InvalidOutgoingError(
                _("The handler must be an official of the assigned unit."),
                errors={"handler": _("The handler must be an official of the assigned unit.")},
            )
    return unit, handler


@official_required
@require_safe
def incoming_pdf(request: HttpRequest, delivery_id: uuid.UUID) -> HttpResponse:
    """The received document's PDF; every opening is recorded (who read it and when)."""
    me = _me(request)
    try:
        delivery = selectors.delivery_get(viewer=me, delivery_id=delivery_id)
        filename, content = selectors.delivery_pdf(delivery=delivery)
    except GovDocError as exc:
        raise Http404(exc.message) from exc
    services.delivery_read_record(delivery=delivery, actor=me)
    return _pdf_response(content, filename)
