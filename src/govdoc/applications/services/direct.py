"""Issuing a service's document without an online application: an agency's own *system* (a
counter application, a back-office register) sends the form data and the person it is for.

Only a system account (``accounts.AccountKind.SYSTEM``) of the service's agency may do it,
with an API token that carries the scope ``issue:<service code>``, and only for a service that
opted in and recorded the legal basis for it (``Service.direct_issuance``). People, even with a
token, are refused: a person's decision goes through an application and its approval line.
Each refusal is audited (``applications.direct_issuance_refused``) and writes nothing else.

The data are checked against the service's form schema exactly as an application's are, the
template sees the same context as for an application (``output.output_context_for``, with no
receipt number and no decision fields), and the document is issued through the issuance domain
like ``decisions.application_issue`` does. This module adds ``applications.document_issued_directly``
with the system's identity and the token's id.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import translation

from govdoc.accounts.constants import SCOPE_ISSUE, Script
from govdoc.accounts.errors import ApiTokenInvalidError
from govdoc.accounts.models import ApiToken, Person
from govdoc.accounts.selectors import memberships_current
from govdoc.accounts.services import api_token_errors, api_token_issue
from govdoc.applications import integration
from govdoc.applications.errors import (
    DirectIssuanceNotAllowedError,
    DirectIssuanceRefusedError,
    DirectIssuanceSystemsOnlyError,
    IdempotencyKeyReusedError,
    InvalidApplicationError,
    ServiceInactiveError,
    SystemOutsideAgencyError,
    TokenScopeMissingError,
)
from govdoc.applications.form_validation import data_errors
from govdoc.applications.models import Service
from govdoc.applications.output import output_context_for, service_valid_until, valid_until_moment
from govdoc.applications.specs import FieldErrors
from govdoc.audit.services import events_batched, record
from govdoc.core import clock
from govdoc.core.jsontypes import JSONObject

# The script is checked with the same messages as a form field ("choose one of the offered values").
_SCRIPT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"script": {"enum": list(Script.values)}},
}
_NOT_A_CITIZEN: dict[str, str] = {
    Script.LATIN: "Dokument se izdaje građaninu.",
    Script.CYRILLIC: "Документ се издаје грађанину.",
    Script.ENGLISH: "The document is issued to a citizen.",
}


def _refuse(
    error: DirectIssuanceRefusedError, *, actor: Person, token: ApiToken | None, service: str
) -> None:
    """Audit the refusal (in a transaction of its own: nothing else is written), then raise."""
    with transaction.atomic():
        record(
            "applications.direct_issuance_refused",
            actor=actor,
            target=None,
            data={
                "reason": error.code,
                "service": service,
                "token": str(token.pk) if token is not None else None,
                "account_kind": str(actor.account_kind),
            },
        )
    raise error


def require_system_account(*, actor: Person, token: ApiToken | None, service_code: str) -> None:
    """People are refused before anything else is looked up (so a refused caller learns nothing
    about which services or recipients exist)."""
    if not actor.is_system or not actor.is_active or token is None:
        _refuse(
            DirectIssuanceSystemsOnlyError(
                translation.gettext(
                    "direct issuance is for agency systems with a scoped API token; a person's "
                    "decision goes through an application and its approval line"
                ),
                person_id=str(actor.pk),
            ),
            actor=actor,
            token=token,
            service=service_code,
        )


def require_may_issue(*, actor: Person, token: ApiToken | None, service: Service) -> None:
    """The system account belongs to the service's agency, its token carries the service's
    scope, and the service opted in to direct issuance with a legal basis."""
    require_system_account(actor=actor, token=token, service_code=service.code)
    assert token is not None
    in_agency = memberships_current(person=actor).filter(unit__agency_id=service.agency_id).exists()
    error: DirectIssuanceRefusedError | None = None
    if not in_agency:
        error = SystemOutsideAgencyError(
            translation.gettext("the system account belongs to another agency than %(agency)s")
            % {"agency": service.agency.code},
            service=service.code,
        )
    elif SCOPE_ISSUE + service.code not in token.scopes:
        error = TokenScopeMissingError(
            translation.gettext("the token does not carry the scope %(scope)s")
            % {"scope": SCOPE_ISSUE + service.code},
            service=service.code,
            token_id=str(token.pk),
        )
    elif not service.direct_issuance or not service.direct_issuance_legal_basis.strip():
        error = DirectIssuanceNotAllowedError(
            translation.gettext(
                "the service %(service)s is not issued without an application (no legal basis recorded)"
            )
            % {"service": service.code},
            service=service.code,
        )
    if error is not None:
        _refuse(error, actor=actor, token=token, service=service.code)


def token_scope_errors(*, person: Person, scopes: Sequence[str]) -> FieldErrors:
    """Each ``issue:<service code>`` scope must name a service of the account's agency that
    opted in to direct issuance (accounts checks the scope's form and the account's kind)."""
    agencies = {m.unit.agency_id for m in memberships_current(person=person)}
    problems: list[str] = []
    for scope in scopes:
        if not isinstance(scope, str) or not scope.startswith(SCOPE_ISSUE):
            continue
        code = scope.removeprefix(SCOPE_ISSUE)
        service = Service.objects.filter(code=code).first()
        if service is None:
            problems.append(f"{scope}: no such service")
        elif service.agency_id not in agencies:
            problems.append(f"{scope}: the service belongs to another agency than the account")
        elif not service.direct_issuance:
            problems.append(f"{scope}: the service did not opt in to direct issuance")
    return {"scopes": "; ".join(problems)} if problems else {}


def api_token_create_errors(
    *, person: Person, name: str, expires_at: dt.datetime | None, scopes: Sequence[str]
) -> FieldErrors:
    """Everything ``api_token_create`` would refuse, by field (for forms to show first)."""
    errors = dict(api_token_errors(person=person, name=name, expires_at=expires_at, scopes=scopes))
    if "scopes" not in errors:
        errors.update(token_scope_errors(person=person, scopes=scopes))
    return errors


def api_token_create(
    *,
    person: Person,
    name: str,
    expires_at: dt.datetime | None,
    scopes: Sequence[str] = (),
    actor: Person | str,
) -> tuple[ApiToken, str]:
    """Issue an API token (the secret is returned once): for a person, acting as that person;
    for a system account, with ``issue:<service code>`` scopes checked against the catalogue.
    What CLI and administrators' pages call."""
    errors = api_token_create_errors(person=person, name=name, expires_at=expires_at, scopes=scopes)
    if errors or expires_at is None:
        raise ApiTokenInvalidError(
            "the token cannot be issued: " + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())),
            errors=errors,
        )
    return api_token_issue(person=person, name=name, expires_at=expires_at, scopes=scopes, actor=actor)


def _input_errors(*, service: Service, recipient: Person, data: dict[str, Any], script: str) -> FieldErrors:
    shown = script if script in Script.values else Script.LATIN
    errors: FieldErrors = dict(data_errors(_SCRIPT_SCHEMA, {"script": script}, script=shown))
    if not recipient.is_citizen or not recipient.is_active:
        errors["recipient_id"] = _NOT_A_CITIZEN[shown]
    errors.update(data_errors(service.form_schema, data, script=shown))
    return errors


def document_issue_for_service(
    *,
    service: Service,
    recipient: Person,
    data: dict[str, Any],
    script: str,
    actor: Person,
    token: ApiToken | None,
    idempotency_key: str | None = None,
) -> tuple[uuid.UUID, bool]:
    """Issue ``service``'s output document to ``recipient`` from ``data``; returns the issued
    document's id, and False when ``idempotency_key`` named a document issued before (a system
    that retries after a timeout gets the same document, not a second one).

    Refuses (``DirectIssuanceRefusedError`` and its kinds, audited) anyone but a system account
    of the service's agency whose ``token`` carries the service's scope, and a service that did
    not opt in; refuses with ``InvalidApplicationError`` (naming every field) data that break
    the service's form schema, an unknown script or a recipient who is not a citizen. Nothing
    is written on a refusal but its audit event. Runs outside a transaction: issuance commits in
    steps of its own (see ``issuance.services``), then the audit event of this path is written.
    """
    service = Service.objects.select_related("agency").get(pk=service.pk)
    require_may_issue(actor=actor, token=token, service=service)
    if not service.is_active:
        raise ServiceInactiveError(
            translation.gettext("the service is no longer offered"), service=service.code
        )
    errors = _input_errors(service=service, recipient=recipient, data=data, script=script)
    if errors:
        raise InvalidApplicationError(
            f"the data have {len(errors)} error(s): " + "; ".join(sorted(errors)),
            errors=errors,
            service=service.code,
        )
    issue_key = f"direct:{actor.pk}:{idempotency_key}" if idempotency_key else None
    earlier = integration.issued_for_key(issue_key) if issue_key else None
    if earlier is not None and (
        earlier.recipient_id != recipient.pk or earlier.title != service.output_title
    ):
        raise IdempotencyKeyReusedError(
            translation.gettext(
                "this idempotency key was used for another document; use a new key for a new document"
            ),
            idempotency_key=idempotency_key,
        )
    context = output_context_for(
        service=service, agency=service.agency, person=recipient, data=data, decision={}, script=script
    )
    issued_id = integration.document_issue(
        agency=service.agency,
        recipient=recipient,
        title=service.output_title,
        # Written in Serbian Latin; issuance renders it in ``script``.
        template_html=service.output_template,
        context=context,
        data={"service": service.code, **context},
        script=script,
        valid_until=valid_until_moment(service_valid_until(service, issued_on=clock.today_local())),
        actor=actor,
        doc_type=service.output_doc_type,
        classification_code=service.classification_code,
        issue_key=issue_key,
    )
    if earlier is not None and earlier.finished:
        return issued_id, False  # the retry of an issuance that was finished and audited
    with transaction.atomic():
        _issued_directly_event(
            service=service,
            issued_id=issued_id,
            item=DirectItem(
                recipient=recipient, data=data, script=script, idempotency_key=idempotency_key or ""
            ),
            actor=actor,
            token=token,
        )
    return issued_id, True


# At most this many documents in one batch (issuance.batch.BATCH_MAX).
DIRECT_BATCH_MAX = 100


@dataclass(frozen=True)
class DirectItem:
    """One document of a direct batch: the person it is for (None when the caller named no
    known person), the form data, the script and the system's idempotency key."""

    recipient: Person | None
    data: dict[str, Any]
    script: str
    idempotency_key: str


def documents_issue_for_service(
    *, service: Service, items: Sequence[DirectItem], actor: Person, token: ApiToken | None
) -> list[integration.BatchIssued]:
    """``document_issue_for_service`` for up to ``DIRECT_BATCH_MAX`` documents of one service
    at once, each with its own idempotency key (a repeated batch returns the documents issued
    the first time). Checked as a whole before anything is written: one bad item refuses the
    batch, naming every bad field as ``documents.<index>.<field>``. Each document issued gets
    its ``applications.document_issued_directly`` event."""
    service = Service.objects.select_related("agency").get(pk=service.pk)
    require_may_issue(actor=actor, token=token, service=service)
    if not service.is_active:
        raise ServiceInactiveError("the service is no longer offered", service=service.code)
    errors: FieldErrors = {}
    if not items or len(items) > DIRECT_BATCH_MAX:
        errors["documents"] = f"send 1 to {DIRECT_BATCH_MAX} documents"
    seen: set[str] = set()
    for index, item in enumerate(items):
        at = f"documents.{index}."
        if item.idempotency_key in seen:
            errors[at + "idempotency_key"] = "each document needs its own idempotency key"
        seen.add(item.idempotency_key)
        if item.recipient is None:
            errors[at + "recipient_id"] = "no person has this id"
            continue
        found = _input_errors(service=service, recipient=item.recipient, data=item.data, script=item.script)
        errors.update({at + field: message for field, message in found.items()})
    if errors:
        raise InvalidApplicationError(
            f"the batch has {len(errors)} error(s): " + "; ".join(sorted(errors)),
            errors=errors,
            service=service.code,
        )
    # (item, its recipient, its issue key): every recipient is known once the checks passed
    keyed = [
        (item, item.recipient, f"direct:{actor.pk}:{item.idempotency_key}")
        for item in items
        if item.recipient
    ]
    for item, recipient, key in keyed:
        earlier = integration.issued_for_key(key)
        if earlier is not None and (
            earlier.recipient_id != recipient.pk or earlier.title != service.output_title
        ):
            raise IdempotencyKeyReusedError(
                "this idempotency key was used for another document; use a new key for a new document",
                idempotency_key=item.idempotency_key,
            )
    batch_items: list[tuple[Person, dict[str, Any], JSONObject, str, str]] = []
    for item, recipient, key in keyed:
        context = output_context_for(
            service=service,
            agency=service.agency,
            person=recipient,
            data=item.data,
            decision={},
            script=item.script,
        )
        batch_items.append((recipient, context, {"service": service.code, **context}, item.script, key))
    outcomes = integration.documents_issue(
        agency=service.agency,
        title=service.output_title,
        template_html=service.output_template,
        items=batch_items,
        valid_until=valid_until_moment(service_valid_until(service, issued_on=clock.today_local())),
        actor=actor,
        doc_type=service.output_doc_type,
        classification_code=service.classification_code,
    )
    with events_batched() as batch, transaction.atomic():
        for (item, _recipient, _key), outcome in zip(keyed, outcomes, strict=True):
            if outcome.created and outcome.error is None and outcome.id is not None:
                _issued_directly_event(
                    service=service, issued_id=outcome.id, item=item, actor=actor, token=token
                )
        batch.flush()
    return outcomes


def _issued_directly_event(
    *, service: Service, issued_id: uuid.UUID, item: DirectItem, actor: Person, token: ApiToken | None
) -> None:
    assert item.recipient is not None
    record(
        "applications.document_issued_directly",
        actor=actor,
        target=service,
        data={
            "issued_document_id": str(issued_id),
            "service": service.code,
            "recipient": str(item.recipient.pk),
            "script": item.script,
            "system": actor.get_username(),
            "token": str(token.pk) if token is not None else None,
            "legal_basis": service.direct_issuance_legal_basis,
            # Field names only, and only those the form declares: the audit chain is
            # append-only and must not keep personal data (nor a key a schema let through).
            "fields": [*sorted(k for k in item.data if k in service.form_schema.get("properties", {}))],
            "idempotency_key": item.idempotency_key or None,
        },
    )
