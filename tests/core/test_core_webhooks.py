"""Webhooks: signed as Standard Webhooks says (checked by the spec's own Python verifier), sent only to
allowed URLs, and each receiver's answer (2xx, 410, 500, a redirect, silence) read as what it means."""

from __future__ import annotations

import base64
import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from mediascribe.delivery import webhooks
from mediascribe.delivery.webhooks import Attempt, check_url, deliver, payload, secret_key
from mediascribe.errors import ConfigurationError
from support.webhook_receivers import Answer, receiver

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"x" * 32).decode()
EVENT = {
    "detail-type": "Transcription Job State Change",
    "time": "2026-12-08T02:00:00Z",
    "detail": {"delivery_key": "job:1:completed", "job_id": "job", "status": "completed", "title": "Sitzung"},
}


def _send(url: str, secret: str = SECRET) -> Attempt:
    return deliver(url, secret_key(secret), "job:1:completed", payload(EVENT), timestamp=int(time.time()))


def test_the_spec_verifier_accepts_a_delivery_and_rejects_it_under_another_secret() -> None:
    with receiver() as hook:
        attempt = _send(hook.url)
    assert attempt == Attempt("delivered", 200)
    (request,) = hook.received
    assert request.headers["webhook-id"] == "job:1:completed"
    assert request.headers["webhook-signature"].startswith("v1,")
    verified = Webhook(SECRET).verify(request.body, request.headers)
    assert verified == {"type": EVENT["detail-type"], "timestamp": EVENT["time"], "data": EVENT["detail"]}
    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Webhook(OTHER_SECRET).verify(request.body, request.headers)


def test_a_body_changed_on_the_way_fails_verification() -> None:
    with receiver() as hook:
        _send(hook.url)
    (request,) = hook.received
    tampered = json.loads(request.body)
    tampered["data"]["status"] = "failed"
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(json.dumps(tampered).encode(), request.headers)


def test_410_is_gone_a_500_a_failure_and_2xx_delivered() -> None:
    with receiver([Answer(500), Answer(410)]) as failing, receiver([Answer(204)]) as accepting:
        assert _send(failing.url) == Attempt("failed", 500, "HTTP 500")
        assert _send(failing.url).state == "gone"
        assert _send(accepting.url) == Attempt("delivered", 204)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_counts_as_a_failure(status: int) -> None:
    with receiver() as target, receiver([Answer(status, location=target.url)]) as redirecting:
        attempt = _send(redirecting.url)
    assert (attempt.state, attempt.status) == ("failed", status)
    assert "not followed" in (attempt.error or "")
    assert target.received == []


def test_a_receiver_that_never_answers_is_a_failure_after_the_timeout() -> None:
    with receiver([Answer(hang=True)]) as silent:
        attempt = webhooks.post(silent.url, {}, b"{}", timeout=0.2)
    assert attempt.state == "failed"
    assert attempt.status is None
    assert "timed out" in (attempt.error or "")


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://hooks.example.com/in", False),
        ("http://hooks.example.com/in", True),
        ("http://localhost:8080/in", False),
        ("ftp://hooks.example.com/in", True),
        ("https:///no-host", False),
    ],
)
def test_only_https_or_local_http_in_a_local_run_is_a_webhook_url(url: str, local: bool) -> None:
    with pytest.raises(ConfigurationError, match="webhook URL must be"):
        check_url(url, allow_local_http=local)


def test_https_anywhere_and_http_to_this_machine_locally_are_allowed() -> None:
    assert check_url("https://hooks.example.com/in", allow_local_http=False)
    assert check_url("http://127.0.0.1:9000/in", allow_local_http=True)
    assert check_url("http://localhost/in", allow_local_http=True)


@pytest.mark.parametrize(
    "secret",
    ["k" * 32, "whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_a_secret_that_is_not_whsec_and_a_base64_key_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        secret_key(secret)
    assert secret not in str(refused.value)
