"""The state machine as the template deploys it: substitutions complete, ASL valid, invokes scoped."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from statelint.linter import Linter
from template_support import ASL_PATH, resources_of_type

from mediascribe.local.definition import placeholders, substitute

REGION, ACCOUNT = "eu-west-1", "123456789012"


@pytest.fixture(scope="module")
def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    machines = resources_of_type(template, "AWS::Serverless::StateMachine")
    assert set(machines) == {"TranscribeMediaStateMachine"}
    return machines["TranscribeMediaStateMachine"]["Properties"]


def deployed_value(value: Any, template: Mapping[str, Any]) -> str:
    """What CloudFormation would substitute: a function's ARN or a parameter's default."""
    if "Fn::GetAtt" in value:
        name, attribute = value["Fn::GetAtt"]
        assert attribute == "Arn" and name in template["Resources"]
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:mediascribe-{name}"
    return str(template["Parameters"][value["Ref"]]["Default"])


def task_resources(states: Mapping[str, Any]) -> Iterator[str]:
    for state in states.values():
        if state["Type"] == "Task":
            yield state["Resource"]
        for nested in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                yield from task_resources(nested["States"])


def test_definition_uri_is_the_asl_file(state_machine: dict[str, Any]) -> None:
    assert state_machine["DefinitionUri"] == "statemachine/transcribe_media.asl.json"
    assert "Definition" not in state_machine


def test_every_placeholder_has_a_substitution_and_vice_versa(state_machine: dict[str, Any]) -> None:
    expected = placeholders(ASL_PATH.read_text(encoding="utf-8"))
    assert expected, "the ASL is expected to reference its functions through placeholders"
    assert set(state_machine["DefinitionSubstitutions"]) == expected


def test_substituted_definition_passes_statelint(
    state_machine: dict[str, Any], template: dict[str, Any]
) -> None:
    values = {k: deployed_value(v, template) for k, v in state_machine["DefinitionSubstitutions"].items()}
    definition = substitute(ASL_PATH.read_text(encoding="utf-8"), values)
    assert "${" not in definition
    assert Linter.validate(definition) == []


def test_statelint_would_catch_a_broken_definition() -> None:
    broken = {"StartAt": "Missing", "States": {"Only": {"Type": "Succeed"}}}
    assert Linter.validate(json.dumps(broken))


def test_state_machine_may_invoke_exactly_the_functions_it_uses(
    state_machine: dict[str, Any], template: dict[str, Any]
) -> None:
    substitutions = state_machine["DefinitionSubstitutions"]
    used = set()
    definition = json.loads(ASL_PATH.read_text(encoding="utf-8"))
    for resource in task_resources(definition["States"]):
        if resource == EVENTS_TASK:
            continue
        name = resource.removeprefix("${").removesuffix("}")
        assert name in substitutions, f"task resource {resource} is not a substituted function"
        used.add(substitutions[name]["Fn::GetAtt"][0])
    invokable = {
        policy["LambdaInvokePolicy"]["FunctionName"]["Ref"]
        for policy in state_machine["Policies"]
        if "LambdaInvokePolicy" in policy
    }
    assert used == invokable
    assert used <= set(resources_of_type(template, "AWS::Serverless::Function"))
    # Its EventBridge tasks put events on the deployment's bus, through the one policy for that.
    assert {"Ref": "PutEventsPolicy"} in state_machine["Policies"]
    assert state_machine["DefinitionSubstitutions"]["EventBusName"] == {"Ref": "EventBusName"}


def test_execution_logs_and_traces_without_execution_data(state_machine: dict[str, Any]) -> None:
    logging = state_machine["Logging"]
    assert logging["Level"] == "ALL"
    assert logging["IncludeExecutionData"] is False
    (destination,) = logging["Destinations"]
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == {
        "Fn::GetAtt": ["StateMachineLogGroup", "Arn"]
    }
    assert state_machine["Tracing"] == {"Enabled": True}
    assert state_machine["Type"] == "STANDARD"


EVENTS_TASK = "arn:aws:states:::events:putEvents"


def tasks(states: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        if state["Type"] == "Task":
            yield name, state
        for nested in [state.get("ItemProcessor"), state.get("Iterator"), *state.get("Branches", [])]:
            if nested:
                yield from tasks(nested["States"])


def retry_window_seconds(task: Mapping[str, Any], error: str) -> float:
    """The waits Step Functions schedules for ``error`` before giving up, before jitter: the first
    retrier whose ErrorEquals names it (or States.ALL) decides, each wait capped by MaxDelaySeconds
    (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)."""
    for retrier in task.get("Retry", []):
        if error in retrier["ErrorEquals"] or retrier["ErrorEquals"] == ["States.ALL"]:
            interval = retrier.get("IntervalSeconds", 1)
            rate = retrier.get("BackoffRate", 2.0)
            cap = retrier.get("MaxDelaySeconds", float("inf"))
            return sum(min(interval * rate**attempt, cap) for attempt in range(retrier.get("MaxAttempts", 3)))
    return 0.0


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(ASL_PATH.read_text(encoding="utf-8"))
    return loaded


def test_throttled_chunks_wait_out_a_new_accounts_concurrency(definition: dict[str, Any]) -> None:
    """A new account runs 10 Lambda invocations at once, as many as MapMaxConcurrency: a chunk that is
    throttled must keep trying for at least ten minutes, with jittered backoff so the items do not
    retry in step."""
    (map_state,) = [s for s in definition["States"].values() if s["Type"] == "Map"]
    ((name, item),) = list(tasks(map_state["ItemProcessor"]["States"]))
    assert retry_window_seconds(item, "Lambda.TooManyRequestsException") >= 600, name
    (throttle,) = [r for r in item["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"]]
    assert throttle["JitterStrategy"] == "FULL" and throttle["BackoffRate"] > 1
    assert 0 < throttle["MaxDelaySeconds"] <= 300


def test_every_step_tries_again_after_running_past_its_timeout(definition: dict[str, Any]) -> None:
    """A function that waited too long (a database resuming from zero capacity) fails with
    Sandbox.Timedout; a task over its own TimeoutSeconds with States.Timeout. Both are transient."""
    for name, task in tasks(definition["States"]):
        # An EventBridge task runs no function, so only the task's own timeout applies to it.
        errors = (
            ("States.Timeout",) if task["Resource"] == EVENTS_TASK else ("Sandbox.Timedout", "States.Timeout")
        )
        for error in errors:
            assert retry_window_seconds(task, error) > 0, (name, error)


def test_a_failure_is_recorded_after_ten_minutes_of_any_trouble(definition: dict[str, Any]) -> None:
    """Mark job failed has no Catch: when it gives up, the job stays processing until the sweeper
    fails it hours later. It retries every error, each for at least ten minutes."""
    task = definition["States"]["Mark job failed"]
    assert "Catch" not in task
    assert task["Retry"][-1]["ErrorEquals"] == ["States.ALL"]
    for error in (
        "Lambda.TooManyRequestsException",
        "Lambda.ServiceException",
        "DatabaseUnavailableError",
        "Sandbox.Timedout",
        "States.TaskFailed",
    ):
        window = retry_window_seconds(task, error)
        if error == "Lambda.ServiceException":
            assert window > 0, error
        else:
            assert window >= 600, (error, window)
    # Every other top-level step (the Map for its items) catches what its retries leave over.
    others = [
        s for n, s in definition["States"].items() if s["Type"] in ("Task", "Map") and n != "Mark job failed"
    ]
    assert others and all(s["Catch"][-1]["ErrorEquals"] == ["States.ALL"] for s in others)
