"""POST /jobs/{id}/notes calls a paid model: three rewrites per job in a rolling day, then 429."""

from __future__ import annotations

import json
import uuid

from mediascribe.jobs.status import get_job_status
from support.api_gateway import proxy_event
from support.media_factory import make_speech_like

ALICE = "arn:aws:iam::123456789012:user/tester"
DAY = 24 * 60 * 60


def call(workflow, method: str, path: str, body: object = None) -> tuple[int, dict, dict]:
    encoded = b"" if body is None else json.dumps(body).encode()
    event = proxy_event(method, path, {}, {"Content-Type": "application/json"}, encoded, ALICE)
    payload, error = workflow.invoke("JobsApiFunction", event)
    assert error is None, payload
    headers = {name: values[0] for name, values in (payload.get("multiValueHeaders") or {}).items()}
    return payload["statusCode"], json.loads(payload["body"]), headers


def test_a_fourth_rewrite_within_a_day_is_429_with_the_wait(make_workflow, jobs, database, tmp_path) -> None:
    media = make_speech_like(tmp_path / "notes.mp3", 3.0)
    env = {"NOTES_PROVIDER": "openai", "NOTES_FUNCTION_NAME": "WriteNotesFunction"}
    with make_workflow(**env) as workflow:
        upload = call(workflow, "POST", "/jobs", {"upload": {"filename": "notes.mp3"}})[1]
        workflow.upload(media, upload["key"])
        job_id = call(workflow, "POST", "/jobs", {"key": upload["key"]})[1]["job_id"]
        workflow.wait(workflow.execution_arn(job_id))
        for _ in range(3):
            assert call(workflow, "POST", f"/jobs/{job_id}/notes")[0] == 202
            workflow.invocations.wait_idle(60)
        status, body, headers = call(workflow, "POST", f"/jobs/{job_id}/notes")
        notes_after_refusal = get_job_status(jobs, job_id)["notes"]
        # A day after the oldest of the three, one more is taken.
        database.execute(
            "UPDATE notes_requests SET requested_at = requested_at - interval '1 day' WHERE id = "
            "(SELECT min(id) FROM notes_requests WHERE job_id = %(id)s)",
            {"id": uuid.UUID(job_id)},
        )
        assert call(workflow, "POST", f"/jobs/{job_id}/notes")[0] == 202
        workflow.invocations.wait_idle(60)
    assert (status, body["error"]) == (429, "NotesRequestLimitError")
    assert DAY - 60 < int(headers["Retry-After"]) <= DAY
    assert "try again in" in body["message"]
    # The refused request changed nothing: the notes are not left pending.
    assert notes_after_refusal["status"] == "completed"
