"""GovDoc's one door to SpiffWorkflow: reading BPMN safely, and running workflows with the
restricted script engine.

SpiffWorkflow's default ``PythonScriptEngine`` hands every condition to ``eval`` with full
builtins, and a workflow restored from JSON gets that default engine back without a word
(STACK-NOTES). So nothing outside this module touches SpiffWorkflow: a workflow is made by
``workflow_new`` or ``workflow_load``, and both attach ``SAFE_ENGINE``, whose environment
evaluates with ``expressions.evaluate`` and refuses every script and service call.

Pure: no Django (an import-linter contract holds it); refusals are ``BpmnRefusal`` with a
reason code, which the procedures services turn into translated domain errors.
"""

from __future__ import annotations

import ast
import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from govdoc.core import clock
from govdoc.procedures import expressions

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NSMAP = {"bpmn": BPMN_NS}
# A drawn process is tens of kilobytes; a larger upload is refused before it is parsed.
MAX_BPMN_BYTES = 2 * 1024 * 1024
# Elements that carry code, in any namespace: BPMN script tasks and scripts, SpiffWorkflow's
# pre- and post-scripts, Camunda's listener scripts.
SCRIPT_ELEMENTS = frozenset({"scriptTask", "globalScriptTask", "script", "preScript", "postScript"})
# Elements whose text SpiffWorkflow evaluates: each must pass the safe evaluator at load time.
EXPRESSION_ELEMENTS = frozenset(
    {"conditionExpression", "condition", "completionCondition", "loopCardinality", "messagePath"}
)
TIMER_ELEMENTS = frozenset({"timeDuration", "timeDate", "timeCycle"})
# Elements SpiffWorkflow parses but GovDoc cannot run: a service task would call an outside
# service through the script engine (refused there), so its process would stop at it for good.
UNSUPPORTED_ELEMENTS = frozenset({"serviceTask"})


class BpmnRefusal(Exception):
    """A BPMN file GovDoc will not keep. ``reason`` is a stable code (see ``definition_load``);
    ``detail`` says where, in plain English, for the domain error's message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class EngineError(Exception):
    """A workflow could not move on (a condition failed on the data, no flow was taken, a task
    is not there). The transaction around the move is rolled back."""


# ----------------------------------------------------------------------- the script engine


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Conditions through the safe evaluator; scripts and service calls refused."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        names = {**(external_context or {}), **context}
        return expressions.evaluate(expression, names)

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        raise expressions.ExpressionRefused(script[:80], "scripts are not run in GovDoc procedures")

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise expressions.ExpressionRefused(str(kwargs.get("operation_name", "")), "service calls refused")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(environment=SafeEnvironment())

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        # Not even handed to the environment: a script task in a stored state (written by hand
        # into the database) fails here.
        raise EngineError(f"task {task.task_spec.name}: scripts are not run in GovDoc procedures")

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        raise EngineError(f"task {task.task_spec.name}: GovDoc procedures call no outside service")


SAFE_ENGINE = SafeScriptEngine()


class _ClockDatetime(dt.datetime):
    """SpiffWorkflow's timers ask ``datetime.now``; GovDoc has one clock (``core.clock``), which
    tests freeze, so deadlines like "eight days for the applicant" are tested without waiting."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> dt.datetime:  # type: ignore[override]
        current = clock.now()
        return current.astimezone(tz) if tz is not None else current.astimezone().replace(tzinfo=None)


spiff_timer.datetime = _ClockDatetime

# ---------------------------------------------------------------------------- reading BPMN


@dataclass(frozen=True)
class ParsedProcess:
    key: str
    name: str
    spec: Any  # SpiffWorkflow's BpmnProcessSpec
    subprocess_specs: dict[str, Any]
    lane_names: tuple[str, ...]  # every lane drawn in the file
    tasks: tuple[tuple[str, str, str | None], ...]  # (spec name, title, lane) of user/manual tasks
    start_lanes: tuple[str | None, ...]  # the lanes of the process's start events


_VALIDATORS = threading.local()


def _validator() -> BpmnValidator:
    """The BPMN 2.0 schema, one per thread (an lxml schema keeps its last errors in itself)."""
    validator: BpmnValidator | None = getattr(_VALIDATORS, "value", None)
    if validator is None:
        validator = _VALIDATORS.value = BpmnValidator()
    return validator


def _local(element: Any) -> str:
    tag = element.tag
    return str(etree.QName(tag).localname) if isinstance(tag, str) else ""


_NO_DTD = "a DOCTYPE (DTD, entities) is not allowed in a BPMN file"


def _read_xml(xml_bytes: bytes) -> Any:
    """Well-formed XML with no DTD at all: no entities (XXE, billion laughs), no network."""
    if len(xml_bytes) > MAX_BPMN_BYTES:
        raise BpmnRefusal("too-large", f"{len(xml_bytes)} bytes; at most {MAX_BPMN_BYTES}")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.ElementTree(etree.fromstring(xml_bytes, parser))
    except etree.XMLSyntaxError as exc:
        if b"<!DOCTYPE" in xml_bytes:  # e.g. an external entity in an attribute: lxml stops there
            raise BpmnRefusal("dtd", _NO_DTD) from exc
        raise BpmnRefusal("not-xml", str(exc)) from exc
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise BpmnRefusal("dtd", _NO_DTD)
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise BpmnRefusal("not-bpmn", f"the root element is {root.tag}, not BPMN 2.0 definitions")
    try:
        _validator().validate(root)
    except SpiffWorkflowException as exc:
        raise BpmnRefusal("not-bpmn", str(exc).splitlines()[0]) from exc
    return root


def _check_code_free(root: Any) -> None:
    for element in root.iter():
        name = _local(element)
        if name in SCRIPT_ELEMENTS:
            raise BpmnRefusal("script", f"<{name} id={element.get('id', '')!r}>")
        if name in UNSUPPORTED_ELEMENTS:
            raise BpmnRefusal("unparsable", f"<{name} id={element.get('id', '')!r}> is not supported")
        text = (element.text or "").strip()
        if name in EXPRESSION_ELEMENTS and text:
            try:
                expressions.compile_condition(text)
            except expressions.ExpressionRefused as exc:
                raise BpmnRefusal("condition", f"{exc.reason}: {text[:200]}") from exc
        if name in TIMER_ELEMENTS:
            _check_timer(name, text)


def _check_timer(name: str, text: str) -> None:
    """A timer is a quoted ISO 8601 literal: "P8D", "2027-01-15T09:00:00+01:00", "R3/PT1H"."""
    try:
        tree = expressions.compile_condition(text)
    except expressions.ExpressionRefused as exc:
        raise BpmnRefusal("timer", f"{name}: {exc.reason}: {text[:200]}") from exc
    if not (isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str)):
        raise BpmnRefusal("timer", f'{name} must be a quoted ISO 8601 value, e.g. "P8D": {text[:200]}')
    value = tree.body.value
    try:
        if name == "timeDuration":
            spiff_timer.TimerEventDefinition.parse_iso_duration(value)
        elif name == "timeDate":
            spiff_timer.TimerEventDefinition.get_datetime(value)
        else:
            spiff_timer.TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception as exc:  # SpiffWorkflow raises bare Exception and ValueError here
        raise BpmnRefusal("timer", f"{name}: not an ISO 8601 value: {value[:200]}") from exc


def bpmn_parse(xml_bytes: bytes) -> ParsedProcess:
    """Read and check one BPMN file with one executable process. Raises ``BpmnRefusal``."""
    root = _read_xml(xml_bytes)
    _check_code_free(root)
    processes = [p for p in root.iterfind("bpmn:process", NSMAP) if p.get("isExecutable", "true") == "true"]
    if len(processes) != 1:
        raise BpmnRefusal("process-count", f"{len(processes)} executable processes; GovDoc takes one")
    process = processes[0]
    key = process.get("id", "")
    if process.find("bpmn:startEvent", NSMAP) is None:
        raise BpmnRefusal("no-start-event", f"process {key!r} has no start event")
    parser = BpmnParser()
    try:
        parser.add_bpmn_xml(root, filename=f"{key}.bpmn")
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except Exception as exc:  # SpiffWorkflow's parser raises many kinds; all mean "cannot run this"
        raise BpmnRefusal("unparsable", str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    lanes = tuple(str(lane.get("name") or lane.get("id")) for lane in root.iterfind(".//bpmn:lane", NSMAP))
    tasks = tuple(
        (str(ts.name), str(ts.bpmn_name or ts.name), ts.lane)
        for specs in (spec, *subprocess_specs.values())
        for ts in specs.task_specs.values()
        if ts.manual
    )
    starts = tuple(ts.lane for ts in spec.task_specs.values() if isinstance(ts, StartEvent))
    return ParsedProcess(
        key=key,
        name=str(process.get("name") or key),
        spec=spec,
        subprocess_specs=subprocess_specs,
        lane_names=lanes,
        tasks=tasks,
        start_lanes=starts,
    )


# --------------------------------------------------------------------- running workflows

_SERIALIZER = BpmnWorkflowSerializer()


@dataclass(frozen=True)
class OpenTask:
    """A READY user or manual task, as the work list shows it."""

    task_id: str
    spec_name: str
    title: str
    lane: str | None


def workflow_new(parsed: ParsedProcess, data: dict[str, Any]) -> Any:
    """A new workflow with the safe engine, ``data`` given to its first task, run up to its
    first waits."""
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=SAFE_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    _engine_steps(workflow)
    return workflow


def workflow_load(state: str) -> Any:
    """A workflow from its stored state, always with the safe engine attached (the serializer
    gives it SpiffWorkflow's unrestricted default). ``state`` is the JSON text exactly as
    ``workflow_dump`` wrote it: SpiffWorkflow depends on the order of its object keys."""
    try:
        workflow = _SERIALIZER.deserialize_json(state)
    except Exception as exc:
        raise EngineError(f"stored workflow state cannot be read: {exc}") from exc
    workflow.script_engine = SAFE_ENGINE
    return workflow


def workflow_dump(workflow: Any) -> str:
    return cast(str, _SERIALIZER.serialize_json(workflow))


def _reason(exc: Exception) -> str:
    """One line for a person: SpiffWorkflow's message and the cause it wraps."""
    text = (str(exc).splitlines() or [type(exc).__name__])[0].strip()
    cause = exc.__cause__ or exc.__context__  # SpiffWorkflow wraps the evaluator's error
    return f"{text} ({cause})" if cause is not None else text


def _engine_steps(workflow: Any, fired: list[str] | None = None) -> None:
    def did_complete(task: Any) -> None:
        if fired is not None and isinstance(
            getattr(task.task_spec, "event_definition", None), spiff_timer.TimerEventDefinition
        ):
            fired.append(str(task.task_spec.name))

    try:
        workflow.do_engine_steps(did_complete_task=did_complete)
    except (SpiffWorkflowException, expressions.ExpressionRefused, expressions.ExpressionFailed) as exc:
        raise EngineError(_reason(exc)) from exc


def open_tasks(workflow: Any) -> list[OpenTask]:
    return [
        OpenTask(
            str(t.id), str(t.task_spec.name), str(t.task_spec.bpmn_name or t.task_spec.name), t.task_spec.lane
        )
        for t in workflow.get_tasks(state=TaskState.READY, manual=True)
    ]


def open_task(workflow: Any, task_id: str) -> OpenTask | None:
    """The READY user or manual task with this id (None: no such task, or not open now)."""
    try:
        wanted = UUID(str(task_id))
    except ValueError:
        return None
    return next((t for t in open_tasks(workflow) if t.task_id == str(wanted)), None)


def task_run(workflow: Any, task_id: str, data: dict[str, Any]) -> None:
    """Complete one open task with ``data`` and run the engine up to the next waits."""
    task = workflow.get_task_from_id(UUID(task_id))
    task.data.update(data)
    try:
        task.run()
    except (SpiffWorkflowException, expressions.ExpressionRefused, expressions.ExpressionFailed) as exc:
        raise EngineError(_reason(exc)) from exc
    _engine_steps(workflow)


def timers_refresh(workflow: Any) -> list[str]:
    """Let timers whose time has come fire and run on; returns the names of the fired ones."""
    fired: list[str] = []
    try:
        workflow.refresh_timers()
    except (SpiffWorkflowException, expressions.ExpressionRefused, expressions.ExpressionFailed) as exc:
        raise EngineError(_reason(exc)) from exc
    _engine_steps(workflow, fired)
    return fired


def next_timer_at(workflow: Any) -> dt.datetime | None:
    """When the earliest waiting timer is due (None: no timer waits)."""
    due: list[dt.datetime] = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, spiff_timer.TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):  # a cycle: {"cycles": n, "next": iso, "duration": s}
            value = value.get("next")
        try:
            due.append(spiff_timer.TimerEventDefinition.get_datetime(str(value)))
        except (TypeError, ValueError):
            due.append(clock.now())  # not yet armed: look at it on the next tick
    return min(due) if due else None


def is_completed(workflow: Any) -> bool:
    return bool(workflow.completed)
