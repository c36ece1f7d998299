"""The delegation table (전결 규정) and absences with their deputies (대결)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from govdoc.accounts.constants import OFFICIAL_ROLES, Role
from govdoc.accounts.models import Agency, Person
from govdoc.accounts.selectors import agency_ids_of, memberships_current
from govdoc.approvals.errors import (
    InvalidAbsenceError,
    InvalidDelegationRuleError,
    NotAllowedToManageError,
)
from govdoc.approvals.models import Absence, DelegationRule
from govdoc.approvals.services._base import (
    ABSENCE_MANAGER_ROLES,
    DOC_TYPE_MAX,
    RULE_MANAGER_ROLES,
    Actor,
)
from govdoc.audit.services import record
from govdoc.core import clock

# ---------------------------------------------------------------------------- delegation rules


def _require_manager(*, actor: Actor, agency_ids: set[object], roles: frozenset[Role]) -> None:
    if not isinstance(actor, Person):
        return  # a system actor (CLI, a migration of the delegation table) names itself
    held = memberships_current(person=actor).filter(unit__agency_id__in=agency_ids, role__in=roles)
    if not held.exists():
        raise NotAllowedToManageError(
            _("you hold no role that may change this"), person_id=str(actor.pk), roles=sorted(roles)
        )


@transaction.atomic
def delegation_rule_create(
    *,
    agency: Agency,
    doc_type: str,
    role: str,
    valid_from: dt.datetime,
    valid_to: dt.datetime | None = None,
    actor: Actor,
) -> DelegationRule:
    """From ``valid_from`` on, officials holding ``role`` decide ``doc_type`` finally (전결)."""
    _require_manager(actor=actor, agency_ids={agency.pk}, roles=RULE_MANAGER_ROLES)
    doc_type = doc_type.strip()
    if not doc_type or len(doc_type) > DOC_TYPE_MAX:
        raise InvalidDelegationRuleError(
            _("%(field)s must have 1 to %(max)s characters") % {"field": "doc_type", "max": DOC_TYPE_MAX}
        )
    if role not in OFFICIAL_ROLES:
        raise InvalidDelegationRuleError(
            _("%(role)s is not a role of an official") % {"role": repr(role)}, role=role
        )
    if valid_from.tzinfo is None or (valid_to is not None and valid_to.tzinfo is None):
        raise InvalidDelegationRuleError(_("validity times must be timezone-aware"))
    if valid_to is not None and valid_to <= valid_from:
        raise InvalidDelegationRuleError(_("a rule must end after it starts"))
    rule = DelegationRule.objects.create(
        agency=agency,
        doc_type=doc_type,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        created_at=clock.now(),
    )
    record(
        "approvals.delegation_rule_created",
        actor=actor,
        target=rule,
        data={
            "agency": agency.code,
            "doc_type": doc_type,
            "role": role,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
    )
    return rule


@transaction.atomic
def delegation_rule_end(*, rule: DelegationRule, actor: Actor) -> DelegationRule:
    """The rule stops now (a rule not started yet never applies)."""
    rule = DelegationRule.objects.select_for_update().get(pk=rule.pk)
    _require_manager(actor=actor, agency_ids={rule.agency_id}, roles=RULE_MANAGER_ROLES)
    now = clock.now()
    if rule.valid_to is None or rule.valid_to > now:
        rule.valid_to = max(now, rule.valid_from + dt.timedelta(microseconds=1))
        rule.save(update_fields=["valid_to"])
        record(
            "approvals.delegation_rule_ended",
            actor=actor,
            target=rule,
            data={"valid_to": rule.valid_to.isoformat()},
        )
    return rule


# ---------------------------------------------------------------------------- absences


@transaction.atomic
def absence_create(
    *,
    person: Person,
    deputy: Person,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    actor: Actor,
) -> Absence:
    """``person`` is away from ``starts_at`` to ``ends_at``; ``deputy`` decides for them (대결)."""
    if not (isinstance(actor, Person) and actor.pk == person.pk):
        _require_manager(actor=actor, agency_ids=agency_ids_of(person=person), roles=ABSENCE_MANAGER_ROLES)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidAbsenceError(_("absence times must be timezone-aware"))
    if ends_at <= starts_at:
        raise InvalidAbsenceError(_("an absence must end after it starts"))
    if deputy.pk == person.pk:
        raise InvalidAbsenceError(_("a person cannot be their own deputy"))
    if not agency_ids_of(person=person) & agency_ids_of(person=deputy):
        raise InvalidAbsenceError(
            _("the deputy must be a current official of the absent person's agency"),
            deputy_id=str(deputy.pk),
        )
    absence = Absence.objects.create(
        person=person,
        deputy=deputy,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason.strip()[:200],
        created_at=clock.now(),
    )
    record(
        "approvals.absence_created",
        actor=actor,
        target=absence,
        data={
            "person": str(person.pk),
            "deputy": str(deputy.pk),
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return absence


@transaction.atomic
def absence_end(*, absence: Absence, actor: Actor) -> Absence:
    """The person is back: the deputy's authority ends now."""
    absence = Absence.objects.select_for_update().select_related("person").get(pk=absence.pk)
    if not (isinstance(actor, Person) and actor.pk == absence.person_id):
        _require_manager(
            actor=actor, agency_ids=agency_ids_of(person=absence.person), roles=ABSENCE_MANAGER_ROLES
        )
    now = clock.now()
    if absence.ends_at > now:
        absence.ends_at = max(now, absence.starts_at + dt.timedelta(microseconds=1))
        absence.save(update_fields=["ends_at"])
        record(
            "approvals.absence_ended",
            actor=actor,
            target=absence,
            data={"ends_at": absence.ends_at.isoformat()},
        )
    return absence
