"""What the pages read from a BPMN file: the decision fields a task's gateway asks for, the
timers on a task's border and when they fire."""

from __future__ import annotations

import datetime as dt

import pytest

from govdoc.procedures import bpmn_facts
from govdoc.procedures.bpmn_facts import DataField, Timer
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST

T0 = dt.datetime(2027, 1, 31, 9, 0, tzinfo=dt.UTC)


def _process(conditions: list[tuple[str, str]], gateway_name: str = "Decision") -> str:
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" name="{name}" sourceRef="gw" targetRef="end">'
        f"<bpmn:conditionExpression>{text}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        for i, (name, text) in enumerate(conditions)
    )
    return (
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="task" name="Decide"/>'
        f'<bpmn:exclusiveGateway id="gw" name="{gateway_name}"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="task"/>'
        '<bpmn:sequenceFlow id="s2" sourceRef="task" targetRef="gw"/>'
        f"{flows}</bpmn:process></bpmn:definitions>"
    )


def _fields(conditions: list[tuple[str, str]], gateway_name: str = "Decision") -> tuple[DataField, ...]:
    xml = _process(conditions, gateway_name)
    return bpmn_facts.facts(str(hash(xml)), xml).fields["task"]


def test_one_name_tested_against_literals_is_a_choice_labelled_by_the_flows() -> None:
    fields = _fields([("Approve", 'decision == "approve"'), ("", 'decision == "reject"')])
    assert fields == (
        DataField("decision", "choice", (("approve", "Approve"), ("reject", "reject")), label="Decision"),
    )


def test_flags_lists_and_numbers_each_get_their_field() -> None:
    fields = _fields(
        [
            ("", 'complete == True and "fee" in paid and amount &gt;= 1000'),
            ("", 'not (complete == True and "fee" in paid) or "stamp" in paid'),
        ]
    )
    assert [(f.name, f.kind, f.label) for f in fields] == [
        ("complete", "flag", "complete"),
        ("paid", "items", "paid"),
        ("amount", "number", "amount"),
    ]
    assert fields[1].choices == (("fee", "fee"), ("stamp", "stamp"))


def test_what_no_field_can_give_is_not_asked() -> None:
    assert _fields([("", 'applicant["age"] >= 18'), ("", "applicant is None")]) == ()


def test_the_certificate_request_asks_its_reviewer_whether_complete_and_what_is_paid() -> None:
    facts = bpmn_facts.facts("certificate", CERTIFICATE_REQUEST.decode())
    assert [(f.name, f.kind) for f in facts.fields["review"]] == [("complete", "flag"), ("paid", "items")]
    assert facts.start_lanes == ("handler",)
    assert facts.timers == {}  # its timer is an intermediate event, not on a task's border


@pytest.mark.parametrize(
    ("timer", "due"),
    [
        (Timer("timeDuration", "PT48H"), dt.datetime(2027, 2, 2, 9, 0, tzinfo=dt.UTC)),
        (Timer("timeDuration", "P1M"), dt.datetime(2027, 2, 28, 9, 0, tzinfo=dt.UTC)),
        (Timer("timeDuration", "P1Y2W"), dt.datetime(2028, 2, 14, 9, 0, tzinfo=dt.UTC)),
        (Timer("timeDate", "2027-03-01T08:00:00+01:00"), dt.datetime(2027, 3, 1, 7, 0, tzinfo=dt.UTC)),
        (Timer("timeCycle", "R3/PT1H"), dt.datetime(2027, 1, 31, 10, 0, tzinfo=dt.UTC)),
        (Timer("timeDuration", "P"), None),
        (Timer("timeDate", "soon"), None),
    ],
)
def test_when_a_timer_on_a_tasks_border_fires(timer: Timer, due: dt.datetime | None) -> None:
    assert bpmn_facts.timer_due(timer, T0) == due
