"""What the officials' pages read from a stored BPMN file, without running it: the data a task's
decision needs (read from the conditions of the exclusive gateway right after it), the timers
drawn on a task's border (its deadline), and the lanes of the start events.

The file was checked when it was loaded (``definition_load``); it is read here again with the
same care (no DTD, no entities, no network). Pure: no Django, no SpiffWorkflow.

**The rule for a task's decision fields** (docs/procedures.md): when a task's outgoing flow
leads straight into an exclusive gateway, the conditions on the gateway's flows say which
process data the person completing the task must give:

- ``name == literal`` (or ``!=``) with string or number literals: a choice among those literals,
  labelled with the name of the flow whose whole condition is that comparison (else the
  literal itself);
- ``name == True`` / ``False``, or a bare ``name`` / ``not name``: a yes/no question;
- ``"literal" in name``: a list of check boxes, one per literal; the value is the list checked;
- ``name < number`` (``<=``, ``>``, ``>=``): a number.

Anything else a condition tests (subscripts, ``is None``) is not asked: it must come with the
data the process was started with.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from lxml import etree

from govdoc.procedures import expressions

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# GovDoc's extension of a user task (docs/procedures.md): the document the task produces.
GOVDOC_NS = "https://govdoc.example/bpmn/1"
NS = {"bpmn": BPMN_NS, "govdoc": GOVDOC_NS}

FieldKind = Literal["choice", "flag", "items", "number", "lines"]
Scalar = str | int | float | bool


@dataclass(frozen=True)
class DataField:
    """A value of process data asked when a task is completed. ``choices`` are (value, label)."""

    name: str
    kind: FieldKind
    choices: tuple[tuple[Scalar, str], ...] = ()
    label: str = ""  # the gateway's drawn name when it asks this one value, else the name


TimerKind = Literal["timeDuration", "timeDate", "timeCycle"]
_TIMER_KINDS: dict[str, TimerKind] = {
    "timeDuration": "timeDuration",
    "timeDate": "timeDate",
    "timeCycle": "timeCycle",
}


@dataclass(frozen=True)
class Timer:
    kind: TimerKind
    value: str  # the ISO 8601 literal, unquoted


DocumentMode = Literal["draft", "countersign"]


@dataclass(frozen=True)
class DocumentSpec:
    """The official document a user task produces; the task waits until it is sent.

    ``draft``: drafted from ``template`` (``procedures.letters``) as a document of ``kind``,
    addressed to the agencies of the parties named in ``to``, approved on an e-Approval line
    (whose final approval someone holding ``approved_by`` gives, if it is named), registered,
    sealed with the agency's e-seal and dispatched; with no ``to`` attribute at all it is an
    ``internal`` document, registered, sealed and filed by the agency. ``countersign``: the document
    that task ``source`` sent to this task's party, sealed again by this party's agency after its
    own approval line (both signatures stay valid) and sent back to the sender."""

    mode: DocumentMode
    template: str = ""
    kind: str = ""
    to: tuple[str, ...] = ()
    classification: str = ""
    retention: str = ""
    disclosure: str = ""
    source: str = ""
    approved_by: str = ""  # the role that gives the final approval, as drawn ("head of agency")
    internal: bool = False  # a draft without a ``to`` attribute: filed, not sent


@dataclass(frozen=True)
class StartSpec:
    """Procedures a task starts when it is completed (``govdoc:start``): one instance of the
    active version of ``process`` for each line of the list ``each`` the person gives (its
    title), in the agency of ``party`` (or of the starting instance)."""

    process: str
    each: str
    party: str = ""


@dataclass(frozen=True)
class BpmnFacts:
    fields: dict[str, tuple[DataField, ...]]  # task id -> the data its decision needs
    timers: dict[str, tuple[Timer, ...]]  # task id -> timers on its border
    start_lanes: tuple[str | None, ...]
    names: dict[str, str]  # element id -> its drawn name
    lanes: tuple[str, ...] = ()  # every lane's name, in drawing order
    documents: dict[str, DocumentSpec] = field(default_factory=dict)  # task id -> its document
    starts: dict[str, StartSpec] = field(default_factory=dict)  # task id -> what it starts
    # task id -> the steps of the handled application it waits for (``govdoc:application``)
    awaits: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _document_spec(task: Any) -> DocumentSpec | None:
    """The ``govdoc:draft`` or ``govdoc:countersign`` element of a task, if it has one (the
    first; ``documents_check`` refuses a task with more)."""
    for element in task.iterfind("bpmn:extensionElements/*", NS):
        if not isinstance(element.tag, str) or etree.QName(element).namespace != GOVDOC_NS:
            continue
        name = etree.QName(element).localname
        if name == "draft":
            return DocumentSpec(
                mode="draft",
                template=str(element.get("template") or "").strip(),
                kind=str(element.get("kind") or "").strip(),
                to=tuple(t.strip() for t in str(element.get("to") or "").split(";") if t.strip()),
                classification=str(element.get("classification") or "").strip(),
                retention=str(element.get("retention") or "").strip(),
                disclosure=str(element.get("disclosure") or "").strip(),
                approved_by=str(element.get("approved-by") or "").strip(),
                internal=element.get("to") is None,
            )
        if name == "countersign":
            return DocumentSpec(
                mode="countersign",
                source=str(element.get("task") or "").strip(),
                approved_by=str(element.get("approved-by") or "").strip(),
            )
    return None


def _start_spec(task: Any) -> StartSpec | None:
    for element in task.iterfind("bpmn:extensionElements/govdoc:start", NS):
        return StartSpec(
            process=str(element.get("process") or "").strip(),
            each=str(element.get("each") or "").strip(),
            party=str(element.get("party") or "").strip(),
        )
    return None


def _awaited(task: Any) -> tuple[str, ...] | None:
    for element in task.iterfind("bpmn:extensionElements/govdoc:application", NS):
        return tuple(str(element.get("on") or "").split())
    return None


@dataclass(frozen=True)
class GovdocElement:
    """A GovDoc extension element as drawn: where it is and what it is."""

    owner_id: str  # the id of the element whose extensionElements hold it
    owner_kind: str  # that element's BPMN kind, e.g. "userTask"
    name: str  # "draft", "countersign", or a name GovDoc does not know
    count: int  # how many GovDoc elements that owner has


def govdoc_elements(xml: str) -> list[GovdocElement]:
    """Every GovDoc extension element of the file, for the checks made when it is loaded."""
    found: list[GovdocElement] = []
    for element in _tree(xml).iter():
        if not isinstance(element.tag, str) or etree.QName(element).namespace != GOVDOC_NS:
            continue
        holder = element.getparent()
        owner = holder.getparent() if holder is not None else None
        mine = [e for e in holder if isinstance(e.tag, str) and etree.QName(e).namespace == GOVDOC_NS]
        found.append(
            GovdocElement(
                owner_id=str(owner.get("id") or "") if owner is not None else "",
                owner_kind=str(etree.QName(owner).localname) if owner is not None else "",
                name=str(etree.QName(element).localname),
                count=len(mine),
            )
        )
    return found


def _tree(xml: str) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(xml.encode("utf-8"), parser)


def _literal(text: str) -> str | None:
    try:
        body = expressions.compile_condition(text.strip()).body
    except expressions.ExpressionRefused:
        return None
    return body.value if isinstance(body, ast.Constant) and isinstance(body.value, str) else None


class _Asked:
    """What the conditions of one gateway test, name by name, in the order first seen."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.equals: dict[str, list[Scalar]] = {}
        self.labels: dict[tuple[str, Scalar], str] = {}
        self.flags: set[str] = set()
        self.items: dict[str, list[str]] = {}
        self.numbers: set[str] = set()

    def _see(self, name: str) -> None:
        if name not in self.order:
            self.order.append(name)

    def condition(self, node: ast.AST, flow_name: str, whole: bool) -> None:
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.condition(value, flow_name, False)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.condition(node.operand, flow_name, False)
        elif isinstance(node, ast.Name):
            self._see(node.id)
            self.flags.add(node.id)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            self._compare(node.left, node.ops[0], node.comparators[0], flow_name, whole)

    def _compare(self, left: ast.AST, op: ast.cmpop, right: ast.AST, flow_name: str, whole: bool) -> None:
        if isinstance(left, ast.Constant) and isinstance(right, ast.Name):
            if isinstance(op, ast.In | ast.NotIn) and isinstance(left.value, str):
                self._see(right.id)
                items = self.items.setdefault(right.id, [])
                if left.value not in items:
                    items.append(left.value)
                return
            left, right = right, left
        if not (isinstance(left, ast.Name) and isinstance(right, ast.Constant)):
            return
        name, value = left.id, right.value
        if isinstance(op, ast.Eq | ast.NotEq):
            if isinstance(value, bool):
                self._see(name)
                self.flags.add(name)
            elif isinstance(value, str | int | float):
                self._see(name)
                values = self.equals.setdefault(name, [])
                if value not in values:
                    values.append(value)
                if whole and flow_name and isinstance(op, ast.Eq):
                    self.labels[(name, value)] = flow_name
        elif isinstance(op, ast.Lt | ast.LtE | ast.Gt | ast.GtE) and isinstance(value, int | float):
            self._see(name)
            self.numbers.add(name)

    def fields(self) -> tuple[DataField, ...]:
        out: list[DataField] = []
        for name in self.order:
            if name in self.equals:
                choices = tuple((v, self.labels.get((name, v), str(v))) for v in self.equals[name])
                out.append(DataField(name, "choice", choices))
            elif name in self.items:
                out.append(DataField(name, "items", tuple((v, v) for v in self.items[name])))
            elif name in self.numbers:
                out.append(DataField(name, "number"))
            elif name in self.flags:
                out.append(DataField(name, "flag"))
        return tuple(out)


def _gateway_fields(process: Any, gateway: Any) -> tuple[DataField, ...]:
    asked = _Asked()
    gateway_id = gateway.get("id")
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        if flow.get("sourceRef") != gateway_id:
            continue
        condition = flow.find("bpmn:conditionExpression", NS)
        text = (condition.text or "").strip() if condition is not None else ""
        if not text:
            continue
        try:
            tree = expressions.compile_condition(text)
        except expressions.ExpressionRefused:
            continue
        asked.condition(tree.body, str(flow.get("name") or ""), True)
    fields = asked.fields()
    title = str(gateway.get("name") or "").strip()
    if len(fields) == 1 and title:
        return (replace(fields[0], label=title),)
    return tuple(replace(f, label=f.name) for f in fields)


@functools.lru_cache(maxsize=64)
def facts(sha256: str, xml: str) -> BpmnFacts:
    """The facts of one stored definition (read once per file: ``sha256`` keys the cache)."""
    root = _tree(xml)
    process = next(p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "true") == "true")
    by_id = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    names = {key: str(el.get("name") or key) for key, el in by_id.items()}
    gateways = {g.get("id"): g for g in process.iterfind("bpmn:exclusiveGateway", NS)}
    fields: dict[str, tuple[DataField, ...]] = {}
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        gateway = gateways.get(flow.get("targetRef"))
        source = flow.get("sourceRef")
        if gateway is not None and source in by_id and etree.QName(by_id[source]).localname.endswith("Task"):
            fields[str(source)] = fields.get(str(source), ()) + _gateway_fields(process, gateway)
    timers: dict[str, tuple[Timer, ...]] = {}
    for event in process.iterfind("bpmn:boundaryEvent", NS):
        definition = event.find("bpmn:timerEventDefinition", NS)
        if definition is None:
            continue
        for child in definition:
            kind = str(etree.QName(child).localname) if isinstance(child.tag, str) else ""
            value = _literal(child.text or "")
            if kind in _TIMER_KINDS and value is not None:
                task = str(event.get("attachedToRef"))
                timers[task] = (*timers.get(task, ()), Timer(_TIMER_KINDS[kind], value))
    lane_of = {
        ref.text.strip(): str(lane.get("name") or lane.get("id"))
        for lane in process.iterfind(".//bpmn:lane", NS)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        if ref.text
    }
    starts = tuple(lane_of.get(str(s.get("id"))) for s in process.iterfind("bpmn:startEvent", NS))
    lanes = tuple(str(lane.get("name") or "") for lane in process.iterfind(".//bpmn:lane", NS))
    documents = {
        str(task.get("id")): spec
        for kind in ("userTask", "manualTask")
        for task in process.iterfind(f"bpmn:{kind}", NS)
        if (spec := _document_spec(task)) is not None
    }
    user_tasks = [t for kind in ("userTask", "manualTask") for t in process.iterfind(f"bpmn:{kind}", NS)]
    started = {str(t.get("id")): begun for t in user_tasks if (begun := _start_spec(t)) is not None}
    awaits = {str(t.get("id")): steps for t in user_tasks if (steps := _awaited(t)) is not None}
    for task_id, start in started.items():  # the list of titles is asked when the task is done
        if start.each:
            asked = DataField(start.each, "lines", label=start.each)
            fields[task_id] = (*fields.get(task_id, ()), asked)
    return BpmnFacts(
        fields=fields,
        timers=timers,
        start_lanes=starts,
        names=names,
        lanes=lanes,
        documents=documents,
        starts=started,
        awaits=awaits,
    )


_DURATION = re.compile(
    r"P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month0 = when.month - 1 + months
    year, month = when.year + month0 // 12, month0 % 12 + 1
    for day in range(when.day, 27, -1):  # the 31st of a shorter month is its last day
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return when.replace(year=year, month=month, day=min(when.day, 28))


def after_duration(start: dt.datetime, text: str) -> dt.datetime | None:
    """``start`` plus an ISO 8601 duration (``P8D``, ``PT48H``, ``P1Y2M``); None if it is none."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT"):
        return None
    part = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    when = _add_months(start, int(part["years"]) * 12 + int(part["months"]))
    return when + dt.timedelta(
        weeks=part["weeks"],
        days=part["days"],
        hours=part["hours"],
        minutes=part["minutes"],
        seconds=part["seconds"],
    )


def timer_due(timer: Timer, since: dt.datetime) -> dt.datetime | None:
    """When a timer drawn on a task's border fires, for a task waiting since ``since``: the
    duration after it, the date itself, or the first repetition of a cycle."""
    try:
        if timer.kind == "timeDuration":
            return after_duration(since, timer.value)
        if timer.kind == "timeDate":
            when = dt.datetime.fromisoformat(timer.value)
            return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        parts = timer.value.split("/")  # R3/PT1H, R/2027-01-01T00:00:00Z/P1D
        for part in parts[1:]:
            if part.startswith("P"):
                return after_duration(since, part)
    except ValueError:
        return None
    return None
