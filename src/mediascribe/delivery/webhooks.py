"""Webhooks signed by the Standard Webhooks specification, and the schedule they are retried on.

A receiver outside AWS gets each event as an HTTP POST it can prove genuine
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md): the
headers ``webhook-id`` (the event's delivery key, the same on every retry, so a receiver drops
duplicates), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``, ``v1,`` and the base64
HMAC-SHA256 of ``id.timestamp.body`` under the secret, which is ``whsec_`` and the key in base64.

The body is the spec's envelope (``type``, ``timestamp``, ``data``) around the event's detail, which never
carries transcript text or a secret. Only ``https://`` receivers are allowed, except plain HTTP to this
machine in a local run; redirects are never followed (a redirect is a failed attempt), and a receiver
that does not answer within ``TIMEOUT_SECONDS`` is one too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from mediascribe.errors import ConfigurationError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
# The spec asks for keys of 24 to 64 bytes.
MIN_KEY_BYTES = 24
MAX_KEY_BYTES = 64
TIMEOUT_SECONDS = 5.0
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# The longest error an attempt keeps (the database column's limit).
MAX_ERROR_CHARS = 500

# Retries: the first after a minute, each wait twice the last, up to SQS's ceiling. "You can continue
# to call ChangeMessageVisibility to extend the visibility timeout to a maximum of 12 hours"
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html),
# counted from the receive, so the longest wait leaves a minute for the invocation that sets it.
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 12 * 3600 - 60
RETRY_FOR_SECONDS = 24 * 3600


def retry_delay(failed_attempts: int) -> int:
    """Seconds to wait after the ``failed_attempts``-th failed attempt (1 for the first)."""
    if failed_attempts < 1:
        raise ValueError(f"failed_attempts must be at least 1, got {failed_attempts}")
    return int(min(FIRST_RETRY_SECONDS * 2 ** (failed_attempts - 1), MAX_RETRY_SECONDS))


def attempts_for(seconds: int) -> int:
    """The attempts the schedule makes before the waits between them add up to ``seconds``: the
    queue's maxReceiveCount, so that a failing receiver is tried for at least that long."""
    attempts, waited = 1, 0
    while waited < seconds:
        waited += retry_delay(attempts)
        attempts += 1
    return attempts


MAX_ATTEMPTS = attempts_for(RETRY_FOR_SECONDS)


def secret_key(secret: str) -> bytes:
    """The key of a ``whsec_`` secret; anything else is a configuration error (never echoed)."""
    secret = secret.strip()
    if not secret.startswith(SECRET_PREFIX):
        raise ConfigurationError(f"the webhook secret must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ConfigurationError("the webhook secret is not whsec_ and base64") from exc
    if not MIN_KEY_BYTES <= len(key) <= MAX_KEY_BYTES:
        raise ConfigurationError(f"the webhook key must be {MIN_KEY_BYTES} to {MAX_KEY_BYTES} bytes")
    return key


def signature(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, message_id, timestamp, body),
    }


def payload(event: Mapping[str, Any]) -> bytes:
    """The body of an EventBridge event's webhook: its detail type, time and detail."""
    envelope = {"type": event["detail-type"], "timestamp": event["time"], "data": event["detail"]}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def check_url(url: str, *, allow_local_http: bool) -> str:
    """``url`` if webhooks may go there: HTTPS, or plain HTTP to this machine in a local run."""
    parts = urlsplit(url)
    local = allow_local_http and parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        allowed = "https:// (or http:// to localhost in a local run)" if allow_local_http else "https://"
        raise ConfigurationError(f"the webhook URL must be {allowed}")
    return url


@dataclass(frozen=True)
class Attempt:
    """How one POST went: ``delivered`` (2xx), ``gone`` (410: never retried) or ``failed``."""

    state: Literal["delivered", "gone", "failed"]
    status: int | None = None
    error: str | None = None


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_RefuseRedirects())


def post(url: str, headers: Mapping[str, str], body: bytes, *, timeout: float = TIMEOUT_SECONDS) -> Attempt:
    """POST ``body`` once; every outcome is an ``Attempt``, nothing is raised."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt("failed", error=_clip(f"no answer: {reason}"))
    if 200 <= status < 300:
        return Attempt("delivered", status)
    if status == 410:
        return Attempt("gone", status, "410 Gone: the receiver asked for no more deliveries")
    if 300 <= status < 400:
        return Attempt("failed", status, f"HTTP {status}: redirects are not followed")
    return Attempt("failed", status, f"HTTP {status}")


def deliver(url: str, key: bytes, message_id: str, body: bytes, *, timestamp: int) -> Attempt:
    """Sign ``body`` as sent at ``timestamp`` and POST it to ``url``."""
    return post(url, signed_headers(key, message_id, timestamp, body), body)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"
