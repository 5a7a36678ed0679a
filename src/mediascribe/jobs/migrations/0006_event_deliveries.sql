-- Each event of a job that reached the webhook sender, and how its webhook went. The sender records a
-- row when the event arrives from the bus (so the event was put: it came through EventBridge, its
-- rule and the queue), then every POST: attempts counts them, webhook_error keeps the last failure.
-- event_receipts counts the bus's deliveries of the event (EventBridge delivers at least once), told
-- apart by the queue message that carried each one (event_message_id, the latest).

CREATE TABLE event_deliveries (
    delivery_key     text PRIMARY KEY CHECK (char_length(delivery_key) BETWEEN 1 AND 200),
    job_id           uuid NOT NULL REFERENCES assets_processing_jobs (id) ON DELETE CASCADE,
    detail_type      text NOT NULL CHECK (char_length(detail_type) BETWEEN 1 AND 128),
    event_state      text NOT NULL DEFAULT 'put' CHECK (event_state IN ('put')),
    event_receipts   integer NOT NULL DEFAULT 1 CHECK (event_receipts >= 1),
    event_message_id text NOT NULL CHECK (char_length(event_message_id) BETWEEN 1 AND 100),
    webhook_state    text NOT NULL DEFAULT 'pending'
        CHECK (webhook_state IN ('pending', 'retrying', 'delivered', 'gone', 'failed')),
    webhook_attempts integer NOT NULL DEFAULT 0 CHECK (webhook_attempts >= 0),
    webhook_error    text CHECK (char_length(webhook_error) BETWEEN 1 AND 500),
    put_at           timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_deliveries_delivered_has_no_error
        CHECK (webhook_state <> 'delivered' OR webhook_error IS NULL)
);

CREATE INDEX event_deliveries_by_job ON event_deliveries (job_id, put_at);
