"""Every task's models against the state machine that calls it.

The keys a state hands its function (``Parameters``, or the Map's ``ItemSelector`` for the task
inside it) are exactly what the function's event model reads, every required field is among them, and
each key a ``ResultSelector`` picks from the function's answer is a field of its result model. A key
renamed on one side only fails here instead of in the middle of an execution. An EventBridge task
puts the ``event`` the step before it returned: that step's result model has it, of the event's model.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterator
from typing import Any, get_type_hints

import pytest
from pydantic import BaseModel

from mediascribe.delivery.events import NOTES_DETAIL_TYPE, JobStateChange, NotesStateChange
from mediascribe.local.lambda_bridge import load_handler
from mediascribe.local.template import TemplateSpec
from support.paths import REPO, TEMPLATE

ASL = REPO / "statemachine" / "transcribe_media.asl.json"


def _tasks(states: dict[str, Any], item_input: dict[str, Any] | None = None) -> Iterator[tuple[str, dict]]:
    """(name, state) of every Task; a task inside a Map without Parameters gets the Map's items."""
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, {"Parameters": item_input, **state}
        elif state["Type"] == "Map":
            yield from _tasks(state["ItemProcessor"]["States"], state.get("ItemSelector"))


def _paths(document: dict[str, Any] | None) -> set[str]:
    return {key.removesuffix(".$") for key in document or {}}


def _contract(spec: TemplateSpec, resource: str) -> tuple[type[BaseModel], type[BaseModel]]:
    """The event and result models of the function behind ``${XFunctionArn}``."""
    substitution = spec.state_machine.substitutions[resource.removeprefix("${").removesuffix("}")]
    function = spec.functions[substitution["Fn::GetAtt"][0]]
    body = inspect.unwrap(load_handler(function))
    hints = get_type_hints(body)
    return hints["event"], hints["return"]


DEFINITION = json.loads(ASL.read_text())
EVENTS_TASK = "arn:aws:states:::events:putEvents"
TASKS = [(name, state) for name, state in _tasks(DEFINITION["States"]) if state["Resource"] != EVENTS_TASK]
ANNOUNCEMENTS = [
    (name, state) for name, state in _tasks(DEFINITION["States"]) if state["Resource"] == EVENTS_TASK
]


def test_every_task_of_the_state_machine_is_checked():
    assert {name for name, _ in TASKS} >= {
        "Probe media",
        "Prepare audio",
        "Transcribe chunk",
        "Finalize transcript",
        "Mark job skipped",
        "Mark job failed",
    }


@pytest.mark.parametrize(("name", "state"), TASKS, ids=[name for name, _ in TASKS])
def test_task_input_and_selected_output_match_the_function_models(name, state):
    event_model, result_model = _contract(TemplateSpec.load(TEMPLATE), state["Resource"])
    passed = _paths(state["Parameters"])
    required = {field for field, info in event_model.model_fields.items() if info.is_required()}
    assert passed <= set(event_model.model_fields), f"{name} passes keys its model ignores"
    assert required <= passed, f"{name} does not pass {required - passed}"
    selected = {
        value.removeprefix("$.").split(".")[0]
        for key, value in (state.get("ResultSelector") or {}).items()
        if key.endswith(".$") and value.startswith("$.")
    }
    assert selected <= set(result_model.model_fields), f"{name} selects keys its function never returns"


@pytest.mark.parametrize(("name", "state"), ANNOUNCEMENTS, ids=[name for name, _ in ANNOUNCEMENTS])
def test_an_announcement_puts_the_event_its_step_returned(name, state):
    """The step whose ``Next`` this is returns an ``event`` where the announcement's ``Detail.$`` reads
    it: under the step's ResultPath, of the model the event's detail type names."""
    spec = TemplateSpec.load(TEMPLATE)
    (entry,) = state["Parameters"]["Entries"]
    steps = [
        (step_name, step)
        for step_name, step in _tasks(DEFINITION["States"])
        if step.get("Next") == name and step["Resource"] != EVENTS_TASK
    ]
    assert steps, f"nothing hands over to {name}"
    for step_name, step in steps:
        _, result_model = _contract(spec, step["Resource"])
        expected = f"{step['ResultPath']}.event"
        assert entry["Detail.$"] == expected, step_name
        selector = step.get("ResultSelector")
        assert selector is None or selector.get("event.$") == "$.event", step_name
        model = get_type_hints(result_model)["event"]
        wanted = NotesStateChange if entry["DetailType"] == NOTES_DETAIL_TYPE else JobStateChange
        assert model is wanted, step_name
