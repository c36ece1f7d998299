"""Procedures (BPMN processes) through the API: my tasks with the data each asks for, a
procedure's state (open tasks, history, data, documents, related procedures), starting one,
completing a task, and drafting the document a task produces.

Every operation parses its input, calls the selectors and services of ``govdoc.procedures``
and renders the result; domain errors become problem+json through ``govdoc.api.errors``. A
procedure no agency of the caller runs or takes part in answers 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from govdoc.accounts.models import Person
from govdoc.accounts.selectors import agency_by_code, agency_ids_of, memberships_current
from govdoc.api.auth import api_auth
from govdoc.api.errors import problems
from govdoc.api.schemas import StrictSchema
from govdoc.core.jsontypes import JSONObject
from govdoc.distribution.selectors import drafting_unit_find
from govdoc.procedures import selectors, services
from govdoc.procedures.bpmn_facts import DataField
from govdoc.procedures.models import ProcessInstance, ProcessTask, RemoteTask

router = Router(tags=["procedures"], auth=api_auth)


def _me(request: HttpRequest) -> Person:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, Person)
    return user


# ---------------------------------------------------------------------------- schemas


class ProcedureFieldOut(Schema):
    name: str = Field(description="The process data name to give in `data`")
    kind: str = Field(
        description="choice, flag (true/false), items (a list), number or lines (a list of titles)"
    )
    label: str
    choices: list[Any] = Field(description="The values a choice or items field takes")


class ProcedureTaskOut(Schema):
    instance_id: uuid.UUID
    task_id: uuid.UUID
    spec_name: str = Field(description="The task's BPMN id")
    title: str
    procedure: str = Field(description="The procedure's key (BPMN process id)")
    procedure_title: str
    lane: str
    role: str
    party: str
    agency: str | None = Field(description="Whose people do it; null when its party is on another node")
    waiting_for: str = Field(description="agency@node of a party on another node, else empty")
    since: dt.datetime
    deadline: dt.datetime | None = Field(description="When the earliest timer on its border fires")
    document: str | None = Field(
        description="draft or countersign: the task completes when its document is sent "
        "(POST .../document), not by POST .../complete"
    )
    fields: list[ProcedureFieldOut] = Field(description="The data its completion asks for")


class ProcedureStepOut(Schema):
    task_id: uuid.UUID
    spec_name: str
    title: str
    role: str
    party: str
    agency: str | None
    completed_by: str | None = Field(description="Username; null when its party completed it on another node")
    completed_elsewhere: str = Field(description="agency@node of that party")
    completed_at: dt.datetime
    data: dict[str, Any]


class ProcedureDocumentOut(Schema):
    task: str = Field(description="The BPMN id of the task that produced it")
    mode: str = Field(description="draft or countersign")
    outgoing_id: uuid.UUID | None = Field(description="GET /outgoing/{id}")
    status: str | None = Field(description="The outgoing document's status")
    registry_number: str | None
    answer_delivery_id: uuid.UUID | None = Field(
        description="The registered countersignature from another node"
    )


class ProcedureRelatedOut(Schema):
    id: uuid.UUID
    relation: str = Field(description="parent (started this one) or child (started by it)")
    procedure: str
    title: str
    business_key: str
    status: str


class ProcedureOut(Schema):
    id: uuid.UUID
    procedure: str
    version: int
    name: str
    title: str
    business_key: str
    agency: str
    status: str = Field(description="running, completed or cancelled")
    started_at: dt.datetime
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    cancel_reason: str
    parties: dict[str, str] = Field(description="Party name → agency code, or code@node")
    open_tasks: list[ProcedureTaskOut]
    steps: list[ProcedureStepOut]
    data: dict[str, Any]
    documents: list[ProcedureDocumentOut]
    related: list[ProcedureRelatedOut]


class ProcedureStartIn(StrictSchema):
    procedure: str = Field(max_length=100, description="The process key (GET /procedures/definitions)")
    agency: str = Field(max_length=32, description="The agency it runs in (one you work in)")
    title: str = Field(default="", max_length=300)
    business_key: str = Field(default="", max_length=100)
    data: dict[str, Any] = Field(default_factory=dict, description="Its first process data")
    parties: dict[str, str] = Field(
        default_factory=dict, description="Party name → agency code here, or code@node of a trusted node"
    )


class ProcedureTaskIn(StrictSchema):
    data: dict[str, Any] = Field(default_factory=dict, description="The data the task asks for (`fields`)")


class ProcedureDocumentIn(StrictSchema):
    unit: str = Field(
        default="",
        max_length=65,
        description='The unit you draft in ("agency/unit"); needed if you draft in several',
    )
    title: str = Field(default="", max_length=500, description="Default: the task's title (draft only)")
    text: str = Field(
        default="", max_length=20_000, description="The text; a blank line starts a paragraph (draft)"
    )
    script: str = Field(default="sr-latn", max_length=8, description="sr-latn, sr-cyrl or en (draft)")
    classification_code: str = Field(
        default="", max_length=32, description="Default: the BPMN file's (draft)"
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="What the task decides for the next gateway (its `fields`), entered in the "
        "process data when the document is sent or filed (draft)",
    )


class ProcedureDefinitionOut(Schema):
    procedure: str
    version: int
    name: str
    parties: list[str]
    may_start_in: list[str] = Field(description="Agency codes where you may start it")


class ProcedureCancelIn(StrictSchema):
    reason: str = Field(max_length=500)


# ---------------------------------------------------------------------------- rendering


def _task(task: ProcessTask) -> ProcedureTaskOut:
    spec = selectors.task_document_spec(task=task)
    return ProcedureTaskOut(
        instance_id=task.instance_id,
        task_id=task.task_id,
        spec_name=task.spec_name,
        title=task.title,
        procedure=task.instance.definition.key,
        procedure_title=task.instance.title,
        lane=task.lane,
        role=task.role,
        party=task.party,
        agency=task.agency.code if task.agency is not None else None,
        waiting_for=task.remote,
        since=task.since,
        deadline=selectors.task_deadline(task=task),
        document=spec.mode if spec is not None else None,
        fields=_fields_out(selectors.task_fields(task=task)),
    )


def _instance(instance: ProcessInstance, me: Person) -> ProcedureOut:
    ids = agency_ids_of(person=me)
    related = [
        ProcedureRelatedOut(
            id=p.pk,
            relation="parent" if p.pk == instance.parent_id else "child",
            procedure=p.definition.key,
            title=p.title,
            business_key=p.business_key,
            status=p.status,
        )
        for p in selectors.instances_related(instance=instance)
        if selectors.instance_visible_to(instance=p, agency_ids=ids)
    ]
    documents = [
        ProcedureDocumentOut(
            task=d.spec_name,
            mode=d.mode,
            outgoing_id=d.outgoing_id,
            status=d.outgoing.status if d.outgoing is not None else None,
            registry_number=(
                d.outgoing.registry_entry.registry_number
                if d.outgoing is not None and d.outgoing.registry_entry is not None
                else None
            ),
            answer_delivery_id=d.answer_id,
        )
        for d in selectors.task_documents(instance=instance)
    ]
    return ProcedureOut(
        id=instance.pk,
        procedure=instance.definition.key,
        version=instance.definition.version,
        name=instance.definition.name,
        title=instance.title,
        business_key=instance.business_key,
        agency=instance.agency.code,
        status=instance.status,
        started_at=instance.started_at,
        completed_at=instance.completed_at,
        cancelled_at=instance.cancelled_at,
        cancel_reason=instance.cancel_reason,
        parties={p.name: p.address for p in selectors.instance_parties(instance=instance)},
        open_tasks=[_task(t) for t in selectors.instance_open_tasks(instance=instance)],
        steps=[
            ProcedureStepOut(
                task_id=s.task_id,
                spec_name=s.spec_name,
                title=s.title,
                role=s.role,
                party=s.party,
                agency=s.agency.code if s.agency is not None else None,
                completed_by=s.completed_by.username if s.completed_by is not None else None,
                completed_elsewhere=s.completed_elsewhere,
                completed_at=s.completed_at,
                data=s.data,
            )
            for s in selectors.instance_steps(instance=instance).select_related("agency")
        ],
        data=dict(selectors.instance_data(instance=instance)),
        documents=documents,
        related=related,
    )


# ---------------------------------------------------------------------------- operations


class ProcedureTaskPageIn(Schema):
    limit: int = Field(default=100, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=2**31 - 1)


class RemoteTaskOut(Schema):
    id: int
    origin: str = Field(description="agency@node of the procedure's agency, on another GovDoc node")
    procedure: str = Field(description="The procedure's name, as drawn")
    instance_title: str
    business_key: str
    spec_name: str
    title: str
    role: str
    party: str
    agency: str = Field(description="The agency here whose people do it")
    status: str = Field(description="open, done or withdrawn")
    since: dt.datetime
    deadline: dt.datetime | None
    refusal: str = Field(description="Why the procedure's node did not take the last result, if it did not")
    fields: list[ProcedureFieldOut]


def _fields_out(fields: Iterable[DataField]) -> list[ProcedureFieldOut]:
    """What completing a task asks, here or on another node, as the API says it."""
    return [
        ProcedureFieldOut(
            name=f.name, kind=f.kind, label=f.label, choices=[value for value, _label in f.choices]
        )
        for f in fields
    ]


def _remote(task: RemoteTask) -> RemoteTaskOut:
    return RemoteTaskOut(
        id=task.pk,
        origin=task.origin,
        procedure=task.procedure,
        instance_title=task.instance_title,
        business_key=task.business_key,
        spec_name=task.spec_name,
        title=task.title,
        role=task.role,
        party=task.party,
        agency=task.agency.code,
        status=task.status,
        since=task.since,
        deadline=task.deadline,
        refusal=task.refusal,
        fields=_fields_out(services.remote_fields(task.fields)),
    )


@router.get(
    "/procedures/remote-tasks",
    response={200: list[RemoteTaskOut], **problems()},
    summary="Tasks that procedures on other nodes ask of my agencies",
)
def remote_tasks(request: HttpRequest) -> list[RemoteTaskOut]:
    return [_remote(t) for t in selectors.remote_tasks_for(person=_me(request))[:500]]


@router.post(
    "/procedures/remote-tasks/{task_id}/complete",
    response={200: RemoteTaskOut, **problems(400, 404, 409)},
    summary="Complete a task of a procedure on another node; its result goes back there",
)
def remote_complete(request: HttpRequest, task_id: int, body: ProcedureTaskIn) -> RemoteTaskOut:
    me = _me(request)
    task = selectors.remote_task_for(person=me, task_id=task_id)
    data: JSONObject = dict(body.data)
    return _remote(services.remote_task_complete(task=task, actor=me, data=data))


@router.get(
    "/procedures/tasks",
    response={200: list[ProcedureTaskOut], **problems()},
    summary="My tasks",
    description="Oldest first, `limit` at a time from `offset`; the header X-Total-Count says how many "
    "there are in all.",
)
def tasks(
    request: HttpRequest, response: HttpResponse, page: Query[ProcedureTaskPageIn]
) -> list[ProcedureTaskOut]:
    mine = selectors.tasks_for(person=_me(request))
    response["X-Total-Count"] = str(mine.count())
    return [_task(t) for t in mine[page.offset : page.offset + page.limit]]


@router.get(
    "/procedures/definitions",
    response={200: list[ProcedureDefinitionOut], **problems()},
    summary="The procedures installed here, and where I may start each",
)
def definitions(request: HttpRequest) -> list[ProcedureDefinitionOut]:
    me = _me(request)
    mine = sorted({m.unit.agency for m in memberships_current(person=me)}, key=lambda a: a.code)
    startable = {
        a.code: {d.pk for d in selectors.definitions_startable(person=me, agency_ids={a.pk})} for a in mine
    }
    return [
        ProcedureDefinitionOut(
            procedure=d.key,
            version=d.version,
            name=d.name,
            parties=selectors.definition_parties(definition=d),
            may_start_in=[code for code, ids in startable.items() if d.pk in ids],
        )
        for d in selectors.definitions_active()
    ]


@router.post(
    "/procedures",
    response={201: ProcedureOut, **problems(400, 403, 404, 409)},
    summary="Start a procedure in one of my agencies",
)
def start(request: HttpRequest, body: ProcedureStartIn) -> Status[ProcedureOut]:
    me = _me(request)
    definition = selectors.definition_active(key=body.procedure)
    data: JSONObject = dict(body.data)
    instance = services.instance_start(
        definition=definition,
        agency=agency_by_code(body.agency),
        actor=me,
        data=data,
        title=body.title,
        business_key=body.business_key,
        parties=body.parties,
    )
    return Status(201, _instance(selectors.instance_get(instance.pk), me))


@router.get("/procedures/{instance_id}", response={200: ProcedureOut, **problems(404)})
def instance(request: HttpRequest, instance_id: uuid.UUID) -> ProcedureOut:
    me = _me(request)
    return _instance(selectors.instance_for(person=me, instance_id=instance_id), me)


@router.post(
    "/procedures/{instance_id}/tasks/{task_id}/complete",
    response={200: ProcedureOut, **problems(400, 403, 404, 409)},
    summary="Complete a task with the data it asks for",
)
def complete(
    request: HttpRequest, instance_id: uuid.UUID, task_id: uuid.UUID, body: ProcedureTaskIn
) -> ProcedureOut:
    me = _me(request)
    found = selectors.instance_for(person=me, instance_id=instance_id)
    data: JSONObject = dict(body.data)
    services.task_complete(instance=found, task_id=str(task_id), actor=me, data=data)
    return _instance(selectors.instance_get(found.pk), me)


@router.post(
    "/procedures/{instance_id}/tasks/{task_id}/document",
    response={201: ProcedureDocumentOut, **problems(400, 403, 404, 409)},
    summary="Draft the document a task produces (or countersign); send it by POST /outgoing/{id}/send",
)
def document(
    request: HttpRequest, instance_id: uuid.UUID, task_id: uuid.UUID, body: ProcedureDocumentIn
) -> Status[ProcedureDocumentOut]:
    me = _me(request)
    found = selectors.instance_for(person=me, instance_id=instance_id)
    task = selectors.task_open(instance=found, task_id=task_id)
    spec = selectors.task_document_spec(task=task) if task is not None else None
    # The services refuse what is wrong (the task not open, on another node, producing no
    # document, a unit of another agency) with the pages' own reasons.
    unit = drafting_unit_find(person=me, code=body.unit)
    if spec is None or spec.mode == "draft":
        made = services.task_document_draft(
            instance=found,
            task_id=str(task_id),
            actor=me,
            unit=unit,
            title=body.title,
            text=body.text,
            script=body.script,
            classification_code=body.classification_code,
            data=dict(body.data),
        )
    else:
        made = services.task_document_countersign(instance=found, task_id=str(task_id), actor=me, unit=unit)
    return Status(
        201,
        ProcedureDocumentOut(
            task=made.spec_name,
            mode=made.mode,
            outgoing_id=made.outgoing_id,
            status="draft",
            registry_number=None,
            answer_delivery_id=None,
        ),
    )


@router.post(
    "/procedures/{instance_id}/cancel",
    response={200: ProcedureOut, **problems(400, 403, 404, 409)},
    summary="Cancel a running procedure (the head of its agency or an administrator)",
)
def cancel(request: HttpRequest, instance_id: uuid.UUID, body: ProcedureCancelIn) -> ProcedureOut:
    me = _me(request)
    found = selectors.instance_for(person=me, instance_id=instance_id)
    services.instance_cancel(instance=found, actor=me, reason=body.reason)
    return _instance(selectors.instance_get(found.pk), me)
