"""A small client of Notion's REST API, held to the API's published limits.

Facts it relies on (https://developers.notion.com):

- ``/reference/versioning``: every request carries a ``Notion-Version`` header; the latest version is
  ``2026-03-11``. ``/guides/get-started/upgrade-guide-2026-03-11``: from that version ``archived`` is
  gone (only ``in_trash``) and Append block children takes ``position`` instead of ``after``.
  ``/guides/get-started/upgrade-guide-2025-09-03``: a database holds data sources, and a page is
  created in a database under ``{"type": "data_source_id", ...}``.
- ``/reference/request-limits``: an average of three requests a second per connection; over it the
  API answers 429 ``rate_limited`` with ``Retry-After`` in whole seconds, to be waited before trying
  again. A rich text ``text.content`` holds at most 2,000 characters, an array at most 100 elements,
  and a request at most 1,000 block elements and 500 KB.
- ``/reference/status-codes``: errors are ``{"object": "error", "status", "code", "message"}``; 401
  ``unauthorized`` (the token is not valid), 403 ``restricted_resource``, 404 ``object_not_found``
  (does not exist, or is not shared with the connection), 409 ``conflict_error``, 5xx when Notion is
  unavailable.

The standard library's HTTP client is enough for JSON over HTTPS and adds no dependency to the layer.
The clock is injected so tests wait on a virtual one.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Protocol

from mediascribe.errors import MediascribeError
from mediascribe.time_budget import remaining_seconds

logger = logging.getLogger(__name__)

NOTION_VERSION = "2026-03-11"
DEFAULT_BASE_URL = "https://api.notion.com"
MAX_REQUEST_BYTES = 500_000
# Three requests a second on average: one every third of a second never provokes the limit.
MIN_REQUEST_INTERVAL_SECONDS = 1 / 3
DEFAULT_ATTEMPTS = 5
# A per-workspace limit can ask for more than a minute; a wait that long is better left to a later run.
MAX_RETRY_AFTER_SECONDS = 60.0
# The function must still record how the page went after its last request: Lambda ends the
# invocation at its Timeout (``mediascribe.time_budget``), and a step ended there records nothing.
ANSWER_MARGIN_SECONDS = 20.0
MIN_REQUEST_SECONDS = 5.0
_RETRYABLE_STATUS = frozenset({409, 429, 500, 502, 503, 504, 529})


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class _SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class NotionError(MediascribeError):
    """Notion did not take the page; ``retryable`` says whether the same request can succeed later."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retryable = status is None or status in _RETRYABLE_STATUS


@dataclass
class NotionClient:
    """JSON requests to ``base_url`` with the pinned version, paced and retried as Notion asks."""

    token: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout_seconds: float = 30.0
    attempts: int = DEFAULT_ATTEMPTS
    clock: Clock = field(default_factory=_SystemClock)
    _last_request: float | None = field(default=None, init=False, repr=False)

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """The answer's JSON; ``NotionError`` once Notion refuses or the attempts are spent."""
        data = None if body is None else encode(body)
        if data is not None and len(data) > MAX_REQUEST_BYTES:
            raise ValueError(f"a {len(data)}-byte request exceeds Notion's {MAX_REQUEST_BYTES} bytes")
        url = self.base_url.rstrip("/") + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        for attempt in range(1, self.attempts + 1):
            self._pace()
            try:
                return self._send(method, url, data, self._timeout())
            except _Refused as refused:
                error = refused.error
                if not error.retryable or attempt == self.attempts:
                    raise error from None
                wait = refused.retry_after if refused.retry_after is not None else min(2.0**attempt, 30.0)
                if wait > MAX_RETRY_AFTER_SECONDS or not self._time_for(wait):
                    raise error from None
                logger.info("notion asked to wait", extra={"status": error.status, "wait_seconds": wait})
                self.clock.sleep(wait)
        raise AssertionError("unreachable")

    def _time_for(self, wait: float) -> bool:
        """Whether the invocation has time to wait ``wait`` seconds and still send and record."""
        remaining = remaining_seconds()
        return remaining is None or remaining - wait > ANSWER_MARGIN_SECONDS + MIN_REQUEST_SECONDS

    def _timeout(self) -> float:
        """The request's timeout: the client's, or less, so an answer comes before the function ends."""
        remaining = remaining_seconds()
        if remaining is None:
            return self.timeout_seconds
        available = remaining - ANSWER_MARGIN_SECONDS
        if available < MIN_REQUEST_SECONDS:
            raise NotionError("the notes function ran out of time before Notion answered")
        return min(self.timeout_seconds, available)

    def _pace(self) -> None:
        now = self.clock.monotonic()
        if self._last_request is not None:
            wait = self._last_request + MIN_REQUEST_INTERVAL_SECONDS - now
            if wait > 0:
                self.clock.sleep(wait)
        self._last_request = self.clock.monotonic()

    def _send(self, method: str, url: str, data: bytes | None, timeout: float) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Notion-Version": NOTION_VERSION,
            "Accept": "application/json",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise _Refused(_error_of(exc), _retry_after(exc.headers.get("Retry-After"))) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise _Refused(NotionError(f"Notion could not be reached: {reason}"), None) from None
        except ValueError:
            raise NotionError("Notion answered with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise NotionError("Notion answered with something that is not a JSON object")
        return answer


def encode(body: dict[str, Any]) -> bytes:
    """The request body as sent; its length is what the 500 KB limit is held against."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class _Refused(Exception):
    def __init__(self, error: NotionError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _error_of(exc: urllib.error.HTTPError) -> NotionError:
    try:
        document = json.loads(exc.read() or b"{}")
    except ValueError:
        document = {}
    code = document.get("code") if isinstance(document, dict) else None
    message = document.get("message") if isinstance(document, dict) else None
    return NotionError(
        f"Notion answered {exc.code} {code or 'error'}: {message or exc.reason}",
        status=exc.code,
        code=code if isinstance(code, str) else None,
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
