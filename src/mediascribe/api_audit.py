"""One audit line per jobs API request: who called which route, on which job, and how it ended.

CloudTrail records the calls that manage API Gateway, not the requests callers send to a deployed
API (https://docs.aws.amazon.com/apigateway/latest/developerguide/cloudtrail.html), so the API
function writes its own line for every request, whatever it answered:

- ``caller_arn``: the IAM identity API Gateway authenticated (``requestContext.identity.userArn``);
- ``http_method`` and ``route``: the API's resource template (``/jobs/{job_id}``), never the raw path;
- ``job_id``: the route's job id when it is a valid one (a malformed id is not echoed);
- ``status`` and ``latency_ms``: the HTTP status answered and the time the function took for it.

Bodies, query strings, headers and responses are not logged: they can carry transcript text, upload
policies or credentials. The ``mediascribe.audit`` logger keeps its own INFO level, so the line is
written whatever ``LOG_LEVEL`` says; its records go out through the Powertools ``Logger``'s handler
as every ``mediascribe.*`` logger's do, as one JSON line with the invocation's request id.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from mediascribe.errors import InvalidJobIdError
from mediascribe.ids import validate_job_id

audit_logger = logging.getLogger("mediascribe.audit")
audit_logger.setLevel(logging.INFO)


def audited(event: Mapping[str, Any], resolve: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``resolve()`` the request's proxy response, and log its audit line however it ends."""
    started = time.perf_counter()
    status = int(HTTPStatus.INTERNAL_SERVER_ERROR)
    try:
        response = resolve()
        status = int(response.get("statusCode", status))
        return response
    finally:
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        audit_logger.info("api request", extra=audit_fields(event, status, latency_ms))


def audit_fields(event: Mapping[str, Any], status: int, latency_ms: float) -> dict[str, Any]:
    """The audit line's fields for one REST proxy event."""
    context = event.get("requestContext") or {}
    identity = context.get("identity") or {}
    return {
        "caller_arn": identity.get("userArn"),
        "http_method": event.get("httpMethod"),
        "route": event.get("resource"),
        "job_id": _job_id(event.get("pathParameters") or {}),
        "status": status,
        "latency_ms": latency_ms,
    }


def _job_id(path_parameters: Mapping[str, Any]) -> str | None:
    try:
        return validate_job_id(path_parameters.get("job_id"))
    except InvalidJobIdError:
        return None
