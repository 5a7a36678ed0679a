"""Each event's way out of the stack: that it came through the bus, and how its webhook went.

The webhook sender writes here: ``event_received`` when an event arrives from EventBridge through
the queue, ``webhook_attempted`` after every POST. The status document reads ``of_job``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

from mediascribe.ids import validate_job_id
from mediascribe.jobs.executor import Executor, Row

WebhookState = Literal["pending", "retrying", "delivered", "gone", "failed"]
# A webhook in one of these states is not posted again when the bus delivers its event once more.
SETTLED_STATES = frozenset({"delivered", "gone"})


@dataclass(frozen=True)
class Delivery:
    delivery_key: str
    detail_type: str
    event_receipts: int
    webhook_state: WebhookState
    webhook_attempts: int
    webhook_error: str | None

    def to_document(self) -> dict[str, Any]:
        webhook: dict[str, Any] = {"state": self.webhook_state, "attempts": self.webhook_attempts}
        if self.webhook_error is not None:
            webhook["last_error"] = self.webhook_error
        return {
            "delivery_key": self.delivery_key,
            "detail_type": self.detail_type,
            # Put, and received from the bus; attempts are the bus's deliveries of it.
            "event": {"state": "put", "attempts": self.event_receipts},
            "webhook": webhook,
        }


_COLUMNS = "delivery_key, detail_type, event_receipts, webhook_state, webhook_attempts, webhook_error"


class DeliveryRepository:
    def __init__(self, executor: Executor) -> None:
        self._db = executor

    def event_received(self, job_id: str, delivery_key: str, detail_type: str, message_id: str) -> Delivery:
        """Record that the bus delivered the event (in queue message ``message_id``); a message seen
        before is a retry of the webhook, not another delivery of the event."""
        rows = self._db.execute(
            f"""
            INSERT INTO event_deliveries (delivery_key, job_id, detail_type, event_message_id)
            VALUES (%(key)s, %(job)s, %(type)s, %(message)s)
            ON CONFLICT (delivery_key) DO UPDATE SET
                event_receipts = event_deliveries.event_receipts
                    + (event_deliveries.event_message_id <> EXCLUDED.event_message_id)::int,
                event_message_id = EXCLUDED.event_message_id,
                updated_at = now()
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - the column list is a constant of this module
            {
                "key": delivery_key,
                "job": uuid.UUID(validate_job_id(job_id)),
                "type": detail_type,
                "message": message_id,
            },
        )
        return _delivery(rows[0])

    def webhook_attempted(self, delivery_key: str, state: WebhookState, error: str | None) -> Delivery:
        """Count one POST and keep how it went (the error of a delivered webhook is cleared)."""
        rows = self._db.execute(
            f"""
            UPDATE event_deliveries SET webhook_attempts = webhook_attempts + 1,
                   webhook_state = %(state)s, webhook_error = %(error)s, updated_at = now()
            WHERE delivery_key = %(key)s
            RETURNING {_COLUMNS}
            """,  # noqa: S608 - the column list is a constant of this module
            {"key": delivery_key, "state": state, "error": None if state == "delivered" else error},
        )
        if not rows:
            raise KeyError(f"no event {delivery_key} was received")
        return _delivery(rows[0])

    def of_job(self, job_id: str) -> list[Delivery]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM event_deliveries WHERE job_id = %(job)s ORDER BY put_at, delivery_key",  # noqa: S608
            {"job": uuid.UUID(validate_job_id(job_id))},
        )
        return [_delivery(row) for row in rows]


def _delivery(row: Row) -> Delivery:
    return Delivery(
        delivery_key=row["delivery_key"],
        detail_type=row["detail_type"],
        event_receipts=int(row["event_receipts"]),
        webhook_state=row["webhook_state"],
        webhook_attempts=int(row["webhook_attempts"]),
        webhook_error=row["webhook_error"],
    )
