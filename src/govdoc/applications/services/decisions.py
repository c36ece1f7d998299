"""Writes of the decision: the handler's draft, the approval line, the outcome, the issued result.

The outcome comes from the approvals domain: the decision that ends a line writes the task
``approvals.tasks.line_finished_announce`` in its own transaction; in the worker that task sends
``approvals.signals.line_finished``, and ``receivers.on_line_finished`` calls
``decision_outcome_record``. A retried task calls it again: it is idempotent, and so is the
issuing (one issued document per application, by the issue key's unique constraint).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy

from govdoc.accounts.models import Membership, Person
from govdoc.applications import integration
from govdoc.applications.access import require_handling_official
from govdoc.applications.binding import content_sha256_of
from govdoc.applications.constants import LANGUAGE_OF_SCRIPT, ApplicationStatus, EventKind, HandlingStep
from govdoc.applications.errors import (
    IllegalTransitionError,
    InvalidDecisionError,
    NoOneHoldsRoleError,
)
from govdoc.applications.models import Application
from govdoc.applications.output import draft_pdf, output_context, valid_until, valid_until_moment
from govdoc.applications.services.inbox import inbox_deliver
from govdoc.applications.services.transitions import locked, move, step_taken
from govdoc.applications.specs import STEP_KINDS, LineStep
from govdoc.approvals.errors import LinePolicyError
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONValue
from govdoc.documents import content_types
from govdoc.documents.constants import Disclosure
from govdoc.documents.services import document_create, version_add
from govdoc.issuance.models import ApprovalRef

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# The applicant's personal data make a case document not public (Zakon o slobodnom pristupu
# informacijama od javnog značaja, art. 14: protection of privacy).
_LEGAL_GROUND = "Lični podaci podnosioca zahteva (Zakon o slobodnom pristupu informacijama, čl. 14)"
_SYSTEM = "approvals"


def _scalar_fields(fields: dict[str, Any]) -> dict[str, JSONValue]:
    out: dict[str, JSONValue] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 64:
            raise InvalidDecisionError(
                translation.gettext("each decision field needs a short name"), field=str(key)
            )
        if value is not None and not isinstance(value, str | int | float | bool):
            raise InvalidDecisionError(
                translation.gettext("the decision field %(name)s must be text, a number or yes/no")
                % {"name": repr(key)},
                field=key,
            )
        if isinstance(value, str) and len(value) > 10_000:
            raise InvalidDecisionError(
                translation.gettext("the decision field %(name)s is too long") % {"name": repr(key)},
                field=key,
            )
        out[key] = value
    return out


@transaction.atomic
def decision_draft_save(*, application: Application, fields: dict[str, Any], actor: Person) -> Application:
    """The handler fills the fields of the output document (they reach its template as ``decision``)."""
    application = locked(application)
    require_handling_official(application, actor, action="draft the decision")
    if application.status != ApplicationStatus.ASSIGNED:
        raise IllegalTransitionError(
            translation.gettext("the decision can be drafted only while the application is with its handler"),
            application_id=str(application.pk),
            status=application.status,
        )
    application.decision_fields = _scalar_fields(fields)
    application.updated_at = clock.now()
    application.save(update_fields=["decision_fields", "updated_at"])
    record(
        "applications.decision_drafted",
        actor=actor,
        target=application,
        data={"fields": sorted(application.decision_fields)},
    )
    return application


def _holder(*, application: Application, role: str, exclude: Person) -> Person:
    """Who holds ``role`` today: first in the handling unit, then anywhere in the agency; never
    the drafter (no one approves their own draft)."""
    today = clock.today_local()
    current = (
        Membership.objects.filter(role=role, valid_from__lte=today, person__is_active=True)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .exclude(person=exclude)
        .select_related("person")
        .order_by("person__username")
    )
    for scope in (Q(unit_id=application.unit_id), Q(unit__agency_id=application.agency_id)):
        found = current.filter(scope).first()
        if found is not None:
            return found.person
    raise NoOneHoldsRoleError(
        translation.gettext("no one holds the role %(role)s in the handling unit or agency")
        % {"role": repr(role)},
        application_id=str(application.pk),
        role=role,
    )


def default_line_proposal(*, application: Application, drafter: Person) -> list[LineStep]:
    """The service's default line as the drafter's page proposes it: each role resolved to a
    person today where someone other than the drafter holds it, else left for the drafter to
    choose (``assignee_id`` empty) — a head of unit drafting sees their line, not "no line"."""
    proposal: list[LineStep] = []
    for step in sorted(application.service.default_line, key=lambda s: s["position"]):
        try:
            holder = str(_holder(application=application, role=step["role"], exclude=drafter).pk)
        except NoOneHoldsRoleError:
            holder = ""
        proposal.append(LineStep(kind=step["kind"], assignee_id=holder, position=step["position"]))
    return proposal


def default_line_resolve(*, application: Application, drafter: Person) -> list[LineStep]:
    """The service's default approval line with each role resolved to a person today."""
    return [
        LineStep(
            kind=step["kind"],
            assignee_id=str(_holder(application=application, role=step["role"], exclude=drafter).pk),
            position=step["position"],
        )
        for step in sorted(application.service.default_line, key=lambda s: s["position"])
    ]


def _steps_checked(steps: Sequence[LineStep], *, application: Application) -> list[LineStep]:
    if not steps:
        raise InvalidDecisionError(
            translation.gettext("an approval line needs at least one step"), field="steps"
        )
    out: list[LineStep] = []
    for step in steps:
        if step["kind"] not in STEP_KINDS:
            raise InvalidDecisionError(
                translation.gettext("a step is one of %(kinds)s") % {"kinds": "review, consent, approval"},
                field="steps",
            )
        try:
            assignee = uuid.UUID(str(step["assignee_id"]))
        except ValueError as exc:
            raise InvalidDecisionError(
                translation.gettext("a step names its assignee by id"), field="steps"
            ) from exc
        in_agency = Membership.objects.filter(
            person_id=assignee, unit__agency_id=application.agency_id, person__is_active=True
        ).exists()
        if not in_agency:
            raise InvalidDecisionError(
                translation.gettext("every assignee must be an official of the handling agency"),
                field="steps",
                assignee_id=str(assignee),
            )
        out.append(LineStep(kind=step["kind"], assignee_id=str(assignee), position=int(step["position"])))
    if not any(s["kind"] == "approval" for s in out):
        raise InvalidDecisionError(
            translation.gettext("an approval line needs an approval step"), field="steps"
        )
    return sorted(out, key=lambda s: s["position"])


def _policy_enforced(application: Application, steps: list[LineStep]) -> None:
    """Refuse a line that breaks the service's approval policy, naming every reason."""
    service = application.service
    reasons = integration.approval_policy_refusals(
        policy=service.approval_policy,
        steps=steps,
        agency_id=application.agency_id,
        unit_id=application.unit_id,
        doc_type=service.output_doc_type,
    )
    if reasons:
        text = "; ".join(reasons)
        raise LinePolicyError(
            integration.approval_policy_refusal_message(service_code=service.code, reasons=reasons),
            errors={"steps": text},
            application_id=str(application.pk),
            service=service.code,
            reasons=reasons,
        )


def decision_send_to_approval(
    *, application: Application, steps: Sequence[LineStep] | None = None, actor: Person
) -> Application:
    """Send the drafted decision up its approval line.

    Creates the case document (the draft rendered as a PDF) in the handling unit, or a new
    version of it when a returned decision goes up again, and the approval line over that
    version: the service's default line resolved to people, or ``steps`` if the handler
    overrides it. Either is checked against the service's approval policy; a line that breaks
    it is refused (``LinePolicyError``), nothing is written but the audited refusal. Anything
    the approvals domain refuses rolls the whole send back.
    """
    try:
        return _send_to_approval(application=application, steps=steps, actor=actor)
    except LinePolicyError as exc:
        with transaction.atomic():
            record(
                "applications.approval_line_refused",
                actor=actor,
                target=application,
                data={
                    "reasons": list(exc.details.get("reasons") or []),  # type: ignore[call-overload]
                    "steps": [
                        {"kind": s["kind"], "assignee_id": str(s["assignee_id"]), "position": s["position"]}
                        for s in (steps or [])
                    ],
                },
            )
        raise


@transaction.atomic
def _send_to_approval(
    *, application: Application, steps: Sequence[LineStep] | None, actor: Person
) -> Application:
    application = locked(application)
    require_handling_official(application, actor, action="send the decision to approval")
    if application.status != ApplicationStatus.ASSIGNED:
        raise IllegalTransitionError(
            translation.gettext("only an application with its handler can be sent to approval"),
            application_id=str(application.pk),
            status=application.status,
            to=ApplicationStatus.IN_APPROVAL.value,
        )
    resolved = (
        _steps_checked(steps, application=application)
        if steps is not None
        else default_line_resolve(application=application, drafter=actor)
    )
    _policy_enforced(application, resolved)
    service = application.service
    document = application.case_document
    pdf = draft_pdf(application)
    filename = f"nacrt-{application.receipt_number}.pdf"
    if document is None:
        document = document_create(
            agency=application.agency,
            owner_unit=application.unit,
            author=actor,
            title=f"{service.output_title} — {application.receipt_number}",
            doc_type=service.output_doc_type,
            classification_code=service.classification_code,
            disclosure=Disclosure.NOT_PUBLIC,
            legal_ground=_LEGAL_GROUND,
            content=pdf,
            filename=filename,
            media_type=content_types.PDF,
            actor=actor,
        )
        version = document.current_version
    else:
        version = version_add(
            document=document, content=pdf, filename=filename, media_type=content_types.PDF, actor=actor
        )
    assert version is not None
    content_sha256 = content_sha256_of(application)
    line_id = integration.approval_line_start(
        document=document,
        version=version,
        drafter=actor,
        doc_type=service.output_doc_type,
        steps=resolved,
        actor=actor,
        content_sha256=content_sha256,
    )
    application.case_document, application.approval_line_id = document, line_id
    move(
        application,
        ApplicationStatus.IN_APPROVAL,
        kind=EventKind.SENT_TO_APPROVAL,
        action="be sent to approval",
        extra_fields=("case_document", "approval_line_id"),
    )
    record(
        "applications.decision_sent_to_approval",
        actor=actor,
        target=application,
        data={
            "document_id": str(document.pk),
            "version": version.number,
            "line_id": str(line_id),
            "content_sha256": content_sha256,
            "steps": [
                {"kind": s["kind"], "assignee_id": s["assignee_id"], "position": s["position"]}
                for s in resolved
            ],
        },
    )
    step_taken(application, HandlingStep.SENT_TO_APPROVAL, actor=actor, line=str(line_id))
    return application


_SUBJECTS: dict[str, StrPromise] = {
    "rejected": gettext_lazy("Application {number} was rejected"),
    "issued": gettext_lazy("A document was issued on application {number}"),
}


def _subject(kind: str, application: Application) -> str:
    """The e-inbox subject in the applicant's script (the catalogues translate it)."""
    with translation.override(LANGUAGE_OF_SCRIPT.get(application.script, "sr-latn")):
        return str(_SUBJECTS[kind]).format(number=application.receipt_number)


@transaction.atomic
def application_mark_approved(*, application: Application, actor: Person | str = _SYSTEM) -> Application:
    """The approval line approved the decision."""
    application = locked(application)
    application.decided_at = clock.now()
    move(
        application,
        ApplicationStatus.APPROVED,
        kind=EventKind.APPROVED,
        action="be approved",
        extra_fields=("decided_at",),
    )
    record("applications.application_approved", actor=actor, target=application, data={})
    return application


@transaction.atomic
def application_mark_rejected(
    *, application: Application, reason: str = "", actor: Person | str = _SYSTEM
) -> Application:
    """The decision is a rejection: the applicant is told on the timeline and in the e-inbox."""
    application = locked(application)
    application.decided_at = clock.now()
    reason = reason.strip()
    event = move(
        application,
        ApplicationStatus.REJECTED,
        kind=EventKind.REJECTED,
        action="be rejected",
        extra_fields=("decided_at",),
        message=reason,
    )
    inbox_deliver(
        recipient=application.applicant,
        application=application,
        subject=_subject("rejected", application),
        body=event.message,
    )
    record("applications.application_rejected", actor=actor, target=application, data={"reason": reason})
    return application


@transaction.atomic
def application_return_to_handler(
    *, application: Application, outcome: str, actor: Person | str = _SYSTEM
) -> Application:
    """The approval line was returned or withdrawn: the handler works on the decision again."""
    application = locked(application)
    application.approval_line_id = None
    move(
        application,
        ApplicationStatus.ASSIGNED,
        kind=EventKind.RETURNED,
        action="be returned to its handler",
        extra_fields=("approval_line_id",),
    )
    record("applications.application_returned", actor=actor, target=application, data={"outcome": outcome})
    return application


@transaction.atomic
def application_mark_issued(
    *, application: Application, issued_document_id: uuid.UUID, actor: Person | str = "issuance"
) -> Application:
    """The output document was issued: it goes to the applicant's e-inbox (once: a retried
    task that finds it already issued changes nothing)."""
    application = locked(application)
    if (
        application.status == ApplicationStatus.ISSUED
        and application.issued_document_id == issued_document_id
    ):
        return application
    application.issued_document_id = issued_document_id
    event = move(
        application,
        ApplicationStatus.ISSUED,
        kind=EventKind.ISSUED,
        action="be issued",
        extra_fields=("issued_document_id",),
    )
    inbox_deliver(
        recipient=application.applicant,
        application=application,
        subject=_subject("issued", application),
        body=event.message,
        issued_document_id=issued_document_id,
    )
    record(
        "applications.application_issued",
        actor=actor,
        target=application,
        data={"issued_document_id": str(issued_document_id)},
    )
    step_taken(application, HandlingStep.ISSUED, actor=actor, issued_document=str(issued_document_id))
    return application


# The outcome recorded when the approved content and the content to issue differ.
CONTENT_CHANGED = "content_changed"


def _approval_if_unchanged(application: Application) -> ApprovalRef | None:
    """The approval the output document rests on, if what would be issued now is exactly the
    content the line's signed decisions approved; None otherwise."""
    line_id = application.approval_line_id
    approval = integration.approval_of(line_id) if line_id is not None else None
    if approval is None or not approval["content_sha256"]:
        return None
    return approval if approval["content_sha256"] == content_sha256_of(application) else None


def application_issue(*, application: Application) -> Application:
    """Issue the output document of an approved application through the issuance domain, then
    deliver it. Runs outside a transaction: issuance commits in steps of its own (registry number,
    rendering and sealing without locks, the sealed version), then the delivery commits.
    Safe to call again after a crash anywhere in between (the issue key, see ``issue_key_of``)."""
    application = Application.objects.select_related("service", "agency", "applicant", "handler").get(
        pk=application.pk
    )
    if application.status != ApplicationStatus.APPROVED or application.handler is None:
        raise IllegalTransitionError(
            "only an approved application is issued",
            application_id=str(application.pk),
            status=application.status,
            to=ApplicationStatus.ISSUED.value,
        )
    approval = _approval_if_unchanged(application)
    if approval is None:
        with transaction.atomic():
            returned = application_return_to_handler(application=application, outcome=CONTENT_CHANGED)
            # the procedure that handles it waits for the issue: it hears the decision undone
            step_taken(returned, HandlingStep.DECIDED, actor=_SYSTEM, outcome="returned")
        return returned
    service = application.service
    context = output_context(application)
    until = valid_until(application, issued_on=clock.today_local())
    issued_id = integration.document_issue(
        agency=application.agency,
        recipient=application.applicant,
        title=service.output_title,
        # Written in Serbian Latin; issuance renders it in the applicant's script.
        template_html=service.output_template,
        context=context,
        data={"application": application.receipt_number, "service": service.code, **context},
        script=application.script,
        valid_until=valid_until_moment(until),
        # The handler who drafted the decision issues it in the agency's name.
        actor=application.handler,
        doc_type=service.output_doc_type,
        classification_code=service.classification_code,
        issue_key=issue_key_of(application),
        approval=approval,
    )
    return application_mark_issued(application=application, issued_document_id=issued_id)


def issue_key_of(application: Application) -> str:
    """The issue key of an application's output document: one document per application."""
    return f"application:{application.pk}"


def decision_outcome_record(*, application_id: uuid.UUID, line_id: uuid.UUID, outcome: str) -> Application:
    """Apply a finished approval line to its application (the task's body). Idempotent: an
    outcome for a line the application no longer waits on changes nothing."""
    with transaction.atomic():
        application = locked(application_id)
        waiting = (
            application.status == ApplicationStatus.IN_APPROVAL and application.approval_line_id == line_id
        )
        if waiting and outcome == "approved" and _approval_if_unchanged(application) is None:
            application = application_return_to_handler(application=application, outcome=CONTENT_CHANGED)
        elif waiting and outcome == "approved":
            application = application_mark_approved(application=application)
        elif waiting and outcome == "rejected":
            application = application_mark_rejected(application=application)
        elif waiting and outcome in {"returned", "withdrawn"}:
            application = application_return_to_handler(application=application, outcome=outcome)
        if waiting:
            # What the procedure hears: approved, rejected or returned (a line withdrawn, or one
            # whose approved content no longer matches, is returned to the handler too).
            heard = {ApplicationStatus.APPROVED: "approved", ApplicationStatus.REJECTED: "rejected"}
            step_taken(
                application,
                HandlingStep.DECIDED,
                actor=_SYSTEM,
                outcome=heard.get(ApplicationStatus(application.status), "returned"),
            )
    if application.status == ApplicationStatus.APPROVED and application.approval_line_id == line_id:
        application = application_issue(application=application)
    return application
