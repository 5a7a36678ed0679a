"""Time as the deployed stack meets it, on the rehearsal's virtual clock: a paused cluster that takes
30 s to resume, a statement past the Data API's 45 s, a transaction that expired, a throttled Lambda
inside the Map, and a function that runs past its Timeout. Waits pass on the clock shared by the
stand-ins, the code under test, the state machine's Retry and the Lambda timeout emulator, so none
of them is waited for in real time."""

from __future__ import annotations

import threading
from typing import Any

import psycopg2
from botocore.exceptions import ClientError

from mediascribe.jobs import JobStatus
from mediascribe.local.postgres import DATABASE, SUPERUSER
from support.media_factory import make_speech_like
from support.rehearsal.drive import api, finish, submit
from support.rehearsal.variants import DEFAULT

RESUME_SECONDS = 30.0


def test_the_api_answers_503_with_retry_after_while_the_cluster_resumes(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        job_id = submit(rehearsal, media, "talk.mp3")
        assert finish(rehearsal, job_id).status == "SUCCEEDED"
        rehearsal.data_api.resume_for_seconds(RESUME_SECONDS)
        # Within the function's 29 s: a 503 the caller can retry, never API Gateway's 502/504.
        status, body, headers = api(rehearsal, "GET", f"/jobs/{job_id}")
        rehearsal.workflow.options.clock.sleep(RESUME_SECONDS)
        after_status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
    assert status == 503, body
    assert int(headers["Retry-After"]) > 0
    assert (after_status, document["status"]) == (200, JobStatus.COMPLETED)
    assert call_log.denied() == []


def test_a_job_completes_when_the_cluster_pauses_under_it(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        data_api = rehearsal.data_api
        paused = _on_first_call(
            rehearsal, "ProbeMediaFunction", lambda: data_api.resume_for_seconds(RESUME_SECONDS)
        )
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
        status, document, _ = api(rehearsal, "GET", f"/jobs/{job_id}")
    assert paused.is_set()
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert (status, document["status"]) == (200, JobStatus.COMPLETED)
    assert call_log.denied() == []


def test_a_transaction_that_expired_is_retried_and_the_job_completes(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        clock = rehearsal.workflow.options.clock
        expired = threading.Event()

        def stall_after_begin(role: Any, service: str, operation: str, params: Any) -> ClientError | None:
            # The function stalls for over 3 minutes inside its transaction (the service's idle limit).
            in_transaction = operation == "ExecuteStatement" and params.get("transactionId")
            if role.name.startswith("FinalizeTranscript") and in_transaction and not expired.is_set():
                expired.set()
                clock.sleep(181)
            return None

        rehearsal.judge.faults.append(stall_after_begin)
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
    assert expired.is_set()
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert "TransactionNotFoundException" in rehearsal.data_api.errors
    assert call_log.denied() == []


def test_a_statement_past_the_data_api_timeout_is_retried(
    make_rehearsal_with, rehearsal_postgres, call_log, tmp_path
):
    """A row lock held elsewhere keeps the finalize step's update waiting past the statement timeout."""
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal_with(DEFAULT, statement_timeout_seconds=1.0) as rehearsal:
        blocker = psycopg2.connect(
            host="127.0.0.1", port=rehearsal_postgres.port, user=SUPERUSER, dbname=DATABASE
        )
        released = threading.Event()

        def lock_jobs() -> None:
            with blocker.cursor() as cursor:
                cursor.execute("LOCK TABLE assets_processing_jobs IN EXCLUSIVE MODE")

        def release_after_timeout(role: Any, service: str, operation: str, params: Any) -> ClientError | None:
            if "StatementTimeoutException" in rehearsal.data_api.errors and not released.is_set():
                blocker.rollback()
                released.set()
            return None

        _on_first_call(rehearsal, "FinalizeTranscriptFunction", lock_jobs)
        rehearsal.judge.faults.append(release_after_timeout)
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
        blocker.close()
    assert released.is_set()
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert call_log.denied() == []


def test_a_throttled_lambda_inside_the_map_is_retried_until_it_runs(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    throttles = 6
    with make_rehearsal(DEFAULT) as rehearsal:
        answered: list[str] = []

        def throttle(role: Any, service: str, operation: str, params: Any) -> ClientError | None:
            chunk_step = operation == "Invoke" and "TranscribeChunkFunction" in str(
                params.get("FunctionName")
            )
            if chunk_step and len(answered) < throttles:
                answered.append("TooManyRequestsException")
                return ClientError(
                    {
                        "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
                        "ResponseMetadata": {"HTTPStatusCode": 429, "RequestId": "throttled"},
                        "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                    },
                    "Invoke",
                )
            return None

        rehearsal.judge.faults.append(throttle)
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
    assert len(answered) == throttles
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert call_log.denied() == []


def test_a_function_past_its_timeout_is_retried_and_the_job_completes(make_rehearsal, call_log, tmp_path):
    media = make_speech_like(tmp_path / "talk.mp3", 3.0)
    with make_rehearsal(DEFAULT) as rehearsal:
        clock = rehearsal.workflow.options.clock
        timeout = rehearsal.stack.function("ProbeMediaFunction").timeout_seconds
        _on_first_call(rehearsal, "ProbeMediaFunction", lambda: clock.sleep(timeout + 1))
        job_id = submit(rehearsal, media, "talk.mp3")
        outcome = finish(rehearsal, job_id)
        errors = [record["error"] for record in rehearsal.workflow.invocations.of("ProbeMediaFunction")]
    assert errors == ["Sandbox.Timedout", None]
    assert outcome.status == "SUCCEEDED", (outcome.error, outcome.cause)
    assert call_log.denied() == []


def _on_first_call(rehearsal: Any, function: str, action: Any) -> threading.Event:
    """Run ``action`` inside the first invocation of ``function``, before its handler starts."""
    done = threading.Event()
    handler = rehearsal.workflow.handlers[function]

    def wrapped(event: Any, context: Any) -> Any:
        if not done.is_set():
            done.set()
            action()
        return handler(event, context)

    rehearsal.workflow.handlers[function] = wrapped
    return done
