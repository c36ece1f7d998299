"""The engine never lets a condition out of the safe evaluator, also after the workflow went
through the serializer, which gives SpiffWorkflow's unrestricted ``eval`` back (STACK-NOTES)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import _BpmnCondition
from SpiffWorkflow.util.task import TaskState

from govdoc.procedures import engine
from govdoc.procedures.expressions import ExpressionRefused
from govdoc.procedures.tests.conftest import CERTIFICATE_REQUEST

GOOD_CONDITION = 'complete == True and "fee" in paid'


def attack(marker: Path) -> str:
    """A condition that, run by ``eval``, leaves a file behind (and lets the flow pass)."""
    return f"__import__('pathlib').Path({str(marker)!r}).touch() or True"


def with_condition(state: str, old: str, new: str) -> str:
    """The stored state with one gateway condition replaced, as someone with write access to
    the database could do."""
    needle = json.dumps(old)[1:-1]
    assert needle in state
    return state.replace(needle, json.dumps(new)[1:-1])


def reviewed(workflow: Any) -> None:
    """The handler's review, done the way SpiffWorkflow's own examples do it."""
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update({"complete": True, "paid": ["fee"]})
    task.run()
    workflow.do_engine_steps()


@pytest.fixture
def stored_state() -> str:
    parsed = engine.bpmn_parse(CERTIFICATE_REQUEST)
    return engine.workflow_dump(engine.workflow_new(parsed, {}))


def test_the_attack_is_real_spiffworkflow_alone_runs_it_after_a_round_trip(
    stored_state: str, tmp_path: Path
) -> None:
    """Why the engine exists: a workflow restored by SpiffWorkflow's serializer evaluates the
    condition with eval and full builtins."""
    marker = tmp_path / "pwned"
    state = with_condition(stored_state, GOOD_CONDITION, attack(marker))
    unrestricted = BpmnWorkflowSerializer().deserialize_json(state)
    reviewed(unrestricted)
    assert marker.exists()


def test_a_loaded_workflow_always_has_the_safe_engine(stored_state: str) -> None:
    workflow = engine.workflow_load(stored_state)
    assert workflow.script_engine is engine.SAFE_ENGINE
    again = engine.workflow_load(engine.workflow_dump(workflow))
    assert again.script_engine is engine.SAFE_ENGINE
    assert isinstance(again.script_engine.environment, engine.SafeEnvironment)


def test_import_in_a_stored_condition_cannot_run_after_a_round_trip(
    stored_state: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    state = with_condition(stored_state, GOOD_CONDITION, attack(marker))
    workflow = engine.workflow_load(engine.workflow_dump(engine.workflow_load(state)))
    review = engine.open_tasks(workflow)[0]
    with pytest.raises(engine.EngineError, match="not allowed"):
        engine.task_run(workflow, review.task_id, {"complete": True, "paid": ["fee"]})
    assert not marker.exists()


def test_import_in_a_condition_of_a_new_workflow_cannot_run(tmp_path: Path) -> None:
    """Without any serializer: the spec as parsed, its condition changed in memory."""
    marker = tmp_path / "pwned"
    parsed = engine.bpmn_parse(CERTIFICATE_REQUEST)
    gateway = parsed.spec.task_specs["is_complete"]
    gateway.cond_task_specs = [(_BpmnCondition(attack(marker)), name) for _c, name in gateway.cond_task_specs]
    workflow = engine.workflow_new(parsed, {})
    with pytest.raises(engine.EngineError, match="not allowed"):
        engine.task_run(workflow, engine.open_tasks(workflow)[0].task_id, {"complete": True, "paid": []})
    assert not marker.exists()


def test_scripts_and_service_calls_are_refused_by_the_environment(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    environment = engine.SafeEnvironment()
    with pytest.raises(ExpressionRefused):
        environment.execute(f"open({str(marker)!r}, 'w')", {})
    with pytest.raises(ExpressionRefused):
        environment.call_service({}, operation_name="http_get")
    with pytest.raises(ExpressionRefused):
        environment.evaluate("__builtins__", {})
    # the engine itself does not even hand them to the environment
    task = SimpleNamespace(task_spec=SimpleNamespace(name="check_fees"), data={})
    with pytest.raises(engine.EngineError, match="scripts are not run"):
        engine.SAFE_ENGINE.execute(task, f"open({str(marker)!r}, 'w')")
    with pytest.raises(engine.EngineError, match="no outside service"):
        engine.SAFE_ENGINE.call_service(task, operation_name="http_get")
    assert not marker.exists()


def test_a_workflow_round_trips_through_json_and_goes_on(stored_state: str) -> None:
    workflow = engine.workflow_load(stored_state)
    review = engine.open_tasks(workflow)
    assert [(t.spec_name, t.lane) for t in review] == [("review", "handler")]
    engine.task_run(workflow, review[0].task_id, {"complete": True, "paid": ["fee"]})
    workflow = engine.workflow_load(engine.workflow_dump(workflow))
    assert sorted((t.spec_name, t.lane) for t in engine.open_tasks(workflow)) == [
        ("check_fees", "Head of unit"),
        ("check_register", "handler"),
    ]


def test_spiffworkflow_needs_its_state_with_keys_in_the_order_it_wrote_them() -> None:
    """Why ``ProcessInstance.state`` is text and not jsonb: PostgreSQL's jsonb orders object
    keys by length, and SpiffWorkflow 3.2.0 restores such a state without the data of its
    finished tasks. If this test fails, SpiffWorkflow no longer depends on the order."""

    def jsonb_order(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: jsonb_order(value[k]) for k in sorted(value, key=lambda k: (len(k.encode()), k.encode()))
            }
        return [jsonb_order(v) for v in value] if isinstance(value, list) else value

    parsed = engine.bpmn_parse(CERTIFICATE_REQUEST)
    ends = []
    for reorder in (False, True):
        workflow = engine.workflow_new(parsed, {"applicant": "Ana"})
        for name, data in (("review", {"complete": True, "paid": ["fee"]}), ("check_fees", {}),
                           ("check_register", {}), ("approve", {})):  # fmt: skip
            state = engine.workflow_dump(workflow)
            if reorder:
                state = json.dumps(jsonb_order(json.loads(state)))
            workflow = engine.workflow_load(state)
            task = next(t for t in engine.open_tasks(workflow) if t.spec_name == name)
            engine.task_run(workflow, task.task_id, data)
        ends.append(engine.workflow_load(engine.workflow_dump(workflow)).data)
    assert ends[0] == {"applicant": "Ana", "complete": True, "paid": ["fee"]}
    assert ends[1] != ends[0]
