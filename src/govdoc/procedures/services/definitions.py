"""Loading a BPMN file as a new version of a process definition."""

from __future__ import annotations

import functools
import hashlib
import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from govdoc.accounts.constants import Role
from govdoc.accounts.models import Person
from govdoc.accounts.selectors import has_role
from govdoc.applications.constants import AWAITABLE_STEPS
from govdoc.audit.event_types import EventType
from govdoc.audit.services import record
from govdoc.core import clock
from govdoc.distribution.constants import RETENTION_YEARS, DocumentKind
from govdoc.documents.constants import Disclosure
from govdoc.procedures import bpmn_facts, engine, letters
from govdoc.procedures.constants import DATA_KEY
from govdoc.procedures.errors import (
    DefinitionConditionError,
    DefinitionConflictError,
    DefinitionDocumentError,
    DefinitionDtdError,
    DefinitionInvalidError,
    DefinitionLaneError,
    DefinitionNoStartEventError,
    DefinitionNotBpmnError,
    DefinitionNotXmlError,
    DefinitionProcessCountError,
    DefinitionScriptError,
    DefinitionTimerError,
    DefinitionTooLargeError,
    DefinitionUnparsableError,
    NotDefinitionManagerError,
)
from govdoc.procedures.lanes import Lane, LaneNameError, lane_or_none, lane_read, party_key, role_read
from govdoc.procedures.models import ProcessDefinition

# A BPMN process id (an XML NCName, as the procedures GovDoc ships and bpmn.io draw them).
PROCESS_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")

# The engine's reason codes, the domain error for each and what a person reads.
_REFUSALS: dict[str, tuple[type[DefinitionInvalidError], str]] = {
    "too-large": (DefinitionTooLargeError, gettext_noop("the BPMN file is too large (%(detail)s)")),
    "not-xml": (DefinitionNotXmlError, gettext_noop("the file is not well-formed XML (%(detail)s)")),
    "dtd": (DefinitionDtdError, gettext_noop("the file declares a DTD or entities, which are not allowed")),
    "not-bpmn": (DefinitionNotBpmnError, gettext_noop("the file is not BPMN 2.0 (%(detail)s)")),
    "script": (
        DefinitionScriptError,
        gettext_noop("procedures may not contain scripts or script tasks (%(detail)s)"),
    ),
    "condition": (DefinitionConditionError, gettext_noop("a condition is not allowed (%(detail)s)")),
    "timer": (DefinitionTimerError, gettext_noop("a timer is not a quoted ISO 8601 value (%(detail)s)")),
    "process-count": (
        DefinitionProcessCountError,
        gettext_noop("the file must hold one executable process (%(detail)s)"),
    ),
    "no-start-event": (
        DefinitionNoStartEventError,
        gettext_noop("the process has no start event (%(detail)s)"),
    ),
    "unparsable": (DefinitionUnparsableError, gettext_noop("the process cannot be run (%(detail)s)")),
    "lane": (DefinitionLaneError, "%(detail)s"),
    "document": (DefinitionDocumentError, "%(detail)s"),
}


def _refused(reason: str, detail: str) -> DefinitionInvalidError:
    error_class, message = _REFUSALS[reason]
    return error_class(_(message) % {"detail": detail}, reason=reason, detail=detail)


_LANE_PROBLEMS = {
    "role": gettext_noop(
        "the lane '%(lane)s' names no GovDoc role (a lane is named after a role, e.g. 'handler', "
        "or after a party and a role, e.g. 'Lead organization (Korea) / head of agency')"
    ),
    "party-empty": gettext_noop("the lane '%(lane)s' names no party before the '/'"),
    "party-name": gettext_noop(
        "the party of the lane '%(lane)s' must be at most 100 letters, digits, spaces and ( ) . , ' & -"
    ),
    "separators": gettext_noop("the lane '%(lane)s' has more than one '/' (write 'party / role')"),
}


def lanes_of(parsed: engine.ParsedProcess) -> dict[str, Lane]:
    """Every lane's name and what it stands for, or a refusal naming the first bad lane."""
    lanes: dict[str, Lane] = {}
    for name in parsed.lane_names:
        try:
            lanes[name] = lane_read(name)
        except LaneNameError as exc:
            raise _refused("lane", _(_LANE_PROBLEMS[exc.problem]) % {"lane": name}) from exc
    return lanes


def parties_of(parsed: engine.ParsedProcess) -> dict[str, str]:
    """The parties the process's lanes name: key (``lanes.party_key``) → name as first drawn."""
    parties: dict[str, str] = {}
    for lane in lanes_of(parsed).values():
        if lane.party:
            parties.setdefault(lane.party_key, lane.party)
    return parties


def _check_lanes(parsed: engine.ParsedProcess) -> None:
    """Every lane names a role or a party and a role (``lanes.py``); every user or manual task
    is in one."""
    lanes_of(parsed)
    for _spec_name, title, task_lane in parsed.tasks:
        if task_lane is None:
            raise _refused(
                "lane",
                _("the task '%(task)s' is in no lane, so nobody could complete it") % {"task": title},
            )


def _approver_problem(spec: bpmn_facts.DocumentSpec) -> str:
    return _("names '%(role)s' in 'approved-by', which is no GovDoc role") % {"role": spec.approved_by}


def _document_problem(spec: bpmn_facts.DocumentSpec, parties: dict[str, str]) -> str:
    """What is wrong with a ``govdoc:draft`` (as a sentence), or ""."""
    if spec.template not in letters.TEMPLATES:
        return _("names the template '%(template)s'; GovDoc has %(known)s") % {
            "template": spec.template,
            "known": ", ".join(sorted(letters.TEMPLATES)),
        }
    if spec.kind not in DocumentKind.values:
        return _("names the kind '%(kind)s'; a kind is one of %(known)s") % {
            "kind": spec.kind,
            "known": ", ".join(DocumentKind.values),
        }
    if not spec.to and not spec.internal:  # an empty 'to' is a slip; no 'to' is an internal document
        return _("names no recipient party in 'to'")
    unknown = [name for name in spec.to if party_key(name) not in parties]
    if unknown:
        return _("sends to '%(party)s', which no lane of the process names") % {"party": unknown[0]}
    if spec.retention not in ("", "permanent", *map(str, RETENTION_YEARS)):
        return _("keeps the document for '%(value)s'; retention is 'permanent' or one of %(known)s years") % {
            "value": spec.retention,
            "known": ", ".join(map(str, RETENTION_YEARS)),
        }
    if spec.approved_by and role_read(spec.approved_by) is None:
        return _approver_problem(spec)
    if spec.disclosure not in ("", *Disclosure.values):
        return _("has the disclosure level '%(value)s'; it is one of %(known)s") % {
            "value": spec.disclosure,
            "known": ", ".join(Disclosure.values),
        }
    return ""


GOVDOC_ELEMENTS = ("draft", "countersign", "start", "application")


def _check_documents(parsed: engine.ParsedProcess, xml_bytes: bytes) -> None:
    """Every ``govdoc:`` element is a ``draft`` or ``countersign`` of a user or manual task (one
    per task); a draft names a template and a kind GovDoc has and the parties it goes to; a
    countersignature names a draft task whose document goes to the countersigning task's party."""
    text = xml_bytes.decode("utf-8", errors="replace")
    for element in bpmn_facts.govdoc_elements(text):
        where = element.owner_id or "?"
        if element.name not in GOVDOC_ELEMENTS:
            detail = _(
                "'%(element)s' in '%(where)s' is not a GovDoc element "
                "(draft, countersign, start, application)"
            )
            raise _refused("document", detail % {"element": element.name, "where": where})
        if element.owner_kind not in ("userTask", "manualTask") or element.count != 1:
            detail = _(
                "'%(where)s' may hold one GovDoc element (draft, countersign, start, application), "
                "in a user task"
            )
            raise _refused("document", detail % {"where": where})
    facts = bpmn_facts.facts(hashlib.sha256(xml_bytes).hexdigest(), text)
    parties = parties_of(parsed)
    lanes = {spec_name: task_lane for spec_name, _title, task_lane in parsed.tasks}
    for task_id, spec in facts.documents.items():
        problem = ""
        if spec.mode == "draft":
            problem = _document_problem(spec, parties)
        else:
            source = facts.documents.get(spec.source)
            lane = lane_or_none(lanes.get(task_id))
            if spec.approved_by and role_read(spec.approved_by) is None:
                problem = _approver_problem(spec)
            elif source is None or source.mode != "draft":
                problem = _("countersigns '%(task)s', which is not a task that drafts a document") % {
                    "task": spec.source
                }
            elif lane is None or not lane.party or lane.party_key not in {party_key(t) for t in source.to}:
                problem = _(
                    "countersigns the document of '%(task)s', which is not sent to this task's party"
                ) % {"task": spec.source}
        if problem:
            raise _refused(
                "document", _("the task '%(task)s' %(problem)s") % {"task": task_id, "problem": problem}
            )
    for task_id, steps in facts.awaits.items():
        unknown = [step for step in steps if step not in AWAITABLE_STEPS]
        if unknown or not steps:
            problem = _("waits for the application step '%(step)s'; a step is one of %(known)s") % {
                "step": unknown[0] if unknown else "",
                "known": ", ".join(sorted(AWAITABLE_STEPS)),
            }
            raise _refused(
                "document", _("the task '%(task)s' %(problem)s") % {"task": task_id, "problem": problem}
            )
    for task_id, start in facts.starts.items():
        problem = ""
        if not PROCESS_KEY.fullmatch(start.process):
            problem = _("starts '%(process)s', which is no process id") % {"process": start.process}
        elif not DATA_KEY.fullmatch(start.each):
            problem = _("names '%(each)s' in 'each', which is no data name") % {"each": start.each}
        elif start.party and party_key(start.party) not in parties:
            problem = _("starts procedures for '%(party)s', which no lane of the process names") % {
                "party": start.party
            }
        if problem:
            raise _refused(
                "document", _("the task '%(task)s' %(problem)s") % {"task": task_id, "problem": problem}
            )


def _require_manager(actor: Person | str) -> None:
    """An administrator (of any agency) loads definitions; a string names a system actor
    (set-up, the command line), which no web or API request can be."""
    if isinstance(actor, str) or actor.is_superuser or has_role(person=actor, role=Role.ADMINISTRATOR):
        return
    raise NotDefinitionManagerError(
        _("only an administrator may load process definitions"), person_id=str(actor.pk)
    )


def parse_checked(xml_bytes: bytes) -> engine.ParsedProcess:
    """A BPMN file read and checked as ``definition_load`` checks it (refusals as domain errors)."""
    try:
        parsed = engine.bpmn_parse(xml_bytes)
    except engine.BpmnRefusal as refusal:
        raise _refused(refusal.reason, refusal.detail) from refusal
    _check_lanes(parsed)
    _check_documents(parsed, xml_bytes)
    return parsed


@functools.lru_cache(maxsize=32)
def parsed_definition(sha256: str, bpmn_xml: str) -> engine.ParsedProcess:
    """The process of a stored definition, parsed once per process (the spec is never changed
    by the workflows made from it)."""
    return parse_checked(bpmn_xml.encode("utf-8"))


@transaction.atomic
def definition_load(*, xml_bytes: bytes, actor: Person | str) -> ProcessDefinition:
    """Check a BPMN file and keep it as the next version of its process (the active one).

    Refused with a ``DefinitionInvalidError`` subclass naming the reason: too large, not
    well-formed XML, a DTD or entities, not BPMN 2.0 (schema), a script or script task, a
    condition or timer the safe evaluator does not accept, not exactly one executable process,
    no start event, SpiffWorkflow cannot build it, a lane that names no role or a task in no
    lane. The file is kept byte for byte (it must be UTF-8) with its SHA-256. Loading the
    file of the active version again changes nothing and returns that version.
    """
    _require_manager(actor)
    try:
        text = xml_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refused("not-xml", _("the file must be UTF-8")) from exc
    parsed = parse_checked(xml_bytes)
    digest = hashlib.sha256(xml_bytes).hexdigest()
    # The active version's row is locked, so two loads of one key take turns (the unique
    # version constraint catches the first load of a new key, which has no row to lock).
    active = ProcessDefinition.objects.select_for_update().filter(key=parsed.key, is_active=True).first()
    if active is not None and active.sha256 == digest:
        return active
    last = ProcessDefinition.objects.filter(key=parsed.key).order_by("-version").first()
    if active is not None:
        active.is_active = False
        active.save(update_fields=["is_active"])
    version = (last.version + 1) if last is not None else 1
    try:
        with transaction.atomic():
            definition = ProcessDefinition.objects.create(
                key=parsed.key,
                version=version,
                name=parsed.name[:200],
                bpmn_xml=text,
                sha256=digest,
                uploaded_by=actor if isinstance(actor, Person) else None,
                uploaded_at=clock.now(),
                is_active=True,
            )
    except IntegrityError as exc:  # the first load of a new key, twice at the same moment
        raise DefinitionConflictError(
            _("another version of '%(key)s' was loaded at the same moment; load the file again")
            % {"key": parsed.key},
            key=parsed.key,
        ) from exc
    record(
        EventType.PROCEDURE_DEFINITION_LOADED,
        actor=actor,
        target=definition,
        data={
            "key": definition.key,
            "version": definition.version,
            "name": definition.name,
            "sha256": digest,
            "replaced_version": active.version if active is not None else None,
        },
    )
    return definition
