-- Each accepted request to write a job's notes again (POST /jobs/{id}/notes). A rewrite calls a paid
-- model, so only a few per job are taken in a rolling day; the rows are what is counted, and rows
-- older than the day are removed as new requests come in.

CREATE TABLE notes_requests (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       uuid NOT NULL REFERENCES assets_processing_jobs (id) ON DELETE CASCADE,
    requested_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notes_requests_by_job ON notes_requests (job_id, requested_at);
