"""A client for a deployed stack's jobs API: submit a file, read a job's status, re-run a failed job.

Requests are signed with SigV4 for the service ``execute-api`` (the API uses IAM authorization), with
the credentials and region boto3 would use (environment, profile, SSO, instance role...). Only the
standard library speaks HTTP: the upload streams the file from disk in the presigned POST form, so a
file of several gigabytes never sits in memory.

    client = ApiClient.from_default_session("https://abc.execute-api.eu-west-1.amazonaws.com/v1/")
    job_id = client.submit(Path("talk.mp4"))
    document = client.wait(job_id, on_progress=print)
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from mediascribe.errors import ConfigurationError, InvalidInputError, MediascribeError
from mediascribe.ids import validate_job_id

SERVICE = "execute-api"
FINAL_STATES = frozenset({"completed", "failed", "skipped"})
# Polling starts quickly (short jobs finish in seconds) and backs off to a ceiling, so watching a
# multi-hour job costs a request every few seconds, not a flood.
FIRST_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 10.0
POLL_BACKOFF = 1.5
# A long wait should survive a brief API Gateway or network hiccup, but not an outage.
TRANSIENT_POLL_FAILURES = 5
# A completed job's notes are written after it completes; wait for them at most as long as the
# notes function may run.
NOTES_WAIT_SECONDS = 900.0
_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")
_XML_MESSAGE = re.compile(r"<Message>(.*?)</Message>", re.S)
_ERROR_BODY_CHARS = 500
_HTTP_SCHEMES = ("https", "http")
_UPLOAD_BLOCK_BYTES = 1024 * 1024

logger = logging.getLogger(__name__)


class ApiError(MediascribeError):
    """The API (or the upload URL) refused a request; ``status`` is None when it could not be reached."""

    def __init__(self, status: int | None, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"API answered {status}: {message}" if status else message)

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


@dataclass(frozen=True)
class ApiClient:
    base_url: str
    credentials: Credentials
    region: str
    timeout_seconds: float = 60.0

    def __post_init__(self) -> None:
        url = urllib.parse.urlsplit(self.base_url)
        if url.scheme not in _HTTP_SCHEMES or not url.hostname:
            raise ConfigurationError(f"the API URL must be an http(s) URL, not {self.base_url[:80]!r}")

    @classmethod
    def from_default_session(cls, base_url: str) -> ApiClient:
        """A client with boto3's default credentials; the region comes from the session or the URL."""
        import boto3

        session = boto3.Session()
        credentials = session.get_credentials()
        if credentials is None:
            raise ConfigurationError("no AWS credentials found (environment, profile or instance role)")
        region = session.region_name or _region_from_url(base_url)
        if not region:
            raise ConfigurationError("set AWS_REGION (the API URL does not name a region)")
        return cls(base_url=base_url, credentials=credentials, region=region)

    # --- the API's operations ----------------------------------------------------------------

    def submit(self, path: Path) -> dict[str, Any]:
        """Upload ``path`` into the caller's folder and start its job; returns the 202 document.

        The upload itself also notifies the workflow (S3 event); both paths lead to the same job.
        """
        upload = self._call("POST", "jobs", {"upload": {"filename": path.name}})
        self._post_file(upload, path)
        return self._call("POST", "jobs", {"key": upload["key"]})

    def status(self, job_id: str, *, include_content: bool = False) -> dict[str, Any]:
        query = {"include": "content"} if include_content else None
        return self._call("GET", f"jobs/{validate_job_id(job_id)}", query=query)

    def retry(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"jobs/{validate_job_id(job_id)}/retry")

    def notes(self, job_id: str) -> dict[str, Any]:
        """Have a completed job's notes written again; they are ``pending`` until done."""
        return self._call("POST", f"jobs/{validate_job_id(job_id)}/notes")

    def page(self, job_id: str) -> dict[str, Any]:
        """Fresh presigned URLs of a completed job's transcript page and its media."""
        return self._call("GET", f"jobs/{validate_job_id(job_id)}/page")

    def wait(
        self,
        job_id: str,
        *,
        on_progress: Callable[[int, str], None] | None = None,
        include_content: bool = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> dict[str, Any]:
        """Poll until the job is completed, failed or skipped, and its notes (if any) are no longer
        pending; returns its final status document."""
        interval, failures = FIRST_POLL_SECONDS, 0
        notes_deadline: float | None = None
        while True:
            try:
                document = self.status(job_id, include_content=include_content)
            except ApiError as exc:
                failures += 1
                if not exc.transient or failures > TRANSIENT_POLL_FAILURES:
                    raise
                logger.warning("status poll failed, retrying", extra={"job_id": job_id, "status": exc.status})
            else:
                failures = 0
                if on_progress is not None:
                    on_progress(int(document.get("progress") or 0), str(document.get("stage") or ""))
                if document.get("status") in FINAL_STATES:
                    if (document.get("notes") or {}).get("status") != "pending":
                        return document
                    notes_deadline = notes_deadline or time.monotonic() + NOTES_WAIT_SECONDS
                    if time.monotonic() > notes_deadline:
                        return document
            sleep(interval)
            interval = min(interval * POLL_BACKOFF, MAX_POLL_SECONDS)

    # --- HTTP ------------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, body: object = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        url = urllib.parse.urljoin(self.base_url.rstrip("/") + "/", path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode("utf-8")
        signed = AWSRequest(method=method, url=url, data=data, headers={"Content-Type": "application/json"})
        SigV4Auth(self.credentials, SERVICE, self.region).add_auth(signed)
        request = _http_request(url, data=data, method=method, headers=dict(signed.headers.items()))
        logger.debug("API request", extra={"method": method, "path": path})
        payload = self._send(request)
        try:
            document = json.loads(payload or b"{}")
        except json.JSONDecodeError as exc:
            raise ApiError(None, f"the API answered something that is not JSON: {payload[:80]!r}") from exc
        if not isinstance(document, dict):
            raise ApiError(None, "the API answered JSON that is not an object")
        return document

    def _post_file(self, upload: dict[str, Any], path: Path) -> None:
        """Send the file in the presigned POST form, streamed from disk (the file is the last field).

        S3 refuses a file larger than the policy allows; checking first saves sending it for nothing.
        """
        size = path.stat().st_size
        max_bytes = int(upload["max_bytes"])
        if size > max_bytes:
            raise InvalidInputError(
                path.name, f"it has {size} bytes; this stack accepts uploads up to {max_bytes}"
            )
        boundary = f"mediascribe-{uuid.uuid4().hex}"
        head = b"".join(_form_field(boundary, name, str(value)) for name, value in upload["fields"].items())
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        with path.open("rb") as stream:
            request = _http_request(
                upload["upload_url"],
                data=itertools.chain([head], iter(lambda: stream.read(_UPLOAD_BLOCK_BYTES), b""), [tail]),
                method="POST",
                headers={
                    "Content-Length": str(len(head) + size + len(tail)),
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
            )
            logger.debug("uploading", extra={"bytes": size})
            self._send(request)

    def _send(self, request: urllib.request.Request) -> bytes:
        try:
            # Only http(s) requests reach here: _http_request built them.
            with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:  # noqa: S310
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, _error_message(exc.read())) from None
        except (urllib.error.URLError, OSError) as exc:
            host = urllib.parse.urlsplit(request.full_url).netloc
            raise ApiError(None, f"cannot reach {host}: {getattr(exc, 'reason', exc)}") from None


def _http_request(url: str, **kwargs: Any) -> urllib.request.Request:
    """A request for an http(s) URL only: a URL from the API or the user must not open ``file:``."""
    if urllib.parse.urlsplit(url).scheme not in _HTTP_SCHEMES:
        raise ConfigurationError(f"not an http(s) URL: {url[:80]!r}")
    return urllib.request.Request(url, **kwargs)  # noqa: S310


def _form_field(boundary: str, name: str, value: str) -> bytes:
    return f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def _error_message(body: bytes) -> str:
    """The human part of an error body: API Gateway's and our ``message``, or S3's XML ``<Message>``."""
    text = body.decode("utf-8", "replace").strip()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and isinstance(message := document.get("message"), str):
        return message
    if match := _XML_MESSAGE.search(text):
        return match.group(1).strip()
    return text[:_ERROR_BODY_CHARS] or "no details"


def _region_from_url(base_url: str) -> str | None:
    match = _REGION_IN_HOST.search(urllib.parse.urlsplit(base_url).hostname or "")
    return match.group(1) if match else None
