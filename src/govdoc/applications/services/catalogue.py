"""Writes of the service catalogue: only an administrator of the agency defines its services."""

from __future__ import annotations

import json
import re
from typing import Any, TypedDict

from django.db import IntegrityError, transaction
from django.utils import translation

from govdoc.accounts.constants import OFFICIAL_ROLES, Role
from govdoc.accounts.models import Agency, Person, Unit
from govdoc.accounts.selectors import has_role
from govdoc.applications.errors import DuplicateServiceCodeError, InvalidServiceError, NotAdministratorError
from govdoc.applications.form_validation import schema_errors
from govdoc.applications.models import Service
from govdoc.applications.specs import STEP_KINDS, ApprovalPolicy, AttachmentRule, DefaultLineStep, FieldErrors
from govdoc.approvals.policy import AssigneeRoles, ProposedStep, policy_errors, policy_refusals
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.documents import content_types
from govdoc.documents.constants import max_upload_bytes
from govdoc.issuance.errors import TemplateRenderError
from govdoc.issuance.rendering import template_check

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_]{0,63}$")
_DOC_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
_CLASSIFICATION = re.compile(r"^[\w./-]{1,32}$")
# A BPMN process id (an XML NCName, as the procedures domain loads it).
_PROCESS_KEY = re.compile(r"^[A-Za-z_][\w.-]{0,199}$")


class ServiceChanges(TypedDict, total=False):
    """Fields ``service_update`` may change (the agency and the code never change)."""

    unit: Unit
    name: str
    name_cyrl: str
    name_en: str
    description: str
    description_cyrl: str
    description_en: str
    form_schema: dict[str, Any]
    attachment_rules: list[AttachmentRule]
    deadline_working_days: int
    output_title: str
    output_title_cyrl: str
    output_title_en: str
    output_template: str
    output_doc_type: str
    classification_code: str
    validity_days: int | None
    default_line: list[DefaultLineStep]
    approval_policy: ApprovalPolicy
    direct_issuance: bool
    direct_issuance_legal_basis: str
    handling_procedure: str
    is_active: bool


_TEXT_FIELDS = {
    "name": 300,
    "name_cyrl": 300,
    "name_en": 300,
    "output_title": 300,
    "output_title_cyrl": 300,
    "output_title_en": 300,
}


def _require_administrator(*, actor: Person | str, agency: Agency) -> None:
    """A person must administer the agency; a string names a system actor (set-up, CLI), which
    no web or API request can be."""
    if isinstance(actor, str):
        return
    if not has_role(person=actor, role=Role.ADMINISTRATOR, agency=agency):
        raise NotAdministratorError(
            f"{actor.get_username()} is not an administrator of {agency.code}",
            person_id=str(actor.pk),
            agency_id=str(agency.pk),
        )


def _attachment_rule_errors(rules: object) -> FieldErrors:
    errors: FieldErrors = {}
    if not isinstance(rules, list):
        return {"attachment_rules": "must be a list"}
    seen: set[str] = set()
    limit = max_upload_bytes()
    for i, rule in enumerate(rules):
        where = f"attachment_rules.{i}"
        if not isinstance(rule, dict):
            errors[where] = "must be an object"
            continue
        key = rule.get("key")
        if not isinstance(key, str) or not _KEY.match(key):
            errors[f"{where}.key"] = "must be a short lower-case key (letters, digits, '_')"
        elif key in seen:
            errors[f"{where}.key"] = f"the key {key!r} is used twice"
        else:
            seen.add(key)
        for label in ("label", "label_cyrl", "label_en"):
            if not isinstance(rule.get(label), str) or not rule[label].strip():
                errors[f"{where}.{label}"] = "must not be empty"
        allowed = rule.get("allowed")
        if not isinstance(allowed, list) or not allowed:
            errors[f"{where}.allowed"] = "name at least one media type"
        elif unknown := [t for t in allowed if t not in content_types.NAMES or t == content_types.BINARY]:
            errors[f"{where}.allowed"] = f"unknown media types: {', '.join(map(str, unknown))}"
        size = rule.get("max_bytes")
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= limit:
            errors[f"{where}.max_bytes"] = f"must be a number of bytes from 1 to {limit}"
        if not isinstance(rule.get("required"), bool):
            errors[f"{where}.required"] = "must be true or false"
    return errors


def _default_line_errors(steps: object) -> FieldErrors:
    if not isinstance(steps, list):
        return {"default_line": "must be a list"}
    errors: FieldErrors = {}
    for i, step in enumerate(steps):
        where = f"default_line.{i}"
        if not isinstance(step, dict):
            errors[where] = "must be an object"
            continue
        if step.get("kind") not in STEP_KINDS:
            errors[f"{where}.kind"] = "must be review, consent or approval"
        if step.get("role") not in OFFICIAL_ROLES:
            errors[f"{where}.role"] = "must be an official's role"
        position = step.get("position")
        if not isinstance(position, int) or isinstance(position, bool) or position < 1:
            errors[f"{where}.position"] = "must be a positive whole number"
    positions = [s.get("position") for s in steps if isinstance(s, dict)]
    if len(set(positions)) != len(positions):
        errors.setdefault("default_line", "two steps have the same position")
    if steps and not any(isinstance(s, dict) and s.get("kind") == "approval" for s in steps):
        errors.setdefault("default_line", "a line needs an approval step")
    return errors


def _default_line_policy_errors(line: list[DefaultLineStep], policy: ApprovalPolicy) -> FieldErrors:
    """The default line must be able to keep the policy: each step's role, held in the handling
    unit, must satisfy the policy (a delegation-scoped holder counts only while a rule exists,
    so it is not relied on here)."""
    steps = [ProposedStep(s["kind"], f"step-{i}", s["position"]) for i, s in enumerate(line)]
    holders = {
        f"step-{i}": AssigneeRoles(
            name=f"the {s['role']}", unit_roles=frozenset({s["role"]}), agency_roles=frozenset({s["role"]})
        )
        for i, s in enumerate(line)
    }
    reasons = policy_refusals(policy, steps, holders)
    return {"default_line": "breaks the approval policy: " + "; ".join(reasons)} if reasons else {}


def service_definition_errors(values: dict[str, Any], *, agency: Agency) -> FieldErrors:
    errors: FieldErrors = {}
    for field, max_length in _TEXT_FIELDS.items():
        if field in values:
            text = values[field]
            if not isinstance(text, str) or not text.strip():
                errors[field] = "must not be empty"
            elif len(text) > max_length:
                errors[field] = f"is longer than {max_length} characters"
    if "unit" in values and values["unit"].agency_id != agency.pk:
        errors["unit"] = "the handling unit belongs to another agency"
    if "form_schema" in values and (problems := schema_errors(values["form_schema"])):
        errors["form_schema"] = "; ".join(problems)
    if "attachment_rules" in values:
        errors.update(_attachment_rule_errors(values["attachment_rules"]))
    if "default_line" in values:
        errors.update(_default_line_errors(values["default_line"]))
    if "approval_policy" in values:
        errors.update(policy_errors(values["approval_policy"]))
    if "approval_policy" in values and "default_line" in values and not errors:
        errors.update(_default_line_policy_errors(values["default_line"], values["approval_policy"]))
    if "direct_issuance" in values and not isinstance(values["direct_issuance"], bool):
        errors["direct_issuance"] = "must be true or false"
    if "direct_issuance_legal_basis" in values:
        basis = values["direct_issuance_legal_basis"]
        if not isinstance(basis, str) or len(basis) > 500:
            errors["direct_issuance_legal_basis"] = "must be text of at most 500 characters"
    if "deadline_working_days" in values:
        days = values["deadline_working_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            errors["deadline_working_days"] = "must be from 1 to 365 working days"
    if "validity_days" in values:
        validity = values["validity_days"]
        if validity is not None and (
            not isinstance(validity, int) or isinstance(validity, bool) or validity < 1
        ):
            errors["validity_days"] = "must be empty or a positive number of days"
    if "output_template" in values:
        template = values["output_template"]
        if not isinstance(template, str) or not template.strip():
            errors["output_template"] = "must not be empty"
        else:
            try:
                template_check(template)
            except TemplateRenderError as exc:
                errors["output_template"] = str(exc)
    if "output_doc_type" in values and not _DOC_TYPE.match(str(values["output_doc_type"])):
        errors["output_doc_type"] = "must be a short code (letters, digits, '.', '_', '-'; at most 32)"
    if "classification_code" in values and not _CLASSIFICATION.match(str(values["classification_code"])):
        errors["classification_code"] = "must be 1 to 32 letters, digits, '.', '/', '-' or '_'"
    if "handling_procedure" in values:
        key = values["handling_procedure"]
        if not isinstance(key, str) or (key and not _PROCESS_KEY.match(key)):
            errors["handling_procedure"] = "must be empty or the id of a BPMN process"
    return errors


def direct_issuance_errors(*, opted_in: object, basis: object) -> FieldErrors:
    """Issuing without an application needs a recorded legal basis (what a legal department
    checks before an agency system may issue in the agency's name)."""
    if opted_in is True and (not isinstance(basis, str) or not basis.strip()):
        return {
            "direct_issuance_legal_basis": "name the law and article that allow issuing without an "
            "application"
        }
    return {}


def _raise_if(errors: FieldErrors) -> None:
    if errors:
        raise InvalidServiceError(
            "the service definition is not valid: "
            + "; ".join(f"{k}: {v}" for k, v in sorted(errors.items())),
            errors=errors,
        )


@transaction.atomic
def service_create(
    *,
    agency: Agency,
    unit: Unit,
    code: str,
    name: str,
    name_cyrl: str,
    name_en: str,
    form_schema: dict[str, Any],
    attachment_rules: list[AttachmentRule],
    deadline_working_days: int,
    output_title: str,
    output_title_cyrl: str,
    output_title_en: str,
    output_template: str,
    output_doc_type: str,
    classification_code: str,
    default_line: list[DefaultLineStep],
    approval_policy: ApprovalPolicy,
    direct_issuance: bool = False,
    direct_issuance_legal_basis: str = "",
    handling_procedure: str = "",
    validity_days: int | None = None,
    description: str = "",
    description_cyrl: str = "",
    description_en: str = "",
    is_active: bool = True,
    actor: Person | str,
) -> Service:
    """Define a new service of ``agency``, handled by ``unit``."""
    _require_administrator(actor=actor, agency=agency)
    values: dict[str, Any] = {
        "unit": unit,
        "name": name,
        "name_cyrl": name_cyrl,
        "name_en": name_en,
        "description": description,
        "description_cyrl": description_cyrl,
        "description_en": description_en,
        "form_schema": form_schema,
        "attachment_rules": attachment_rules,
        "deadline_working_days": deadline_working_days,
        "output_title": output_title,
        "output_title_cyrl": output_title_cyrl,
        "output_title_en": output_title_en,
        "output_template": output_template,
        "output_doc_type": output_doc_type,
        "classification_code": classification_code,
        "validity_days": validity_days,
        "default_line": default_line,
        "approval_policy": approval_policy,
        "direct_issuance": direct_issuance,
        "direct_issuance_legal_basis": direct_issuance_legal_basis.strip(),
        "handling_procedure": handling_procedure,
        "is_active": is_active,
    }
    errors = service_definition_errors(values, agency=agency)
    errors.update(direct_issuance_errors(opted_in=direct_issuance, basis=direct_issuance_legal_basis))
    if not _CODE.match(code):
        errors["code"] = "must be a short lower-case code (letters, digits, '-')"
    _raise_if(errors)
    if Service.objects.filter(code=code).exists():
        raise DuplicateServiceCodeError(
            translation.gettext("a service with the code '%(code)s' exists") % {"code": code}, code=code
        )
    now = clock.now()
    try:
        with transaction.atomic():
            service = Service.objects.create(
                agency=agency, code=code, created_at=now, updated_at=now, **values
            )
    except IntegrityError as exc:  # a concurrent create of the same code
        raise DuplicateServiceCodeError(
            translation.gettext("a service with the code '%(code)s' exists") % {"code": code}, code=code
        ) from exc
    record(
        "applications.service_created",
        actor=actor,
        target=service,
        data={
            "code": code,
            "agency": agency.code,
            "unit": str(unit.pk),
            "name": name,
            "approval_policy": json.loads(json.dumps(approval_policy)),
            "direct_issuance": direct_issuance,
            "direct_issuance_legal_basis": direct_issuance_legal_basis.strip(),
            "handling_procedure": handling_procedure,
        },
    )
    return service


@transaction.atomic
def service_update(*, service: Service, changes: ServiceChanges, actor: Person | str) -> Service:
    """Change a service's definition; applications already submitted keep the data they have."""
    service = Service.objects.select_for_update().select_related("agency").get(pk=service.pk)
    _require_administrator(actor=actor, agency=service.agency)
    values: dict[str, Any] = dict(changes)
    if ("approval_policy" in values) != ("default_line" in values):  # check them together
        values.setdefault("approval_policy", service.approval_policy)
        values.setdefault("default_line", service.default_line)
    errors = service_definition_errors(values, agency=service.agency)
    errors.update(
        direct_issuance_errors(
            opted_in=values.get("direct_issuance", service.direct_issuance),
            basis=values.get("direct_issuance_legal_basis", service.direct_issuance_legal_basis),
        )
    )
    _raise_if(errors)
    changed = sorted(field for field, value in values.items() if getattr(service, field) != value)
    for field in changed:
        setattr(service, field, values[field])
    service.updated_at = clock.now()
    service.save(update_fields=[*changed, "updated_at"])
    record("applications.service_updated", actor=actor, target=service, data={"fields": list(changed)})
    return service
