"""Who am I, and who may be put on an approval line: what an integrator needs to do the whole
journey without the web pages."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import memberships_current
from govdoc.api.auth import api_auth, token_of
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.applications.data_access import data_access_log
from govdoc.applications.line_candidates import line_candidates

router = Router(tags=["people"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


class MembershipOut(Schema):
    agency: str = Field(description="The agency's code, e.g. mup")
    agency_name: str
    unit_id: uuid.UUID
    unit: str = Field(description="The unit's code inside its agency")
    unit_name: str
    role: str = Field(description="handler, head_of_unit, head_of_agency, registry_clerk, archivist, ...")
    position: str


class TokenOut(Schema):
    id: uuid.UUID
    name: str
    scopes: list[str] = Field(description="e.g. issue:<service code> for direct issuance")
    expires_at: dt.datetime


class MeOut(Schema):
    id: uuid.UUID
    username: str
    name: str
    account_kind: str = Field(description="person, or system (an agency's system: API only)")
    is_citizen: bool
    agencies: list[str] = Field(description="Codes of the agencies I hold a role in today")
    memberships: list[MembershipOut]
    token: TokenOut | None = Field(description="The token this request came with (null: a browser session)")


@router.get(
    "/me",
    response={200: MeOut, **problems(403)},
    summary="Who am I: person or system account, roles, units, agencies, and the token used",
)
def me(request: HttpRequest) -> MeOut:
    person = _me(request)
    held = list(memberships_current(person=person))
    token = token_of(request)
    return MeOut(
        id=person.pk,
        username=person.username,
        name=person.get_full_name() or person.username,
        account_kind=str(person.account_kind),
        is_citizen=person.is_citizen,
        agencies=sorted({m.unit.agency.code for m in held}),
        memberships=[
            MembershipOut(
                agency=m.unit.agency.code,
                agency_name=m.unit.agency.name,
                unit_id=m.unit.pk,
                unit=m.unit.code,
                unit_name=m.unit.name,
                role=str(m.role),
                position=m.position,
            )
            for m in held
        ],
        token=TokenOut(id=token.pk, name=token.name, scopes=list(token.scopes), expires_at=token.expires_at)
        if token is not None
        else None,
    )


class OfficialOut(Schema):
    id: uuid.UUID
    username: str
    name: str
    roles_in_handling_unit: list[str]
    roles_in_agency: list[str]


class PolicyHolderOut(Schema):
    role: str
    scope: str = Field(description="unit (the handling unit), agency, or delegation (while a rule allows)")


class PolicyStepOut(Schema):
    kind: str = Field(description="review, consent or approval")
    holders: list[PolicyHolderOut]
    holders_text: str
    may_hold: list[uuid.UUID] = Field(description="Ids of the officials who may hold this step today")


class LineStepOut(Schema):
    kind: str
    assignee_id: uuid.UUID
    position: int


class AssigneesOut(Schema):
    application_id: uuid.UUID
    service: str
    officials: list[OfficialOut] = Field(
        description="Officials of the handling agency who may be on the line"
    )
    policy: list[PolicyStepOut] = Field(
        description="The steps the line must have, in order; the drafter may add reviews and consents"
    )
    default_line: list[LineStepOut] = Field(description="The service's default line resolved to people today")
    delegated_roles: list[str] = Field(
        description="Roles the delegation table lets decide this document type now"
    )


class AssigneesQuery(StrictSchema):
    application: uuid.UUID = Field(strict=False, description="The application whose line is being built")


@router.get(
    "/people/assignees",
    response={200: AssigneesOut, **problems(404)},
    summary="Who may be assigned on an application's approval line, and who may hold each policy step",
)
def assignees(request: HttpRequest, query: Query[AssigneesQuery]) -> AssigneesOut:
    found = line_candidates(viewer=_me(request), application_id=query.application)
    return AssigneesOut(
        application_id=found.application.pk,
        service=found.application.service.code,
        officials=[
            OfficialOut(
                id=c.person.pk,
                username=c.person.username,
                name=c.person.get_full_name() or c.person.username,
                roles_in_handling_unit=sorted(c.unit_roles),
                roles_in_agency=sorted(c.agency_roles),
            )
            for c in found.officials
        ],
        policy=[
            PolicyStepOut(
                kind=p.step["kind"],
                holders=[PolicyHolderOut(role=h["role"], scope=h["scope"]) for h in p.step["holders"]],
                holders_text=p.holders_text,
                may_hold=[person.pk for person in p.people],
            )
            for p in found.policy
        ],
        default_line=[
            LineStepOut(kind=s["kind"], assignee_id=uuid.UUID(s["assignee_id"]), position=s["position"])
            for s in found.default_line
        ],
        delegated_roles=sorted(found.delegated_roles),
    )


class DataAccessOut(Schema):
    at: dt.datetime
    reader: str = Field(description="The official (or agency system) who opened the data")
    purpose: str = Field(description="Why, as recorded: e.g. handling the application")
    subject: str = Field(description="What was opened: an application, a case's documents, a document")
    fields: list[str] = Field(description="Which personal data fields were shown")


@router.get(
    "/me/data-access",
    response={200: list[DataAccessOut], **problems(403)},
    summary="Who in the administration opened my personal data, and when",
    description=(
        "Every recorded reading of the caller's personal data by officials or agency systems: "
        "their applications, the documents of their cases, the documents issued to them and their "
        "account (the data subject's right of access), newest first, at most 500."
    ),
)
def my_data_access(request: HttpRequest) -> list[DataAccessOut]:
    person = _me(request)
    return [
        DataAccessOut(at=a.at, reader=a.reader, purpose=a.purpose, subject=a.subject, fields=list(a.fields))
        for a in data_access_log(citizen=person)
    ]
