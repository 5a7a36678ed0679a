"""Static checks of the state machine definition: Retry/Catch policy, small state (lint: tests/template)."""

from __future__ import annotations

import json

import pytest

from mediascribe import errors
from mediascribe.errors import ConfigurationError
from mediascribe.local.definition import sample_substitutions, substitute
from support.paths import REPO

ASL = REPO / "statemachine" / "transcribe_media.asl.json"
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
# A function that ran past its Timeout (Sandbox.Timedout) or a task past its TimeoutSeconds
# (States.Timeout): transient, like Lambda's service errors.
TIMEOUT_ERRORS = {"Sandbox.Timedout", "States.Timeout"}
FAILURE_HANDLER = "Mark job failed"
# The job is completed before the notes states run: their failures are recorded on the notes instead.
NOTES_STATES = {"Write notes", "Record notes failure"}
# The EventBridge tasks that announce a terminal change, and the state each hands over to.
ANNOUNCEMENTS = {
    "Announce completion": ("$.transcript.event", "Transcription Job State Change", "Notes wanted?"),
    "Announce notes": ("$.notes.event", "Transcript Notes State Change", "Transcript ready"),
    "Announce skip": ("$.outcome.event", "Transcription Job State Change", "Skipped"),
    "Announce failure": ("$.outcome.event", "Transcription Job State Change", "Transcription failed"),
}
# What EventBridge's PutEvents integration can answer that another try may fix.
EVENTBRIDGE_TRANSIENT = {
    "EventBridge.FailedEntry",
    "EventBridge.InternalException",
    "EventBridge.ThrottlingException",
}


def _states(definition: dict) -> dict[str, dict]:
    """Every state, including those inside Map item processors."""
    found = {}
    for name, state in definition["States"].items():
        found[name] = state
        if state["Type"] == "Map":
            found.update(_states(state["ItemProcessor"]))
    return found


@pytest.fixture(scope="module")
def definition() -> dict:
    text = ASL.read_text()
    return json.loads(substitute(text, sample_substitutions(text)))


def test_a_missing_substitution_is_an_error():
    with pytest.raises(ConfigurationError, match="MapMaxConcurrency"):
        substitute('{"x": "${MapMaxConcurrency}"}', {})


def test_every_task_retries_lambda_service_errors_with_full_jitter(definition):
    tasks = {
        name: state
        for name, state in _states(definition).items()
        if state["Type"] == "Task" and name not in ANNOUNCEMENTS
    }
    assert len(tasks) == 8
    for name, task in tasks.items():
        retried = {error for retrier in task["Retry"] for error in retrier["ErrorEquals"]}
        assert retried >= LAMBDA_ERRORS | TIMEOUT_ERRORS, name
        assert all(retrier["JitterStrategy"] == "FULL" for retrier in task["Retry"]), name
        # More than a few attempts only with a cap on each wait.
        assert all(
            retrier["MaxAttempts"] <= 3 or "MaxDelaySeconds" in retrier for retrier in task["Retry"]
        ), name


def test_the_chunk_task_retries_every_retryable_error(definition):
    chunk_task = _states(definition)["Transcribe chunk"]
    retried = {error for retrier in chunk_task["Retry"] for error in retrier["ErrorEquals"]}
    assert set(errors.RETRYABLE_ERROR_NAMES) <= retried


def test_only_retryable_errors_are_retried(definition):
    """Except by the failure handler, whose one job is to record the failure: it retries anything."""
    for name, state in _states(definition).items():
        for retrier in state.get("Retry", []):
            if retrier["ErrorEquals"] == ["States.ALL"]:
                assert name == FAILURE_HANDLER and retrier is state["Retry"][-1], name
                continue
            for error in set(retrier["ErrorEquals"]) - LAMBDA_ERRORS - TIMEOUT_ERRORS - EVENTBRIDGE_TRANSIENT:
                cls = getattr(errors, error)
                assert cls.retryable, f"{name} retries the permanent error {error}"


def test_every_step_but_the_failure_handler_is_caught_into_it(definition):
    top = definition["States"]
    for name, state in top.items():
        if state["Type"] in ("Task", "Map") and name not in {FAILURE_HANDLER, *NOTES_STATES, *ANNOUNCEMENTS}:
            assert state["Catch"] == [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": FAILURE_HANDLER}
            ]
    handler = top[FAILURE_HANDLER]
    assert "Catch" not in handler  # a failing failure handler must not loop
    assert handler["Parameters"] == {
        "job_id.$": "$.job_id",
        "error.$": "$.error.Error",
        "cause.$": "$.error.Cause",
    }
    assert top[top[handler["Next"]]["Next"]]["Type"] == "Fail"


def test_notes_failures_end_in_the_transcript_not_in_the_failure_handler(definition):
    top = definition["States"]
    assert top["Write notes"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.notes_error", "Next": "Record notes failure"}
    ]
    recorder = top["Record notes failure"]
    assert recorder["Parameters"]["failure"] == {
        "error.$": "$.notes_error.Error",
        "cause.$": "$.notes_error.Cause",
    }
    assert recorder["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.notes_error", "Next": "Transcript ready"}
    ]
    assert {top[name]["Next"] for name in NOTES_STATES} == {"Announce notes"}


def test_the_map_passes_only_job_id_index_and_the_chunk_entry(definition):
    transcribe = definition["States"]["Transcribe chunks"]
    assert transcribe["ItemSelector"] == {
        "job_id.$": "$.job_id",
        "chunk.$": "$$.Map.Item.Value",
        "index.$": "$$.Map.Item.Index",
    }
    assert transcribe["MaxConcurrencyPath"] == "$.audio.max_concurrency"
    item = transcribe["ItemProcessor"]["States"]["Transcribe chunk"]
    assert item["ResultSelector"] == {"index.$": "$.index", "result_key.$": "$.result_key"}


def test_the_story_reads_from_probe_to_a_final_state(definition):
    states = definition["States"]
    assert definition["StartAt"] == "Probe media"
    assert states["Probe media"]["Next"] == "Route by media type"
    choice = states["Route by media type"]
    assert choice["Choices"][0]["Next"] == "Prepare audio"
    assert choice["Default"] == "Mark job skipped"
    assert states["Prepare audio"]["Next"] == "Transcribe chunks"
    assert states["Transcribe chunks"]["Next"] == "Finalize transcript"
    assert states["Finalize transcript"]["Next"] == "Announce completion"
    notes_wanted = states["Notes wanted?"]
    assert notes_wanted["Choices"] == [
        {"Variable": "$.transcript.notes_provider", "StringEquals": "off", "Next": "Transcript ready"}
    ]
    assert notes_wanted["Default"] == "Write notes"
    assert states["Write notes"]["Next"] == "Announce notes"
    assert states["Mark job skipped"]["Next"] == "Announce skip"
    assert {states[name]["Type"] for name in ("Transcript ready", "Skipped")} == {"Succeed"}


def test_each_terminal_change_is_announced_and_an_announcement_never_fails_the_job(definition):
    """The state machine's own EventBridge task puts the event the step before it returned; whatever
    the bus answers, the workflow goes on where it would have gone without it."""
    bus = sample_substitutions(ASL.read_text())["EventBusName"]
    top = definition["States"]
    for name, (detail, detail_type, after) in ANNOUNCEMENTS.items():
        state = top[name]
        assert state["Resource"] == "arn:aws:states:::events:putEvents"
        assert state["Parameters"] == {
            "Entries": [
                {
                    "Source": "mediascribe",
                    "DetailType": detail_type,
                    "EventBusName": bus,
                    "Detail.$": detail,
                }
            ]
        }
        assert state["ResultPath"] is None and state["Next"] == after
        assert state["Catch"] == [
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.announce_error", "Next": after}
        ]
        retried = {error for retrier in state["Retry"] for error in retrier["ErrorEquals"]}
        assert retried == EVENTBRIDGE_TRANSIENT | {"States.Timeout"}
    # Each step whose event is announced hands its result on where the announcement reads it.
    assert top["Finalize transcript"]["ResultSelector"]["event.$"] == "$.event"
    assert top["Record notes failure"]["ResultPath"] == "$.notes"
    assert top["Mark job skipped"]["ResultPath"] == top["Mark job failed"]["ResultPath"] == "$.outcome"
