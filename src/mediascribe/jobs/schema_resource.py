"""The schema as a CloudFormation custom resource: migrations run once per deployment.

The deployment invokes the migrate function on Create and Update (every deploy that changes the
resource's properties, such as the migrations' version list), so the functions' runtime identity never
needs DDL rights and no cold start waits for a schema check. Delete leaves the data alone: the database
and its retention belong to the cluster resource.

CloudFormation waits up to an hour for an answer that never comes, so every request is answered,
also when the migration fails or the request cannot be understood; the reason names the failure class
and the log stream, never connection details. The answer goes only to an ``https://`` ResponseURL:
CloudFormation's is a presigned S3 URL
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-create.html:
"The response URL identifies a presigned S3 bucket that receives responses"), so any other URL is not
CloudFormation's, and the request is refused before anything runs or is sent.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from aws_lambda_powertools.utilities.data_classes import CloudFormationCustomResourceEvent

from mediascribe.config import Settings
from mediascribe.jobs.connect import migrate

logger = logging.getLogger(__name__)

PHYSICAL_ID = "mediascribe-schema"
_SEND_ATTEMPTS = 3
_SEND_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class ResourceAnswer:
    status: Literal["SUCCESS", "FAILED"]
    physical_id: str
    reason: str = ""
    data: dict[str, str] = field(default_factory=dict)


def answer_schema_request(
    event: CloudFormationCustomResourceEvent,
    log_stream: str,
    *,
    settings: Callable[[], Settings] = Settings.from_env,
) -> ResourceAnswer | None:
    """Apply migrations for Create/Update, nothing for Delete; always send CloudFormation the outcome.

    A request whose ResponseURL is not https is not CloudFormation's: it is logged and left alone
    (None), with nothing migrated and nothing sent.
    """
    if not is_https_url(event.response_url):
        logger.error(
            "refusing a custom resource request whose ResponseURL is not an https URL; "
            "nothing is migrated and no response is sent",
            extra={"scheme": urllib.parse.urlsplit(event.response_url or "").scheme or "none"},
        )
        return None
    try:
        answer = _handle(event, settings)
    except Exception as exc:
        logger.exception("schema migration failed")
        answer = ResourceAnswer(
            "FAILED",
            event.physical_resource_id or PHYSICAL_ID,
            reason=f"schema migration failed ({type(exc).__name__}); see CloudWatch log stream {log_stream}",
        )
    send_answer(event, answer)
    return answer


def _handle(event: CloudFormationCustomResourceEvent, settings: Callable[[], Settings]) -> ResourceAnswer:
    request_type = event.request_type
    if request_type == "Delete":
        return ResourceAnswer("SUCCESS", event.physical_resource_id or PHYSICAL_ID)
    if request_type not in ("Create", "Update"):
        raise ValueError(f"unknown request type {request_type!r}")
    applied = migrate(settings())
    logger.info("schema is up to date", extra={"applied": applied})
    return ResourceAnswer(
        "SUCCESS",
        event.physical_resource_id or PHYSICAL_ID,
        data={"Applied": ",".join(applied) or "none"},
    )


def is_https_url(url: str | None) -> bool:
    """An absolute ``https://`` URL with a host, the only kind CloudFormation's ResponseURL is."""
    parts = urllib.parse.urlsplit(url or "")
    return parts.scheme == "https" and bool(parts.hostname)


def send_answer(event: CloudFormationCustomResourceEvent, answer: ResourceAnswer) -> None:
    """PUT the response document to the presigned ``ResponseURL`` (as cfnresponse does), with retries."""
    body = json.dumps(
        {
            "Status": answer.status,
            "Reason": answer.reason or answer.status,
            "PhysicalResourceId": answer.physical_id,
            "StackId": event.stack_id,
            "RequestId": event.request_id,
            "LogicalResourceId": event.logical_resource_id,
            "NoEcho": False,
            "Data": answer.data,
        }
    ).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - an https URL (answer_schema_request checks)
        event.response_url,
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    for attempt in range(1, _SEND_ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=_SEND_TIMEOUT_SECONDS):  # noqa: S310
                return
        except urllib.error.URLError as exc:
            logger.warning("could not answer CloudFormation", extra={"attempt": attempt, "error": str(exc)})
            if attempt == _SEND_ATTEMPTS:
                raise
            time.sleep(attempt)
