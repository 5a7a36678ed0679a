"""REST API (IAM-authorised): submit an uploaded object, get a presigned upload URL, read job status.

Each caller works in its own folder under the upload prefix (``mediascribe.workflow.access``): other
callers' jobs answer 404 as unknown ones do, other keys 403; admin principals see everything.

POST /jobs            {"key": "...", "bucket"?: "..."}   → 202 {job_id, status, status_url} | 403
POST /jobs            {"upload": {"filename": "..."}}    → 201 {upload_url, fields, key, method: POST,
                                                             max_bytes, expires_in} (an S3 POST policy)
GET  /jobs/{job_id}   [?include=content]                 → 200 status document | 400 | 404
POST /jobs/{job_id}/retry                                → 202 new attempt of a failed job | 404 | 409
POST /jobs/{job_id}/notes                                → 202 a completed job's notes rewritten | 404 | 409
                                                           | 429 with Retry-After (3 rewrites a day)
GET  /search?q=...[&limit=&cursor=&language=]          → 200 {hits, next_cursor} in the caller's jobs
                                                           | 400 | 503 with Retry-After (database resuming)
GET  /jobs/{job_id}/page                                 → 200 {page_url, media_url, open_url, expires_in}
                                                             (presigned GETs of page and media) | 404 | 409
Every route answers 403 to a request without an IAM identity. Errors answer
{"error": <failure class>, "message": <what to do>}; failures inside the service (500, or 503 with
Retry-After when worth retrying) say no more than that, so no ARN, host name or SQL reaches a caller;
the log has it. Every request leaves one audit line in the log (``mediascribe.api_audit``).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediascribe.api_audit import audited
from mediascribe.config import Settings
from mediascribe.errors import (
    AccessDeniedError,
    DatabaseUnavailableError,
    IllegalTransitionError,
    InvalidInputError,
    InvalidJobIdError,
    InvalidObjectKeyError,
    JobNotFoundError,
    NotesError,
    NotesRequestLimitError,
)
from mediascribe.ids import validate_job_id
from mediascribe.jobs.models import Job
from mediascribe.jobs.status import job_status_document
from mediascribe.observability import bind_job, lambda_api, logger
from mediascribe.search.api import search_for_caller
from mediascribe.search.queries import InvalidSearchError
from mediascribe.storage import upload_key
from mediascribe.storage.objects import PRESIGNED_UPLOAD_SECONDS, upload_size_limit
from mediascribe.workflow.access import Caller, caller_from, ensure_may_submit, ensure_visible
from mediascribe.workflow.notes import request_notes
from mediascribe.workflow.page import page_links
from mediascribe.workflow.runtime import Runtime, aws_client, runtime_for
from mediascribe.workflow.start import retry_job, start_job

app = APIGatewayRestResolver()
JsonResponse = Response[dict[str, Any]]
# A paused cluster answers DatabaseResumingException, and the request that met it starts the resume
# (https://docs.aws.amazon.com/botocore/latest/reference/services/rds-data/client/exceptions/DatabaseResumingException.html:
# "The Data API request automatically resumes the DB instance. Wait a few seconds and try again."),
# which goes on after the 503; a caller that waits this long finds it awake or nearly so.
DATABASE_RETRY_AFTER_SECONDS = 15


def _runtime() -> Runtime:
    runtime: Runtime = app.context["runtime"]
    return runtime


def _caller() -> Caller:
    identity = (app.current_event.raw_event.get("requestContext") or {}).get("identity") or {}
    return caller_from(identity.get("userArn"), _runtime().settings)


def _visible_job(caller: Caller, job_id: str) -> Job:
    return ensure_visible(caller, _runtime().jobs.get(validate_job_id(job_id)))


def _json(status: HTTPStatus, body: dict[str, Any]) -> JsonResponse:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _error(status: HTTPStatus, error: str, message: str) -> JsonResponse:
    return _json(status, {"error": error, "message": message})


@app.post("/jobs")
def submit() -> JsonResponse:
    caller = _caller()
    try:
        body = app.current_event.json_body if app.current_event.body else None
    except json.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return _error(HTTPStatus.BAD_REQUEST, "InvalidRequest", "expected a JSON object")
    runtime = _runtime()
    key: str | None
    upload = body.get("upload")
    if isinstance(upload, dict):
        key = upload_key(caller.namespace_prefix, str(upload.get("filename") or ""))
        form = runtime.store.presigned_upload(
            key, max_bytes=upload_size_limit(runtime.settings.max_duration_seconds)
        )
        return _json(
            HTTPStatus.CREATED,
            {
                "upload_url": form.url,
                "fields": form.fields,
                "key": key,
                "method": "POST",
                "max_bytes": form.max_bytes,
                "expires_in": PRESIGNED_UPLOAD_SECONDS,
            },
        )
    key = body.get("key")
    if not isinstance(key, str):
        return _error(
            HTTPStatus.BAD_REQUEST, "InvalidRequest", "give 'key' of an uploaded object or 'upload'"
        )
    ensure_may_submit(caller, key)
    job = start_job(runtime, bucket=str(body.get("bucket") or runtime.store.bucket), key=key)
    bind_job(job.job_id)
    return _json(HTTPStatus.ACCEPTED, {**job.summary().model_dump(), "status_url": f"/jobs/{job.job_id}"})


@app.get("/jobs/<job_id>")
def status(job_id: str) -> dict[str, Any]:
    job = _visible_job(_caller(), job_id)
    include_content = app.current_event.get_query_string_value("include", "") == "content"
    runtime = _runtime()
    document = job_status_document(
        runtime.jobs,
        job,
        include_content=include_content,
        notes_expected=runtime.settings.notes_provider != "off",
    )
    bind_job(document["job_id"])
    return document


@app.post("/jobs/<job_id>/retry")
def retry(job_id: str) -> JsonResponse:
    runtime = _runtime()
    job = retry_job(runtime, _visible_job(_caller(), job_id).id)
    bind_job(job.job_id)
    return _json(HTTPStatus.ACCEPTED, {**job.summary().model_dump(), "status_url": f"/jobs/{job.job_id}"})


@app.post("/jobs/<job_id>/notes")
def notes(job_id: str) -> JsonResponse:
    runtime = _runtime()
    job = _visible_job(_caller(), job_id)
    bind_job(job.id)
    request_notes(runtime, job.id, aws_client("lambda"))
    accepted = {"job_id": job.id, "notes": {"status": "pending"}, "status_url": f"/jobs/{job.id}"}
    return _json(HTTPStatus.ACCEPTED, accepted)


@app.get("/jobs/<job_id>/page")
def page(job_id: str) -> dict[str, Any]:
    job = _visible_job(_caller(), job_id)
    bind_job(job.id)
    return page_links(_runtime(), job).to_dict()


@app.get("/search")
def search() -> JsonResponse:
    caller = _caller()
    try:
        found = search_for_caller(
            caller, app.current_event.query_string_parameters or {}, _runtime().settings
        )
    except InvalidSearchError as exc:
        refused: JsonResponse = bad_request(exc)
        return refused
    return _json(HTTPStatus.OK, found.to_dict())


# Our own errors carry messages written for the caller (an id, a key, a state); they are shown.
@app.exception_handler([InvalidJobIdError, InvalidObjectKeyError, InvalidInputError])
def bad_request(exc: Exception) -> JsonResponse:
    return _error(HTTPStatus.BAD_REQUEST, type(exc).__name__, str(exc))


@app.exception_handler(AccessDeniedError)
def forbidden(exc: AccessDeniedError) -> JsonResponse:
    return _error(HTTPStatus.FORBIDDEN, type(exc).__name__, str(exc))


@app.exception_handler([IllegalTransitionError, NotesError])
def conflict(exc: IllegalTransitionError | NotesError) -> JsonResponse:
    return _error(HTTPStatus.CONFLICT, type(exc).__name__, str(exc))


@app.exception_handler(NotesRequestLimitError)
def too_many_notes_requests(exc: NotesRequestLimitError) -> JsonResponse:
    response = _error(HTTPStatus.TOO_MANY_REQUESTS, type(exc).__name__, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


@app.exception_handler(JobNotFoundError)
def not_found(exc: JobNotFoundError) -> JsonResponse:
    return _error(HTTPStatus.NOT_FOUND, type(exc).__name__, str(exc))


# Anything else failed inside the service; its message may name roles, hosts or SQL, so only the
# class and the request id (to find the log entry) leave the function.
@app.exception_handler(DatabaseUnavailableError)
def unavailable(exc: DatabaseUnavailableError) -> JsonResponse:
    """503 with ``Retry-After``, answered within the function's Timeout: the executor stops waiting
    for a resuming cluster while there is time left to answer (API Gateway answers a function that
    does not in time with its own 504)."""
    logger.warning("jobs database unavailable", exc_info=exc)
    response = _error(
        HTTPStatus.SERVICE_UNAVAILABLE,
        type(exc).__name__,
        f"the jobs database is not answering (it may be resuming); try again in a minute "
        f"(request {_request_id()})",
    )
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


@app.exception_handler(Exception)
def internal_error(exc: Exception) -> JsonResponse:
    logger.exception("request failed")
    return _error(
        HTTPStatus.INTERNAL_SERVER_ERROR,
        type(exc).__name__,
        f"the request failed inside the service; its log has the details (request {_request_id()})",
    )


def _request_id() -> str:
    return str(getattr(app.lambda_context, "aws_request_id", "unknown"))


@lambda_api("jobs_api")
def lambda_handler(event: dict[str, Any], context: LambdaContext, settings: Settings) -> dict[str, Any]:
    """Every request is resolved inside its audit line (``mediascribe.api_audit``)."""

    def resolve() -> dict[str, Any]:
        app.append_context(runtime=runtime_for(settings))
        return app.resolve(event, context)

    return audited(event, resolve)
