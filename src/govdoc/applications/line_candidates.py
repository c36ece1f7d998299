"""Who may be put on an application's approval line: the officials of the handling agency with
the roles they hold today, and for each step of the service's approval policy, who may hold it.

What an integrator needs to build a line that keeps the policy without the web pages
(``GET /api/v1/people/assignees?application=<id>``); the web form offers the same people.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import translation

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import officials_of_agency
from govdoc.applications import integration
from govdoc.applications.access import is_official_of_unit
from govdoc.applications.errors import ApplicationNotFoundError
from govdoc.applications.models import Application
from govdoc.applications.selectors import Viewer, application_get
from govdoc.applications.services.decisions import default_line_resolve
from govdoc.applications.specs import LineStep, PolicyStep
from govdoc.core.errors import GovDocError


@dataclass(frozen=True)
class Candidate:
    person: Person
    unit_roles: frozenset[str]
    agency_roles: frozenset[str]


@dataclass(frozen=True)
class PolicyStepCandidates:
    step: PolicyStep
    holders_text: str
    people: list[Person]


@dataclass(frozen=True)
class LineCandidates:
    application: Application
    officials: list[Candidate]
    policy: list[PolicyStepCandidates]
    default_line: list[LineStep]
    delegated_roles: frozenset[str]


def line_candidates(*, viewer: Viewer, application_id: uuid.UUID | str) -> LineCandidates:
    """For officials of the handling unit only (anyone else: "not found"). Never the viewer
    (no one approves their own draft) and never a system account (only people decide)."""
    application = application_get(
        viewer=viewer, application_id=application_id, purpose="choose the approval line"
    )
    if not isinstance(viewer, Person) or not is_official_of_unit(person=viewer, unit_id=application.unit_id):
        raise ApplicationNotFoundError(
            translation.gettext("no such application"), application_id=str(application_id)
        )
    people = [p for p in officials_of_agency(agency_id=application.agency_id) if p.pk != viewer.pk]
    roles, delegated = integration.approval_roles(
        person_ids=[str(p.pk) for p in people],
        agency_id=application.agency_id,
        unit_id=application.unit_id,
        doc_type=application.service.output_doc_type,
    )
    officials = [
        Candidate(
            person=p, unit_roles=roles[str(p.pk)].unit_roles, agency_roles=roles[str(p.pk)].agency_roles
        )
        for p in people
        if str(p.pk) in roles
    ]
    policy = [
        PolicyStepCandidates(
            step=step,
            holders_text=integration.policy_holders_text(step["holders"]),
            people=[
                c.person
                for c in officials
                if integration.policy_may_hold(step["holders"], roles[str(c.person.pk)], delegated)
            ],
        )
        for step in application.service.approval_policy["steps"]
    ]
    try:
        default_line = default_line_resolve(application=application, drafter=viewer)
    except GovDocError:
        default_line = []
    return LineCandidates(
        application=application,
        officials=officials,
        policy=policy,
        default_line=default_line,
        delegated_roles=delegated,
    )
