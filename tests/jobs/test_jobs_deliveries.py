"""Each event's deliveries as the webhook sender records them, on both executors, and as the status
document shows them."""

from __future__ import annotations

import pytest

from mediascribe.jobs.deliveries import DeliveryRepository
from mediascribe.jobs.status import get_job_status

TYPE = "Transcription Job State Change"


@pytest.fixture
def deliveries(job_repository) -> DeliveryRepository:
    return DeliveryRepository(job_repository.executor)


def test_a_webhook_retried_then_delivered_shows_its_attempts_and_no_error(
    deliveries, job_repository, make_job
) -> None:
    job = job_repository.fail(make_job(started=True).id, "MediaProbeError", "not media")
    key = f"{job.id}:1:failed"
    deliveries.event_received(job.id, key, TYPE, "message-1")
    deliveries.webhook_attempted(key, "retrying", "HTTP 500")
    # The queue hands the same message back for the retry: the bus delivered the event once.
    deliveries.event_received(job.id, key, TYPE, "message-1")
    retried = deliveries.webhook_attempted(key, "retrying", "no answer: timed out")
    assert (retried.webhook_attempts, retried.webhook_error) == (2, "no answer: timed out")
    deliveries.event_received(job.id, key, TYPE, "message-1")
    deliveries.webhook_attempted(key, "delivered", None)
    assert get_job_status(job_repository, job.id)["deliveries"] == [
        {
            "delivery_key": key,
            "detail_type": TYPE,
            "event": {"state": "put", "attempts": 1},
            "webhook": {"state": "delivered", "attempts": 3},
        }
    ]


def test_the_bus_delivering_an_event_twice_counts_two_receipts(deliveries, make_job) -> None:
    job = make_job()
    key = f"{job.id}:1:failed"
    deliveries.event_received(job.id, key, TYPE, "message-1")
    again = deliveries.event_received(job.id, key, TYPE, "message-2")
    assert (again.event_receipts, again.webhook_state, again.webhook_attempts) == (2, "pending", 0)


def test_a_job_without_deliveries_has_none_in_its_status(job_repository, make_job) -> None:
    assert "deliveries" not in get_job_status(job_repository, make_job().id)


def test_an_attempt_for_an_event_never_received_is_refused(deliveries) -> None:
    with pytest.raises(KeyError):
        deliveries.webhook_attempted("nobody:1:failed", "retrying", "HTTP 500")
