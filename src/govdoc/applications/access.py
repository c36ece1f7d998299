"""Who stands where towards an application: the applicant, or an official of the handling unit."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext, gettext_noop

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.applications.constants import SUPERVISOR_ROLES
from govdoc.applications.errors import NotAllowedHereError
from govdoc.applications.models import Application


def roles_in_unit(*, person: Person, unit_id: uuid.UUID) -> set[str]:
    """The roles ``person`` holds today in the unit (empty for citizens and outsiders)."""
    if not person.is_active:
        return set()
    return set(memberships_current(person=person).filter(unit_id=unit_id).values_list("role", flat=True))


def is_official_of_unit(*, person: Person, unit_id: uuid.UUID) -> bool:
    return bool(roles_in_unit(person=person, unit_id=unit_id))


# What the handler does, as a refusal names it (translated when refused).
HANDLING_ACTIONS: dict[str, str] = {
    "ask for completion": gettext_noop("ask for completion"),
    "draft the decision": gettext_noop("draft the decision"),
    "send the decision to approval": gettext_noop("send the decision to approval"),
}


def require_handling_official(application: Application, actor: Person, *, action: str) -> None:
    """The assigned handler, or a head of the handling unit."""
    roles = roles_in_unit(person=actor, unit_id=application.unit_id)
    if (application.handler_id == actor.pk and roles) or roles & SUPERVISOR_ROLES:
        return
    raise NotAllowedHereError(
        gettext("only the assigned handler or a head of the unit may %(action)s")
        % {"action": gettext(HANDLING_ACTIONS.get(action, action))},
        application_id=str(application.pk),
        person_id=str(actor.pk),
    )
